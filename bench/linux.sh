#!/bin/sh
# Linux boot benchmark: wall time from start to the guest's last line
# ("guest: rebooting", printed by tests/linux/init after its workload) for
# each doppel engine and for qemu-system-i386 with TCG booting the same
# kernel and initramfs on a comparable machine:
#   -M isapc -cpu pentium3 -m 256 -accel tcg -nographic -no-reboot
# (8259 PIC, 8254 PIT, 16550A, no APIC, no PCI; QEMU also runs SeaBIOS
# first, which doppel does not need: that time is in QEMU's figure).
#   usage: bench/linux.sh path/to/doppel [engines...]   (default: interp bt de)
set -u
DOPPEL=${1:?usage: bench/linux.sh path/to/doppel [engines...]}
shift
ENGINES=${*:-interp bt de}
DIR=${LINUX_DIR:-build/linux}
APPEND="console=ttyS0 noapic nolapic"
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
	"$@" 2>"$TMP/$name.err" | while IFS= read -r line; do
		printf '%s\n' "$line" >>"$TMP/$name.out"
		case $line in *"$LAST"*) now >"$TMP/t" ;; esac
	done
	if [ -s "$TMP/t" ]; then
		awk -v a="$(cat "$TMP/t")" -v b="$t0" 'BEGIN { printf "%.2f", a - b }'
	else
		printf -- -
	fi
}

q=$(time_to_last qemu qemu-system-i386 -M isapc -cpu pentium3 -m 256 -accel tcg \
	-nographic -no-reboot -kernel "$DIR/bzImage" -initrd "$DIR/initrd.img" -append "$APPEND")
printf 'Linux boot to "%s" (Debian 12 686 kernel, busybox initramfs, 256 MiB)\n' "$LAST"
printf '%-8s %10s %14s %s\n' engine seconds "vs qemu-tcg" note
printf '%-8s %10s %14s %s\n' qemu "$q" 1.00 "qemu-system-i386 -M isapc -cpu pentium3 -accel tcg"
for e in $ENGINES; do
	t=$(time_to_last "$e" "$DOPPEL" run --engine "$e" -m 256 -kernel "$DIR/bzImage" \
		-initrd "$DIR/initrd.img" -append "$APPEND" --max-insns 40000000000 --stats)
	note=$(grep -m1 -o 'unknown engine.*\|guest instructions.*\|budget spent.*' "$TMP/$e.err" | head -n1)
	ratio=-
	case "$t$q" in *-*) ;; *) ratio=$(awk -v a="$t" -v b="$q" 'BEGIN { printf "%.2f", a / b }') ;; esac
	printf '%-8s %10s %14s %s\n' "$e" "$t" "$ratio" "$note"
done
