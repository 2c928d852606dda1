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
#include "vmm/engine.h"
#include "vmm/fpu.h"
#include "vmm/interp.h"
#include "vmm/machine.h"
#include "fixture_machine.h"

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
	X(fldcw_unmask, "fsqrt; fdiv %%st(1), %%st; fldcw (%[m])",             \
	  "\xd9\xfa\xd8\xf1\xd9\x28")                                             \
	X(fxam_empty, "ffree %%st(0); fxam", "\xdd\xc0\xd9\xe5")                 \
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



/* The table's #UD rows are exactly the encodings the hardware refuses. */
static void table_rows_cover_every_esc_encoding(void **state)
{
	(void)state;
	for (unsigned op = 0xd8; op <= 0xdf; op++)
		for (unsigned modrm = 0; modrm < 256; modrm++) {
			const uint8_t b[7] = { (uint8_t)op, (uint8_t)modrm };
			struct insn i;
			assert_int_equal(decode_bytes(&i, true, b, sizeof b, 0), DECODE_OK);
			assert_non_null(i.desc->exec);
			assert_true(i.desc->attr & A_FPU);
			assert_int_equal(i.desc->exec == op_ud, !fpu_encoding_valid((uint8_t)op, (uint8_t)modrm));
		}
}

/* ---- the handlers on a machine: guest programs on engine_interp ---- */

#define CODE 0x1000u
#define DATA 0x2000u
#define IDT 0x5000u
#define MF_HANDLER 0x3000u
#define GDT 0x6000u
#define UD_HANDLER 0x3100u

static struct machine gm;
static struct cpu *gc = &gm.cpu;

static void put32(uint32_t pa, uint32_t v)
{
	memcpy(gm.ram + pa, &v, 4);
}

static uint32_t get32(uint32_t pa)
{
	uint32_t v;
	memcpy(&v, gm.ram + pa, 4);
	return v;
}

