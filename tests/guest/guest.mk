# Guest test programs (owned by the guest test kit; see tests/guest/README).
GUEST_BUILD := build/guest
.PHONY: guests guest-test random-test
guests:
guest-test:
random-test:
