#!/bin/sh
# Fetch Debian 12's i386 kernel (linux-image-686) and busybox-static (i386)
# with apt-get, into build/linux/, without touching the host's apt or dpkg
# state: every apt directory (lists, cache, state, the sources) is a private
# one under build/linux/apt, and the architecture is given on the command
# line only. Then extract vmlinuz and busybox with dpkg-deb.
# Output: build/linux/bzImage, build/linux/busybox.
set -e
OUT=${1:-build/linux}
APTDIR=$OUT/apt
mkdir -p "$APTDIR/etc/sources.list.d" "$APTDIR/etc/preferences.d" \
	"$APTDIR/state/lists/partial" "$APTDIR/cache/archives/partial" "$OUT/debs" "$OUT/x"
APTDIR=$(cd "$APTDIR" && pwd)
# The host's own Debian sources (deb822); other vendors' lists are left out.
cp /etc/apt/sources.list.d/debian.sources "$APTDIR/etc/sources.list.d/"
: >"$APTDIR/etc/sources.list"
: >"$APTDIR/state/status"

apt_private() {
	tool=$1
	shift
	$tool -q \
		-oAPT::Architecture=i386 -oAPT::Architectures=i386 \
		-oDir::Etc::SourceList="$APTDIR/etc/sources.list" \
		-oDir::Etc::SourceParts="$APTDIR/etc/sources.list.d" \
		-oDir::Etc::Preferences="$APTDIR/etc/preferences" \
		-oDir::Etc::PreferencesParts="$APTDIR/etc/preferences.d" \
		-oDir::State="$APTDIR/state" -oDir::State::Lists="$APTDIR/state/lists" \
		-oDir::State::status="$APTDIR/state/status" \
		-oDir::Cache="$APTDIR/cache" -oDebug::NoLocking=1 \
		-oAPT::Sandbox::User="$(id -un)" "$@"
}

if [ ! -f "$OUT/bzImage" ] || [ ! -f "$OUT/busybox" ]; then
	# An index that fails (a mirror mid-sync) is not fatal while the others
	# still hold the packages; a missing package fails below with its name.
	apt_private apt-get update >/dev/null || echo "linux-guest: apt-get update reported errors (continuing)" >&2
	# linux-image-686 is a metapackage: resolve it to the versioned image.
	IMG=$(apt_private apt-cache depends linux-image-686 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-686\)$/\1/p' | head -n1)
	[ -n "$IMG" ] || { echo "linux-guest: cannot resolve linux-image-686" >&2; exit 1; }
	(cd "$OUT/debs" && apt_private apt-get download "$IMG" busybox-static:i386 >/dev/null)
	for d in "$OUT"/debs/*.deb; do dpkg-deb -x "$d" "$OUT/x"; done
	cp "$(ls "$OUT"/x/boot/vmlinuz-*-686 | head -n1)" "$OUT/bzImage"
	cp "$OUT/x/bin/busybox" "$OUT/busybox"
	echo "linux-guest: $IMG, $(ls "$OUT"/debs | grep busybox)" >&2
fi
