# Direct execution (engine de, docs/direct-execution.md): every guest test
# image on interp and on de must print the same serial output, except the
# documented non-virtualizable reads (DE_KNOWN in tests/guest/run-de.sh).
# The lead's Makefile includes this fragment and lists de-test under test.
.PHONY: de-test de-bench

de-test: $(DOPPEL) $(GUEST_TESTS)
	DOPPEL=$(DOPPEL) tests/guest/run-de.sh $(GUEST_TESTS)

# Trap round trips and native compute speed (not part of make test).
de-bench:
	bench/de.sh
