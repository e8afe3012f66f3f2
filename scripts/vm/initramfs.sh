#!/usr/bin/env bash
# initramfs.sh CACHE_DIR - builds CACHE_DIR/initramfs.cpio.gz (busybox-static, the guest's modules
# from kernel.sh, guest-init.sh as /init, guest-stage2.sh) unless it is newer than its inputs.
set -euo pipefail
CACHE=$1
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$CACHE/initramfs.cpio.gz"
if [ -f "$OUT" ] && [ "$OUT" -nt "$HERE/guest-init.sh" ] && [ "$OUT" -nt "$HERE/guest-stage2.sh" ] \
   && [ "$OUT" -nt "$CACHE/kernel-version" ]; then exit 0; fi
IR=$(mktemp -d "$CACHE/initramfs.XXXXXX")
trap 'rm -rf "$IR"' EXIT
mkdir -p "$IR"/{bin,dev,proc,sys,newroot,etc,lib/modules}
cp /bin/busybox "$IR/bin/busybox"
cp "$CACHE"/modules/*.ko "$IR/lib/modules/"
cp "$CACHE/modules/order" "$IR/etc/modules"
cp "$HERE/guest-init.sh" "$IR/init"; chmod +x "$IR/init"
cp "$HERE/guest-stage2.sh" "$IR/etc/stage2"
(cd "$IR" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
