#!/bin/sh
# Benchmarks: each guest in bench/guests on doppel (interp) and on
# qemu-system-i386 (TCG), side by side, as guest instructions per second.
#
# Times are CPU seconds (user + system, GNU time), so other load on the
# host slows neither side. doppel counts the instructions it retires
# (--stats). QEMU cannot count, so it runs the same program with more work
# (its start-up, measured with the empty guest, is subtracted) and its count
# is doppel's count scaled by the work: the guests' instruction count is
# linear in n. QEMU also runs doppel's work once, to check that both print
# the same result.
#   usage: bench/run.sh path/to/doppel [guest-dir]   (BENCH_SCALE=F scales all work)
set -eu
DOPPEL=${1:?usage: bench/run.sh path/to/doppel [guest-dir]}
GUESTS=${2:-build/bench}
SCALE=${BENCH_SCALE:-1}
QEMU="qemu-system-i386 -M pc -accel tcg -m 128 -display none -serial stdio
	-device isa-debug-exit,iobase=0xf4,iosize=0x04"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# cpu_time FILE CMD...: run CMD, write its user + system CPU seconds to FILE
cpu_time() {
	out=$1
	shift
	/usr/bin/time -f "%U %S" -o "$out" "$@" || true
	tail -n 1 "$out" | awk '{ print $1 + $2 }' >"$out.sum"
}

# scaled N: N times BENCH_SCALE, at least 1
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { n = int(n * s); print (n < 1 ? 1 : n) }'; }

# qemu_time ELF N: CPU seconds; the serial output goes to $TMP/qemu.out
qemu_time() {
	cpu_time "$TMP/qemu.t" $QEMU -kernel "$1" -append "n=$2" >"$TMP/qemu.out" 2>/dev/null
	cat "$TMP/qemu.t.sum"
}

# doppel_run ELF N: "instructions seconds"; serial output in $TMP/doppel.out
doppel_run() {
	cpu_time "$TMP/doppel.t" "$DOPPEL" run -m 128 -kernel "$1" -append "n=$2" --stats \
		>"$TMP/doppel.out" 2>"$TMP/doppel.err"
	n=$(sed -n 's/^doppel: \([0-9]*\) guest instructions in.*/\1/p' "$TMP/doppel.err" | tail -n 1)
	echo "${n:-0} $(cat "$TMP/doppel.t.sum")"
}

startup=$(qemu_time "$GUESTS/empty.elf" 0)
echo "Guest instructions per CPU second (MIPS) on doppel's interp and on QEMU TCG."
echo "doppel runs work n (instructions counted); QEMU runs work N (timed,"
printf 'its start-up of %.3f s subtracted), its count taken as doppel'"'"'s times N/n.\n\n' "$startup"
printf '%-8s %5s %12s %8s %8s | %5s %8s %8s | %9s %s\n' \
	program n "guest insns" "doppel s" MIPS N "qemu s" MIPS doppel/qemu output
# program:doppel work:QEMU work
for spec in compute:20:300 memory:4:12 calls:8:40; do
	prog=${spec%%:*} rest=${spec#*:}
	n=$(scaled "${rest%%:*}") big=$(scaled "${rest#*:}")
	set -- $(doppel_run "$GUESTS/$prog.elf" "$n")
	insns=${1:-0} secs=${2:-0}
	qemu_time "$GUESTS/$prog.elf" "$n" >/dev/null
	same=same
	cmp -s "$TMP/qemu.out" "$TMP/doppel.out" || same="DIFFERS ($(tail -n 1 "$TMP/doppel.err"))"
	q=$(qemu_time "$GUESTS/$prog.elf" "$big")
	awk -v p="$prog" -v n="$n" -v i="$insns" -v s="$secs" -v N="$big" -v q="$q" \
		-v st="$startup" -v same="$same" 'BEGIN {
		q -= st; if (q < 0.001) q = 0.001
		dm = s > 0 ? i / s / 1e6 : 0
		qm = i * N / n / q / 1e6
		printf "%-8s %5d %12d %8.3f %8.1f | %5d %8.3f %8.1f | %8.4fx %s\n",
			p, n, i, s, dm, N, q, qm, (qm > 0 ? dm / qm : 0), same }'
done
echo
echo "doppel/qemu: doppel's MIPS as a fraction of QEMU TCG's on the same program."
