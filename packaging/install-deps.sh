#!/bin/sh
# Installs the Debian/Ubuntu packages Herald needs: to build and run it, and
# with --test also what its tests drive for real (PulseAudio, sox, Speech
# Dispatcher's clients, python3-gi for the Spiel client, openssl for the TLS
# checks, Xvfb and xclip). Uses sudo when not run as root.
set -eu

build="pkg-config libdbus-1-dev libasound2-dev libmpg123-dev libespeak-ng-dev libsonic-dev espeak-ng-data"
run="dbus alsa-utils libasound2-plugins"
test="pulseaudio pulseaudio-utils sox lame espeak-ng speech-dispatcher python3-speechd python3-gi openssl xvfb xclip libglib2.0-bin"

packages="$build $run"
[ "${1:-}" = "--test" ] && packages="$packages $test"

missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0

as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $missing
