/*
 * Minimizing a difference: greedy passes that each try one
 * simplification and keep it only while the difference persists --
 * fewer instructions, registers zeroed, flags cleared, flat segments,
 * fewer pages, zeroed memory -- until a whole round changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "harness/fuzz_gen.h"

#define MIN_ROUNDS 4
#define MIN_BLOCK 256u

struct minimizer {
	struct fuzz_case *fc;
	struct fuzz_case *trial;
	fuzz_still_differs_fn *still;
	void *ctx;
	unsigned steps;
	bool gapless[CENG_COUNT];  /* engines the case has no gap for (fuzz_case_gap) */
};

/*
 * A trial that spells a gap instruction (dropping bytes can make one,
 * or cut one short so that it runs into the end marker) shows the gap,
 * not the difference.
 */
static bool min_adds_gap(const struct minimizer *m)
{
	const char *mnemonic;

	for (int e = 0; e < CENG_COUNT; e++)
		if (m->gapless[e] && fuzz_case_gap(m->trial, (enum case_engine)e, &mnemonic))
			return true;
	return false;
}

/* Keep the trial if the difference is still there. */
static bool min_try(struct minimizer *m)
{
	char why[160];

	if (case_validate(m->trial, why, sizeof(why)) < 0 || min_adds_gap(m) ||
	    !m->still(m->ctx, m->trial)) {
		memcpy(m->trial, m->fc, sizeof(*m->trial));
		return false;
	}
	memcpy(m->fc, m->trial, sizeof(*m->fc));
	m->steps++;
	return true;
}

/* Instruction boundaries of the code; the undecodable tail counts as one. */
static unsigned min_boundaries(const struct fuzz_case *fc, unsigned *at, unsigned max)
{
	unsigned n = 0, off = 0;
	struct insn i;

	while (off < fc->code_len && n < max) {
		at[n++] = off;
		if (decode_bytes(&i, fc->code32, fc->code + off, fc->code_len - off, fc->eip + off))
			return n;
		off += i.len;
	}
	return n;
}

static bool min_drop_insns(struct minimizer *m)
{
	unsigned at[CASE_CODE_MAX], n = min_boundaries(m->fc, at, CASE_CODE_MAX);
	bool changed = false;

	for (unsigned k = n; k-- > 0;) {
		struct fuzz_case *t = m->trial;
		unsigned end = k + 1 < n ? at[k + 1] : m->fc->code_len;
		memmove(t->code + at[k], t->code + end, t->code_len - end);
		t->code_len -= end - at[k];
		changed |= min_try(m);
		n = min_boundaries(m->fc, at, CASE_CODE_MAX);
		if (k > n)
			k = n;
	}
	return changed;
}

static bool min_zero_regs(struct minimizer *m)
{
	bool changed = false;

	for (int r = 0; r < 8; r++) {
		if (r == ESP || !m->fc->gpr[r])
			continue;
		m->trial->gpr[r] = 0;
		changed |= min_try(m);
	}
	return changed;
}

/* Clear each flag but the fixed bit and IF (IF=1 is the ordinary state). */
static bool min_flags(struct minimizer *m)
{
	bool changed = false;

	for (int bit = 0; bit < 22; bit++) {
		uint32_t f = 1u << bit;
		if (!(m->fc->eflags & f) || f == F_FIXED1 || f == F_IF)
			continue;
		m->trial->eflags &= ~f;
		changed |= min_try(m);
	}
	return changed;
}

static bool min_flat_segments(struct minimizer *m)
{
	struct fuzz_case flat;
	bool changed = false;

	case_init(&flat, m->fc->cpl);
	for (int s = 0; s < 6; s++) {
		if (s == SR_CS || !memcmp(&m->fc->seg[s], &flat.seg[s], sizeof(flat.seg[s])))
			continue;
		m->trial->seg[s] = flat.seg[s];
		changed |= min_try(m);
	}
	return changed;
}

static bool min_drop_pages(struct minimizer *m)
{
	bool changed = false;

	for (unsigned k = m->fc->n_pages; k-- > 0;) {
		case_drop_page(m->trial, k);
		changed |= min_try(m);
	}
	return changed;
}

static bool block_zero(const uint8_t *p)
{
	for (unsigned k = 0; k < MIN_BLOCK; k++)
		if (p[k])
			return false;
	return true;
}

static bool min_zero_memory(struct minimizer *m)
{
	bool changed = false;

	for (unsigned k = 0; k < m->fc->n_pages; k++)
		for (unsigned off = 0; off < CASE_PAGE; off += MIN_BLOCK) {
			if (block_zero(m->fc->page[k].data + off))
				continue;
			memset(m->trial->page[k].data + off, 0, MIN_BLOCK);
			changed |= min_try(m);
		}
	return changed;
}

unsigned fuzz_minimize(struct fuzz_case *fc, fuzz_still_differs_fn *still_differs, void *ctx)
{
	static bool (*const passes[])(struct minimizer *) = {
		min_drop_insns, min_zero_regs, min_flags, min_flat_segments,
		min_drop_pages, min_zero_memory,
	};
	struct minimizer m = { fc, malloc(sizeof(*fc)), still_differs, ctx, 0, { false } };
	const char *mnemonic;

	if (!m.trial)
		return 0;
	for (int e = 0; e < CENG_COUNT; e++)
		m.gapless[e] = !fuzz_case_gap(fc, (enum case_engine)e, &mnemonic);
	memcpy(m.trial, fc, sizeof(*fc));
	for (int round = 0; round < MIN_ROUNDS; round++) {
		bool changed = false;
		for (unsigned p = 0; p < sizeof(passes) / sizeof(passes[0]); p++)
			changed |= passes[p](&m);
		if (!changed)
			break;
	}
	free(m.trial);
	return m.steps;
}
