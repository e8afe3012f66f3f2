#!/usr/bin/env bash
# run-vm.sh - boots Debian's own kernel under QEMU with a TPM 2.0 (swtpm) and IMA, runs one shell
# script inside the guest as root, and powers the guest off. The guest's root is the host's /,
# read-only over virtio-9p (node and this checkout are at the same paths); writable are /var/tmp,
# /run, /dev/shm (tmpfs) and the exchange dir. The host's 127.0.0.1 is 10.0.2.2 in the guest.
#
# Usage: run-vm.sh [options] SCRIPT
#   --xfer DIR        exchange dir shared read-write, same path in the guest (required); the guest
#                     writes stdout, stderr, rc and dmesg.txt there, this script console.log and timing
#   --env FILE        shell assignments the guest sources before SCRIPT (copied to DIR/env)
#   --firmware F      seabios (default; BIOS-style TCG event log) or ovmf (UEFI, EV_EFI_* events)
#   --tpm-state DIR   keep the TPM's state in DIR across boots (default: a fresh copy of a TPM
#                     manufactured once by swtpm_setup and kept in the cache)
#   --accel A         auto (default: KVM where it can run a stock kernel, else TCG), kvm or tcg
#   --timeout SECS    kill QEMU after SECS (default 300)
#   --boot-tag TAG    vary what is measured before the kernel runs (PCR 0-9), so the boot_aggregate
#                     differs: TAG ([A-Za-z0-9._-]) becomes the SMBIOS system serial number (SeaBIOS
#                     measures the SMBIOS tables into PCR 1) and vm.tag=TAG on the kernel command line
#                     (Linux's EFI stub measures its load options into PCR 9 under OVMF)
#   --ima ARGS        the IMA kernel arguments (default: "ima_policy=tcb ima_hash=sha256 ima_template=ima-ng");
#                     without ima_policy= nothing is measured until SCRIPT writes a policy to
#                     /sys/kernel/security/ima/policy (once per boot: Debian's kernel cannot rewrite it)
# Exit status: SCRIPT's exit status; 124 on timeout; 125 when the guest reported no status.
# Environment: VM_CACHE (default /var/tmp/tnc-agent-vm/cache): kernel, initramfs, TPM template.
# Host packages (scripts/setup.sh installs them): qemu-system-x86 ovmf seabios swtpm swtpm-tools
# busybox-static kmod cpio; the kernel comes from Debian's linux-image-amd64 (see kernel.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VM_CACHE:-/var/tmp/tnc-agent-vm/cache}
XFER="" ENVFILE="" FIRMWARE=seabios TPMSTATE="" ACCEL=auto TIMEOUT=300 TAG=""
IMA_ARGS="ima_policy=tcb ima_hash=sha256 ima_template=ima-ng"

die() { echo "run-vm: $*" >&2; exit 125; }
while [ $# -gt 1 ]; do
  case "$1" in
    --xfer) XFER=$2;; --env) ENVFILE=$2;; --firmware) FIRMWARE=$2;;
    --tpm-state) TPMSTATE=$2;; --accel) ACCEL=$2;; --timeout) TIMEOUT=$2;; --boot-tag) TAG=$2;;
    --ima) IMA_ARGS=$2;;
    *) die "unknown option $1";;
  esac
  shift 2
done
SCRIPT=${1:-}
[ -f "$SCRIPT" ] && [ -n "$XFER" ] || die "usage: run-vm.sh --xfer DIR [options] SCRIPT (see the header of $0)"
case "$TAG" in *[!A-Za-z0-9._-]*) die "--boot-tag takes letters, digits, '.', '_' and '-' only";; esac
for a in $IMA_ARGS; do case "$a" in ima_*=*|ima=*|evm=*) ;; *) die "--ima takes ima_*= / evm= kernel arguments, not '$a'";; esac; done
for p in qemu-system-x86_64 swtpm swtpm_setup swtpm_localca busybox depmod modprobe cpio; do
  command -v "$p" >/dev/null || die "$p is missing: run scripts/setup.sh"
done

"$HERE/kernel.sh" "$CACHE"
"$HERE/initramfs.sh" "$CACHE"
KVER=$(cat "$CACHE/kernel-version")

