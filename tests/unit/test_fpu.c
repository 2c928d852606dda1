/*
 * x87 specifications, checked against the host's x87 run directly:
 * every guest instruction executed through fpu_exec on a struct fpu must
 * leave the same registers, status, tags, memory operand and EFLAGS as
 * the same instruction written in plain assembly on the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/cpu.h"
#include "vmm/fpu.h"

/* ---- the reference: plain host assembly ---- */

struct ref_in {
	uint16_t cw;
	uint8_t a[10], b[10]; /* pushed in this order: b is ST(0), a ST(1) */
	uint64_t flags;
};

typedef uint64_t ref_fn(const struct ref_in *in, uint8_t *m, uint8_t *out);

/*
 * The stack pointer moves below the red zone before PUSHF, and every
 * operand is addressed through a register, so nothing the compiler keeps
 * near %rsp is touched.
 */
#define REF(name, text)                                                        \
	static uint64_t ref_##name(const struct ref_in *in, uint8_t *m,        \
				   uint8_t *out)                               \
	{                                                                      \
		uint64_t fl;                                                   \
		__asm__ volatile("fninit\n\tfldcw (%[cw])\n\t"                 \
				 "fldt (%[a])\n\tfldt (%[b])\n\t"              \
				 "sub $256, %%rsp\n\tpush %[fin]\n\tpopfq\n\t" \
				 text "\n\t"                                   \
				 "pushfq\n\tpop %[fl]\n\tadd $256, %%rsp\n\t"  \
				 "fnsave (%[out])"                             \
				 : [fl] "=&r"(fl)                              \
				 : [cw] "r"(&in->cw), [a] "r"(in->a),          \
				   [b] "r"(in->b), [fin] "r"(in->flags),       \
				   [m] "r"(m), [out] "r"(out)                  \
				 : "cc", "memory");                            \
		return fl;                                                     \
	}

