#!/usr/bin/env bash
# Builds tnc-agent_<version>_<arch>.deb with dpkg-deb from packaging/deb/: the compiled dist/; the
# runtime dependencies exactly as `npm ci --omit=dev` installs them; the Node.js runtime pinned in
# packaging/deb/node-runtime (the official Linux build, from the npm registry's node-linux-<arch>
# package), so the package runs where the distribution's nodejs is older; the TPM addon and
# better-sqlite3 compiled against that runtime's own headers (its ABI, not the build host's Node);
# and the IF-IMC libraries strongSwan's charon loads (imc-{os,swima,attestation}.so, native/ifimc).
# Library dependencies come from dpkg-shlibdeps: build on the distribution release you target.
# Usage: scripts/package-deb.sh [--version V] [--out DIR]   (default: package.json's version, dist-deb/)
# Compiled better-sqlite3 modules are kept in $TNC_DEB_CACHE (default ~/.cache/tnc-agent-deb), one
# per (better-sqlite3, runtime, architecture): compiling SQLite takes minutes.
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
cache=${TNC_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tnc-agent-deb}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
lib=$root/usr/lib/tnc-agent
doc=$root/usr/share/doc/tnc-agent
# npm's own node-gyp, run by the bundled runtime so that it builds for that runtime
node_gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js

# shellcheck source=../packaging/deb/node-runtime
. packaging/deb/node-runtime
case "$arch" in
  amd64) node_arch=x64 integrity=$integrity_amd64 ;;
  arm64) node_arch=arm64 integrity=$integrity_arm64 ;;
  *) echo "package-deb: no Node.js runtime pinned for $arch (packaging/deb/node-runtime)" >&2; exit 1 ;;
esac
days_left=$(( ($(date -d "$node_eol" +%s) - $(date -d "@$build_time" +%s)) / 86400 ))
if [ "$days_left" -le 0 ]; then
  echo "package-deb: Node.js $node_version reached its end of life on $node_eol: pin a supported LTS line in packaging/deb/node-runtime" >&2; exit 1
elif [ "$days_left" -lt 365 ]; then
  echo "package-deb: warning: Node.js $node_version's line ends on $node_eol ($days_left days): move to a newer LTS line" >&2
fi
runtime=$stage/runtime
echo "package-deb: Node.js $node_version runtime (npm package node-linux-$node_arch)"
got=$(npm pack --json --prefer-offline --pack-destination "$stage" "node-linux-$node_arch@$node_version" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].integrity)')
if [ "$got" != "$integrity" ]; then
  echo "package-deb: node-linux-$node_arch@$node_version has integrity $got; packaging/deb/node-runtime pins $integrity" >&2; exit 1
fi
mkdir "$runtime" && tar -xzf "$stage/node-linux-$node_arch-$node_version.tgz" -C "$runtime" --strip-components=1
[ "$("$runtime/bin/node" -p process.versions.node)" = "$node_version" ]

echo "package-deb: compiling TypeScript"
rm -rf dist && npm run --silent build

# the runtime dependencies, exactly as `npm ci --omit=dev` installs them from package-lock.json;
# no install scripts run (better-sqlite3's would fetch a prebuilt binary for the build host's Node)
app=$stage/app
mkdir "$app" && cp package.json package-lock.json "$app/"
echo "package-deb: npm ci --omit=dev"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-bin-links --no-audit --no-fund --prefer-offline --loglevel=error)
sqlite_dir=$app/node_modules/better-sqlite3
sqlite_key=$(printf '%s %s %s' "$(node -p "require('./package-lock.json').packages['node_modules/better-sqlite3'].integrity")" "$integrity" "$arch" | sha256sum | cut -c1-16)
sqlite_cached=$cache/better_sqlite3-$sqlite_key.node
mkdir -p "$sqlite_dir/build/Release"
if [ -f "$sqlite_cached" ]; then
  echo "package-deb: better-sqlite3 for Node.js $node_version from $sqlite_cached"
  cp "$sqlite_cached" "$sqlite_dir/build/Release/better_sqlite3.node"
else
  echo "package-deb: compiling better-sqlite3 (with SQLite) for Node.js $node_version, a few minutes"
  (cd "$sqlite_dir" && "$runtime/bin/node" "$node_gyp" rebuild --release --nodedir="$runtime" --loglevel=error >"$stage/sqlite.log" 2>&1) \
    || { tail -40 "$stage/sqlite.log" >&2; exit 1; }
  mkdir -p "$cache" && cp "$sqlite_dir/build/Release/better_sqlite3.node" "$sqlite_cached.part" && mv "$sqlite_cached.part" "$sqlite_cached"
fi
echo "package-deb: compiling the TPM addon for Node.js $node_version"
tpm=$stage/tpm
mkdir -p "$tpm/native" && cp binding.gyp "$tpm/" && cp native/tpm.cc "$tpm/native/"
ln -s "$PWD/node_modules" "$tpm/node_modules"  # node-addon-api's headers (a devDependency)
(cd "$tpm" && "$runtime/bin/node" "$node_gyp" rebuild --release --nodedir="$runtime" --loglevel=error >"$stage/tpm.log" 2>&1) \
  || { tail -40 "$stage/tpm.log" >&2; exit 1; }
# both load in the runtime that will run them
(cd "$app" && "$runtime/bin/node" -e 'new (require("better-sqlite3"))(":memory:").close(); require(process.argv[1])' "$tpm/build/Release/tnc_tpm.node")

