#!/bin/sh
# Install the Debian packages doppel builds and tests with. Idempotent and
# quick when everything is there already.
set -e
PKGS="gcc make liblz4-dev libxxhash-dev libgit2-dev libcmocka-dev gcc-multilib
qemu-system-x86 libcapstone-dev python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "setup: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || true
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