/* name, reference text, the same as opcode/ModRM pairs (memory forms: reg << 3) */
#define REF_OPS(X)                                                             \
	X(fadd_st, "fadd %%st(1), %%st", "\xd8\xc1")                           \
	X(fadd_m32, "fadds (%[m])", "\xd8\x00")                                \
	X(fmul_m64, "fmull (%[m])", "\xdc\x08")                                \
	X(fsub_st, "fsub %%st(1), %%st", "\xd8\xe1")                           \
	X(fsubr_m32, "fsubrs (%[m])", "\xd8\x28")                              \
	X(fdiv_st, "fdiv %%st(1), %%st", "\xd8\xf1")                           \
	X(fdivr_m64, "fdivrl (%[m])", "\xdc\x38")                              \
	X(fdivp, ".byte 0xde, 0xf9", "\xde\xf9")                               \
	X(fsubp, ".byte 0xde, 0xe9", "\xde\xe9")                               \
	X(fdiv_sti, ".byte 0xdc, 0xf9", "\xdc\xf9")                            \
	X(fiadd_m16, "fiadds (%[m])", "\xde\x00")                              \
	X(fidiv_m32, "fidivl (%[m])", "\xda\x30")                              \
	X(fcom_st, "fcom %%st(1)", "\xd8\xd1")                                 \
	X(fcomp_m32, "fcomps (%[m])", "\xd8\x18")                              \
	X(fcompp, "fcompp", "\xde\xd9")                                        \
	X(fucompp, "fucompp", "\xda\xe9")                                      \
	X(ficom_m16, "ficoms (%[m])", "\xde\x10")                              \
	X(fcomi, "fcomi %%st(1), %%st", "\xdb\xf1")                            \
	X(fucomip, "fucomip %%st(1), %%st", "\xdf\xe9")                        \
	X(ftst, "ftst", "\xd9\xe4")                                            \
	X(fxam, "fxam", "\xd9\xe5")                                            \
	X(fchs, "fchs", "\xd9\xe0")                                            \
	X(fabs, "fabs", "\xd9\xe1")                                            \
	X(fsqrt, "fsqrt", "\xd9\xfa")                                          \
	X(frndint, "frndint", "\xd9\xfc")                                      \
	X(fscale, "fscale", "\xd9\xfd")                                        \
	X(fxtract, "fxtract", "\xd9\xf4")                                      \
	X(fprem, "fprem", "\xd9\xf8")                                          \
	X(fprem1, "fprem1", "\xd9\xf5")                                        \
	X(f2xm1, "f2xm1", "\xd9\xf0")                                          \
	X(fyl2x, "fyl2x", "\xd9\xf1")                                          \
	X(fyl2xp1, "fyl2xp1", "\xd9\xf9")                                      \
	X(fptan, "fptan", "\xd9\xf2")                                          \
	X(fpatan, "fpatan", "\xd9\xf3")                                        \
	X(fsin, "fsin", "\xd9\xfe")                                            \
	X(fcos, "fcos", "\xd9\xff")                                            \
	X(fsincos, "fsincos", "\xd9\xfb")                                      \
	X(fldpi, "fldpi", "\xd9\xeb")                                          \
	X(fldl2e, "fldl2e", "\xd9\xea")                                        \
	X(fxch, "fxch %%st(1)", "\xd9\xc9")                                    \
	X(fxch4, ".byte 0xdd, 0xcb", "\xdd\xcb")                               \
	X(ffreep, ".byte 0xdf, 0xc1", "\xdf\xc1")                              \
	X(fincstp, "fincstp", "\xd9\xf7")                                      \
	X(fdecstp, "fdecstp", "\xd9\xf6")                                      \
	X(ffree, "ffree %%st(0)", "\xdd\xc0")                                  \
	X(fcmovb, "fcmovb %%st(1), %%st", "\xda\xc1")                          \
	X(fcmovnbe, "fcmovnbe %%st(1), %%st", "\xdb\xd1")                      \
	X(fcmovu, "fcmovu %%st(1), %%st", "\xda\xd9")                          \
	X(fld_m32, "flds (%[m])", "\xd9\x00")                                  \
	X(fld_m64, "fldl (%[m])", "\xdd\x00")                                  \
	X(fld_m80, "fldt (%[m])", "\xdb\x28")                                  \
	X(fild_m16, "filds (%[m])", "\xdf\x00")                                \
	X(fild_m32, "fildl (%[m])", "\xdb\x00")                                \
	X(fild_m64, "fildll (%[m])", "\xdf\x28")                               \
	X(fbld, "fbld (%[m])", "\xdf\x20")                                     \
	X(fst_m32, "fsts (%[m])", "\xd9\x10")                                  \
	X(fstp_m64, "fstpl (%[m])", "\xdd\x18")                                \
	X(fstp_m80, "fstpt (%[m])", "\xdb\x38")                                \
	X(fist_m16, "fists (%[m])", "\xdf\x10")                                \
	X(fistp_m32, "fistpl (%[m])", "\xdb\x18")                              \
	X(fistp_m64, "fistpll (%[m])", "\xdf\x38")                             \
	X(fbstp, "fbstp (%[m])", "\xdf\x30")                                   \
	X(fst_st3, "fst %%st(3)", "\xdd\xd3")                                  \
	X(fstp1, ".byte 0xd9, 0xd9", "\xd9\xd9")                               \
	X(fldcw, "fldcw (%[m])", "\xd9\x28")                                   \
	X(fnclex, "fnclex", "\xdb\xe2")                                        \
	X(fnop, "fnop", "\xd9\xd0")                                           \
	X(overflow, "fld1; fldz; fldpi; fld1; fldz; fldpi; fld1",              \
	  "\xd9\xe8\xd9\xee\xd9\xeb\xd9\xe8\xd9\xee\xd9\xeb\xd9\xe8")                 \
	X(underflow_add, "fcompp; fadd %%st(1), %%st", "\xde\xd9\xd8\xc1")       \
	X(underflow_fist, "fcompp; fistps (%[m])", "\xde\xd9\xdf\x18")          \
	X(underflow_fst, "ffree %%st(0); fsts (%[m])", "\xdd\xc0\xd9\x10")      \
	X(underflow_fxch, "ffree %%st(1); fxch", "\xdd\xc1\xd9\xc9")            \
	X(underflow_fcomi, "fcompp; fcomi %%st(1), %%st", "\xde\xd9\xdb\xf1")   \
	X(fptan_full, "fld1; fld1; fld1; fld1; fld1; fld1; fptan",             \
	  "\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xf2")                 \
	X(fnstenv, "fnstenv (%[m])", "\xd9\x30")                              \
	X(fnstenv_fnstsw, "fnstenv (%[m]); fnstsw (%[m])", "\xd9\x30\xdd\x38")

#define REF_DEFINE(name, text, code) REF(name, text)
REF_OPS(REF_DEFINE)

