#!/usr/bin/env bash
# Builds tnc-agent-strongswan-plugins_<strongswan version>+tnc<N>_<arch>.deb: strongSwan's tnccs-20,
# tnc-imc and tnc-imv plugins (and their /etc/strongswan.d/charon snippets), which Debian 12 and
# Ubuntu build but do not ship; without tnc-imc and tnccs-20 charon and pt-tls-client never read
# /etc/tnc_config, so tnc-agent's imc-*.so are never loaded. A separate GPL-2.0-or-later package:
# it holds strongSwan's code, built from the distribution's own strongswan source package.
#
# 1. The strongSwan binary version to fit: libstrongswan as installed, else apt's candidate.
# 2. A deb-src entry for each deb entry, in a private apt state under the cache (the system's
#    sources and lists are not touched); apt-get source the binary version, else (the archive keeps
#    only the newest source of a suite) the newest older source of the same upstream version.
# 3. debian/rules' own configure (its CONFIGUREARGS and dpkg-buildflags) plus the three
#    --enable-*, then make only libstrongswan, libtncif, libtnccs and the three plugins.
# 4. ABI check against the stock binary packages of that version: the built libstrongswan.so.0
#    and libtnccs.so.0 export exactly the stock symbols, and every symbol the plugins import is
#    exported by the stock libraries, libc or the program that loads them (charon, pt-tls-client).
# 5. Package with Depends pinning that exact binary version, Built-Using naming the source.
#
# Usage: scripts/package-strongswan-plugins.sh [--out DIR] [--strongswan-version V]
#   --out DIR                 where the .deb goes (default dist-deb/)
#   --strongswan-version V    fit this libstrongswan binary version instead of the installed one
# Needs root (apt-get build-dep installs strongswan's build dependencies). The source, build tree
# and stock packages are kept in $TNC_STRONGSWAN_CACHE (default /var/cache/tnc-agent-strongswan)
# and reused by the next run on this machine (configure + make take ~3 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=dist-deb
binver=
revision=tnc1   # bump when this script's output changes for the same strongSwan version
plugins=(tnccs-20 tnc-imc tnc-imv)
cache=${TNC_STRONGSWAN_CACHE:-/var/cache/tnc-agent-strongswan}
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --strongswan-version) binver=$2; shift 2 ;;
    *) echo "usage: $0 [--out DIR] [--strongswan-version V]" >&2; exit 2 ;;
  esac
done
say() { echo "package-strongswan-plugins: $*"; }
die() { echo "package-strongswan-plugins: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (apt-get build-dep installs strongswan's build dependencies)"
for tool in apt-get dpkg-source dpkg-deb dpkg-shlibdeps nm objdump; do
  command -v "$tool" >/dev/null || die "$tool is missing (bash scripts/setup.sh installs it)"
done
arch=$(dpkg --print-architecture)
export DEBIAN_FRONTEND=noninteractive
apt_wait=(-o DPkg::Lock::Timeout=600)

# 1. the binary version
if [ -z "$binver" ]; then
  if [ "$(dpkg-query -W -f '${db:Status-Status}' libstrongswan 2>/dev/null)" = installed ]; then
    binver=$(dpkg-query -W -f '${Version}' libstrongswan)
    say "fitting the installed libstrongswan $binver"
  else
    binver=$(apt-cache policy libstrongswan | sed -n 's/^ *Candidate: //p')
    [ -n "$binver" ] && [ "$binver" != "(none)" ] || die "libstrongswan is neither installed nor known to apt (apt-get update?)"
    say "libstrongswan is not installed: fitting apt's candidate $binver"
  fi
fi
upstream=${binver%-*}
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # one run at a time per cache

# 2. the source, through a private apt state with deb-src entries
aptdir=$cache/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial" "$aptdir/sources.list.d"
rm -f "$aptdir/sources.list.d/"*
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' "$f"
done > "$aptdir/sources.list.d/deb-src.list"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" > "$aptdir/sources.list.d/$(basename "$f")"
done
papt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
      -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache::Archives=$aptdir/archives"
      -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o APT::Sandbox::User=root)
