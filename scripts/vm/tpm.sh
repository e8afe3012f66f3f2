# tpm.sh - sourced by run-vm.sh: the guest's TPM 2.0 on swtpm.
# A TPM is "manufactured" by swtpm_setup: RSA and ECC EKs with certificates and a platform
# certificate signed by a local CA kept in the cache (CACHE/localca), PCR banks sha1 and sha256.

# tpm_manufacture CACHE STATE_DIR: manufactures a TPM into STATE_DIR unless it holds one.
tpm_manufacture() {
  local cache=$1 state=$2
  [ -e "$state/tpm2-00.permall" ] && return 0
  mkdir -p "$cache/localca" "$state"
  printf '%s\n' "statedir = $cache/localca" "signingkey = $cache/localca/signkey.pem" \
    "issuercert = $cache/localca/issuercert.pem" "certserial = $cache/localca/certserial" > "$cache/localca.conf"
  printf -- '--platform-manufacturer Debian\n--platform-version 2.1\n--platform-model QEMU\n' > "$cache/localca.options"
  printf '%s\n' "create_certs_tool = /usr/bin/swtpm_localca" "create_certs_tool_config = $cache/localca.conf" \
    "create_certs_tool_options = $cache/localca.options" > "$cache/swtpm_setup.conf"
  swtpm_setup --tpm2 --tpmstate "$state" --config "$cache/swtpm_setup.conf" --createek --create-ek-cert \
    --create-platform-cert --pcr-banks sha1,sha256 --overwrite --logfile "$state.setup.log" >/dev/null 2>&1 \
    || { cat "$state.setup.log" >&2; echo "run-vm: swtpm_setup failed" >&2; return 1; }
  rm -f "$state.setup.log"
}

# tpm_template CACHE: the TPM every boot without --tpm-state starts from a copy of.
tpm_template() {
  tpm_manufacture "$1" "$1/tpm-template"
}

# tpm_start STATE_DIR PRIV_DIR: swtpm on PRIV_DIR/swtpm.sock; it exits when QEMU disconnects.
tpm_start() {
  local state=$1 priv=$2
  swtpm socket --tpm2 --tpmstate dir="$state" --ctrl type=unixio,path="$priv/swtpm.sock" \
    --log file="$priv/swtpm.log",level=1 --terminate --daemon --pid file="$priv/swtpm.pid"
  for _ in $(seq 50); do [ -S "$priv/swtpm.sock" ] && return 0; sleep 0.1; done
  echo "run-vm: swtpm did not start" >&2; return 1
}