static void put32h(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint16_t get16(uint32_t pa)
{
	uint16_t v;
	memcpy(&v, gm.ram + pa, 2);
	return v;
}

/* An interrupt gate for #MF and #NM, both to a HLT. */
static void idt_gate(int vector, uint32_t handler)
{
	put32(IDT + 8 * vector, (0x08u << 16) | (handler & 0xffff));
	put32(IDT + 8 * vector + 4, (handler & 0xffff0000u) | 0x8e00);
}

static int guest_setup(void **state)
{
	(void)state;
	if (fixture_machine_init_flat32(&gm) < 0)
		return -1;
	gc->cr0 |= CR0_NE;
	gc->idtr = (struct dtr){ .base = IDT, .limit = 0x7ff };
	gc->gdtr = (struct dtr){ .base = GDT, .limit = 0x17 };
	put32(GDT + 8, 0x0000ffff);
	put32(GDT + 12, 0x00cf9b00);
	put32(GDT + 16, 0x0000ffff);
	put32(GDT + 20, 0x00cf9300);
	idt_gate(EXC_MF, MF_HANDLER);
	idt_gate(EXC_NM, MF_HANDLER);
	idt_gate(EXC_UD, UD_HANDLER);
	gm.ram[UD_HANDLER] = 0xf4;
	gm.ram[MF_HANDLER] = 0xf4;
	return 0;
}

static int guest_teardown(void **state)
{
	(void)state;
	machine_free(&gm);
	return 0;
}

/* Run code at CODE up to its HLT (or a handler's). */
static void guest_run(const uint8_t *code, unsigned n)
{
	fixture_machine_load_hlt(&gm, CODE, code, n);
	gc->shutdown = false;
	gc->gpr[ESP] = 0x80000;
	fpu_init(&gc->fpu);
	gm.stop = STOP_NONE;
	assert_int_equal(engine_interp.run(&gm, 1000), STOP_HLT);
}
#define GUEST(...) guest_run((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define D(a) (a) & 0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff, (a) >> 24

/* The pointers name the last non-control instruction and its operand. */
static void loads_add_store_and_record_the_last_instruction(void **state)
{
	(void)state;
	float x = 1.25f;
	double y = 3.0e-310; /* a denormal */
	long double want;
	uint16_t want_sw;

	memcpy(gm.ram + DATA, &x, 4);
	memcpy(gm.ram + DATA + 8, &y, 8);
	__asm__ volatile("fninit; flds %2; fldl %3; faddp; fnstsw %1; fstpt %0"
			 : "=m"(want), "=m"(want_sw) : "m"(x), "m"(y));
	GUEST(0xdb, 0xe3,                      /* fninit */
	      0xd9, 0x05, D(DATA),             /* fld dword [DATA] */
	      0xdd, 0x05, D(DATA + 8),         /* fld qword [DATA+8] */
	      0xde, 0xc1,                      /* faddp */
	      0xdf, 0xe0,                      /* fnstsw ax */
	      0xdb, 0x3d, D(DATA + 16),        /* fstp tword [DATA+16] */
	      0xd9, 0x35, D(DATA + 32));       /* fnstenv [DATA+32] */
	assert_memory_equal(gm.ram + DATA + 16, &want, 10);
	assert_int_equal(gc->gpr[EAX] & 0xffff, want_sw);
	assert_int_equal(get16(DATA + 32), 0x037f);          /* FCW */
	assert_int_equal(get32(DATA + 32 + 12), CODE + 18);  /* FIP: the FSTP */
	assert_int_equal(get32(DATA + 32 + 16), 0x08 | (0x33du << 16)); /* FCS, FOP */
	assert_int_equal(get32(DATA + 32 + 20), DATA + 16);  /* FDP */
	assert_int_equal(get32(DATA + 32 + 24), 0xffff0010u); /* FDS */
	assert_int_equal(gc->fpu.fcw, 0x037f);               /* FNSTENV masked them all already */
}

/* An unmasked #Z leaves ST(0) alone, sets ES, and the next FWAIT raises #MF. */
static void unmasked_divide_by_zero_reports_at_the_next_wait(void **state)
{
	(void)state;
	put32(DATA, 0x037b);
	GUEST(0xdb, 0xe3, 0xd9, 0x2d, D(DATA), /* fninit; fldcw [DATA] */
	      0xd9, 0xee, 0xd9, 0xe8,          /* fldz; fld1 */
	      0xd8, 0xf1,                      /* fdiv st0, st1 */
	      0xdf, 0xe0,                      /* fnstsw ax */
	      0x9b);                           /* fwait */
	assert_int_equal(gc->eip, MF_HANDLER + 1);
	assert_int_equal(get32(0x80000 - 12), CODE + 16); /* #MF at the FWAIT */
	assert_int_equal(gc->gpr[EAX] & 0xff, FSW_ES | FSW_ZE);
	assert_true(gc->fpu.fsw & FSW_B);
	assert_int_equal(gc->fpu.fip, CODE + 12);
	assert_memory_equal(fpu_st(&gc->fpu, 0), "\0\0\0\0\0\0\0\x80\xff\x3f", 10);
}

static void cr0_ne_clear_stops_the_machine_with_a_message(void **state)
{
	(void)state;
	put32(DATA, 0x037b);
	gc->cr0 &= ~CR0_NE;
	memcpy(gm.ram + CODE, (const uint8_t[]){ 0xdb, 0xe3, 0xd9, 0x2d, D(DATA), 0xd9, 0xee,
						 0xd9, 0xe8, 0xd8, 0xf1, 0xd9, 0xe8, 0xf4 }, 17);
	gc->eip = CODE;
	gc->halted = false;
	fpu_init(&gc->fpu);
	assert_int_equal(engine_interp.run(&gm, 1000), STOP_UNSUPPORTED);
	assert_int_equal(gc->eip, CODE + 14);
	assert_non_null(strstr(gm.error, "IRQ 13"));
	gc->cr0 |= CR0_NE;
}

/* WAIT is no ESC instruction: #NM only with TS and MP, never for EM. */
static void fwait_needs_ts_and_mp_for_nm(void **state)
{
	(void)state;
	gc->cr0 |= CR0_TS | CR0_EM;
	GUEST(0x9b, 0x90);
	assert_int_equal(gc->eip, CODE + 3);
	gc->cr0 |= CR0_MP;
	GUEST(0x9b, 0x90);
	assert_int_equal(gc->eip, MF_HANDLER + 1);
	gc->cr0 &= ~(CR0_TS | CR0_EM | CR0_MP);
}

/* Every ESC opcode, even an invalid one, is #NM under CR0.EM before it is #UD. */
static void esc_opcodes_are_nm_with_em_and_invalid_ones_ud(void **state)
{
	(void)state;
	gc->cr0 |= CR0_EM;
	GUEST(0xdf, 0x0d, D(DATA)); /* fisttp word [DATA]: SSE3, not P6 */
	assert_int_equal(gc->eip, MF_HANDLER + 1);
	gc->cr0 &= ~CR0_EM;
	GUEST(0xdf, 0x0d, D(DATA));
	assert_int_equal(gc->eip, UD_HANDLER + 1);
	GUEST(0xd9, 0xd8, 0xde, 0xd0, 0xdf, 0xc0, 0xdb, 0xe4); /* aliases and FNSETPM execute */
	assert_int_equal(gc->eip, CODE + 9);
}

/* The 16-bit protected-mode environment: 14 bytes, no FOP, 16-bit FIP. */
static void fnstenv_with_operand_size_16_writes_the_short_image(void **state)
{
	(void)state;
	memset(gm.ram + DATA, 0xaa, 32);
	GUEST(0xdb, 0xe3, 0xd9, 0xe8,          /* fninit; fld1 */
	      0x66, 0xd9, 0x35, D(DATA));      /* o16 fnstenv [DATA] */
	static const uint8_t want[14] = { 0x7f, 0x03, 0x00, 0x38, 0xff, 0x3f,
					  0x02, 0x10, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00 };
	assert_memory_equal(gm.ram + DATA, want, 14);
	assert_int_equal(gm.ram[DATA + 14], 0xaa);
}

/* FNSAVE then FRSTOR gives the state back; FNSAVE leaves the FPU initialised. */
static void fnsave_frstor_round_trip(void **state)
{
	(void)state;
	GUEST(0xdb, 0xe3, 0xd9, 0xeb, 0xd9, 0xe8, 0xd9, 0xee, /* fninit; fldpi; fld1; fldz */
	      0xdd, 0x35, D(DATA));                            /* fnsave [DATA] */
	assert_int_equal(gc->fpu.ftw, 0xffff);
	struct fpu saved;
	memset(&saved, 0, sizeof saved);
	fpu_save_decode(&saved, pm32, gm.ram + DATA);
	assert_int_equal(FSW_TOP(saved.fsw), 5);
	assert_int_equal(saved.ftw, 0x07ff); /* ST(0) zero, ST(1), ST(2) valid */
	GUEST(0xdd, 0x25, D(DATA), 0xdf, 0xe0); /* frstor [DATA]; fnstsw ax */
	assert_int_equal(gc->gpr[EAX] & 0xffff, saved.fsw);
	assert_memory_equal(fpu_st(&gc->fpu, 2), fpu_st(&saved, 2), 10);
}

/* FCOMI writes ZF, PF, CF (clearing OF, SF, AF); FCMOVcc reads them. */
static void fcomi_sets_eflags_that_fcmov_reads(void **state)
{
	(void)state;
	gc->eflags |= F_OF | F_SF | F_AF;
	GUEST(0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee, /* fninit; fld1; fldz */
	      0xdb, 0xf1,                         /* fcomi st0, st1: 0 < 1 */
	      0xda, 0xc1);                        /* fcmovb st0, st1 */
	assert_int_equal(gc->eflags & F_ARITH, F_CF);
	assert_memory_equal(fpu_st(&gc->fpu, 0), fpu_st(&gc->fpu, 1), 10);
}

/* Unmasked #IA on FISTP and #O on FST: memory as the hardware leaves it. */
static void unmasked_store_exceptions_match_the_host(void **state)
{
	(void)state;
	static const uint8_t big[10] = { 1, 0, 0, 0, 0, 0, 0, 0x80, 0xfe, 0x43 };
	static const struct { uint16_t cw; uint8_t op, modrm; } cases[] = {
		{ 0x037e, 0xdb, 0x1d }, { 0x0377, 0xd9, 0x15 }, { 0x037f, 0xd9, 0x15 },
		{ 0x035f, 0xd9, 0x15 }, { 0x037e, 0xdf, 0x3d }, { 0x037e, 0xdf, 0x35 },
	};

	for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		uint8_t host[10], hm[16];
		uint16_t host_sw;
		memset(hm, 0x5a, sizeof hm);
		memset(gm.ram + DATA + 16, 0x5a, 16);
		memcpy(gm.ram + DATA, big, 10);
		put32(DATA + 12, cases[k].cw);
		struct ref_in in = { .cw = cases[k].cw };
		memcpy(in.b, big, 10);
		for (unsigned r = 0; r < sizeof ref_ops / sizeof ref_ops[0]; r++)
			if ((uint8_t)ref_ops[r].code[0] == cases[k].op && ref_ops[r].len == 2 &&
			    (uint8_t)ref_ops[r].code[1] == (cases[k].modrm & 0x38)) {
				uint8_t out[FPU_SAVE_SIZE];
				ref_ops[r].ref(&in, hm, out);
				memcpy(&host_sw, out + 4, 2);
				memcpy(host, hm, 10);
			}
		GUEST(0xdb, 0xe3, 0xd9, 0x2d, D(DATA + 12), /* fninit; fldcw */
		      0xdb, 0x2d, D(DATA), 0xdb, 0x2d, D(DATA), /* fld tword twice */
		      cases[k].op, cases[k].modrm, D(DATA + 16));
		assert_memory_equal(gm.ram + DATA + 16, host, 10);
		assert_int_equal(gc->fpu.fsw, host_sw);
	}
}

