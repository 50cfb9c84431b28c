#!/bin/sh
# Builds the Debian package of Herald with dpkg-deb from what install.sh
# installs under PREFIX=/usr: herald_VERSION_ARCH.deb in OUTPUT (default .build/).
#   MAINTAINER  who answers for this package, "Name <address>" (required:
#               Debian's tools refuse a made-up address, so none is assumed)
#   VERSION     the package version (default 0.1.0)
#   OUTPUT      the folder the .deb is written to
#   SOURCE_DATE_EPOCH  the changelog's date (default: the last commit's, else now)
# Options are passed to install.sh (e.g. --prebuilt DIR to package an existing build).
#
#   MAINTAINER="Ada Lovelace <ada@example.org>" packaging/build-deb.sh
#
# The package has what Debian's policy asks and lintian checks: manual pages
# (gzip -9n), the copyright file (packaging/copyright), a changelog, and
# lintian overrides (packaging/lintian-overrides) saying why each is there.
set -eu

cd "$(dirname "$0")/.."
MAINTAINER=${MAINTAINER:-}
case "$MAINTAINER" in
    ?*' <'?*@?*'>') ;;
    *) echo "build-deb.sh: set MAINTAINER to the packager, as \"Name <address>\" (got \"$MAINTAINER\")" >&2; exit 64 ;;
esac
VERSION=${VERSION:-0.1.0}
OUTPUT=${OUTPUT:-.build}
arch=$(dpkg --print-architecture)
stage=$(mktemp -d "${TMPDIR:-/tmp}/herald-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT

PREFIX=/usr DESTDIR="$stage/root" packaging/install.sh "$@" >/dev/null

doc=$stage/root/usr/share/doc/herald
# Debian points at /usr/share/common-licenses/Apache-2.0 from the copyright
# file instead of shipping the licence again.
rm "$doc/LICENSE"
# Compressed as policy asks: manual pages, and the changelog, whose name says
# whether the version has a Debian revision (changelog.Debian.gz) or is
# Herald's own (a native package: changelog.gz).
find "$stage/root/usr/share/man" -type f -exec gzip -9n {} +
case "$VERSION" in
    *-*) changelog=changelog.Debian ;;
    *) changelog=changelog ;;
esac
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cat > "$doc/$changelog" <<CHANGELOG
herald ($VERSION) unstable; urgency=medium

  * Herald $VERSION, packaged from commit $commit of its sources;
    README.md beside this file says what it does.

 -- $MAINTAINER  $(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")
CHANGELOG
gzip -9n "$doc/$changelog"
install -d "$stage/root/usr/share/lintian/overrides"
install -m 644 packaging/lintian-overrides "$stage/root/usr/share/lintian/overrides/herald"

# The shared libraries the binaries use, as Debian packages (t64 names and
# all, whatever this release calls them).
mkdir -p "$stage/debian"
printf 'Source: herald\n\nPackage: herald\nArchitecture: any\n' > "$stage/debian/control"
libraries=$(cd "$stage" && dpkg-shlibdeps -O --ignore-missing-info -e root/usr/bin/heraldd \
    -e root/usr/libexec/herald/herald-espeak 2>"$stage/shlibdeps.log" \
    | sed -n 's/^shlibs:Depends=//p')
if grep -q "libswiftCore" "$stage/shlibdeps.log" 2>/dev/null; then
    echo "build-deb.sh: warning: the binaries need the Swift toolchain's libraries; this package runs only where they exist" >&2
fi
# herald-espeak has libespeak-ng linked in (Package.swift), and espeak-ng reads
# only the data of its own release: depend on that release's data, and name
# the source the binary was built with, as Debian does for static links.
espeak=$(dpkg-query -W -f '${Version}' libespeak-ng-dev)
upstream=$(echo "$espeak" | sed 's/^[0-9]*://; s/[+-].*//')
next=$(echo "$upstream" | awk -F. '{ $NF = $NF + 1; print }' OFS=.)
depends="${libraries:+$libraries, }espeak-ng-data (>= $upstream), espeak-ng-data (<< $next~), default-dbus-session-bus | dbus-session-bus"

mkdir -p "$stage/root/DEBIAN"
# What dpkg --verify and debsums check installed files against.
(cd "$stage/root" && find usr -type f -exec md5sum {} + | LC_ALL=C sort -k2 > DEBIAN/md5sums)
size=$(du -sk "$stage/root/usr" | cut -f1)
cat > "$stage/root/DEBIAN/control" <<CONTROL
Package: herald
Version: $VERSION
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $depends
Built-Using: espeak-ng (= $espeak)
Recommends: xclip | wl-clipboard | xsel
Suggests: orca
Section: sound
Priority: optional
Description: text-to-speech daemon for the Linux desktop
 Herald speaks text from its own D-Bus interface (org.herald.Speech1), from
 Speech Dispatcher clients such as Orca (SSIP), and from the herald command:
 text, files, Markdown and the clipboard. It uses Cloudflare Workers AI voices
 when configured and always has the offline espeak-ng voice.
 .
 speak-clipboard is meant for a keybinding: it speaks the clipboard, and a
 second press stops it.
CONTROL

mkdir -p "$OUTPUT"
package="$OUTPUT/herald_${VERSION}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage/root" "$package" >/dev/null
echo "$package"
