/*
 * The fuzzer's case generator and minimizer. Instructions come from the
 * instruction table (every row, every ModRM/SIB form, prefixes,
 * immediates); initial state and memory are random around the operands,
 * including operands across a page boundary or a segment limit.
 */
#ifndef DOPPEL_FUZZ_GEN_H
#define DOPPEL_FUZZ_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "corpus/case.h"
#include "harness/case_run.h"
#include "vmm/insn.h"

struct fuzz_target {
	bool engine[CENG_COUNT]; /* the engines the cases must suit */
	int cpl;                 /* 0, 3, or -1 for both (only without native) */
	bool bytes;              /* code of random bytes instead of table rows */
};

/* Case number `index` of campaign `seed`: the same case on every host. */
void fuzz_gen_case(const struct fuzz_target *t, uint64_t seed, uint64_t index,
		   struct fuzz_case *fc);

/*
 * Why an engine cannot agree with the others on an instruction, or NULL:
 * the one list of such instructions, by name (docs/native-differences.md).
 * The generator leaves them out for that engine.
 */
const char *fuzz_gap_reason(const struct insn_desc *d, enum case_engine e, int cpl);

/* The first instruction of fc's code that fuzz_gap_reason names, or NULL. */
const char *fuzz_case_gap(const struct fuzz_case *fc, enum case_engine e, const char **mnemonic);
/*
 * fuzz_case_gap, or else the first gap instruction on the path interp
 * runs (reached through a register branch or made by a store into the
 * code); runs fc on r.
 */
const char *fuzz_case_path_gap(struct case_runner *r, const struct fuzz_case *fc,
			       enum case_engine e, const char **mnemonic);

/* Does running fc on a and b still give a difference of class klass? */
typedef bool fuzz_still_differs_fn(void *ctx, const struct fuzz_case *fc);

/*
 * Shrink fc while still_differs holds: drop instructions, zero registers,
 * simplify flags, drop memory pages, zero memory. Returns the steps taken.
 */
unsigned fuzz_minimize(struct fuzz_case *fc, fuzz_still_differs_fn *still_differs, void *ctx);

#endif