static void image_build(uint8_t *img, uint16_t cw, uint16_t sw, uint16_t tw, unsigned seed)
{
	memset(img, 0, FPU_SAVE_SIZE);
	memcpy(img, &cw, 2);
	memcpy(img + 4, &sw, 2);
	memcpy(img + 8, &tw, 2);
	put32h(img + 12, 0x12345678 + seed);
	put32h(img + 16, 0xf923001b);
	put32h(img + 20, 0x9abcdef0);
	put32h(img + 24, 0x00000023);
	for (int k = 0; k < 8; k++)
		value(img + 28 + 10 * k, (seed + 3 * (unsigned)k) % N_VALUES);
}

/* The host: FRSTOR or FLDENV, then FNSAVE (non-waiting: a pending exception stays put). */
static void host_restore(const uint8_t *img, bool full, uint8_t *out)
{
	if (full)
		__asm__ volatile("fninit; frstor (%0); fnsave (%1)" : : "r"(img), "r"(out) : "memory");
	else
		__asm__ volatile("fninit; fldenv (%0); fnsave (%1)" : : "r"(img), "r"(out) : "memory");
}

static void restored_images_match_the_host(void **state)
{
	(void)state;
	static const uint16_t cws[] = { 0x037f, 0x0340, 0x037e, 0x1f7b };
	static const uint16_t sws[] = { 0, 0x0001, 0x0081, 0xb8ff, 0x4704, 0x3800 };
	static const uint16_t tws[] = { 0xffff, 0, 0x5555, 0xaaaa, 0x0fff, 0xfff0 };
	uint8_t img[FPU_SAVE_SIZE], want[FPU_SAVE_SIZE];
	unsigned seed = 0;

	for (unsigned a = 0; a < 4; a++)
		for (unsigned b = 0; b < 6; b++)
			for (unsigned t = 0; t < 6; t++)
				for (int full = 0; full < 2; full++, seed++) {
					image_build(img, cws[a], sws[b], tws[t], seed);
					memcpy(gm.ram + DATA, img, FPU_SAVE_SIZE);
					host_restore(img, full, want);
					if (full)
						GUEST(0xdd, 0x25, D(DATA), 0xdd, 0x35, D(DATA + 0x100));
					else
						GUEST(0xd9, 0x25, D(DATA), 0xdd, 0x35, D(DATA + 0x100));
					const uint8_t *got = gm.ram + DATA + 0x100;
					assert_true(images_agree(want, got));
					/* the pointers are the image's, FOP 11 bits wide */
					assert_int_equal(get32(DATA + 0x100 + 12), 0x12345678 + seed);
					assert_int_equal(get32(DATA + 0x100 + 16), 0x0123001b);
					assert_int_equal(get32(DATA + 0x100 + 20), 0x9abcdef0);
					assert_int_equal(get32(DATA + 0x100 + 24), 0xffff0023);
				}
}

