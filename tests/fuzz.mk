# Differential fuzzing (harness/cmd_fuzz.c): the fixed-seed campaigns
# `make test` runs, the regression cases, the QEMU reference guest.
include tests/qemu-ref/qemu-ref.mk

FUZZ_OUT := $(BUILD)/fuzz
FUZZ_JOBS ?= 2

.PHONY: fuzz-test fuzz-selftest fuzz-regress fuzz-qemu fuzz-campaign fuzz-bytes-campaign

# 20,000 cases interp vs the host CPU, and 20,000 of random bytes: any
# difference fails.
fuzz-test: $(DOPPEL) fuzz-regress
	@rm -rf $(FUZZ_OUT)/native $(FUZZ_OUT)/native-bytes && mkdir -p $(FUZZ_OUT)
	$(DOPPEL) fuzz --engines interp,native --seed 1 --count 20000 --jobs $(FUZZ_JOBS) \
		--out $(FUZZ_OUT)/native --quiet
	$(DOPPEL) fuzz --bytes --engines interp,native --seed 1 --count 20000 --jobs $(FUZZ_JOBS) \
		--out $(FUZZ_OUT)/native-bytes --quiet

# The pipeline against itself: two interp runs of every case must agree.
fuzz-selftest: $(DOPPEL)
	@rm -rf $(FUZZ_OUT)/self && mkdir -p $(FUZZ_OUT)
	$(DOPPEL) fuzz --engines interp,interp --cpl any --seed 1 --count 20000 \
		--jobs $(FUZZ_JOBS) --out $(FUZZ_OUT)/self --quiet

# Every difference once found and fixed in interp stays fixed; every case
# in gaps/ (a harness artifact) stays named as a gap by `doppel diff`.
fuzz-regress: $(DOPPEL)
	@for c in tests/fuzz-regressions/*.case; do \
		[ -e "$$c" ] || continue; \
		$(DOPPEL) diff --engines interp,native "$$c" >/dev/null || \
			{ echo "fuzz regression: $$c"; $(DOPPEL) diff --engines interp,native "$$c"; exit 1; }; \
	done
	@for c in tests/fuzz-regressions/gaps/*.case; do \
		[ -e "$$c" ] || continue; \
		$(DOPPEL) diff --engines interp,native "$$c" | grep -q "note: the case contains" || \
			{ echo "fuzz regression: $$c is no longer named as a gap"; exit 1; }; \
	done

# interp vs QEMU (not part of make test: QEMU is slow and has its own bugs).
fuzz-qemu: $(DOPPEL) qemu-ref
	@mkdir -p $(FUZZ_OUT)
	$(DOPPEL) fuzz --engines interp,qemu --cpl any --seed 1 --count 2000 \
		--out $(FUZZ_OUT)/qemu

# The long campaign: FUZZ_COUNT cases (default 1,000,000) interp vs native.
FUZZ_COUNT ?= 1000000
FUZZ_SEED ?= 2
fuzz-campaign: $(DOPPEL)
	@mkdir -p $(FUZZ_OUT)
	$(DOPPEL) fuzz --engines interp,native --seed $(FUZZ_SEED) --count $(FUZZ_COUNT) \
		--jobs $(FUZZ_JOBS) --out $(FUZZ_OUT)/campaign

# The same size of random-byte code ("anything at all" in user mode).
fuzz-bytes-campaign: $(DOPPEL)
	@mkdir -p $(FUZZ_OUT)
	$(DOPPEL) fuzz --bytes --engines interp,native --seed $(FUZZ_SEED) --count $(FUZZ_COUNT) \
		--jobs $(FUZZ_JOBS) --out $(FUZZ_OUT)/bytes-campaign
