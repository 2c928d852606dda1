#!/bin/sh
# Linux boot benchmark: wall time from start to the guest's last line
# ("guest: rebooting", printed by tests/linux/init after its workload) for
# each doppel engine and for qemu-system-i386 with TCG booting the same
# kernel and initramfs on a comparable machine:
#   -M isapc -cpu pentium3 -m 256 -accel tcg -nographic -no-reboot
# (8259 PIC, 8254 PIT, 16550A, no APIC, no PCI; QEMU also runs SeaBIOS
# first, which doppel does not need: that time is in QEMU's figure).
# Beside the wall time, the CPU time (user + system) of the whole run from
# /usr/bin/time: on a shared machine that is the steadier figure.
#   usage: bench/linux.sh path/to/doppel [engines...]   (default: interp bt de)
set -u
DOPPEL=${1:?usage: bench/linux.sh path/to/doppel [engines...]}
shift
ENGINES=${*:-interp bt de}
DIR=${LINUX_DIR:-build/linux}
APPEND="console=ttyS0 noapic nolapic acpi=off"
LAST="guest: rebooting"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }

# time_to_last NAME CMD...: seconds until the line appears, or "-".
time_to_last() {
	name=$1
	shift
	rm -f "$TMP/t"
	t0=$(now)
	/usr/bin/time -f '%U %S' -o "$TMP/$name.cpu" "$@" 2>"$TMP/$name.err" | while IFS= read -r line; do
		printf '%s\n' "$line" >>"$TMP/$name.out"
		case $line in *"$LAST"*) now >"$TMP/t" ;; esac
	done
	if [ -s "$TMP/t" ]; then
		awk -v a="$(cat "$TMP/t")" -v b="$t0" 'BEGIN { printf "%.2f", a - b }'
	else
		printf -- -
	fi
}

# cpu_of NAME: user + system seconds of the last run of NAME.
cpu_of() {
	awk '/^[0-9.]+ [0-9.]+$/ { printf "%.2f", $1 + $2; ok = 1 } END { if (!ok) printf "-" }' \
		"$TMP/$1.cpu" 2>/dev/null || printf -- -
}

# ratio A B: A / B, or "-" when either is missing.
ratio() {
	case "$1$2" in *-*) printf -- - ;; *) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' ;; esac
}

q=$(time_to_last qemu qemu-system-i386 -M isapc -cpu pentium3 -m 256 -accel tcg \
	-nographic -no-reboot -kernel "$DIR/bzImage" -initrd "$DIR/initrd.img" -append "$APPEND")
printf 'Linux boot to "%s" (Debian 12 686 kernel, busybox initramfs, 256 MiB)\n' "$LAST"
qc=$(cpu_of qemu)
printf '%-8s %9s %8s %9s %8s  %s\n' engine "wall s" ratio "cpu s" ratio note
printf '%-8s %9s %8s %9s %8s  %s\n' qemu "$q" 1.00 "$qc" 1.00 \
	"qemu-system-i386 -M isapc -cpu pentium3 -accel tcg"
for e in $ENGINES; do
	t=$(time_to_last "$e" "$DOPPEL" run --engine "$e" -m 256 -kernel "$DIR/bzImage" \
		-initrd "$DIR/initrd.img" -append "$APPEND" --max-insns 40000000000 --stats)
	# A run that reached the line: its --stats; one that did not: why it stopped.
	if [ "$t" = - ]; then
		note=$(tail -n 1 "$TMP/$e.err" | cut -c1-150)
	else
		note=$(grep -m1 -o 'guest instructions.*' "$TMP/$e.err")
	fi
	c=$(cpu_of "$e")
	[ "$t" = - ] && c=-
	printf '%-8s %9s %8s %9s %8s  %s\n' "$e" "$t" "$(ratio "$t" "$q")" "$c" "$(ratio "$c" "$qc")" "$note"
done