/* Real mode: the 14- and 28-byte images hold linear FIP/FDP split around FOP;
 * FIP is the ES-prefixed FSTP's first byte. */
static void real_mode_environment_holds_linear_pointers(void **state)
{
	(void)state;
	struct seg saved[6];
	memcpy(saved, gc->seg, sizeof saved);
	gc->cr0 &= ~CR0_PE;
	for (int s = 0; s < 6; s++)
		gc->seg[s] = (struct seg){ .sel = 0, .attr = 0x93, .limit = 0xffff };
	gc->seg[SR_CS] = (struct seg){ .sel = 0x2345, .base = 0x23450, .attr = 0x9b, .limit = 0xffff };
	gc->seg[SR_ES] = (struct seg){ .sel = 0x0100, .base = 0x1000, .attr = 0x93, .limit = 0xffff };
	static const uint8_t code[] = {
		0xdb, 0xe3, 0xd9, 0xe8,                   /* fninit; fld1 */
		0x26, 0xd9, 0x1e, 0x34, 0x12,             /* fstp dword es:[0x1234] */
		0xd9, 0x36, 0x00, 0x20,                   /* fnstenv [0x2000] */
		0x66, 0xd9, 0x36, 0x00, 0x21,             /* o32 fnstenv [0x2100] */
		0xd9, 0x26, 0x00, 0x20,                   /* fldenv [0x2000] */
		0xd9, 0x36, 0x00, 0x22,                   /* fnstenv [0x2200] */
		0xf4 };
	memcpy(gm.ram + 0x23450, code, sizeof code);
	gc->eip = 0;
	gc->halted = false;
	fpu_init(&gc->fpu);
	assert_int_equal(engine_interp.run(&gm, 1000), STOP_HLT);
	static const uint8_t want16[14] = { 0x7f, 0x03, 0x00, 0x00, 0xff, 0xff,
					    0x54, 0x34, 0x1e, 0x21, 0x34, 0x22, 0x00, 0x00 };
	static const uint8_t want32[28] = { 0x7f, 0x03, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0x54, 0x34, 0xff, 0xff,
					    0x1e, 0x21, 0x00, 0x00, 0x34, 0x22, 0xff, 0xff,
					    0x00, 0x00, 0x00, 0x00 };
	assert_memory_equal(gm.ram + 0x2000, want16, 14);
	assert_memory_equal(gm.ram + 0x2100, want32, 28);
	assert_memory_equal(gm.ram + 0x2200, want16, 14);
	assert_int_equal(get32(0x2234), 0x3f800000);
	memcpy(gc->seg, saved, sizeof saved);
	gc->cr0 |= CR0_PE;
}

