#!/bin/bash
# Direct-execution figures (bench/de_bench.c): trap round trips and a
# compute loop under `de` against the same code run natively.
# Usage: bench/de.sh   (builds build/release/libdoppel.a first)
set -eu
cd "$(dirname "$0")/.."
make -s build/release/libdoppel.a
gcc -std=gnu11 -O2 -I. -o build/release/de_bench bench/de_bench.c build/release/libdoppel.a \
	-llz4 -lxxhash -lgit2 -lcapstone -lm
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (round trips are scheduler-bound when no core is free)"
build/release/de_bench