echo "package-deb: staging $version for $arch"
install -d "$lib/build/Release" "$lib/bin" "$root/usr/bin" "$doc" \
  "$root/etc/tnc-agent/conf.d" "$root/lib/systemd/system" "$root/DEBIAN"
# what runs: the entry, its version module and the bundle of everything else (npm run build)
install -d "$lib/dist/cli" && install -m 0644 dist/cli/main.js dist/cli/version.js dist/cli/program.js "$lib/dist/cli/"
install -m 0644 package.json "$lib/package.json"
# /usr/bin/tnc-agent runs the launcher with the bundled Node: its `#!/usr/bin/env node` line would
# only name an interpreter the package does not depend on
sed '1{/^#!/d}' bin/tnc-agent.js > "$lib/bin/tnc-agent.js" && chmod 0644 "$lib/bin/tnc-agent.js"
install -m 0644 "$tpm/build/Release/tnc_tpm.node" "$lib/build/Release/tnc_tpm.node"
# the runtime's file name carries its version (dpkg -c shows it); /usr/lib/tnc-agent/node links to it
install -m 0755 "$runtime/bin/node" "$lib/node-v$node_version"
ln -s "node-v$node_version" "$lib/node"
echo "package-deb: building the IF-IMC libraries"
# with Debian's hardening flags (fortified functions, stack protector, RELRO), as a debian/rules build would
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  make -s -C native/ifimc OUT="$lib"
chmod 0644 "$lib"/imc-*.so
cp -a "$app/node_modules" "$lib/node_modules"
# better-sqlite3's sources (SQLite's amalgamation among them) and the build's intermediate files
rm -rf "$lib/node_modules/better-sqlite3/"{deps,src} "$lib/node_modules/better-sqlite3/build/"{deps,Release/obj,Release/obj.target,Release/.deps,Release/sqlite3.a,Release/test_extension.node}
# the modules' own command-line programs (each package.json's "bin"), which npm would link into
# node_modules/.bin: the package links none (--no-bin-links) and runs none; the runtime loads modules,
# it executes no file of node_modules
(cd "$app" && npm ls --omit=dev --all --parseable | tail -n +2 | sed "s|^$app/||") | (cd "$lib" && "$runtime/bin/node" -e '
  const fs = require("fs"), path = require("path");
  for (const dir of fs.readFileSync(0, "utf8").split("\n").filter(Boolean)) {
    const bin = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).bin ?? {};
    for (const file of typeof bin === "string" ? [bin] : Object.values(bin)) fs.rmSync(path.join(dir, file), { force: true });
  }')
find "$lib/node_modules" \( -name '*.md' ! -iname 'license*' -o -name '*.map' -o -name '.*' -type f \) -delete
find "$lib/node_modules" -type f -exec chmod 0644 {} +
find "$lib" -name '*.node' -exec chmod 0644 {} +
# as dh_strip does: no symbols, no .comment/.note sections
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$lib/node-v$node_version" "$lib/build/Release/tnc_tpm.node" "$lib/node_modules/better-sqlite3/build/Release/better_sqlite3.node" "$lib"/imc-*.so

install -m 0755 packaging/deb/tnc-agent.sh "$root/usr/bin/tnc-agent"
install -m 0644 packaging/deb/agent.conf "$root/etc/tnc-agent/agent.conf"
install -m 0644 packaging/deb/tnc-agent.service "$root/lib/systemd/system/tnc-agent.service"
install -m 0644 packaging/deb/copyright "$doc/copyright"
install -d "$root/usr/share/man/man1"
node packaging/deb/manpage.mjs "$version" "$(date -u -d "@$build_time" +%F)" | gzip -9n > "$root/usr/share/man/man1/tnc-agent.1.gz"
install -m 0644 docs/configuration.md "$doc/configuration.md"
install -m 0644 docs/vpn.md "$doc/vpn.md"
install -m 0644 packaging/deb/tnc_config.example "$doc/tnc_config.example"
install -m 0644 packaging/deb/README.Debian "$doc/README.Debian"
install -m 0644 "$runtime/LICENSE" "$doc/LICENSE.node"
printf 'tnc-agent (%s) unstable; urgency=medium\n\n  * Release %s.\n  * Bundled Node.js runtime %s, an LTS line supported until %s:\n    the official Linux build (npm package node-linux-%s). A runtime security\n    update ships as a new tnc-agent release: see README.Debian.\n\n -- tnc-agent maintainers <tnc-agent@lists.example.org>  %s\n' \
  "$version" "$version" "$node_version" "$node_eol" "$node_arch" "$(date -R -d "@$build_time")" | gzip -9n > "$doc/changelog.gz"
install -D -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/tnc-agent"
for f in postinst prerm postrm; do install -m 0755 "packaging/deb/$f" "$root/DEBIAN/$f"; done
echo /etc/tnc-agent/agent.conf > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"

# dpkg-shlibdeps wants a debian/control; a minimal one in the staging area
mkdir -p "$stage/debian" && printf 'Source: tnc-agent\n\nPackage: tnc-agent\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O -e "root/usr/lib/tnc-agent/node-v$node_version" -e root/usr/lib/tnc-agent/build/Release/tnc_tpm.node \
  -e root/usr/lib/tnc-agent/node_modules/better-sqlite3/build/Release/better_sqlite3.node \
  -e root/usr/lib/tnc-agent/imc-os.so -e root/usr/lib/tnc-agent/imc-swima.so -e root/usr/lib/tnc-agent/imc-attestation.so 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" packaging/deb/control.in > "$root/DEBIAN/control"

mkdir -p "$out"
deb="$out/tnc-agent_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "package-deb: built $deb"
