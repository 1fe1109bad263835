#!/bin/bash
# Record operation lists on the real kernel: boot the oracle kernel (Linux 7.2 built with
# CONFIG_IOMMUFD_TEST, i.e. the selftest mock IOMMU; default ../shared/oracle/bzImage from
# the project root) under qemu, run every FILE.ops through the runner built from
# iommufd-ops.c here, and write FILE.ops.out beside each FILE. Many files share one boot.
#
# Usage: tools/kernel-oracle/record.sh FILE.ops...
# Env:   KERNEL=bzImage        the kernel (default ../shared/oracle/bzImage; a bare name such as
#                              bzImage-6.12 is looked up in ../shared/oracle too)
#        INCLUDE=dir           uapi headers for the runner (default ../shared/oracle/include)
#        OPS=binary            a prebuilt static runner instead of building iommufd-ops.c
#        BATCH=N               files per boot (default 400)
#        PER_FILE_TIMEOUT=s    runner time limit per file inside the guest (default 60)
#        ORACLE_TIMEOUT=s      qemu time limit per boot (default 1200)
#        KEEP_CONSOLE=file     keep the last boot's console log
#        ACCEL="-enable-kvm -cpu host"  qemu acceleration (default: none, TCG)
# Installs qemu-system-x86, busybox-static and cpio with apt-get when they are missing.
# Adapted from ../shared/oracle/run-oracle.sh (same guest init and output framing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=$(cd "$root/.." && pwd)/shared/oracle
KERNEL=${KERNEL:-$shared/bzImage}
# a bare name (KERNEL=bzImage-6.12) is one of the shared oracle's kernels
[ -f "$KERNEL" ] || [ ! -f "$shared/$KERNEL" ] || KERNEL=$shared/$KERNEL
INCLUDE=${INCLUDE:-$shared/include}
BATCH=${BATCH:-400}
PER_FILE_TIMEOUT=${PER_FILE_TIMEOUT:-60}
[ $# -gt 0 ] || { echo "usage: $0 FILE.ops..."; exit 2; }
[ -f "$KERNEL" ] || { echo "no kernel at $KERNEL (build one with $here/build-kernel.sh, or set KERNEL=)"; exit 2; }

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v cpio >/dev/null || missing+=(cpio)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

# The runner: this directory's iommufd-ops.c, built static (cached under target/), unless OPS is given.
if [ -z "${OPS:-}" ]; then
  OPS=$root/target/kernel-oracle/iommufd-ops
  if [ ! -x "$OPS" ] || [ "$here/iommufd-ops.c" -nt "$OPS" ]; then
    if command -v gcc >/dev/null; then
      mkdir -p "$(dirname "$OPS")"
      gcc -O2 -static -I"$INCLUDE" -o "$OPS" "$here/iommufd-ops.c"
    elif [ -x "$shared/iommufd-ops" ]; then
      echo "note: no gcc; using the prebuilt $shared/iommufd-ops"; OPS=$shared/iommufd-ops
    else
      echo "no gcc and no prebuilt runner"; exit 2
    fi
  fi
fi

# TCG by default (KVM inside a VM is often broken); ACCEL="-enable-kvm -cpu host" opts in.
read -r -a accel <<< "${ACCEL:-}"

# One boot: run the given files in order, split the console into FILE.ops.out.
boot() {
  local w i f
  w=$(mktemp -d)
  mkdir -p "$w/root/bin" "$w/root/s" "$w/root/proc" "$w/root/sys" "$w/root/dev" "$w/root/tmp"
  cp /bin/busybox "$w/root/bin/busybox"
  for a in sh mount echo cat poweroff ls timeout; do ln -s busybox "$w/root/bin/$a"; done
  cp "$OPS" "$w/root/bin/iommufd-ops"
  i=0
  : > "$w/list"
  for f in "$@"; do
    cp "$f" "$w/root/s/$(printf %05d $i).ops"
    printf '%05d\t%s\n' "$i" "$f" >> "$w/list"
    i=$((i+1))
  done
  cat > "$w/root/init" <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for f in /s/*.ops; do echo "=== BEGIN \$f"; timeout $PER_FILE_TIMEOUT /bin/iommufd-ops \$f 2>&1; echo "=== END \$f rc=\$?"; done
echo "=== ALL DONE"
poweroff -f
INIT
  chmod +x "$w/root/init"
  (cd "$w/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$w/initrd.gz"
  timeout "${ORACLE_TIMEOUT:-1200}" qemu-system-x86_64 "${accel[@]}" -kernel "$KERNEL" -initrd "$w/initrd.gz" -m 1024 -smp 1 \
    -append "console=ttyS0 quiet loglevel=1 panic=-1" -nographic -no-reboot -monitor none -serial stdio \
    > "$w/console.log" 2>&1 || true
  tr -d '\r' < "$w/console.log" > "$w/c.log"
  [ -n "${KEEP_CONSOLE:-}" ] && cp "$w/c.log" "$KEEP_CONSOLE"
  if ! grep -q '^=== ALL DONE' "$w/c.log"; then
    echo "the oracle did not finish this batch; console tail:"; tail -20 "$w/c.log"; rm -rf "$w"; return 1
  fi
  # Split in one pass; drop kernel log lines ("[    1.234567] ...") should any slip through.
  awk -F'\t' -v dir="$w/split" 'BEGIN { system("mkdir -p " dir) }
    NR == FNR { next }
    index($0, "=== BEGIN /s/") { cur = substr($0, index($0, "=== BEGIN /s/") + 13, 5); out = dir "/" cur; printf "" > out; next }
    /^=== END \/s\// { close(out); rc[cur] = $0; sub(/.*rc=/, "", rc[cur]); print cur "\t" rc[cur] > (dir "/rc"); out = ""; next }
    out != "" && !/^\[ *[0-9]+\.[0-9]+\] / { print > out }' "$w/list" "$w/c.log"
  local bad=0
  while IFS=$'\t' read -r idx src; do
    if [ ! -f "$w/split/$idx" ]; then echo "$src: no output (runner did not start)"; bad=1; continue; fi
    cp "$w/split/$idx" "$src.out"
    rc=$(awk -F'\t' -v k="$idx" '$1 == k { print $2 }' "$w/split/rc")
    ok=$(grep -c ' ok' "$src.out" || true); er=$(grep -c ' err ' "$src.out" || true)
    case "$rc" in
      0) ;;
      2) echo "$src: note: the runner stopped at an input error (exit 2; its message is the last line of $src.out)" ;;
      *) echo "$src: runner exit $rc (timeout or crash; see $src.out)"; bad=1 ;;
    esac
    [ -n "${QUIET:-}" ] || echo "$(basename "$src"): $ok ok, $er err -> $src.out"
  done < "$w/list"
  rm -rf "$w"
  return $bad
}

status=0
files=("$@")
for ((s = 0; s < ${#files[@]}; s += BATCH)); do
  boot "${files[@]:s:BATCH}" || status=1
done
echo "recorded ${#files[@]} file(s) on $(basename "$KERNEL")"
exit $status
