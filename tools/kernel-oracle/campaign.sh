#!/bin/bash
# A random differential campaign: generate COUNT operation lists of OPS ops each from a fresh
# seed (OpsGenerator, every theme in turn, nesting included), record them on the real kernel
# in one qemu boot per 400 files (record.sh), replay them in the emulator and compare line by
# line. A list that differs is recorded again (a difference the kernel does not repeat is not
# a disagreement), shrunk by delta debugging on the oracle (Shrinker: many candidates a boot)
# and saved with its recording in corpus/known-disagreements/.
#
# Usage: tools/kernel-oracle/campaign.sh [--seed S] [--count N] [--ops M] [--shrink K]
#                                        [--rounds R] [--keep DIR] [--out DIR]
#   --seed S     generator seed (default: fresh, from the date and $RANDOM; printed)
#   --count N    lists (default 200)          --ops M    op lines a list (default 50)
#   --shrink K   shrink at most K differing lists (default 2; 0: none)
#   --rounds R   oracle boots a shrink may use (default 15)
#   --keep DIR   generate, record and keep the lists in DIR (default: a temporary directory)
#   --out DIR    where shrunk lists go (default corpus/known-disagreements)
# Env: KERNEL= (default ../shared/oracle/bzImage; a bare name is looked up there too), and the
#      rest of record.sh's (ACCEL=, BATCH=, ...).
# Exit: 0 every line agrees (or qemu/the kernel is missing: skipped; or the only differences
#       did not reproduce: warned), 1 a reproducible disagreement (saved, shrunk), 2 usage or
#       build error, 3 the oracle failed (no boot, a runner timeout): not a disagreement.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=$(cd "$root/.." && pwd)/shared/oracle

seed="" count=200 ops=50 shrink=2 rounds=15 keep="" outdir=$root/corpus/known-disagreements
while [ $# -gt 0 ]; do
  case $1 in
    --seed) seed=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --shrink) shrink=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --out) outdir=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "campaign: unknown argument $1 (see --help)"; exit 2 ;;
  esac
done
for v in "$count" "$ops" "$shrink" "$rounds"; do
  [[ $v =~ ^[0-9]+$ ]] || { echo "campaign: not a number: $v"; exit 2; }
done

KERNEL=${KERNEL:-$shared/bzImage}
[ -f "$KERNEL" ] || [ ! -f "$shared/$KERNEL" ] || KERNEL=$shared/$KERNEL
export KERNEL
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "campaign: skipped (no qemu-system-x86_64)"; exit 0
fi
if [ ! -f "$KERNEL" ]; then
  echo "campaign: skipped (no kernel at $KERNEL)"; exit 0
fi

[ -n "$seed" ] || seed=$(date -u +%Y%m%d)$(printf %05d "$RANDOM")
[[ $seed =~ ^[0-9]+$ ]] || { echo "campaign: the seed must be a number: $seed"; exit 2; }

start=$(date +%s)
kenv=""; [ "$KERNEL" = "$shared/bzImage" ] || kenv="KERNEL=$KERNEL "
echo "campaign: seed $seed, $count lists of $ops ops, kernel $(basename "$KERNEL")" \
     "(reproduce: ${kenv}tools/kernel-oracle/campaign.sh --seed $seed --count $count --ops $ops)"

# The emulator: the CLI's jar (built by mvn verify; rebuilt here when a source is newer).
jar=$root/repl/target/iommufd-sim.jar
if [ ! -f "$jar" ] || [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o \
      \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$jar" -print -quit)" ]; then
  mkdir -p "$root/target"   # as the iommufd-sim launcher rebuilds it
  (cd "$root" && mvn -q -B -DskipTests package) > "$root/target/build.log" 2>&1 \
    || echo "campaign: note: the rebuild failed (target/build.log); using the jar there is"
fi
campaign() {
  java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Diommufdsim.pluginsDir="$root/target/plugins" -Diommufdsim.root="$root" \
    -cp "$jar" dev.iommufdsim.repl.replay.Campaign "$@"
}

if [ -n "$keep" ]; then
  work=$keep; mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/campaign-$seed.XXXX")
fi
# the lists go with the temporary directory when every line agrees; kept otherwise
finish() { [ -n "$keep" ] || { [ "$1" = 0 ] && rm -rf "$work"; } || echo "campaign: the lists are in $work"; exit "$1"; }
t0=$(date +%s)
campaign gen "$work" "$seed" "$count" "$ops" || { echo "campaign: cannot run the emulator's Campaign from $jar (build: mvn -DskipTests package)"; exit 2; }
t1=$(date +%s)
if ! QUIET=1 "$here/record.sh" "$work"/camp-"$seed"-*.ops > "$work/record.log" 2>&1; then
  cat "$work/record.log"
  echo "campaign: ORACLE FAILURE (qemu, a runner timeout or crash; not a disagreement). Seed $seed."
  finish 3
fi
t2=$(date +%s)
rc=0
campaign check "$work" > "$work/check.log" || rc=$?
t3=$(date +%s)
# the differences (first lines of each), then the totals
grep -v '^campaign: ' "$work/check.log" | head -60 || true
grep '^campaign: ' "$work/check.log"
echo "campaign: time: generate $((t1 - t0)) s, record on the kernel $((t2 - t1)) s, replay $((t3 - t2)) s, in all $((t3 - start)) s"
case $rc in
  0) echo "campaign: OK, every line agrees (seed $seed)"; finish 0 ;;
  1) ;;
  3) echo "campaign: ORACLE FAILURE (lists without a recording; not a disagreement). Seed $seed."; finish 3 ;;
  *) echo "campaign: the emulator's check failed (exit $rc; see above)"; finish 2 ;;
esac

# Differences: record each again and shrink it on the oracle (Shrinker), at most $shrink of
# them, all in the same boots (each round of every shrink in one batch).
mapfile -t differing < "$work/differing.txt"
examined=("${differing[@]:0:$shrink}")
for f in "${differing[@]:$shrink}"; do echo "campaign: not shrunk (--shrink $shrink): $f"; done
real=0 infra=0
if [ ${#examined[@]} -gt 0 ]; then
  s=0
  campaign shrink "$outdir" "$rounds" "${examined[@]}" | tee "$work/shrink.log" || s=${PIPESTATUS[0]}
  case $s in
    0) ;;
    1) real=$(grep -c '^shrink .*: [0-9]* -> [0-9]* ops' "$work/shrink.log" || true) ;;
    *) infra=1 ;;
  esac
fi
done_=${#examined[@]}
flaky=$(grep -c 'NOT reproducible' "$work/shrink.log" 2>/dev/null || true)
echo "campaign: total time $(( $(date +%s) - start )) s"
unexamined=$(( ${#differing[@]} - done_ ))
if [ "$real" -gt 0 ]; then
  echo "campaign: FAILED: $real reproducible disagreement(s) with the kernel, shrunk into $outdir" \
       "(analyse them in tools/kernel-oracle/DISAGREEMENTS.md). Seed $seed."
  finish 1
fi
if [ "$infra" -gt 0 ]; then
  echo "campaign: ORACLE FAILURE while shrinking (not a disagreement). Seed $seed."; finish 3
fi
if [ "$unexamined" -gt 0 ]; then
  echo "campaign: FAILED: $unexamined differing list(s) not recorded again (--shrink $shrink): counted as disagreements. Seed $seed."
  finish 1
fi
echo "campaign: WARNING: ${#differing[@]} list(s) differed once but the kernel did not repeat it" \
     "(not a disagreement). Seed $seed."
finish 0
