# Random-byte guests: every run on interp must stop cleanly (debug-exit,
# triple fault, HLT or budget), never crash, hang or trip ASan/UBSan.
# `make MODE=asan random-test` runs the same guests under the sanitizers.
.PHONY: random-test
random-test: $(DOPPEL)
	@tests/random/run.sh $(DOPPEL)
