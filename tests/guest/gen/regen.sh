#!/bin/sh
# Regenerate the expected-value tables from this host CPU (run natively).
# Only on an Intel CPU: the tables record Intel's results, including the
# values of flags the SDM leaves undefined (see undef_* tests).
set -e
cd "$(dirname "$0")/.."
out=$(mktemp -d)
gcc -m32 -O1 -I. -o "$out/hostgen" gen/hostgen.c common/ops.S
"$out/hostgen" tables
gcc -m32 -O1 -I. -o "$out/fpugen" gen/fpugen.c common/fpu_probes.c 2>/dev/null &&
	"$out/fpugen" >tables/fpu_expect.h || true
rm -rf "$out"
