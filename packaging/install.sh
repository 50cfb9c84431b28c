#!/bin/sh
# Builds Herald in release mode and installs it:
#   PREFIX   where it will live (default /usr/local)
#   DESTDIR  a staging root the files are written under (default: none),
#            as packagers use; paths inside the files still name PREFIX.
# Installs heraldd, herald and speak-clipboard in PREFIX/bin, the systemd
# user unit (PREFIX/lib/systemd/user for /usr and /usr/local, else
# PREFIX/share/systemd/user; SYSTEMD_USER_UNIT_DIR overrides), every D-Bus
# activation file of dbus/*.service.in (with @bindir@ filled in) in
# PREFIX/share/dbus-1/services, and an example config with the README under
# PREFIX/share/doc/herald.
#
#   packaging/install.sh                      # to /usr/local (sudo when needed)
#   PREFIX=$HOME/.local packaging/install.sh  # for one user, no root
#   packaging/install.sh --prebuilt DIR       # install DIR's heraldd and herald, no build
set -eu

cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
prebuilt=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prebuilt) prebuilt=${2:?--prebuilt needs the folder holding heraldd and herald}; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done
case "$PREFIX" in
    /*) ;;
    *) echo "install.sh: PREFIX must be an absolute path, not $PREFIX" >&2; exit 64 ;;
esac

if [ -n "$prebuilt" ]; then
    binaries=$prebuilt
else
    # The Swift runtime linked in, so the binaries run without the toolchain.
    swift build -c release --static-swift-stdlib --product heraldd
    swift build -c release --static-swift-stdlib --product herald
    binaries=$(swift build -c release --show-bin-path)
fi
for program in heraldd herald; do
    [ -x "$binaries/$program" ] || { echo "install.sh: $binaries/$program is missing; build Herald first" >&2; exit 1; }
done

bindir=$PREFIX/bin
root=$DESTDIR$PREFIX
# systemd looks for user units in /usr/lib and /usr/local/lib, and under the
# data folders (~/.local/share, XDG_DATA_DIRS): the D-Bus activation file
# names the unit, so a unit systemd cannot find would make activation fail.
case "$PREFIX" in
    /usr|/usr/local) unitdir=${SYSTEMD_USER_UNIT_DIR:-$PREFIX/lib/systemd/user} ;;
    *) unitdir=${SYSTEMD_USER_UNIT_DIR:-$PREFIX/share/systemd/user} ;;
esac
fill() { sed "s|@bindir@|$bindir|g" "$1"; }

install -d "$root/bin" "$DESTDIR$unitdir" "$root/share/dbus-1/services" "$root/share/doc/herald"
# Stripped: symbols are most of a statically linked Swift binary's size.
install -m 755 -s "$binaries/heraldd" "$binaries/herald" "$root/bin/"
install -m 755 packaging/speak-clipboard "$root/bin/"
fill packaging/herald.service.in > "$DESTDIR$unitdir/herald.service"
for template in dbus/*.service.in; do
    [ -e "$template" ] || continue
    fill "$template" > "$root/share/dbus-1/services/$(basename "$template" .in)"
done
chmod 644 "$DESTDIR$unitdir/herald.service" "$root"/share/dbus-1/services/*.service
install -m 644 packaging/config.toml.example "$root/share/doc/herald/config.toml.example"
install -m 644 README.md "$root/share/doc/herald/README.md"

echo "Herald installed under $root."
if [ -z "$DESTDIR" ]; then
    echo "Try it: $bindir/herald speak \"Hello from Herald.\""
    echo "Optional, to start it with the desktop session: systemctl --user enable herald.service"
fi