struct ref_op {
	const char *name;
	ref_fn *ref;
	const char *code; /* opcode/ModRM pairs */
	unsigned len;
};

static const struct ref_op ref_ops[] = {
#define REF_ROW(name, text, code) { #name, ref_##name, code, sizeof code - 1 },
	REF_OPS(REF_ROW)
};

/* ---- the model: the same through fpu_exec ---- */

static const struct fpu_format pm32 = { .op32 = true, .real = false };

static uint64_t model_run(const struct ref_in *in, uint8_t *m, const struct ref_op *op,
			  uint8_t *out)
{
	struct fpu f;
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	uint32_t fl = (uint32_t)in->flags;

	memset(&f, 0, sizeof f);
	fpu_init(&f);
	f.fcw = in->cw;
	memcpy(a, in->a, 10);
	memcpy(b, in->b, 10);
	fpu_exec(&f, 0xdb, 0x28, a, &fl);
	fpu_exec(&f, 0xdb, 0x28, b, &fl);
	for (unsigned k = 0; k < op->len; k += 2)
		fpu_exec(&f, (uint8_t)op->code[k], (uint8_t)op->code[k + 1], m, &fl);
	fpu_save_encode(&f, pm32, out);
	return fl;
}

/* ---- values ---- */

static void ld80(uint8_t *p, int sign, unsigned exp, uint64_t mant)
{
	uint16_t se = (uint16_t)((sign << 15) | exp);
	memcpy(p, &mant, 8);
	memcpy(p + 8, &se, 2);
}

static const struct { int s; unsigned e; uint64_t m; } values[] = {
	{ 0, 0, 0 }, { 1, 0, 0 },
	{ 0, 0x3fff, 0x8000000000000000u }, { 1, 0x3fff, 0xc000000000000000u },
	{ 0, 0x4000, 0xc90fdaa22168c235u }, { 0, 0x4000, 0xc000000000000000u },
	{ 0, 0x7ffe, 0xffffffffffffffffu }, { 0, 0x4020, 0x9502f90000000000u },
	{ 0, 1, 0x8000000000000000u }, { 0, 0, 1 }, { 1, 0, 0x4000000000000000u },
	{ 0, 0, 0x8000000000000001u }, { 0, 0x7fff, 0x8000000000000000u },
	{ 1, 0x7fff, 0x8000000000000000u }, { 0, 0x7fff, 0xc000000000000001u },
	{ 1, 0x7fff, 0x8000000000000001u }, { 0, 0x4000, 0x4000000000000000u },
	{ 0, 0x403e, 0x8000000000000000u }, { 0, 0x400e, 0x8001000000000000u },
	{ 1, 0x401e, 0x8000000100000000u }, { 0, 0x403a, 0xde0b6b3a76400000u },
	{ 0, 0x3ffe, 0x8000000000000000u }, { 0, 0x4000, 0xa000000000000000u },
	{ 1, 0x3ffd, 0xaaaaaaaaaaaaaaabu }, { 0, 0x3f80, 0xfffffffffffff801u },
	{ 0, 0x43fe, 0xffffff8000000001u }, { 1, 0x3c01, 0x8000000000000000u },
};
#define N_VALUES (sizeof values / sizeof values[0])

static void value(uint8_t *p, unsigned k)
{
	ld80(p, values[k].s, values[k].e, values[k].m);
}

/* Memory operands, read in whatever format the instruction has. */
static const uint64_t mem_lo[] = {
	0x3f800000, 0x00000001, 0x7f800001, 0x7fc00000, 0xff800000, 0x80000000,
	0x7f7fffff, 0x3ff0000000000000u, 0x0000000000000001u,
	0x7ff0000000000001u, 0xfff0000000000000u, 0x7e37e43c8800759cu,
	0x8000, 0x7fff, 0xfffffffffffffffdu, 0x8000000000000000u,
	0x0123456789012345u, 0x9999999999999999u, 0x00000000000000fau,
	0x037e, 0x0c7f, 0x0040, 0x027b,
};
static const uint16_t mem_hi[] = { 0, 0x8000, 0x0080, 0xffff, 0x7fff };

static const uint16_t cws[] = {
	0x037f, 0x027f, 0x007f, 0x077f, 0x0b7f, 0x0f7f, 0x047f, 0x087f,
	0x0c7f, 0x067f, 0x0a7f, 0x0e7f,
	0x037e, 0x037b, 0x0373, 0x036f, 0x035f, 0x0340, 0x037d,
};
#define N_CWS (sizeof cws / sizeof cws[0])
#define N_MASKED_CWS 12

