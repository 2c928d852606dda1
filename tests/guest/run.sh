#!/bin/bash
# Run guest test images on doppel's interpreter and on QEMU; both must exit
# with status 1 (isa-debug-exit wrote 0) and print the same serial output.
# Usage: run.sh build/guest/<name>.elf ...   (QEMU-KNOWN.md lists the images
# QEMU is not asked about). Environment: DOPPEL, QEMU, JOBS, GUEST_TIMEOUT.
set -u
here=$(cd "$(dirname "$0")" && pwd)
DOPPEL=${DOPPEL:-build/release/doppel}
QEMU=${QEMU:-qemu-system-i386}
JOBS=${JOBS:-2}
TIMEOUT=${GUEST_TIMEOUT:-20}
# QEMU's pentium3 less every feature doppel's CPUID model does not report:
# the remaining EDX set is FPU PSE TSC MSR CX8 PGE CMOV, as on doppel.
QEMU_CPU="pentium3,-de,-pae,-mce,-apic,-sep,-mtrr,-mca,-pat,-pse36,-mmx,-fxsr,-sse"
if [ ! -x "$DOPPEL" ]; then
	echo "guest-test: $DOPPEL is not built (make $DOPPEL)" >&2
	exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

qemu_known() {
	grep -q "^- \`$1\`" "$here/QEMU-KNOWN.md" 2>/dev/null
}

# one engine on one image: writes <name>.<engine>.out and .rc
run_engine() {
	local elf=$1 name=$2 engine=$3
	local o="$out/$name.$engine"
	if [ "$engine" = qemu ]; then
		timeout "$TIMEOUT" "$QEMU" -M isapc -cpu "$QEMU_CPU" -m 128 \
			-display none -monitor none -serial stdio -no-reboot \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
			-kernel "$elf" </dev/null >"$o.raw" 2>"$o.err"
	else
		timeout "$TIMEOUT" "$DOPPEL" run --engine interp -kernel "$elf" \
			</dev/null >"$o.raw" 2>"$o.err"
	fi
	echo $? >"$o.rc"
	tr -d '\r' <"$o.raw" >"$o.out"
}

run_one() {
	local elf=$1 name
	name=$(basename "$elf" .elf)
	run_engine "$elf" "$name" doppel
	qemu_known "$name" || run_engine "$elf" "$name" qemu
}
export -f run_one run_engine qemu_known
export out here DOPPEL QEMU TIMEOUT QEMU_CPU

printf '%s\n' "$@" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'

pass=0 fail=0 skip=0
verdict() { # name engine -> prints one line, counts
	local name=$1 engine=$2 o="$out/$1.$2" rc why
	rc=$(cat "$o.rc")
	if [ "$rc" = 1 ] && ! grep -q '^SUMMARY .*: [0-9]* passed, 0 failed$' "$o.out"; then
		rc="1 without a clean SUMMARY line"
	fi
	if [ "$rc" = 1 ]; then
		echo "PASS $name $engine"; pass=$((pass + 1)); return
	fi
	case $rc in
	124) why="timeout after ${TIMEOUT}s" ;;
	3) why="guest reported failure" ;;
	*) why="exit status $rc" ;;
	esac
	echo "FAIL $name $engine: $why"
	grep -E '^FAIL' "$o.out" | head -5 | sed 's/^/    /'
	[ -s "$o.err" ] && head -3 "$o.err" | sed 's/^/    stderr: /'
	fail=$((fail + 1))
}

for elf in "$@"; do
	name=$(basename "$elf" .elf)
	if [ ! -f "$elf" ]; then
		echo "FAIL $name: image $elf missing"; fail=$((fail + 1)); continue
	fi
	verdict "$name" doppel
	if [ -f "$out/$name.qemu.rc" ]; then
		verdict "$name" qemu
	else
		echo "SKIP $name qemu: listed in QEMU-KNOWN.md"; skip=$((skip + 1))
	fi
	if [ -f "$out/$name.doppel.rc" ] && [ -f "$out/$name.qemu.rc" ] &&
		! cmp -s "$out/$name.doppel.out" "$out/$name.qemu.out"; then
		echo "FAIL $name: serial output differs between doppel and qemu"
		diff "$out/$name.qemu.out" "$out/$name.doppel.out" | head -6 | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "guest-test: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
