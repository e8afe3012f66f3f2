# Runs inside the QEMU guest (scripts/vm/run-vm.sh): the agent on a real kernel. From $VM_XFER/env:
#   AGENT    bin/tnc-agent.js of the agent the host built (the guest sees the host's root at the same paths)
#   SERVER   the lab server as the guest reaches it (10.0.2.2:PORT = the host's 127.0.0.1:PORT)
#   PKI      lab PKI dir (ca.pem, client.pem, client.key), SERVERNAME the server certificate's CN
#   ATTEST_ARGS  extra `tnc-agent attest` options (the attestation step: with them, boot 1 first
#                provisions the AK with `tnc-agent tpm provision`; the TPM's state persists to boot 2)
#   IMA_SIGN_KEY the ima-sig boot: an RSA key (PEM) evmctl signs with. /run/ima-signed/signed.sh is
#                written, signed and run before the first attestation; on the second boot, after
#                "attest-changed", tampered.sh (signed, then one bit of its security.ima flipped)
#                runs and the guest attests again ("attest-tampered")
# $VM_XFER/ima-policy, when present, is written to the kernel's IMA policy before anything else runs
# (run-vm.sh --ima without ima_policy= measures nothing until then).
# $VM_XFER/probe.sh is executed before the first attestation. Where $VM_XFER/second-boot exists
# (tested without opening it, so IMA does not measure it) `tnc-agent eventlog` and `ima` are not run
# again (they took their turn on the first boot: each node start costs ~10 s under TCG; `eventlog`
# only without attestation, whose server replays every event of the log against a quote), and after
# the first attestation the guest rewrites the probe, runs it again (IMA re-measures a written file)
# and attests again ("attest-changed").
# Writes into $VM_XFER/out: one <step>.json, .err and .rc per agent command, then the evidence
# (event log, IMA lists, PCRs) for the host to check and to keep as artefacts on failure.
OUT="$VM_XFER/out"
EVENTLOG=/sys/kernel/security/tpm0/binary_bios_measurements
IMA=/sys/kernel/security/ima
mkdir -p "$OUT"
if [ -f "$VM_XFER/ima-policy" ]; then
  # one write per rule; the policy takes effect when the file is closed
  while read -r rule; do case "$rule" in '' | '#'*) ;; *) echo "$rule" ;; esac; done < "$VM_XFER/ima-policy" \
    > "$IMA/policy" || { echo "the kernel refused the IMA policy" > "$OUT/policy.err"; exit 1; }
fi
SIGNED=/run/ima-signed   # tmpfs; the policy measures its files once they belong to uid 4242
signed() {   # signed NAME: a script on the tmpfs with evmctl's IMA signature (signature_v2_hdr) in security.ima
  printf '#!/bin/sh\necho %s\n' "$1" > "$SIGNED/$1"
  chmod 755 "$SIGNED/$1"
  evmctl ima_sign --key "$IMA_SIGN_KEY" --hashalgo sha256 "$SIGNED/$1" >> "$OUT/evmctl.log" 2>&1 || echo "evmctl failed" >> "$OUT/evmctl.log"
}
measured() { chown 4242 "$SIGNED/$1" && "$SIGNED/$1" >> "$OUT/signed.txt"; }   # runs NAME: IMA measures it with its signature
echo "start $(cut -d' ' -f1 /proc/uptime)" > "$OUT/steps"
# run every program the evidence step uses once now, so IMA measures them before the copy
tpm2_pcrread sha256:0 > /dev/null
cat /dev/null
"$VM_XFER/probe.sh" > "$OUT/probe.txt"
if [ -n "$IMA_SIGN_KEY" ]; then mkdir -p "$SIGNED" && signed signed.sh && measured signed.sh; fi

step() {   # step NAME ARGS...: one tnc-agent command
  name=$1; shift
  start=$(cut -d' ' -f1 /proc/uptime)
  node "$AGENT" "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
  echo $? > "$OUT/$name.rc"
  echo "$name $start $(cut -d' ' -f1 /proc/uptime)" >> "$OUT/steps"   # guest uptime before, after
}
if [ ! -e "$VM_XFER/second-boot" ]; then
  if [ -n "$ATTEST_ARGS" ]; then step provision tpm provision --json; else step eventlog eventlog --json; fi
  step ima ima --bank sha256 --eventlog "$EVENTLOG" --json
fi
attest() {
  # shellcheck disable=SC2086 # ATTEST_ARGS is a list of options
  step "$1" attest --server "$SERVER" --servername "$SERVERNAME" --ca "$PKI/ca.pem" \
    --cert "$PKI/client.pem" --key "$PKI/client.key" --swima-store /var/tmp/swima.db --log-level 2 --json $ATTEST_ARGS
}
attest attest
if [ -e "$VM_XFER/second-boot" ]; then
  echo "echo changed in boot $(cat /proc/sys/kernel/random/boot_id)" >> "$VM_XFER/probe.sh"
  "$VM_XFER/probe.sh" >> "$OUT/probe.txt"
  attest attest-changed
  if [ -n "$IMA_SIGN_KEY" ]; then
    signed tampered.sh
    python3 -c 'import os, sys
p = sys.argv[1]
v = bytearray(os.getxattr(p, "security.ima"))
v[-1] ^= 1  # the last bit of the RSA signature
os.setxattr(p, "security.ima", bytes(v))' "$SIGNED/tampered.sh" >> "$OUT/evmctl.log" 2>&1
    measured tampered.sh
    attest attest-tampered
  fi
fi

# evidence: the IMA list, then at once the PCRs (nothing runs in between that IMA would measure)
cat "$EVENTLOG" > "$OUT/binary_bios_measurements"
cat "$IMA/binary_runtime_measurements" > "$OUT/binary_runtime_measurements"
tpm2_pcrread sha1:0,1,2,3,4,5,6,7,8,9,10+sha256:0,1,2,3,4,5,6,7,8,9,10 > "$OUT/pcrs.txt"
cat "$IMA/ascii_runtime_measurements" > "$OUT/ascii_runtime_measurements"
