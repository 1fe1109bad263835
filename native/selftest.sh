#!/usr/bin/env bash
# Run the kernel's own iommufd selftest (Linux 7.2, dynamically linked) through
# `iommufd-sim exec` and count its TAP results.
#
#   native/selftest.sh [EXEC-OPTION...] [-- SELFTEST [ARG...]]
#
#   EXEC-OPTION   passed to `iommufd-sim exec` (e.g. --trace)
#   SELFTEST      default ../shared/oracle/selftest/host/iommufd; arguments after it go to
#                 the harness (e.g. -f iommufd_ioas to run one fixture)
#
# Writes the whole log (stdout and stderr in order) to native/build/selftest.log and prints:
# the TAP totals, then one line per failing test with its first failed assertion.
# $IOMMUFD_SIM overrides the command used to run the simulator (default: ./iommufd-sim).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
sim=${IOMMUFD_SIM:-$root/iommufd-sim}
opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
if [ $# -eq 0 ]; then set -- "$root/../shared/oracle/selftest/host/iommufd"; fi
mkdir -p "$here/build"
log=$here/build/selftest.log
rc=0
# shellcheck disable=SC2086
$sim exec "${opts[@]}" -- "$@" > "$log" 2>&1 || rc=$?
ok=$(grep -c '^ok ' "$log" || true)
skip=$(grep -c '^ok .* # SKIP' "$log" || true)
notok=$(grep -c '^not ok ' "$log" || true)
echo "selftest through iommufd-sim exec: $((ok - skip)) pass, $skip skip, $notok fail (of $((ok + notok))); exit $rc"
grep '^# Totals' "$log" || true
awk '/^#  RUN/ {first = ""}
     /^# [a-z_]+\.[ch]:[0-9]+:/ || /Assertion .* failed/ { if (first == "") first = $0 }
     /^not ok/ { sub(/^# /, "", first); print "  FAIL " $4 ": " first }' "$log"
grep '^iommufd-sim exec:' -A3 "$log" || true
echo "log: $log"
