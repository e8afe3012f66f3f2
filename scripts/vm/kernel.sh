#!/usr/bin/env bash
# kernel.sh CACHE_DIR - puts Debian's own kernel (the package linux-image-amd64 depends on) into
# CACHE_DIR: boot/vmlinuz-<ver>, kernel-version, and modules/ with the few modules the guest loads
# (virtio-pci, 9p over virtio, virtio-net, virtio-rng) plus modules/order (dependency order).
# The .deb is fetched with `apt-get download` and unpacked with `dpkg -x`; nothing is installed.
set -euo pipefail
CACHE=$1
[ -s "$CACHE/kernel-version" ] && [ -s "$CACHE/modules/order" ] && exit 0
mkdir -p "$CACHE"
pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
KPKG=$(pkg)
[ -n "$KPKG" ] || { apt-get update -qq; KPKG=$(pkg); }
[ -n "$KPKG" ] || { echo "kernel.sh: no kernel package behind linux-image-amd64" >&2; exit 1; }
echo "vm: fetching Debian kernel package $KPKG" >&2
WORK=$(mktemp -d "$CACHE/kernel.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && apt-get download -q "$KPKG" >&2)
dpkg -x "$WORK"/"$KPKG"_*.deb "$WORK/root"
KVER=$(ls "$WORK/root/lib/modules")
depmod -b "$WORK/root" "$KVER"     # the package ships no modules.dep
rm -rf "$CACHE/modules" "$CACHE/boot"; mkdir -p "$CACHE/modules" "$CACHE/boot"
modprobe -d "$WORK/root" -S "$KVER" -a --show-depends virtio_pci 9pnet_virtio 9p virtio_net virtio-rng \
  | awk '$1 == "insmod" && !seen[$2]++ {print $2}' \
  | while read -r ko; do cp "$ko" "$CACHE/modules/"; basename "$ko"; done > "$CACHE/modules/order"
cp "$WORK/root/boot/vmlinuz-$KVER" "$CACHE/boot/"
echo "$KPKG" > "$CACHE/kernel-package"
echo "$KVER" > "$CACHE/kernel-version"
