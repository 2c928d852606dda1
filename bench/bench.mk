# Benchmark guests: freestanding 32-bit multiboot programs (bench/guests).
BENCH_BUILD := build/bench
BENCH_GUESTS := compute memory calls empty
BENCH_ELFS := $(patsubst %,$(BENCH_BUILD)/%.elf,$(BENCH_GUESTS))
BENCH_CFLAGS := -m32 -march=i686 -ffreestanding -nostdlib -static -O2 -fno-pic -no-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -Wall -Wextra -Werror \
	-Wl,-T,bench/guests/link.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments

.PHONY: bench-guests
bench-guests: $(BENCH_ELFS)

$(BENCH_BUILD)/%.elf: bench/guests/%.c bench/guests/start.S bench/guests/bench.h bench/guests/link.ld
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ bench/guests/start.S $<