mkdir -p "$XFER"; XFER=$(cd "$XFER" && pwd)
case "$XFER" in *[[:space:]]*) die "the exchange dir path must not contain spaces";; esac
rm -f "$XFER"/{rc,stdout,stderr,env,dmesg.txt,console.log,timing,t_cmd_start,t_cmd_end}
cp "$SCRIPT" "$XFER/cmd.sh"
[ -z "$ENVFILE" ] || cp "$ENVFILE" "$XFER/env"
pwd > "$XFER/cwd"
PRIV=$(mktemp -d "$CACHE/run.XXXXXX")   # host only: swtpm socket, pid, logs
cleanup() {
  [ ! -f "$PRIV/swtpm.pid" ] || kill "$(cat "$PRIV/swtpm.pid")" 2>/dev/null || true
  rm -rf "$PRIV"
}
trap cleanup EXIT

# The TPM: manufactured by swtpm_setup (EKs with certificates from a local CA, banks sha1+sha256).
source "$HERE/tpm.sh"
if [ -z "$TPMSTATE" ]; then
  tpm_template "$CACHE"
  TPMSTATE="$PRIV/tpm"; cp -a "$CACHE/tpm-template" "$TPMSTATE"
else
  tpm_manufacture "$CACHE" "$TPMSTATE"
fi
tpm_start "$TPMSTATE" "$PRIV"

# Accelerator: on this machine kind /dev/kvm is kvm_pvm, under which a stock kernel hangs in
# its decompressor, so "auto" takes KVM only when the module behind /dev/kvm is a real one.
if [ "$ACCEL" = auto ]; then
  if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then ACCEL=kvm; else ACCEL=tcg; fi
fi
case "$ACCEL" in
  kvm) ACCEL_ARGS=(-accel kvm -cpu host);;
  tcg) ACCEL_ARGS=(-accel tcg,thread=multi,tb-size=512 -cpu max);;
  *) die "unknown accelerator $ACCEL";;
esac
case "$FIRMWARE" in
  seabios) FW_ARGS=();;   # QEMU's default firmware
  ovmf) cp /usr/share/OVMF/OVMF_VARS_4M.fd "$PRIV/vars.fd"
        FW_ARGS=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
                 -drive "if=pflash,format=raw,unit=1,file=$PRIV/vars.fd");;
  *) die "unknown firmware $FIRMWARE";;
esac
# IMA: by default the built-in tcb policy, sha256 file digests, the ima-ng template (--ima)
CMDLINE="console=ttyS0 loglevel=4 panic=-1 $IMA_ARGS vm.xfer=$XFER"
TAG_ARGS=()
if [ -n "$TAG" ]; then CMDLINE="$CMDLINE vm.tag=$TAG"; TAG_ARGS=(-smbios "type=1,serial=$TAG"); fi
QEMU=(qemu-system-x86_64 -machine q35 "${ACCEL_ARGS[@]}" -smp "$(nproc)" -m 2048 "${FW_ARGS[@]}" "${TAG_ARGS[@]}"
  -nodefaults -display none -no-reboot -serial "file:$XFER/console.log"
  -kernel "$CACHE/boot/vmlinuz-$KVER" -initrd "$CACHE/initramfs.cpio.gz" -append "$CMDLINE"
  -chardev "socket,id=chrtpm,path=$PRIV/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
  -device tpm-tis,tpmdev=tpm0
  -fsdev local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap
  -device virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot
  -fsdev "local,id=fsxfer,path=$XFER,security_model=none,multidevs=remap"
  -device virtio-9p-pci,fsdev=fsxfer,mount_tag=xfer
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= -device virtio-rng-pci)
echo "run-vm: booting $KVER (firmware $FIRMWARE, accel $ACCEL)" >&2
START=$SECONDS
set +e
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" 2> "$PRIV/qemu.stderr"
qrc=$?
set -e
echo "boot_to_poweroff=$((SECONDS - START))s guest_cmd_start=$(cat "$XFER/t_cmd_start" 2>/dev/null)s guest_cmd_end=$(cat "$XFER/t_cmd_end" 2>/dev/null)s" > "$XFER/timing"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then echo "run-vm: timeout after ${TIMEOUT}s (console: $XFER/console.log)" >&2; exit 124; fi
if [ ! -s "$XFER/rc" ]; then
  echo "run-vm: the guest reported no status (qemu exit $qrc)" >&2
  cat "$PRIV/qemu.stderr" >&2; tail -20 "$XFER/console.log" >&2
  exit 125
fi
echo "run-vm: $(cat "$XFER/timing"), exit $(cat "$XFER/rc")" >&2
exit "$(cat "$XFER/rc")"
