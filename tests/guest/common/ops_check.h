/*
 * Guest side of the integer probes: run a probe over its input class under
 * catch_fault and compare with the host's table, either only where the SDM
 * defines the outcome (alu_* tests) or everything (undef_* tests).
 */
#ifndef GUEST_OPS_CHECK_H
#define GUEST_OPS_CHECK_H

#include "rt.h"
#include "common/ops.h"

static void ops_exec(const struct op *op, const uint32_t in[4], uint32_t out[4])
{
	struct fault f;
	if (catch_fault(&f) == 0) {
		op->fn(in, out);
		catch_end();
		out[3] &= FLAGS_KEPT;
		return;
	}
	out[0] = out[1] = out[2] = 0;
	out[3] = OUT_FAULT | (uint32_t)f.vector;
}

/* flags the SDM defines for this input; *eax_defined cleared when the
 * destination is undefined */
static uint32_t ops_defined(const struct op *op, const uint32_t in[4], int *eax_defined)
{
	uint32_t cnt = in[1] & 31, fm = op->defined | 0x400;
	*eax_defined = 1;
	switch (op->rule) {
	case R_SHIFTU:
	case R_SHIFTS:
	case R_ROT:
	case R_SHXD:
		if (cnt == 0)
			return FLAGS_KEPT;
		if (op->rule != R_ROT)
			fm &= ~F_AF;
		if (cnt != 1)
			fm &= ~F_OF;
		if (op->rule == R_SHIFTU && cnt >= op->size)
			fm &= ~F_CF;
		if (op->rule == R_SHXD && op->size == 16 && cnt > 16)
			fm = 0x400, *eax_defined = 0;
		return fm;
	case R_BSX:
		if ((in[1] & (op->size == 16 ? 0xFFFFu : 0xFFFFFFFFu)) == 0)
			*eax_defined = 0;
		return fm;
	default:
		return fm;
	}
}

static int ops_same(const uint32_t got[4], const uint32_t exp[4], uint32_t fm, int eax_defined)
{
	if ((got[3] & OUT_FAULT) || (exp[3] & OUT_FAULT))
		return got[3] == exp[3];
	return (!eax_defined || got[0] == exp[0]) && got[1] == exp[1] && got[2] == exp[2] &&
	       ((got[3] ^ exp[3]) & fm) == 0;
}

/* A test may leave out inputs that another test covers (see alu_div.c). */
typedef int (*ops_filter)(const struct op *op, const uint32_t in[4]);
static ops_filter ops_skip;

/* full: compare undefined flags and results too (this host's values) */
static void ops_check(const struct op *op, const uint32_t (*exp)[4], int full, const char *prefix)
{
	uint32_t in[4], out[4], bad = 0, first = 0, fout[4] = { 0 }, fexp_i = 0;
	for (uint32_t i = 0; i < ops_ncases[op->cls]; i++) {
		int eax_defined;
		ops_case(op->cls, i, in);
		if (ops_skip && ops_skip(op, in))
			continue;
		ops_exec(op, in, out);
		uint32_t fm = ops_defined(op, in, &eax_defined);
		if (full)
			fm = FLAGS_KEPT, eax_defined = 1;
		if (!ops_same(out, exp[i], fm, eax_defined)) {
			if (!bad++)
				first = i, memcpy(fout, out, sizeof(out)), fexp_i = i;
		}
	}
	char name[64];
	size_t n = strlen(prefix);
	memcpy(name, prefix, n);
	memcpy(name + n, op->name, strlen(op->name) + 1);
	ops_case(op->cls, first, in);
	check(bad == 0, name,
	      "%u of %u cases; first: in eax=%x ecx=%x edx=%x fl=%x -> eax=%x ecx=%x edx=%x fl=%x, "
	      "expected eax=%x ecx=%x edx=%x fl=%x",
	      bad, ops_ncases[op->cls], in[0], in[1], in[2], in[3], fout[0], fout[1], fout[2],
	      fout[3], exp[fexp_i][0], exp[fexp_i][1], exp[fexp_i][2], exp[fexp_i][3]);
}

#define OPS_CHECK_DEFINED(n, c, s, r, d) \
	ops_check(&(const struct op){ #n, op_##n, c, s, r, d }, exp_##n, 0, "");
/* only probes with something undefined are worth a full comparison */
#define OPS_CHECK_FULL(n, c, s, r, d) \
	if ((d) != F_ALL || (r) != R_NONE) \
		ops_check(&(const struct op){ #n, op_##n, c, s, r, d }, exp_##n, 1, "undef.");

#endif
