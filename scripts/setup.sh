#!/usr/bin/env bash
# Installs everything tnc-agent needs to build and test on Debian 12 / Ubuntu (run as root):
# system packages (swtpm, tpm2-tss headers and libraries, build tools) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(swtpm swtpm-tools libtss2-dev tpm2-tools build-essential gcc make python3 pkg-config openssl
      qemu-system-x86 ovmf seabios busybox-static kmod cpio  # test:system (scripts/vm)
      dpkg-dev debootstrap lintian binutils  # package:deb, test:deb
      chromium  # the dashboard's browser test (test/e2e/dashboard.test.ts, through playwright-core)
      ima-evm-utils  # evmctl: IMA signatures made live in tests, the ima-cli bench's yardstick
      postgresql  # the policy store on PostgreSQL: tests start throwaway clusters (test/helpers/postgres.ts)
      iproute2 util-linux)  # test:vpn (network namespaces, unshare)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: npm ci"
npm ci --no-audit --no-fund
