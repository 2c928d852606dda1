# The QEMU reference guest (tests/qemu-ref/): a multiboot kernel that runs
# a blob of fuzz cases and reports each final state on COM1.
QREF_DIR := tests/qemu-ref
QREF_ELF := build/guest/qemu-ref.elf
QREF_CFLAGS := -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-builtin -nostdlib -static -O2 -g \
	-Wall -Wextra -Werror -I.
QREF_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,--no-warn-rwx-segments -Wl,-z,noexecstack -Wl,-T,$(QREF_DIR)/link.ld

.PHONY: qemu-ref
qemu-ref: $(QREF_ELF)

$(QREF_ELF): $(QREF_DIR)/entry.S $(QREF_DIR)/ref.c $(QREF_DIR)/blob.h $(QREF_DIR)/link.ld \
		harness/case_layout.h
	@mkdir -p $(dir $@)
	gcc $(QREF_CFLAGS) $(QREF_LDFLAGS) -o $@ $(QREF_DIR)/entry.S $(QREF_DIR)/ref.c
