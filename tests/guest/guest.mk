# Guest test programs (owned by the guest test kit; see tests/guest/README.md).
# Every tests/guest/<name>.c (plus an optional <name>.S) becomes the multiboot
# image build/guest/<name>.elf, linked with the runtime in tests/guest/lib.
GUEST_BUILD := build/guest
GUEST_DIR := tests/guest
GUEST_CC := gcc
GUEST_CFLAGS := -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-builtin -nostdlib -static -O2 -g \
	-fno-delete-null-pointer-checks -Wall -Wextra -Werror -Wno-clobbered -I$(GUEST_DIR)/lib -I$(GUEST_DIR)
GUEST_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack \
	-Wl,-T,$(GUEST_DIR)/lib/link.ld
GUEST_LIB_OBJS := $(GUEST_BUILD)/lib/entry.o $(GUEST_BUILD)/lib/rt.o
GUEST_SRCS := $(wildcard $(GUEST_DIR)/*.c)
GUEST_NAMES := $(patsubst $(GUEST_DIR)/%.c,%,$(GUEST_SRCS))
GUEST_ELFS := $(patsubst %,$(GUEST_BUILD)/%.elf,$(GUEST_NAMES))
GUEST_TESTS := $(filter-out $(GUEST_BUILD)/hello.elf,$(GUEST_ELFS))

.PHONY: guests guest-test
guests: $(GUEST_ELFS)

$(GUEST_BUILD)/lib/%.o: $(GUEST_DIR)/lib/%.c $(GUEST_DIR)/lib/rt.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/lib/%.o: $(GUEST_DIR)/lib/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/obj/%.o: $(GUEST_DIR)/%.c $(GUEST_DIR)/lib/rt.h $(wildcard $(GUEST_DIR)/tables/*.h $(GUEST_DIR)/common/*.h)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -DTEST_NAME='"$*"' -c $< -o $@

$(GUEST_BUILD)/obj/%.s.o: $(GUEST_DIR)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/obj/common/%.o: $(GUEST_DIR)/common/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/obj/common/%.o: $(GUEST_DIR)/common/%.c $(GUEST_DIR)/common/%.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

# A test's own .S file and the shared probe code join its image when present.
guest_extra = $(if $(wildcard $(GUEST_DIR)/$(1).S),$(GUEST_BUILD)/obj/$(1).s.o) \
	$(if $(filter alu_% undef_%,$(1)),$(GUEST_BUILD)/obj/common/ops.o) \
	$(if $(filter fpu_%,$(1)),$(GUEST_BUILD)/obj/common/fpu_probes.o)

.SECONDARY:
.SECONDEXPANSION:
$(GUEST_BUILD)/%.elf: $(GUEST_BUILD)/obj/%.o $$(call guest_extra,$$*) $(GUEST_LIB_OBJS) $(GUEST_DIR)/lib/link.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

guest-test: guests $(DOPPEL)
	@$(GUEST_DIR)/run.sh $(GUEST_TESTS)

