#!/bin/sh
# Fuzz throughput: cases per second interp vs native (the host CPU through
# de), one worker and two, fixed seed, no minimization; and random-byte
# cases (--bytes) on two.
#   usage: bench/fuzz.sh path/to/doppel
set -eu
DOPPEL=${1:?usage: bench/fuzz.sh path/to/doppel}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for jobs in 1 2; do
	line=$("$DOPPEL" fuzz --engines interp,native --seed 9 --count 100000 --jobs "$jobs" \
		--no-minimize --out "$OUT/j$jobs" --quiet 2>&1 | grep 'cases/s' | tail -n 1)
	rate=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) cases\/s.*/\1/p')
	printf 'fuzz interp,native, %d worker(s): %s cases/s (%s per core)\n' "$jobs" "$rate" \
		"$(( ${rate:-0} / jobs ))"
done
line=$("$DOPPEL" fuzz --bytes --engines interp,native --seed 9 --count 100000 --jobs 2 \
	--no-minimize --out "$OUT/bytes" --quiet 2>&1 | grep 'cases/s' | tail -n 1)
rate=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) cases\/s.*/\1/p')
printf 'fuzz --bytes interp,native, 2 workers: %s cases/s (%s per core)\n' "$rate" "$(( ${rate:-0} / 2 ))"
