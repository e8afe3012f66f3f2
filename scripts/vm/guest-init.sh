#!/bin/busybox sh
# /init of the guest's initramfs (PID 1, busybox only). Mounts the host's root read-only over
# virtio-9p as the new root, puts tmpfs where the guest must write, mounts the shared exchange
# dir (vm.xfer= on the kernel command line, same path as on the host) and switches root, so IMA
# records the host's own paths (/usr/bin/node, not /newroot/usr/bin/node).
# No overlayfs: Linux 6.1 IMA re-measures files on overlayfs at every open (node then starts in
# about 12 s instead of 1 s under TCG).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
say() { echo "vm-init: $*"; }
fail() { say "$*"; poweroff -f; sleep 5; }
XFER=$(sed -n 's/.*vm\.xfer=\([^ ]*\).*/\1/p' /proc/cmdline)
say "up at $(cut -d' ' -f1 /proc/uptime)s"
for m in $(cat /etc/modules); do insmod "/lib/modules/$m" || say "insmod $m failed"; done

R=/newroot
O9P=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$O9P,ro,cache=loose" hostroot $R || fail "cannot mount the host root"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t securityfs securityfs $R/sys/kernel/security
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
for d in dev/shm run var/tmp mnt; do mount -t tmpfs tmpfs "$R/$d"; done   # /mnt: hide host mounts
mkdir -p "$R$XFER"   # only needed where a tmpfs above hides the host path
mount -t 9p -o "$O9P,rw,cache=none" xfer "$R$XFER" || fail "cannot mount the exchange dir $XFER"

# QEMU user-mode network: the guest is 10.0.2.15, the host's loopback answers as 10.0.2.2
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2

# stage 2 runs from tmpfs, which the tcb policy does not measure
mkdir -p $R/run/vm
cp /bin/busybox /etc/stage2 $R/run/vm/
say "switching root at $(cut -d' ' -f1 /proc/uptime)s"
exec switch_root $R /run/vm/busybox sh /run/vm/stage2 "$XFER"
fail "switch_root failed"
