#!/usr/bin/env bash
# Checks the REPL as a person uses it: starts ./iommufd-sim in a tmux session (a real pty,
# so JLine gets a system terminal with signals), types with send-keys, and checks what the
# pane shows: a call, a multi-line if, a Tab completion, a failing call, the limits command,
# Ctrl-C on a running `while true {}` with no step limit and a command after it, Ctrl-D.
# Prints the pane; exits 1 (with the pane) when an expected text is missing.
#
# Not part of `mvn verify` (CI has no tty). Run from anywhere: tools/tmux-repl-check.sh
# The history goes to a temporary home, not to ~/.iommufd-sim_history.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

if ! command -v tmux >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y tmux >/dev/null
  else
    echo "tmux-repl-check: tmux is needed (apt-get install tmux)" >&2
    exit 2
  fi
fi

# Build first (the launcher builds when sources changed), so the session starts at once.
"$root/iommufd-sim" --version >/dev/null

home=$(mktemp -d)
session="iommufd-sim-check-$$"
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

pane() { tmux capture-pane -p -t "$session" -S - -E -; }

fail() {
  echo "tmux-repl-check: FAILED: $*" >&2
  echo "----- pane -----" >&2
  pane >&2
  echo "----------------" >&2
  exit 1
}

# Waits until the pane shows the text (fixed string) at least n times (default 1). The pane
# is captured without trailing blanks: wait for "iommufd>", not "iommufd> ".
wait_for() {
  local text=$1 n=${2:-1} i
  for i in $(seq 1 200); do
    if [ "$(pane | grep -cF -- "$text" || true)" -ge "$n" ]; then
      return 0
    fi
    sleep 0.1
  done
  fail "waited 20 s for: $text"
}

prompts() { pane | grep -c '^iommufd>' || true; }

# Types a line and waits for the next prompt.
type_line() {
  local before
  before=$(prompts)
  tmux send-keys -t "$session" -l -- "$1"
  tmux send-keys -t "$session" Enter
  wait_for 'iommufd>' $((before + 1))
}

tmux new-session -d -s "$session" -x 150 -y 60 \
  "cd '$root' && JAVA_TOOL_OPTIONS='-Duser.home=$home' ./iommufd-sim; echo \"[the REPL exited with \$?]\"; sleep 600"
wait_for 'iommufd>'

# A call, and an expression shown.
type_line 'ioas = ioas_alloc()'
type_line 'show ioas'

# A multi-line if, typed line by line (the prompt continues with " ... ").
before=$(prompts)
tmux send-keys -t "$session" -l 'if ioas == 1 {'; tmux send-keys -t "$session" Enter
tmux send-keys -t "$session" -l 'show "one"'; tmux send-keys -t "$session" Enter
tmux send-keys -t "$session" -l '}'; tmux send-keys -t "$session" Enter
wait_for 'iommufd>' $((before + 1))

# Tab completes a call name; the completed call runs.
tmux send-keys -t "$session" -l 'ioas_ma'
tmux send-keys -t "$session" Tab
sleep 0.5
type_line '(ioas, 4K)'

# A failing call reports the errno; the session goes on.
type_line 'destroy(99)'

# Ctrl-C stops a running loop with one line; the next command runs. Without a step limit
# (the REPL's limits command), nothing but Ctrl-C ends the loop, however slow the machine.
type_line 'limits --max-steps 0'
tmux send-keys -t "$session" -l 'while true {}'
tmux send-keys -t "$session" Enter
sleep 0.5
tmux send-keys -t "$session" C-c
wait_for 'interrupted at'
type_line 'show ioas + 41'

# Ctrl-D leaves.
tmux send-keys -t "$session" C-d
wait_for '[the REPL exited with 0]'

out=$(pane)
expect() {
  grep -qF -- "$1" <<<"$out" || fail "missing: $1"
}
expect 'iommufd> ioas = ioas_alloc()'
expect 'iommufd> show ioas'
expect ' ... show "one"'
expect 'one'
expect 'iommufd> ioas_map(ioas, 4K)'
expect 'error: destroy: ENOENT: '
expect 'limits: --max-steps 0 (no limit)'
expect 'interrupted at <stdin:'
expect '42'
grep -q '^one$' <<<"$out" || fail 'the if did not print "one" on its own line'
grep -q '^0x' <<<"$out" || fail 'ioas_map printed no IOVA'
grep -qF 'ioas = ioas_alloc()' "$home/.iommufd-sim_history" || fail "no history in $home/.iommufd-sim_history"

pane
echo "tmux-repl-check: ok"
