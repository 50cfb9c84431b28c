#!/bin/sh
# Installs the Debian/Ubuntu packages Herald needs: to build and run it, and
# with --test also what its tests drive for real (PulseAudio, sox, Speech
# Dispatcher's clients, python3-gi for the Spiel client, openssl for the TLS
# checks, Xvfb and xclip, PipeWire with pipewire-pulse and WirePlumber: the
# sound servers the audio tests play through, and lintian, which CI runs on
# the .deb). Uses sudo when not run as root.
#
# The tests also drive pipewire-alsa's ALSA plugin. Debian 12's pipewire-alsa
# package conflicts with pulseaudio (installing it removes PulseAudio), so
# where it is not installed, --test unpacks it into /var/cache/herald-tests
# without installing it; the tests load the plugin from there.
set -eu

build="pkg-config libdbus-1-dev libasound2-dev libmpg123-dev libespeak-ng-dev libsonic-dev espeak-ng-data"
run="dbus alsa-utils libasound2-plugins"
test="pulseaudio pulseaudio-utils sox lame espeak-ng speech-dispatcher python3-speechd python3-gi openssl xvfb xclip libglib2.0-bin pipewire pipewire-pulse wireplumber lintian"

packages="$build $run"
[ "${1:-}" = "--test" ] && packages="$packages $test"

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
for package in $packages; do
    installed "$package" || missing="$missing $package"
done

as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=""
if [ -n "$missing" ]; then
    $as_root apt-get update -qq
    updated=yes
    # shellcheck disable=SC2086
    $as_root apt-get install -y -qq --no-install-recommends $missing
fi

unpacked=/var/cache/herald-tests/pipewire-alsa
if [ "${1:-}" = "--test" ] && ! installed pipewire-alsa && [ ! -d "$unpacked/usr" ]; then
    [ -n "$updated" ] || $as_root apt-get update -qq
    download=$(mktemp -d)
    chmod 755 "$download"  # apt-get download hands the file to its _apt user
    (cd "$download" && apt-get download -qq pipewire-alsa)
    $as_root mkdir -p "$unpacked"
    $as_root dpkg-deb -x "$download"/pipewire-alsa_*.deb "$unpacked"
    rm -rf "$download"
fi
