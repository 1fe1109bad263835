#!/bin/bash
# Version differences: record the whole corpus (corpus/ops, recorded on 7.2) on another kernel
# (default ../shared/oracle/bzImage-6.12), list the differing line classes, attribute every
# differing line to a kernel change or to a cascade of one, and check the cascades on 7.2.
# VERSIONS.md is written from its output.
#
# Usage: tools/kernel-oracle/versions.sh [--shrink] [WORK_DIR]
#   WORK_DIR   where the recordings go (default target/versions-LABEL; reused when present)
#   --shrink   also shrink one example of every class that is some list's first difference, on
#              both kernels at once (Campaign versions --first --shrink), into WORK_DIR/shrunk
# Env: KERNEL=bzImage-6.12 (a bare name is looked up in ../shared/oracle), LABEL=6.12,
#      RULES=tools/kernel-oracle/versions/attribute-6.12.py (the per-version causes), and
#      record.sh's (ACCEL=, BATCH=, ...).
# Takes about 9 minutes under TCG: 4.5 to record the corpus on 6.12, 2 for the counterfactual
# lists on 7.2, 2 for --shrink.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export KERNEL=${KERNEL:-bzImage-6.12}
label=${LABEL:-6.12}
rules=${RULES:-$here/versions/attribute-$label.py}
shrink=0
[ "${1:-}" = --shrink ] && { shrink=1; shift; }
work=${1:-$root/target/versions-$label}
mkdir -p "$work/$label"

jar=$root/repl/target/iommufd-sim.jar
[ -f "$jar" ] || "$root/iommufd-sim" --help >/dev/null
campaign() {
  java -XX:+UseSerialGC -Diommufdsim.pluginsDir="$root/target/plugins" -Diommufdsim.root="$root" \
    -cp "$jar" dev.iommufdsim.repl.replay.Campaign "$@"
}

# 1. the corpus on the other kernel (skipped when already recorded)
if [ ! -f "$work/$label/.recorded" ]; then
  cp "$root"/corpus/ops/*.ops "$work/$label/"
  QUIET=1 "$here/record.sh" "$work/$label"/*.ops
  touch "$work/$label/.recorded"
fi
# 2. the differing line classes, with an example each
campaign versions "$work/$label" "$root/corpus/ops" --label "$label" > "$work/classes.tsv" || true
head -1 "$work/classes.tsv"
# 3. optionally a minimal list for each first-difference class, recorded on both kernels
if [ "$shrink" = 1 ]; then
  campaign versions "$work/$label" "$root/corpus/ops" --label "$label" --first --shrink "$work/shrunk" --batch 24 \
    | grep -v $'^[0-9]' || true
fi
# 4. the counterfactual lists (the direct causes neutralised), recorded on the reference kernel
if [ -f "$rules" ]; then
  rm -rf "$work/cf"
  python3 "$rules" write "$root/corpus/ops" "$work/$label" "$work/cf"
  KERNEL= QUIET=1 "$here/record.sh" "$work/cf"/*.ops
  python3 "$rules" table "$root/corpus/ops" "$work/$label" "$work/cf" > "$work/table.md"
  head -1 "$work/table.md"
  echo "class table: $work/table.md; classes with examples: $work/classes.tsv"
else
  echo "no attribution rules for $label ($rules); classes with examples: $work/classes.tsv"
fi
