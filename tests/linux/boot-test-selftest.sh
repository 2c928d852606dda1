#!/bin/sh
# boot-test's own failure paths, in a few seconds: a missing kernel is an
# error (2), a guest stopped by the instruction budget is reported as a
# hang with the budget named (8), and --junit writes well-formed XML with
# the failed case in it.
#   usage: tests/linux/boot-test-selftest.sh path/to/doppel
set -u
DOPPEL=${1:?usage: boot-test-selftest.sh path/to/doppel}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

expect() { # expect WHAT WANT_RC GOT_RC FILE [PATTERN]
	if [ "$3" -ne "$2" ] || { [ -n "${5:-}" ] && ! grep -q "$5" "$4"; }; then
		echo "FAIL: $1 (exit $3, wanted $2; output:)"
		cat "$4"
		fail=1
	else
		echo "ok: $1"
	fi
}

"$DOPPEL" boot-test -kernel "$TMP/none" >"$TMP/out" 2>&1
expect "a missing kernel is an error" 2 $? "$TMP/out" "cannot open"

"$DOPPEL" boot-test --max-insns 100000000 --junit "$TMP/j.xml" >"$TMP/out" 2>&1
expect "a hang is caught by the budget" 8 $? "$TMP/out" \
	"guest did not reach its last line within 100000000 instructions"

python3 -c 'import sys, xml.dom.minidom as d
s = d.parse(sys.argv[1]).documentElement
assert s.getAttribute("failures") != "0", "no failure recorded"
assert s.getElementsByTagName("failure"), "no <failure> element"' "$TMP/j.xml" >"$TMP/out" 2>&1
expect "--junit writes well-formed XML with the failure" 0 $? "$TMP/out"
exit $fail
