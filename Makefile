# doppel: one binary, its unit tests, its guest tests, its benchmarks.
# Build modes get their own output folder: build/release, build/asan.

MODE ?= release
BUILD := build/$(MODE)
CC := gcc
CFLAGS := -std=gnu11 -g -Wall -Wextra -Werror -MMD -MP -I. -fno-strict-aliasing
ifeq ($(MODE),asan)
CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS += -O2
endif
LIBS := -llz4 -lxxhash -lgit2 -lcapstone -lm

SRC_DIRS := vmm bt devices record replay corpus harness
SRCS := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
ASMS := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.S))
MAIN := harness/main.c
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(MAIN),$(SRCS))) \
	$(patsubst %.S,$(BUILD)/%.o,$(ASMS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
DOPPEL := $(BUILD)/doppel

.PHONY: all setup demo test unit-test guest-test random-test asan asan-test bench clean
all: setup $(DOPPEL) guests

setup:
	@scripts/setup.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libdoppel.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(DOPPEL): $(BUILD)/harness/main.o $(BUILD)/libdoppel.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdoppel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libdoppel.a $(LIBS) -lcmocka

include tests/guest/guest.mk
include tests/random/random.mk
include bench/bench.mk
include tests/de.mk
include tests/fuzz.mk
include tests/linux/linux.mk

# The main job on a built-in guest: boot the hello guest on interp.
# The guest exits through isa-debug-exit with 0, which doppel reports as
# status 1 ((0 << 1) | 1, as QEMU does): that is success here.
demo: all
	@$(DOPPEL) run --engine interp -kernel $(GUEST_BUILD)/hello.elf; \
	status=$$?; [ $$status -eq 1 ] || { echo "demo: doppel exited with $$status" >&2; exit 1; }

# Under `make test` the Linux guest is fetched first, so that
# test_loader_linux loads the real Debian kernel instead of skipping it.
unit-test: setup $(UNIT_BINS) $(if $(filter test,$(MAKECMDGOALS)),linux-guest)
	@tests/run-unit.sh $(UNIT_BINS)

test: setup unit-test guest-test random-test de-test fuzz-test boot-test-selftest boot-test

asan:
	$(MAKE) MODE=asan $(BUILD:release=asan)/doppel

asan-test:
	$(MAKE) MODE=asan unit-test

# Speed beside QEMU and native, in one run: guest programs on interp, de's
# trap round trips and native compute, fuzz cases/s, the Linux boot per engine.
bench: all bench-guests linux-guest
	@bench/run.sh $(DOPPEL) $(BENCH_BUILD)
	@bench/de.sh
	@bench/fuzz.sh $(DOPPEL)
	@bench/linux.sh $(DOPPEL)

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(BUILD)/harness/main.d