static const uint64_t flag_sets[] = { 0, F_CF, F_ZF, F_PF, F_ARITH };

/* ---- comparison ---- */

static bool tag_empty(const uint8_t *img, int st)
{
	uint16_t sw, tw;
	memcpy(&sw, img + 4, 2);
	memcpy(&tw, img + 8, 2);
	return ((tw >> (2 * ((FSW_TOP(sw) + st) & 7))) & 3) == 3;
}

static void dump(const char *what, const uint8_t *p, unsigned n)
{
	fprintf(stderr, "  %s:", what);
	for (unsigned k = 0; k < n; k++)
		fprintf(stderr, " %02x", p[k]);
	fprintf(stderr, "\n");
}

/* Everything but the pointer registers, and empty registers' stale bits. */
static bool images_agree(const uint8_t *want, const uint8_t *got)
{
	if (memcmp(want, got, 12) || memcmp(want + 26, got + 26, 2))
		return false;
	for (int st = 0; st < 8; st++)
		if (!tag_empty(want, st) && memcmp(want + 28 + 10 * st, got + 28 + 10 * st, 10))
			return false;
	return true;
}

static int check_case(const struct ref_op *op, const struct ref_in *in, const uint8_t *m0)
{
	uint8_t mw[128], mg[128], want[FPU_SAVE_SIZE], got[FPU_SAVE_SIZE];

	memcpy(mw, m0, 128);
	memcpy(mg, m0, 128);
	uint64_t fw = op->ref(in, mw, want) & F_ARITH;
	uint64_t fg = model_run(in, mg, op, got) & F_ARITH;
	/* a stored environment holds the host's own instruction pointers */
	memset(mw + 12, 0, 14);
	memset(mg + 12, 0, 14);
	if (images_agree(want, got) && !memcmp(mw, mg, 128) && fw == fg)
		return 0;
	fprintf(stderr, "%s cw %04x flags %02lx differs\n", op->name, in->cw,
		(unsigned long)in->flags);
	dump("a", in->a, 10);
	dump("b", in->b, 10);
	dump("m", m0, 16);
	dump("host", want, 40);
	dump("model", got, 40);
	dump("host m", mw, 16);
	dump("model m", mg, 16);
	fprintf(stderr, "  eflags host %lx model %lx\n", (unsigned long)fw, (unsigned long)fg);
	return 1;
}

static void mem_pattern(uint8_t *m, unsigned k)
{
	uint64_t lo = mem_lo[k % (sizeof mem_lo / sizeof mem_lo[0])];
	uint16_t hi = mem_hi[k % (sizeof mem_hi / sizeof mem_hi[0])];

	memset(m, 0, 128);
	memcpy(m, &lo, 8);
	memcpy(m + 8, &hi, 2);
}

#define N_MEM (sizeof mem_lo / sizeof mem_lo[0] * 2)

static int check_op(const struct ref_op *op)
{
	struct ref_in in;
	uint8_t m[128];
	int bad = 0;
	bool mem = (uint8_t)op->code[op->len - 1] < 0xc0;
	unsigned n_a = mem ? 3 : N_VALUES;
	/* a sequence must not leave an exception pending for its next step */
	unsigned n_cws = op->len > 2 && !(op->code[0] == '\xd9' && op->code[1] == '\x30') ? N_MASKED_CWS : N_CWS;

	for (unsigned ka = 0; ka < n_a && bad < 3; ka++)
		for (unsigned kb = 0; kb < N_VALUES && bad < 3; kb++)
			for (unsigned kc = 0; kc < n_cws; kc += mem ? 3 : 1)
				for (unsigned km = 0; km < (mem ? N_MEM : 1); km++) {
					memset(&in, 0, sizeof in);
					in.cw = cws[kc];
					value(in.a, ka);
					value(in.b, kb);
					in.flags = flag_sets[(ka + kb + km) % 5];
					mem_pattern(m, ka * 7 + km);
					bad += check_case(op, &in, m);
				}
	return bad;
}

/* Every instruction matches the host over values, precisions, roundings and masks. */
static void test_fpu_exec_matches_host(void **state)
{
	(void)state;
	int bad = 0;

	for (unsigned k = 0; k < sizeof ref_ops / sizeof ref_ops[0]; k++)
		bad += check_op(&ref_ops[k]);
	assert_int_equal(bad, 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fpu_exec_matches_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