int main(void)
{
	const struct CMUnitTest core[] = {
		cmocka_unit_test(test_fpu_exec_matches_host),
		cmocka_unit_test(table_rows_cover_every_esc_encoding),
	};
	const struct CMUnitTest guest[] = {
		cmocka_unit_test(loads_add_store_and_record_the_last_instruction),
		cmocka_unit_test(unmasked_divide_by_zero_reports_at_the_next_wait),
		cmocka_unit_test(cr0_ne_clear_stops_the_machine_with_a_message),
		cmocka_unit_test(fwait_needs_ts_and_mp_for_nm),
		cmocka_unit_test(esc_opcodes_are_nm_with_em_and_invalid_ones_ud),
		cmocka_unit_test(fnstenv_with_operand_size_16_writes_the_short_image),
		cmocka_unit_test(fnsave_frstor_round_trip),
		cmocka_unit_test(fcomi_sets_eflags_that_fcmov_reads),
		cmocka_unit_test(unmasked_store_exceptions_match_the_host),
		cmocka_unit_test(restored_images_match_the_host),
		cmocka_unit_test(real_mode_environment_holds_linear_pointers),
	};
	return cmocka_run_group_tests(core, NULL, NULL) |
	       cmocka_run_group_tests(guest, guest_setup, guest_teardown);
}
