/*
 * The arithmetic cores against the host CPU: shifts and rotates at every
 * masked count, by CL and by an immediate, SHLD/SHRD, MUL/IMUL, DIV/IDIV
 * (#DE caught as SIGFPE), BSF/BSR, the BT family and BSWAP natively in 64-bit mode; the BCD
 * adjustments, which 64-bit mode lacks, in a 32-bit compatibility-mode
 * code segment (selector 0x23) entered with a far jump.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vmm/alu.h"
#include "vmm/insn.h"
#include "vmm/interp.h"
#include "fixture_rng.h"

static uint32_t flags_in(void)
{
	return (rnd() & F_ARITH) | F_FIXED1;
}

static int size_of(int k)
{
	return k == 0 ? 1 : k == 1 ? 2 : 4;
}

static void expect_same(const char *what, int size, uint32_t a, uint32_t b, uint32_t fin,
			uint32_t got, uint32_t gotf, uint32_t want, uint32_t wantf)
{
	if (got != want || (gotf & F_ARITH) != (wantf & F_ARITH))
		fail_msg("%s%d a=%#x b=%#x flags=%#x: got %#x/%#x want %#x/%#x", what, size * 8,
			 a, b, fin, got, gotf & F_ARITH, want, wantf & F_ARITH);
}

/* ---- shifts and rotates by CL ---- */

#define NATIVE_SHIFT(fn, mnem, T)                                                      \
	static uint32_t fn(uint32_t a, uint32_t n, uint32_t *fl)                        \
	{                                                                              \
		uint64_t f = *fl;                                                      \
		T x = (T)a;                                                            \
		__asm__("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; " mnem " %%cl, %[x]; pushfq; popq %[f]; lea 128(%%rsp), %%rsp"    \
			: [x] "+r"(x), [f] "+r"(f) : "c"((uint8_t)n) : "cc");          \
		*fl = (uint32_t)f;                                                     \
		return x;                                                              \
	}
