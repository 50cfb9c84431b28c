#!/bin/sh
# Builds the Debian package of Herald with dpkg-deb from what install.sh
# installs under PREFIX=/usr: herald_VERSION_ARCH.deb in OUTPUT (default .build/).
#   VERSION   the package version (default 0.1.0)
#   OUTPUT    the folder the .deb is written to
# Options are passed to install.sh (e.g. --prebuilt DIR to package an existing build).
set -eu

cd "$(dirname "$0")/.."
VERSION=${VERSION:-0.1.0}
OUTPUT=${OUTPUT:-.build}
arch=$(dpkg --print-architecture)
stage=$(mktemp -d "${TMPDIR:-/tmp}/herald-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT

PREFIX=/usr DESTDIR="$stage/root" packaging/install.sh "$@" >/dev/null

# The shared libraries the binaries use, as Debian packages (t64 names and
# all, whatever this release calls them).
mkdir -p "$stage/debian"
printf 'Source: herald\n\nPackage: herald\nArchitecture: any\n' > "$stage/debian/control"
libraries=$(cd "$stage" && dpkg-shlibdeps -O --ignore-missing-info -e root/usr/bin/heraldd -e root/usr/bin/herald \
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
size=$(du -sk "$stage/root/usr" | cut -f1)
cat > "$stage/root/DEBIAN/control" <<CONTROL
Package: herald
Version: $VERSION
Architecture: $arch
Maintainer: Herald developers <herald@localhost>
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
