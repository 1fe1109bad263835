#!/usr/bin/env python3
"""Time from starting the REPL in a pseudo-terminal to its first prompt (issue 9's "a prompt
in at most 0.5 s"), the median of N runs:

    tools/repl-prompt-time.py [N] [COMMAND...]      # default: 9 runs of ./iommufd-sim

The REPL runs on a real pty, so JLine opens its system terminal as it does for a person; the
prompt is recognised by the bracketed-paste switch JLine writes just before it.
"""
import os
import pty
import select
import statistics
import sys
import time

PROMPT = b"\x1b[?2004h>"


def once(cmd):
    t0 = time.time()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    buf, seen = b"", None
    while time.time() - t0 < 10 and seen is None:
        ready, _, _ = select.select([fd], [], [], 0.02)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            buf += data
            if PROMPT in buf:
                seen = time.time() - t0
    try:
        os.write(fd, b"exit\r")
        time.sleep(0.05)
        os.kill(pid, 9)
    except OSError:
        pass
    os.waitpid(pid, 0)
    return seen


def main():
    args = sys.argv[1:]
    runs = int(args.pop(0)) if args and args[0].isdigit() else 9
    cmd = args or ["./iommufd-sim"]
    times = [once(cmd) for _ in range(runs)]
    ok = [t for t in times if t is not None]
    if not ok:
        print("no prompt seen")
        return 1
    print("REPL prompt after %.3f s (median of %d; %s)" % (statistics.median(ok), len(ok),
          " ".join("%.3f" % t for t in ok)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
