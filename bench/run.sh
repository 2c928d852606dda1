#!/bin/sh
# Benchmarks: each guest in bench/guests on doppel (interp) and on
# qemu-system-i386 (TCG), side by side. doppel counts the instructions it
# retires (--stats); QEMU cannot, so both run the same program with the
# same work and wall times are compared. QEMU's start-up time, measured
# with the empty guest, is subtracted from its times.
#   usage: bench/run.sh path/to/doppel [guest-dir]   (BENCH_SCALE=F scales work)
set -eu
DOPPEL=${1:?usage: bench/run.sh path/to/doppel [guest-dir]}
GUESTS=${2:-build/bench}
SCALE=${BENCH_SCALE:-1}
QEMU="qemu-system-i386 -M pc -accel tcg -m 128 -display none -serial stdio
	-device isa-debug-exit,iobase=0xf4,iosize=0x04"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }

# qemu_time ELF N: wall seconds; the serial output goes to $TMP/qemu.out
qemu_time() {
	t0=$(now)
	$QEMU -kernel "$1" -append "n=$2" >"$TMP/qemu.out" 2>/dev/null || true
	awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }'
}

# doppel_run ELF N: "instructions seconds"; serial output in $TMP/doppel.out
doppel_run() {
	"$DOPPEL" run -m 128 -kernel "$1" -append "n=$2" --stats \
		>"$TMP/doppel.out" 2>"$TMP/doppel.err" || true
	sed -n 's/^doppel: \([0-9]*\) guest instructions in \([0-9.]*\) s.*/\1 \2/p' \
		"$TMP/doppel.err" | tail -n 1
}

startup=$(qemu_time "$GUESTS/empty.elf" 0)
printf 'QEMU start-up (empty guest): %.3f s, subtracted from every QEMU time below\n\n' "$startup"
printf '%-8s %14s %10s %8s %10s %14s %s\n' program "guest insns" "doppel s" MIPS "qemu s" "doppel/qemu" output
for spec in compute:300 memory:12 calls:40; do
	prog=${spec%%:*}
	n=$(awk -v n="${spec#*:}" -v s="$SCALE" 'BEGIN { n = int(n * s); print (n < 1 ? 1 : n) }')
	q=$(qemu_time "$GUESTS/$prog.elf" "$n")
	q=$(awk -v q="$q" -v s="$startup" 'BEGIN { q -= s; print (q < 0.001 ? 0.001 : q) }')
	set -- $(doppel_run "$GUESTS/$prog.elf" "$n")
	insns=${1:-0} secs=${2:-0}
	same=same
	cmp -s "$TMP/qemu.out" "$TMP/doppel.out" || same="DIFFERS ($(tail -n 1 "$TMP/doppel.err"))"
	mips=$(awk -v i="$insns" -v s="$secs" 'BEGIN { print (s > 0 ? i / s / 1e6 : 0) }')
	ratio=$(awk -v q="$q" -v s="$secs" 'BEGIN { print (s > 0 ? q / s : 0) }')
	printf '%-8s %14s %10.3f %8.1f %10.3f %13.4fx %s\n' \
		"$prog" "$insns" "$secs" "$mips" "$q" "$ratio" "$same"
done
echo
echo "doppel/qemu: doppel's speed as a fraction of QEMU TCG's on the same work."
