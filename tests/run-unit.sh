#!/bin/sh
# Run every cmocka unit test binary given; fail if any fails.
fail=0
for t in "$@"; do
	if ! "$t" >"$t.log" 2>&1; then
		cat "$t.log"
		echo "FAIL: $t" >&2
		fail=1
	fi
	tail -n 1 "$t.log"
done
exit $fail
