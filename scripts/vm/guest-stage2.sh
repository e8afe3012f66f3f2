# Stage 2 of the guest's init, PID 1 in the host's (read-only) root, run by busybox sh from /run/vm.
# Runs $XFER/cmd.sh as root with a clean environment plus $XFER/env, records its output, exit code
# and the kernel log in $XFER, and powers the guest off.
XFER=$1
B=/run/vm/busybox
uptime() { $B cut -d' ' -f1 /proc/uptime; }
uptime > "$XFER/t_cmd_start"
echo "vm-init: running the command at $(uptime)s"
/usr/bin/env -i VM_XFER="$XFER" HOME=/var/tmp TMPDIR=/var/tmp LANG=C.UTF-8 TERM=dumb \
  TPM2TOOLS_TCTI=device:/dev/tpmrm0 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/sh -c 'set -a; [ ! -f "$VM_XFER/env" ] || . "$VM_XFER/env"; set +a; cd "$(cat "$VM_XFER/cwd")" || cd /; exec /bin/sh "$VM_XFER/cmd.sh"' \
  > "$XFER/stdout" 2> "$XFER/stderr" < /dev/null
rc=$?
uptime > "$XFER/t_cmd_end"
$B dmesg > "$XFER/dmesg.txt"
echo $rc > "$XFER/rc"
echo "vm-init: the command exited $rc at $(uptime)s"
$B sync
$B umount "$XFER"
$B poweroff -f
$B sleep 5