say "reading the source index (deb-src entries for this run, in $aptdir)"
apt-get "${papt[@]}" update -qq || say "apt-get update reported errors (a repository without sources?): going on with what it fetched"
mapfile -t versions < <(apt-cache "${papt[@]}" showsrc strongswan | sed -n 's/^Version: //p' | sort -u)
[ ${#versions[@]} -gt 0 ] || die "no strongswan source package in the deb-src index of this system's apt sources"
# the binary version first, then older sources of the same upstream version, newest first
ordered=()
printf '%s\n' "${versions[@]}" | grep -qxF "$binver" && ordered=("$binver")
for v in $(printf '%s\n' "${versions[@]}" | sort -r -V); do
  [ "${v%-*}" = "$upstream" ] && dpkg --compare-versions "$v" lt "$binver" && ordered+=("$v")
done
srcver=
for v in "${ordered[@]}"; do
  dir=$cache/source/$v
  if [ -f "$dir/.complete" ]; then srcver=$v; break; fi
  rm -rf "$dir" && mkdir -p "$dir"
  if (cd "$dir" && apt-get "${papt[@]}" source --download-only -qq "strongswan=$v" >/dev/null 2>"$dir/apt.err"); then
    touch "$dir/.complete"; srcver=$v; break
  fi
  say "strongswan $v source: not downloadable ($(grep -m1 -o '[0-9]\{3\} *[A-Za-z][A-Za-z ]*[a-z]' "$dir/apt.err" | tr -s ' ' || echo error)), trying an older one"
  rm -rf "$dir"
done
[ -n "$srcver" ] || die "no strongswan $upstream source at or below $binver could be downloaded (versions known: ${versions[*]})"
say "building from the strongswan $srcver source for the $binver binaries"

# 3. configure as debian/rules does, plus the three plugins; make only what they need
flags=$(printf -- '--enable-%s ' "${plugins[@]}")
build=$cache/build/$srcver
stamp="$srcver $flags"
if [ ! -f "$build/.built" ] || [ "$(cat "$build/.built")" != "$stamp" ]; then
  rm -rf "$build" && mkdir -p "$(dirname "$build")"
  dpkg-source --no-check -x "$cache/source/$srcver/strongswan_${srcver#*:}.dsc" "$build" >/dev/null
  if ! (cd "$build" && dpkg-checkbuilddeps >/dev/null 2>&1); then
    say "installing strongswan's build dependencies (apt-get build-dep)"
    apt-get "${apt_wait[@]}" build-dep -y -qq --no-install-recommends "$build" >/dev/null
  fi
  command -v fakeroot >/dev/null || apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends fakeroot >/dev/null
  grep -q '^CONFIGUREARGS := ' "$build/debian/rules" || die "debian/rules of $srcver has no CONFIGUREARGS line to extend"
  sed -i "s|^CONFIGUREARGS := |CONFIGUREARGS := $flags|" "$build/debian/rules"
  say "configuring with debian/rules' flags and $flags(about a minute)"
  (cd "$build" && fakeroot debian/rules override_dh_auto_configure >"$build/configure.out" 2>&1) || { tail -30 "$build/configure.out"; die "configure failed"; }
  say "building libstrongswan, libtncif, libtnccs and the plugins (about 1.5 minutes on 2 cores)"
  jobs=$(( $(nproc) < 2 ? 1 : 2 ))
  (cd "$build" && make -j"$jobs" -C src/libstrongswan libstrongswan.la && make -j"$jobs" -C src/libtncif && make -j"$jobs" -C src/libtnccs) \
    >"$build/make.out" 2>&1 || { tail -30 "$build/make.out"; die "make failed"; }
  echo "$stamp" > "$build/.built"
else
  say "reusing the build in $build"
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# libtool relinks the plugins on install so that RUNPATH is /usr/lib/ipsec, not the build tree; the
# relink links with the libraries installed in the same DESTDIR (only the plugins are packaged)
for lib in libstrongswan libtnccs; do
  make -s -C "$build/src/$lib" install-ipseclibLTLIBRARIES DESTDIR="$stage/install" >/dev/null 2>&1
done
for p in "${plugins[@]}"; do
  make -s -C "$build/src/libtnccs/plugins/${p//-/_}" install-pluginLTLIBRARIES DESTDIR="$stage/install" >/dev/null 2>"$stage/install.err" || { cat "$stage/install.err"; die "installing the $p plugin failed"; }
done

# 4. ABI check against the stock packages of the binary version
stock=$cache/stock/$binver
if [ ! -f "$stock/.complete" ]; then
  rm -rf "$stock" && mkdir -p "$stock/debs"
  (cd "$stock/debs" && apt-get -o APT::Sandbox::User=root download -qq "libstrongswan=$binver" "libcharon-extra-plugins=$binver") \
    || die "cannot download the stock libstrongswan $binver packages"
  for d in "$stock"/debs/*.deb; do dpkg-deb -x "$d" "$stock/root"; done
  touch "$stock/.complete"
fi
exports() { nm -D --defined-only "$1" | awk '{print $3}' | sort -u; }
for lib in libstrongswan.so.0 libtnccs.so.0; do
  built=$(find "$build/src" -path "*/.libs/$lib" | head -1)
  [ -n "$built" ] || die "$lib was not built"
  if ! diff <(exports "$built") <(exports "$stock/root/usr/lib/ipsec/$lib") >"$stage/abi.diff"; then
    cat "$stage/abi.diff"; die "$lib built from $srcver does not export the same symbols as $binver's"
  fi
done
provided=$(cat <(exports "$stock/root/usr/lib/ipsec/libstrongswan.so.0") <(exports "$stock/root/usr/lib/ipsec/libtnccs.so.0") | sort -u)
for p in "${plugins[@]}"; do
  so=$stage/install/usr/lib/ipsec/plugins/libstrongswan-$p.so
  [ -f "$so" ] || die "$so was not installed"
  objdump -p "$so" | grep -q 'RUNPATH *\/usr\/lib\/ipsec$' || die "libstrongswan-$p.so: RUNPATH is not /usr/lib/ipsec"
  # imports without a version are strongSwan's own; glibc's carry @GLIBC_*
  missing=$(nm -D --undefined-only "$so" | awk '$1 == "U" {print $2}' | grep -v '@' | sort -u | comm -23 - <(echo "$provided") || true)
  [ -z "$missing" ] || die "libstrongswan-$p.so imports symbols the stock $binver libraries do not export: $missing"
done
say "ABI check passed: libstrongswan.so.0 and libtnccs.so.0 of $srcver export exactly the symbols of $binver; every plugin import resolves"

# 5. the package
version="$binver+$revision"
root=$stage/root
doc=$root/usr/share/doc/tnc-agent-strongswan-plugins
install -d "$root/usr/lib/ipsec/plugins" "$root/etc/strongswan.d/charon" "$doc" "$root/DEBIAN"
for p in "${plugins[@]}"; do
  install -m 0644 "$stage/install/usr/lib/ipsec/plugins/libstrongswan-$p.so" "$root/usr/lib/ipsec/plugins/"
  install -m 0644 "$build/conf/plugins/$p.conf" "$root/etc/strongswan.d/charon/$p.conf"
  echo "/etc/strongswan.d/charon/$p.conf" >> "$root/DEBIAN/conffiles"
done
# as dh_strip does
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root"/usr/lib/ipsec/plugins/*.so
install -m 0644 packaging/strongswan-plugins/copyright "$doc/copyright"
install -D -m 0644 packaging/strongswan-plugins/lintian-overrides "$root/usr/share/lintian/overrides/tnc-agent-strongswan-plugins"
sed -e "s/@BINVER@/$binver/g" -e "s/@SRCVER@/$srcver/g" -e "s/@FLAGS@/$flags/" packaging/strongswan-plugins/README.Debian > "$doc/README.Debian"
build_time=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
printf 'tnc-agent-strongswan-plugins (%s) unstable; urgency=medium\n\n  * tnccs-20, tnc-imc and tnc-imv built from strongswan %s\n    for strongSwan %s.\n\n -- tnc-agent maintainers <tnc-agent@lists.example.org>  %s\n' \
  "$version" "$srcver" "$binver" "$(date -R -d "@$build_time")" | gzip -9n > "$doc/changelog.Debian.gz"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
# libc's version from the plugins' imports; strongSwan's libraries are pinned below (they carry no
# symbol versions and no shlibs file: any other build may differ in ABI)
mkdir -p "$stage/debian" && printf 'Source: strongswan\n\nPackage: tnc-agent-strongswan-plugins\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O -l"$stock/root/usr/lib/ipsec" --ignore-missing-info -xlibstrongswan -xlibcharon-extra-plugins \
  root/usr/lib/ipsec/plugins/*.so 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
  -e "s/@BINVER@/$binver/g" -e "s/@SRCVER@/$srcver/g" packaging/strongswan-plugins/control.in > "$root/DEBIAN/control"
mkdir -p "$out"
deb="$out/tnc-agent-strongswan-plugins_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
say "built $deb (strongSwan $binver, from the strongswan $srcver source)"
