#!/bin/bash
# The project's copy of ../shared/oracle/build-kernel.sh (the shared kernel-oracle material,
# /work/shared/oracle/build-kernel.sh), kept here so the project owns its oracle recipe;
# unchanged apart from this note. The shared bzImage was built with it (VERSION=7.2).
# Build the oracle kernel: Debian's linux-source-$VERSION (default 7.2, the newest mainline
# Debian ships; 6.12 also works) with CONFIG_IOMMUFD_TEST (the kernel's own mock IOMMU
# driver), as small as possible so it builds in minutes and boots in seconds; plus the
# kernel's own iommufd selftests, linked statically, to run inside it.
# Usage: [VERSION=7.2] build-kernel.sh OUT_DIR      (root: uses apt-get)
# Writes OUT_DIR/bzImage, OUT_DIR/include/ (uapi + iommufd_test.h), OUT_DIR/selftest/.
set -euo pipefail
VERSION=${VERSION:-7.2}
out=$(realpath "${1:-.}"); mkdir -p "$out"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
need() { command -v "$1" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${@:2}" >/dev/null; }; }
need flex flex bison bc libelf-dev libssl-dev libcap-dev xz-utils
[ -f /usr/include/sys/capability.h ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcap-dev >/dev/null
tarball=/usr/src/linux-source-$VERSION.tar.xz
if [ ! -f "$tarball" ]; then
  apt-get update -qq
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "linux-source-$VERSION" >/dev/null 2>&1; then :; else
    # Not in this machine's suites: take the package from Debian's unstable suite, same mirror.
    uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
    [ -n "$uri" ] || uri=$(awk '$1=="deb" {print $2; exit}' /etc/apt/sources.list)
    mkdir -p "$w/apt/lists/partial"
    printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$w/apt/sid.sources"
    A=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$w/apt" -o "Dir::State::Lists=$w/apt/lists" -o APT::Sandbox::User=root)
    apt-get "${A[@]}" update -qq
    if ! (cd "$w" && apt-get "${A[@]}" download "linux-source-$VERSION" >/dev/null); then
      echo "linux-source-$VERSION not found; available:"; apt-cache "${A[@]}" search --names-only '^linux-source-[0-9]'; exit 1
    fi
    dpkg-deb -x "$w"/linux-source-"$VERSION"_*.deb "$w/x"
    tarball=$w/x/usr/src/linux-source-$VERSION.tar.xz
  fi
fi
tar xf "$tarball" -C "$w"
cd "$w/linux-source-$VERSION"
make -s tinyconfig
# console, initramfs and the few syscalls busybox and the runner use
base="64BIT TTY PRINTK PRINTK_TIME SERIAL_8250 SERIAL_8250_CONSOLE BLK_DEV_INITRD RD_GZIP BINFMT_ELF
 BINFMT_SCRIPT PROC_FS SYSFS DEVTMPFS DEVTMPFS_MOUNT TMPFS SHMEM FUTEX MULTIUSER POSIX_TIMERS EPOLL
 SIGNALFD EVENTFD TIMERFD FILE_LOCKING MEMFD_CREATE HUGETLBFS TRANSPARENT_HUGEPAGE SMP PCI ACPI"
# iommufd with its test driver (newer kernels build the mock on the generic page table)
iommufd="IOMMU_SUPPORT IOMMUFD IOMMUFD_TEST DEBUG_KERNEL RUNTIME_TESTING_MENU VFIO VFIO_GROUP
 IOMMUFD_VFIO_CONTAINER COMPILE_TEST GENERIC_PT IOMMU_PT IOMMU_PT_AMDV1 DMA_SHARED_BUFFER"
# fault-capable HWPTs need IOMMU_IOPF, which only an SVA-capable driver selects
iopf="PCI_MSI INTEL_IOMMU INTEL_IOMMU_SVM PCI_PASID PCI_PRI PCI_ATS MMU_NOTIFIER IOMMU_SVA X86_LOCAL_APIC IRQ_REMAP"
# the fail_nth selftest
failnth="FAULT_INJECTION FAULT_INJECTION_DEBUG_FS DEBUG_FS FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_USERCOPY SLUB"
for o in $base $iommufd $iopf $failnth; do scripts/config --enable "$o"; done
scripts/config --disable VFIO_CONTAINER
make -s olddefconfig && make -s olddefconfig
grep -q '^CONFIG_IOMMUFD_TEST=y' .config || { echo "CONFIG_IOMMUFD_TEST did not stick"; exit 1; }
make -s -j"$(nproc)" bzImage
make -s headers
cp arch/x86/boot/bzImage "$out/bzImage"
mkdir -p "$out/include/linux" "$out/selftest"
cp usr/include/linux/iommufd.h "$out/include/linux/" && cp drivers/iommu/iommufd/iommufd_test.h "$out/include/"
st=tools/testing/selftests/iommu
if make -s -C "$st" CFLAGS="-static -O2 -Wno-unused-function -D_GNU_SOURCE -isystem $PWD/usr/include -I$PWD/tools/testing/selftests -I$PWD/tools/include" \
     LDFLAGS=-static LDLIBS=-lcap >/dev/null 2>&1; then
  cp "$st"/iommufd "$st"/iommufd_fail_nth "$out/selftest/"
else
  echo "note: the selftests did not build against this tree (they may be newer than its uapi)"
fi
echo "built $out/bzImage (linux $VERSION)"
