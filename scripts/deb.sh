#!/usr/bin/env bash
# make deb: builds berth_<version>_<arch>.deb from this source tree, the way debian/rules
# would, with the tools of dpkg-dev only:
#   1. configure a build tree of its own (RelWithDebInfo, prefix /usr, so /etc and the
#      multiarch libdir follow GNUInstallDirs) and build what `make install` installs;
#   2. install it stripped into the staging tree <build>/debian/berth (DESTDIR);
#   3. DEBIAN/: control from packaging/debian/control.in (version from the built berthd,
#      Depends from dpkg-shlibdeps on the staged ELF files, plus redis-server and adduser),
#      conffiles (everything under /etc), md5sums, the maintainer scripts and the ldconfig
#      trigger from packaging/debian/;
#   4. dpkg-deb --root-owner-group (no root or fakeroot needed).
# Usage: scripts/deb.sh [BUILD_DIR [OUT_DIR]]  (defaults build/deb and build). Prints the
# path of the .deb on its last line.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build/deb}")
out=$(realpath -m "${2:-$src/build}")

cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" --target berthd berth berth_static berth_shared

stage=$build/debian/berth
rm -rf "$build/debian"
mkdir -p "$stage/DEBIAN"
DESTDIR=$stage cmake --install "$build" --strip >/dev/null
gzip -9n "$stage"/usr/share/man/man*/*     # Debian policy: man pages compressed

version=$("$stage/usr/sbin/berthd" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
mapfile -t elves < <(find "$stage" -type f \( -name berthd -o -name berth -o -name 'libberth.so.*' \))
# dpkg-shlibdeps wants debian/control of a source package; a minimal one is enough.
printf 'Source: berth\n\nPackage: berth\nArchitecture: any\n' >"$build/debian/control"
shlibs=$(cd "$build" && dpkg-shlibdeps -O "${elves[@]#$build/}" | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@SHLIBS@/$shlibs/" "$src/packaging/debian/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find etc -type f -printf '/%p\n' | sort) >"$stage/DEBIAN/conffiles"
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
   sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
for f in postinst prerm postrm triggers; do
  install -m "$([ $f = triggers ] && echo 0644 || echo 0755)" "$src/packaging/debian/$f" \
          "$stage/DEBIAN/$f"
done

mkdir -p "$out"
deb=$out/berth_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
