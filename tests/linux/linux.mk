# The Linux guest (tests/linux): Debian 12's i386 kernel and busybox-static
# fetched with apt into build/linux (scripts/linux-guest.sh), an initramfs
# built here from tests/linux/init, and `doppel boot-test` against
# tests/linux/baseline.txt. Included by the top-level Makefile.
LINUX_BUILD := build/linux
LINUX_KERNEL := $(LINUX_BUILD)/bzImage
LINUX_INITRD := $(LINUX_BUILD)/initrd.img
LINUX_APPEND := console=ttyS0 noapic nolapic acpi=off
BOOT_TEST_ENGINE ?= interp

.PHONY: linux-guest boot-test boot-test-selftest linux-qemu bench-linux
linux-guest: $(LINUX_KERNEL) $(LINUX_INITRD)

$(LINUX_KERNEL) $(LINUX_BUILD)/busybox &: scripts/linux-guest.sh
	scripts/linux-guest.sh $(LINUX_BUILD)
	@touch $(LINUX_KERNEL) $(LINUX_BUILD)/busybox

$(LINUX_INITRD): tests/linux/init tests/linux/mkinitramfs.py $(LINUX_BUILD)/busybox
	python3 tests/linux/mkinitramfs.py $@ $(LINUX_BUILD)/busybox tests/linux/init

boot-test: $(DOPPEL) linux-guest
	$(DOPPEL) boot-test --engine $(BOOT_TEST_ENGINE)

# boot-test's failure paths (missing kernel, hang, JUnit) in a few seconds.
boot-test-selftest: $(DOPPEL) linux-guest
	tests/linux/boot-test-selftest.sh $(DOPPEL)

# The same guest on QEMU (TCG) with a comparable machine, for comparison.
linux-qemu: linux-guest
	qemu-system-i386 -M isapc -cpu pentium3 -m 256 -kernel $(LINUX_KERNEL) \
		-initrd $(LINUX_INITRD) -append "$(LINUX_APPEND)" -nographic -no-reboot

bench-linux: $(DOPPEL) linux-guest
	@bench/linux.sh $(DOPPEL)
