#!/bin/sh
# Random-byte guests, two ways:
#  1. 1,000 in-process guests per seed (doppel random-guests: real mode,
#     real mode with a random IVT, 32-bit, 32-bit with a random IDT,
#     multiboot), each with an instruction budget;
#  2. a few multiboot images written to disk (tests/random/gen_images.py,
#     fixed seed) and run through `doppel run`, so the loader and the
#     command line see random guests too.
# Fails on a monitor error, a signal (crash, ASan abort), or a timeout.
# The whole test stays under 60 seconds.
set -u
DOPPEL=${1:?usage: run.sh path/to/doppel}
DIR=$(dirname "$0")
OUT=$(dirname "$DOPPEL")/random
fail=0

check() { # name rc
	if [ "$2" -eq 124 ]; then echo "FAIL: $1: timed out" >&2; fail=1
	elif [ "$2" -gt 128 ]; then echo "FAIL: $1: killed by signal $(($2 - 128))" >&2; fail=1
	elif [ "$2" -ne 0 ]; then echo "FAIL: $1: exit $2" >&2; fail=1
	fi
}

for seed in 1 2; do
	timeout 25 "$DOPPEL" random-guests --seed "$seed" --count 1000 --max-insns 20000
	check "random-guests --seed $seed" $?
done

mkdir -p "$OUT"
python3 "$DIR/gen_images.py" "$OUT" 24 7 || exit 1
for img in "$OUT"/*.bin; do
	timeout 5 "$DOPPEL" run -m 16 -kernel "$img" --max-insns 100000 >/dev/null 2>"$img.log"
	rc=$?
	# Clean: an odd debug-exit status, 4 triple fault, 6 halted, 8 budget, 10 reset.
	case $rc in
	4|6|8|10) ;;
	*) if [ $((rc % 2)) -eq 0 ] || [ "$rc" -gt 128 ]; then
		check "doppel run $img ($(tail -n 1 "$img.log"))" "$rc"; fi ;;
	esac
done
[ $fail -eq 0 ] && echo "random-test: ok"
exit $fail