#define NATIVE_SHIFT3(name, mnem)                                                      \
	NATIVE_SHIFT(name##8, mnem "b", uint8_t)                                       \
	NATIVE_SHIFT(name##16, mnem "w", uint16_t)                                     \
	NATIVE_SHIFT(name##32, mnem "l", uint32_t)

NATIVE_SHIFT3(n_rol, "rol")
NATIVE_SHIFT3(n_ror, "ror")
NATIVE_SHIFT3(n_rcl, "rcl")
NATIVE_SHIFT3(n_rcr, "rcr")
NATIVE_SHIFT3(n_shl, "shl")
NATIVE_SHIFT3(n_shr, "shr")
NATIVE_SHIFT3(n_sar, "sar")

typedef uint32_t native_fn(uint32_t a, uint32_t b, uint32_t *fl);

static native_fn *const shift_natives[8][3] = {
	[SH_ROL] = { n_rol8, n_rol16, n_rol32 }, [SH_ROR] = { n_ror8, n_ror16, n_ror32 },
	[SH_RCL] = { n_rcl8, n_rcl16, n_rcl32 }, [SH_RCR] = { n_rcr8, n_rcr16, n_rcr32 },
	[SH_SHL] = { n_shl8, n_shl16, n_shl32 }, [SH_SHR] = { n_shr8, n_shr16, n_shr32 },
	[SH_SAL] = { n_shl8, n_shl16, n_shl32 }, [SH_SAR] = { n_sar8, n_sar16, n_sar32 },
};
static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

static void check_shift(int kind, int k, uint32_t v, uint32_t n, uint32_t fin)
{
	struct cpu c = { .eflags = fin };
	uint32_t nf = fin;
	uint32_t want = shift_natives[kind][k](v, n, &nf);
	uint32_t got = alu_shift(&c, kind, v, n, size_of(k));

	expect_same(shift_names[kind], size_of(k), v, n, fin, got, c.eflags, want, nf);
}

static void test_shifts_and_rotates_match_host_at_every_count(void **state)
{
	(void)state;
	for (int kind = 0; kind < 8; kind++)
		for (int k = 0; k < 3; k++)
			for (uint32_t n = 0; n < 256; n++)
				for (int r = 0; r < 100; r++)
					check_shift(kind, k, operand(), n, flags_in());
}

/*
 * ---- shifts and rotates by an immediate (C0/C1) ----
 * The host is asked by code built at run time, one instruction per count:
 * ROL/ROR of a register by an immediate treat OF otherwise than by CL or
 * with a memory destination.
 */

typedef uint32_t native_imm_fn(uint32_t a, uint64_t flags, uint64_t *flags_out, uint32_t *m);

/*
 * mov [rcx],edi; mov eax,edi; push rsi; popfq; [66] C0/C1 /kind ib on EAX
 * or [RCX]; pushfq; pop qword [rdx]; (mov eax,[rcx];) ret
 */
static native_imm_fn *native_shift_imm(uint8_t *code, int kind, int size, uint8_t n, bool mem)
{
	uint8_t *p = code;

	*p++ = 0x89, *p++ = 0x39, *p++ = 0x89, *p++ = 0xf8, *p++ = 0x56, *p++ = 0x9d;
	if (size == 2)
		*p++ = 0x66;
	*p++ = size == 1 ? 0xc0 : 0xc1, *p++ = (uint8_t)((mem ? 0x01 : 0xc0) | kind << 3), *p++ = n;
	*p++ = 0x9c, *p++ = 0x8f, *p++ = 0x02;
	if (mem)
		*p++ = 0x8b, *p++ = 0x01;
	*p++ = 0xc3;
	return (native_imm_fn *)(void *)code;
}

static void check_shift_imm(native_imm_fn *fn, int kind, int size, uint32_t n, bool mem)
{
	uint32_t v = operand(), fin = flags_in(), m;
	uint64_t nf;
	struct cpu c = { .eflags = fin };
	uint32_t want = fn(v, fin, &nf, &m) & alu_mask(size);
	uint32_t got = mem ? alu_shift(&c, kind, v, n, size) : alu_shift_imm(&c, kind, v, n, size);

	expect_same(shift_names[kind], size, v, n, fin, got, c.eflags, want, (uint32_t)nf);
}

static void test_shifts_and_rotates_by_immediate_match_host(void **state)
{
	uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(code != MAP_FAILED);
	for (int form = 0; form < 6; form++)
		for (int kind = 0; kind < 8; kind++)
			for (uint32_t n = 0; n < 256; n++) {
				int size = size_of(form % 3);
				native_imm_fn *fn = native_shift_imm(code, kind, size, (uint8_t)n, form >= 3);

				for (int r = 0; r < 10; r++)
					check_shift_imm(fn, kind, size, n, form >= 3);
			}
	munmap(code, 4096);
}

/* ---- SHLD / SHRD by CL ---- */

#define NATIVE_DSHIFT(fn, mnem, T)                                                     \
	static uint32_t fn(uint32_t a, uint32_t b, uint32_t n, uint32_t *fl)            \
	{                                                                              \
		uint64_t f = *fl;                                                      \
		T x = (T)a, y = (T)b;                                                  \
		__asm__("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; " mnem " %%cl, %[y], %[x]; pushfq; popq %[f]; lea 128(%%rsp), %%rsp" \
			: [x] "+r"(x), [f] "+r"(f) : [y] "r"(y), "c"((uint8_t)n) : "cc"); \
		*fl = (uint32_t)f;                                                     \
		return x;                                                              \
	}
NATIVE_DSHIFT(n_shld16, "shldw", uint16_t)
NATIVE_DSHIFT(n_shld32, "shldl", uint32_t)
NATIVE_DSHIFT(n_shrd16, "shrdw", uint16_t)
NATIVE_DSHIFT(n_shrd32, "shrdl", uint32_t)

static void check_dshift(bool left, int size, uint32_t a, uint32_t b, uint32_t n, uint32_t fin)
{
	struct cpu c = { .eflags = fin };
	uint32_t nf = fin, want, got;

	if (left) {
		want = (size == 2 ? n_shld16 : n_shld32)(a, b, n, &nf);
		got = alu_shld(&c, a, b, n, size);
	} else {
		want = (size == 2 ? n_shrd16 : n_shrd32)(a, b, n, &nf);
		got = alu_shrd(&c, a, b, n, size);
	}
	if (got != want || (c.eflags & F_ARITH) != (nf & F_ARITH))
		fail_msg("%s%d a=%#x b=%#x n=%u flags=%#x: got %#x/%#x want %#x/%#x",
			 left ? "shld" : "shrd", size * 8, a, b, n, fin, got,
			 c.eflags & F_ARITH, want, nf & F_ARITH);
}

static void test_double_shifts_match_host_at_every_count(void **state)
{
	(void)state;
	for (int left = 0; left < 2; left++)
		for (int size = 2; size <= 4; size += 2)
			for (uint32_t n = 0; n < 64; n++)
				for (int r = 0; r < 300; r++)
					check_dshift(left, size, operand(), operand(), n, flags_in());
}

/* ---- MUL, IMUL, DIV, IDIV ---- */

#define NATIVE_MULDIV(fn, mnem, T)                                                     \
	static void fn(uint32_t *eax, uint32_t *edx, uint32_t y, uint32_t *fl)          \
	{                                                                              \
		uint64_t f = *fl;                                                      \
		T yy = (T)y;                                                           \
		__asm__ volatile("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; " mnem " %[y]; pushfq; popq %[f]; lea 128(%%rsp), %%rsp" \
				 : "+a"(*eax), "+d"(*edx), [f] "+r"(f) : [y] "r"(yy) : "cc"); \
		*fl = (uint32_t)f;                                                     \
	}
#define NATIVE_MULDIV3(name, mnem)                                                     \
	NATIVE_MULDIV(name##8, mnem "b", uint8_t)                                      \
	NATIVE_MULDIV(name##16, mnem "w", uint16_t)                                    \
	NATIVE_MULDIV(name##32, mnem "l", uint32_t)

NATIVE_MULDIV3(n_mul, "mul")
NATIVE_MULDIV3(n_imul, "imul")
NATIVE_MULDIV3(n_div, "div")
NATIVE_MULDIV3(n_idiv, "idiv")

typedef void native_muldiv_fn(uint32_t *eax, uint32_t *edx, uint32_t y, uint32_t *fl);

static native_muldiv_fn *const muldiv_natives[4][3] = {
	{ n_mul8, n_mul16, n_mul32 }, { n_imul8, n_imul16, n_imul32 },
	{ n_div8, n_div16, n_div32 }, { n_idiv8, n_idiv16, n_idiv32 },
};
static const char *const muldiv_names[4] = { "mul", "imul", "div", "idiv" };

static sigjmp_buf fpe_jmp;

static void on_sigfpe(int sig)
{
	(void)sig;
	siglongjmp(fpe_jmp, 1);
}

/* The host's result as AX / DX:AX / EDX:EAX; false if it raised #DE. */
static bool native_muldiv(int op, int k, uint32_t *eax, uint32_t *edx, uint32_t y, uint32_t *fl)
{
	if (sigsetjmp(fpe_jmp, 1))
		return false;
	muldiv_natives[op][k](eax, edx, y, fl);
	return true;
}

/* The cores, stored the way the handlers store them. */
static bool model_muldiv(struct cpu *c, int op, int size, uint32_t *eax, uint32_t *edx, uint32_t y)
{
	uint32_t mask = alu_mask(size), hi = 0, lo = 0, q = 0, r = 0;
	uint64_t dividend = size == 1 ? (*eax & 0xffff)
			  : (uint64_t)(*edx & mask) << (size * 8) | (*eax & mask);
	bool ok = true;

	if (op == 0)
		lo = alu_mul(c, *eax, y, size, &hi);
	else if (op == 1)
		lo = alu_imul(c, *eax, y, size, &hi);
	else if (op == 2)
		ok = alu_div(c, dividend, y, size, &q, &r);
	else
		ok = alu_idiv(c, dividend, y, size, &q, &r);
	if (!ok)
		return false;
	if (op >= 2) {
		lo = q;
		hi = r;
	}
	if (size == 1) {
		*eax = (*eax & ~0xffffu) | hi << 8 | lo;
	} else {
		*eax = (*eax & ~mask) | lo;
		*edx = (*edx & ~mask) | hi;
	}
	return true;
}

static void check_muldiv(int op, int k, uint32_t eax, uint32_t edx, uint32_t y, uint32_t fin)
{
	struct cpu c = { .eflags = fin };
	uint32_t na = eax, nd = edx, nf = fin, ma = eax, md = edx;
	bool nok = native_muldiv(op, k, &na, &nd, y, &nf);
	bool mok = model_muldiv(&c, op, size_of(k), &ma, &md, y);

	if (nok != mok || (nok && (na != ma || nd != md || (nf & F_ARITH) != (c.eflags & F_ARITH))))
		fail_msg("%s%d edx:eax=%#x:%#x y=%#x flags=%#x: got %d %#x:%#x/%#x want %d %#x:%#x/%#x",
			 muldiv_names[op], size_of(k) * 8, edx, eax, y, fin, mok, md, ma,
			 c.eflags & F_ARITH, nok, nd, na, nf & F_ARITH);
}

/* Dividends near the divisor times the largest quotient reach the #DE edge. */
static uint32_t edx_for(int op, int k, uint32_t y)
{
	if (op < 2 || rnd() % 2)
		return operand();
	return (y >> (rnd() % 3)) ^ (rnd() % 3) ^ (k == 0 ? 0 : (rnd() % 2) * 0xffffffffu);
}

static void test_mul_div_match_host(void **state)
{
	struct sigaction sa = { .sa_handler = on_sigfpe }, old;

	(void)state;
	sigaction(SIGFPE, &sa, &old);
	for (int op = 0; op < 4; op++)
		for (int k = 0; k < 3; k++)
			for (int r = 0; r < 30000; r++) {
				uint32_t y = operand(), eax = operand();

				if (k == 0 && op >= 2 && rnd() % 2)
					eax = (eax & ~0xff00u) | (((y & 0xff) << 8) ^ ((rnd() % 3) << 8));
				check_muldiv(op, k, eax, edx_for(op, k, y), y, flags_in());
			}
	sigaction(SIGFPE, &old, NULL);
}

#define NATIVE_IMUL2(fn, T)                                                            \
	static uint32_t fn(uint32_t a, uint32_t b, uint32_t *fl)                        \
	{                                                                              \
		uint64_t f = *fl;                                                      \
		T x = (T)a, y = (T)b;                                                  \
		__asm__("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; imul %[y], %[x]; pushfq; popq %[f]; lea 128(%%rsp), %%rsp"        \
			: [x] "+r"(x), [f] "+r"(f) : [y] "r"(y) : "cc");               \
		*fl = (uint32_t)f;                                                     \
		return x;                                                              \
	}
NATIVE_IMUL2(n_imul2_16, uint16_t)
NATIVE_IMUL2(n_imul2_32, uint32_t)

static void test_two_operand_imul_matches_host(void **state)
{
	(void)state;
	for (int size = 2; size <= 4; size += 2)
		for (int r = 0; r < 30000; r++) {
			uint32_t a = operand(), b = operand(), fin = flags_in(), nf = fin, hi;
			struct cpu c = { .eflags = fin };
			uint32_t want = (size == 2 ? n_imul2_16 : n_imul2_32)(a, b, &nf);
			uint32_t got = alu_imul(&c, a, b, size, &hi);

			expect_same("imul2_", size, a, b, fin, got, c.eflags, want, nf);
		}
}

/* ---- BSF, BSR, BT family, BSWAP ---- */

#define NATIVE_BITSCAN(fn, mnem, T)                                                    \
	static uint32_t fn(uint32_t src, uint32_t dst, uint32_t *fl)                    \
	{                                                                              \
		uint64_t f = *fl;                                                      \
		T x = (T)dst, y = (T)src;                                              \
		__asm__("lea -128(%%rsp), %%rsp; pushq %[f]; popfq; " mnem " %[y], %[x]; pushfq; popq %[f]; lea 128(%%rsp), %%rsp"    \
			: [x] "+r"(x), [f] "+r"(f) : [y] "r"(y) : "cc");               \
		*fl = (uint32_t)f;                                                     \
		return x;                                                              \
	}
NATIVE_BITSCAN(n_bsf16, "bsfw", uint16_t)
NATIVE_BITSCAN(n_bsf32, "bsfl", uint32_t)
NATIVE_BITSCAN(n_bsr16, "bsrw", uint16_t)
NATIVE_BITSCAN(n_bsr32, "bsrl", uint32_t)
NATIVE_BITSCAN(n_bt16, "btw", uint16_t)
NATIVE_BITSCAN(n_bt32, "btl", uint32_t)
NATIVE_BITSCAN(n_bts16, "btsw", uint16_t)
NATIVE_BITSCAN(n_bts32, "btsl", uint32_t)
NATIVE_BITSCAN(n_btr16, "btrw", uint16_t)
NATIVE_BITSCAN(n_btr32, "btrl", uint32_t)
NATIVE_BITSCAN(n_btc16, "btcw", uint16_t)
NATIVE_BITSCAN(n_btc32, "btcl", uint32_t)

static void test_bit_scans_match_host(void **state)
{
	(void)state;
	for (int r = 0; r < 40000; r++) {
		int size = r % 2 ? 4 : 2;
		bool fwd = r % 4 < 2;
		uint32_t src = r % 8 < 2 ? 0 : operand(), dst = operand(), fin = flags_in();
		uint32_t nf = fin, want, got;
		struct cpu c = { .eflags = fin };

		if (fwd) {
			want = (size == 2 ? n_bsf16 : n_bsf32)(src, dst, &nf);
			got = alu_bsf(&c, src, dst, size) & alu_mask(size);
		} else {
			want = (size == 2 ? n_bsr16 : n_bsr32)(src, dst, &nf);
			got = alu_bsr(&c, src, dst, size) & alu_mask(size);
		}
		expect_same(fwd ? "bsf" : "bsr", size, src, dst, fin, got, c.eflags, want, nf);
	}
}

static native_fn *const bt_natives[4][2] = {
	{ n_bt16, n_bt32 }, { n_bts16, n_bts32 }, { n_btr16, n_btr32 }, { n_btc16, n_btc32 },
};

static void test_bit_tests_match_host(void **state)
{
	(void)state;
	for (int r = 0; r < 40000; r++) {
		int op = r % 4, size = r % 8 < 4 ? 2 : 4;
		uint32_t v = operand(), bit = rnd() % 256, fin = flags_in(), nf = fin;
		struct cpu c = { .eflags = fin };
		uint32_t want = bt_natives[op][size / 4](bit, v, &nf);
		uint32_t got = alu_bittest(&c, op, v, bit, size) & alu_mask(size);

		expect_same("bt", size, v, bit, fin, got, c.eflags, want, nf);
	}
}

static void test_bswap16_clears_low_word_like_host(void **state)
{
	uint32_t v = 0x12345678;

	(void)state;
	__asm__(".byte 0x66, 0x0f, 0xc8" : "+a"(v)); /* bswap %ax */
	assert_int_equal(v, 0x12340000);
}

/* ---- BCD in compatibility mode ---- */

/* Shared with the 32-bit code; all below 4 GiB. */
struct compat_data {
	uint32_t eax, flags_in, flags_out, pad;
	uint64_t ret_rip, saved_rsp;
	uint32_t far_off;
	uint16_t far_sel;
};

static struct compat_data *cd;
static uint8_t *compat_code, *compat_stack;
static unsigned compat_op_at;

static void put32(uint8_t **p, uint32_t v)
{
	memcpy(*p, &v, 4);
	*p += 4;
}

static void put_bytes(uint8_t **p, const char *b, unsigned n)
{
	memcpy(*p, b, n);
	*p += n;
}

/*
 * 32-bit: DS = SS; push flags_in; popfd; eax = [eax]; <op>; store eax and
 * EFLAGS; far jump to 64-bit code (0x33) that restores RSP and returns.
 */
static void compat_build(void)
{
	uint32_t d = (uint32_t)(uintptr_t)cd;
	uint8_t *p = compat_code, *back;

	put_bytes(&p, "\x8c\xd0\x8e\xd8\xff\x35", 6);
	put32(&p, d + 4);
	put_bytes(&p, "\x9d\xa1", 2);
	put32(&p, d);
	compat_op_at = (unsigned)(p - compat_code);
	put_bytes(&p, "\x90\x90\xa3", 3);
	put32(&p, d);
	put_bytes(&p, "\x9c\x8f\x05", 3);
	put32(&p, d + 8);
	back = p + 7;
	put_bytes(&p, "\xea", 1);
	put32(&p, (uint32_t)(uintptr_t)back);
	put_bytes(&p, "\x33\x00", 2);
	put_bytes(&p, "\x48\x8b\x24\x25", 4);
	put32(&p, d + offsetof(struct compat_data, saved_rsp));
	put_bytes(&p, "\xff\x24\x25", 3);
	put32(&p, d + offsetof(struct compat_data, ret_rip));
	cd->far_off = (uint32_t)(uintptr_t)compat_code;
	cd->far_sel = 0x23;
}

static int compat_setup(void **state)
{
	(void)state;
	compat_code = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (compat_code == MAP_FAILED)
		return -1;
	cd = (struct compat_data *)(compat_code + 4096);
	compat_stack = compat_code + 3 * 4096;
	compat_build();
	return 0;
}

static int compat_teardown(void **state)
{
	(void)state;
	munmap(compat_code, 3 * 4096);
	return 0;
}

static uint32_t compat_run(uint8_t op0, uint8_t op1, uint32_t eax, uint32_t *fl)
{
	compat_code[compat_op_at] = op0;
	compat_code[compat_op_at + 1] = op1;
	cd->eax = eax;
	cd->flags_in = *fl;
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, 16(%[d])\n\t"
			 "mov %%rsp, 24(%[d])\n\t"
			 "mov %[stk], %%rsp\n\t"
			 "ljmpl *32(%[d])\n"
			 "1:"
			 : : [d] "r"(cd), [stk] "r"(compat_stack) : "rax", "memory", "cc");
	*fl = cd->flags_out;
	return cd->eax;
}

enum { BCD_DAA, BCD_DAS, BCD_AAA, BCD_AAS, BCD_AAM, BCD_AAD };
static const uint8_t bcd_opcode[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5 };
static const char *const bcd_names[] = { "daa", "das", "aaa", "aas", "aam", "aad" };

static uint32_t model_bcd(struct cpu *c, int op, uint32_t eax, uint8_t imm)
{
	uint16_t ax = (uint16_t)eax;

	switch (op) {
	case BCD_DAA: return (eax & ~0xffu) | alu_daa(c, (uint8_t)eax);
	case BCD_DAS: return (eax & ~0xffu) | alu_das(c, (uint8_t)eax);
	case BCD_AAA: ax = alu_aaa(c, ax); break;
	case BCD_AAS: ax = alu_aas(c, ax); break;
	case BCD_AAM: alu_aam(c, ax, imm, &ax); break;
	default: ax = alu_aad(c, ax, imm); break;
	}
	return (eax & ~0xffffu) | ax;
}

static void check_bcd(int op, uint32_t eax, uint8_t imm, uint32_t fin)
{
	struct cpu c = { .eflags = fin };
	uint32_t nf = fin;
	uint32_t want = compat_run(bcd_opcode[op], op >= BCD_AAM ? imm : 0x90, eax, &nf);
	uint32_t got = model_bcd(&c, op, eax, imm);

	if (got != want || (c.eflags & F_ARITH) != (nf & F_ARITH))
		fail_msg("%s eax=%#x imm=%#x flags=%#x: got %#x/%#x want %#x/%#x", bcd_names[op],
			 eax, imm, fin, got, c.eflags & F_ARITH, want, nf & F_ARITH);
}

/* Every AL with every incoming CF/AF (and random others); AAM/AAD bases. */
static void test_bcd_adjustments_match_host(void **state)
{
	(void)state;
	for (int op = BCD_DAA; op <= BCD_AAS; op++)
		for (uint32_t ax = 0; ax < 0x10000; ax += 1 + (ax >= 0x200) * 0xff)
			for (uint32_t fl = 0; fl < 64; fl++)
				check_bcd(op, ax | (rnd() & 0xffff0000u),
					  0, ((fl & 1) ? F_CF : 0) | ((fl & 2) ? F_AF : 0) |
					  (flags_in() & ~(F_CF | F_AF)));
	for (int op = BCD_AAM; op <= BCD_AAD; op++)
		for (uint32_t base = 1; base < 256; base++)
			for (int r = 0; r < 200; r++)
				check_bcd(op, rnd(), (uint8_t)(r < 4 ? 10 : base), flags_in());
}

/* ---- handlers through the decoder and the operand helpers ---- */

/*
 * The table names handlers weakly; naming them here links them in (and
 * fails the build if one is missing).
 */
#define ALU_HANDLER_REF(name) op_##name,
static insn_handler *const alu_handlers[] = { INTERP_HANDLERS_ALU(ALU_HANDLER_REF) };
#undef ALU_HANDLER_REF

/* Decode 32-bit code bytes and run the row's handler on register state. */
static void exec_bytes(struct cpu *c, const char *bytes, unsigned n)
{
	struct insn i;

	assert_int_equal(decode_bytes(&i, true, (const uint8_t *)bytes, n, 0), DECODE_OK);
	assert_non_null(i.desc->exec);
	i.desc->exec(c, &i);
}
#define EXEC(c, lit) exec_bytes(c, lit, sizeof(lit) - 1)

static void test_mul_div_handlers_use_the_accumulator_pair(void **state)
{
	struct cpu c = { .eflags = F_FIXED1 };

	(void)state;
	for (unsigned k = 0; k < sizeof(alu_handlers) / sizeof(alu_handlers[0]); k++)
		assert_non_null(alu_handlers[k]);
	c.gpr[EAX] = 0x12345680;
	c.gpr[EBX] = 0x10;
	EXEC(&c, "\xf6\xe3"); /* mul bl: AX = 0x80 * 0x10 */
	assert_int_equal(c.gpr[EAX], 0x12340800);
	c.gpr[EAX] = 0xffffffff;
	c.gpr[EDX] = 5;
	EXEC(&c, "\xf7\xe3"); /* mul ebx */
	assert_int_equal(c.gpr[EDX], 0xf);
	assert_int_equal(c.gpr[EAX], 0xfffffff0);
	EXEC(&c, "\xf7\xf3"); /* div ebx: back again */
	assert_int_equal(c.gpr[EAX], 0xffffffff);
	assert_int_equal(c.gpr[EDX], 0);
	c.gpr[ECX] = 7;
	EXEC(&c, "\x0f\xaf\xcb"); /* imul ecx, ebx */
	assert_int_equal(c.gpr[ECX], 0x70);
	EXEC(&c, "\x6b\xd1\xfe"); /* imul edx, ecx, -2 */
	assert_int_equal(c.gpr[EDX], 0xffffff20);
}

static void test_div_by_zero_raises_de_before_any_change(void **state)
{
	struct cpu c = { .eflags = F_FIXED1, .exc = { .vector = -1 } };
	jmp_buf jb;

	(void)state;
	c.gpr[EAX] = 1234;
	c.gpr[EDX] = 0;
	c.gpr[EBX] = 0;
	c.exc_jmp = &jb;
	if (!setjmp(jb)) {
		EXEC(&c, "\xf7\xf3"); /* div ebx */
		fail_msg("no #DE");
	}
	assert_int_equal(c.exc.vector, EXC_DE);
	assert_int_equal(c.gpr[EAX], 1234);
	c.gpr[EBX] = 1;
	c.gpr[EDX] = 1;
	if (!setjmp(jb)) {
		EXEC(&c, "\xf7\xf3"); /* quotient 0x1_0000_04d2 overflows */
		fail_msg("no #DE on overflow");
	}
	assert_int_equal(c.gpr[EDX], 1);
}

static void test_exchange_handlers(void **state)
{
	struct cpu c = { .eflags = F_FIXED1 };

	(void)state;
	c.gpr[EAX] = 5;
	c.gpr[ECX] = 5;
	c.gpr[EDX] = 9;
	EXEC(&c, "\x0f\xb1\xd1"); /* cmpxchg ecx, edx: equal, ecx = edx */
	assert_int_equal(c.gpr[ECX], 9);
	assert_true(c.eflags & F_ZF);
	EXEC(&c, "\x0f\xb1\xd1"); /* now unequal: eax = ecx */
	assert_int_equal(c.gpr[EAX], 9);
	assert_false(c.eflags & F_ZF);
	EXEC(&c, "\x0f\xc1\xca"); /* xadd edx, ecx: ecx = old edx, edx = sum */
	assert_int_equal(c.gpr[ECX], 9);
	assert_int_equal(c.gpr[EDX], 18);
	c.gpr[EBX] = 0x11223344;
	EXEC(&c, "\x0f\xcb"); /* bswap ebx */
	assert_int_equal(c.gpr[EBX], 0x44332211);
}

static void test_condition_handlers(void **state)
{
	struct cpu c = { .eflags = F_FIXED1 | F_CF };

	(void)state;
	c.gpr[EAX] = 0xffffffff;
	c.gpr[EBX] = 0x12345678;
	EXEC(&c, "\x0f\x92\xc0"); /* setb al */
	assert_int_equal(c.gpr[EAX], 0xffffff01);
	EXEC(&c, "\x0f\x94\xc4"); /* sete ah */
	assert_int_equal(c.gpr[EAX], 0xffff0001);
	EXEC(&c, "\x66\x0f\x42\xc3"); /* cmovb ax, bx */
	assert_int_equal(c.gpr[EAX], 0xffff5678);
	EXEC(&c, "\x0f\x43\xc3"); /* cmovae eax, ebx: not taken */
	assert_int_equal(c.gpr[EAX], 0xffff5678);
	EXEC(&c, "\x9f"); /* lahf */
	assert_int_equal((c.gpr[EAX] >> 8) & 0xff, 0x03);
	c.gpr[EAX] = 0xd500;
	EXEC(&c, "\x9e"); /* sahf */
	assert_int_equal(c.eflags, F_FIXED1 | F_SF | F_ZF | F_AF | F_PF | F_CF);
	EXEC(&c, "\xd6"); /* salc */
	assert_int_equal(c.gpr[EAX] & 0xff, 0xff);
	EXEC(&c, "\x98"); /* cwde */
	assert_int_equal(c.gpr[EAX], 0xffffd5ff);
	EXEC(&c, "\x99"); /* cdq */
	assert_int_equal(c.gpr[EDX], 0xffffffff);
}

static void test_shift_and_bit_handlers(void **state)
{
	struct cpu c = { .eflags = F_FIXED1 };

	(void)state;
	c.gpr[EAX] = 0x81;
	c.gpr[ECX] = 0x21; /* masked to 1 */
	EXEC(&c, "\xd3\xe0"); /* shl eax, cl */
	assert_int_equal(c.gpr[EAX], 0x102);
	EXEC(&c, "\xc1\xf8\x04"); /* sar eax, 4 */
	assert_int_equal(c.gpr[EAX], 0x10);
	EXEC(&c, "\xd1\xc8"); /* ror eax, 1 */
	assert_int_equal(c.gpr[EAX], 0x8);
	c.gpr[EDX] = 0xf0000000;
	EXEC(&c, "\x0f\xa4\xd0\x04"); /* shld eax, edx, 4 */
	assert_int_equal(c.gpr[EAX], 0x8f);
	EXEC(&c, "\x0f\xba\xe8\x24"); /* bts eax, 36: bit 4 */
	assert_int_equal(c.gpr[EAX], 0x9f);
	EXEC(&c, "\x0f\xbd\xd8"); /* bsr ebx, eax */
	assert_int_equal(c.gpr[EBX], 7);
	c.gpr[EAX] = 0x0909;
	EXEC(&c, "\xd5\x0a"); /* aad */
	assert_int_equal(c.gpr[EAX], 99);
	EXEC(&c, "\xd4\x0a"); /* aam */
	assert_int_equal(c.gpr[EAX], 0x0909);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shifts_and_rotates_match_host_at_every_count),
		cmocka_unit_test(test_shifts_and_rotates_by_immediate_match_host),
		cmocka_unit_test(test_double_shifts_match_host_at_every_count),
		cmocka_unit_test(test_mul_div_match_host),
		cmocka_unit_test(test_two_operand_imul_matches_host),
		cmocka_unit_test(test_bit_scans_match_host),
		cmocka_unit_test(test_bit_tests_match_host),
		cmocka_unit_test(test_bswap16_clears_low_word_like_host),
		cmocka_unit_test(test_mul_div_handlers_use_the_accumulator_pair),
		cmocka_unit_test(test_div_by_zero_raises_de_before_any_change),
		cmocka_unit_test(test_exchange_handlers),
		cmocka_unit_test(test_condition_handlers),
		cmocka_unit_test(test_shift_and_bit_handlers),
		cmocka_unit_test_setup_teardown(test_bcd_adjustments_match_host, compat_setup,
						compat_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
