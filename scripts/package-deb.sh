#!/usr/bin/env bash
# Builds tnc-agent_<version>_<arch>.deb with dpkg-deb from packaging/deb/: the compiled dist/, the
# production node_modules (better-sqlite3 as built for this Node), the TPM addon and this machine's
# Node.js runtime, so the package runs where the distribution's nodejs is older; and the IF-IMC
# libraries strongSwan's charon loads (imc-{os,swima,attestation}.so, native/ifimc). Library
# dependencies come from dpkg-shlibdeps: build on the distribution release you target.
# Usage: scripts/package-deb.sh [--version V] [--out DIR]   (default: package.json's version, dist-deb/)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p "require('./package.json').version")
out=dist-deb
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--version V] [--out DIR]" >&2; exit 2 ;;
  esac
done
arch=$(dpkg --print-architecture)
build_time=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
node_bin=$(command -v node)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
lib=$root/usr/lib/tnc-agent
doc=$root/usr/share/doc/tnc-agent

echo "package-deb: compiling TypeScript and the TPM addon"
rm -rf dist && npm run --silent build
[ -f build/Release/tnc_tpm.node ] || npm run --silent build:native

echo "package-deb: staging $version for $arch"
install -d "$lib/build/Release" "$lib/bin" "$lib/node_modules" "$root/usr/bin" "$doc" \
  "$root/etc/tnc-agent/conf.d" "$root/lib/systemd/system" "$root/DEBIAN"
install -d "$lib/dist" && (cd dist && find . -name '*.js' -exec cp --parents -t "$lib/dist/" {} +)
install -m 0644 package.json "$lib/package.json"
# /usr/bin/tnc-agent runs the launcher with the bundled Node: its `#!/usr/bin/env node` line would
# only name an interpreter the package does not depend on
sed '1{/^#!/d}' bin/tnc-agent.js > "$lib/bin/tnc-agent.js" && chmod 0644 "$lib/bin/tnc-agent.js"
install -m 0644 build/Release/tnc_tpm.node "$lib/build/Release/tnc_tpm.node"
install -m 0755 "$node_bin" "$lib/node"
echo "package-deb: building the IF-IMC libraries"
# with Debian's hardening flags (fortified functions, stack protector, RELRO), as a debian/rules build would
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  make -s -C native/ifimc OUT="$lib"
chmod 0644 "$lib"/imc-*.so
# production dependencies as npm resolved them (`npm ls --omit=dev`), native parts included, less
# what only builds or installs: tsx (and its esbuild) runs the TypeScript sources of a checkout,
# node-addon-api holds the headers tnc_tpm.node compiles with, prebuild-install (and all it pulls
# in) fetches better-sqlite3's binary at npm install time
runtime_modules='const skip = new Set(["tsx", "prebuild-install", "node-addon-api"]), seen = new Set();
const walk = (deps = {}) => Object.entries(deps).forEach(([name, d]) => {
  if (skip.has(name) || !d.path || seen.has(d.path)) return;
  seen.add(d.path);
  walk(d.dependencies);
});
walk(JSON.parse(require("fs").readFileSync(0, "utf8")).dependencies);
console.log([...seen].join("\n"));'
npm ls --omit=dev --all --json --long | node -e "$runtime_modules" | sed "s|^$PWD/||" | while read -r dir; do
  install -d "$lib/$dir" && cp -a "$dir/." "$lib/$dir/"
done
# sources and intermediate objects of better-sqlite3's build are not needed at run time
rm -rf "$lib/node_modules/better-sqlite3/"{deps,src} "$lib/node_modules/better-sqlite3/build/"{deps,Release/obj,Release/obj.target,Release/.deps,Release/sqlite3.a,Release/test_extension.node}
# systeminformation's own command-line tool (a node script); the agent only uses the library
rm -f "$lib/node_modules/systeminformation/lib/cli.js"
find "$lib/node_modules" \( -name '*.md' ! -iname 'license*' -o -name '*.map' -o -name '.*' -type f \) -delete
find "$lib" -name '*.node' -exec chmod 0644 {} +
# as dh_strip does: no symbols, no .comment/.note sections
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$lib/node" "$lib/build/Release/tnc_tpm.node" "$lib/node_modules/better-sqlite3/build/Release/better_sqlite3.node" "$lib"/imc-*.so

install -m 0755 packaging/deb/tnc-agent.sh "$root/usr/bin/tnc-agent"
install -m 0644 packaging/deb/agent.conf "$root/etc/tnc-agent/agent.conf"
install -m 0644 packaging/deb/tnc-agent.service "$root/lib/systemd/system/tnc-agent.service"
install -m 0644 packaging/deb/copyright "$doc/copyright"
install -d "$root/usr/share/man/man1"
node packaging/deb/manpage.mjs "$version" "$(date -u -d "@$build_time" +%F)" | gzip -9n > "$root/usr/share/man/man1/tnc-agent.1.gz"
install -m 0644 docs/configuration.md "$doc/configuration.md"
install -m 0644 docs/vpn.md "$doc/vpn.md"
install -m 0644 packaging/deb/tnc_config.example "$doc/tnc_config.example"
install -m 0644 "$(dirname "$(readlink -f "$node_bin")")/../share/doc/nodejs/LICENSE" "$doc/LICENSE.node"
printf 'tnc-agent (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- tnc-agent maintainers <tnc-agent@lists.example.org>  %s\n' \
  "$version" "$version" "$(date -R -d "@$build_time")" | gzip -9n > "$doc/changelog.gz"
install -D -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/tnc-agent"
for f in postinst prerm postrm; do install -m 0755 "packaging/deb/$f" "$root/DEBIAN/$f"; done
echo /etc/tnc-agent/agent.conf > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"

# dpkg-shlibdeps wants a debian/control; a minimal one in the staging area
mkdir -p "$stage/debian" && printf 'Source: tnc-agent\n\nPackage: tnc-agent\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O -e root/usr/lib/tnc-agent/node -e root/usr/lib/tnc-agent/build/Release/tnc_tpm.node \
  -e root/usr/lib/tnc-agent/node_modules/better-sqlite3/build/Release/better_sqlite3.node \
  -e root/usr/lib/tnc-agent/imc-os.so -e root/usr/lib/tnc-agent/imc-swima.so -e root/usr/lib/tnc-agent/imc-attestation.so 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" packaging/deb/control.in > "$root/DEBIAN/control"

mkdir -p "$out"
deb="$out/tnc-agent_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "package-deb: built $deb"
