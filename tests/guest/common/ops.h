/*
 * The integer probe catalogue shared by gen/hostgen.c and the alu_* guest
 * tests: every probe's input class (which operand values it is run on),
 * operand size, and which flags and results the SDM defines for it. The
 * input sets are generated here, identically on the host and in the guest.
 */
#ifndef GUEST_OPS_H
#define GUEST_OPS_H

#include <stdint.h>

typedef void (*op_fn)(const uint32_t in[4], uint32_t out[4]);

enum op_class { C_BIN, C_UN, C_SHIFT, C_DIV, C_BCD, C_CC, C_NCLASS };

/* how the SDM's "undefined" depends on the inputs */
enum op_rule { R_NONE, R_SHIFTU, R_SHIFTS, R_ROT, R_SHXD, R_BSX };

#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u
#define F_ALL 0x8D5u
#define F_LOGIC (F_ALL & ~F_AF)
#define F_MUL (F_CF | F_OF)
#define FLAGS_KEPT 0xCD5u /* status flags and DF: what the tables record */
#define OUT_FAULT 0x80000000u /* flags word of a case that raised vector v: OUT_FAULT | v */

struct op {
	const char *name;
	op_fn fn;
	uint8_t cls, size, rule;
	uint16_t defined; /* flags the SDM defines (before the rule narrows them) */
};

#define OPDECL(n, c, s, r, d) void op_##n(const uint32_t in[4], uint32_t out[4]);
#define OPENTRY(n, c, s, r, d) { #n, op_##n, c, s, r, d },
#define OP3X(X, n, c, r, d) X(n##_b, c, 8, r, d) X(n##_w, c, 16, r, d) X(n##_l, c, 32, r, d)

#define OPS_ARITH(X) \
	OP3X(X, add, C_BIN, R_NONE, F_ALL) OP3X(X, adc, C_BIN, R_NONE, F_ALL) \
	OP3X(X, sub, C_BIN, R_NONE, F_ALL) OP3X(X, sbb, C_BIN, R_NONE, F_ALL) \
	OP3X(X, cmp, C_BIN, R_NONE, F_ALL) OP3X(X, neg, C_UN, R_NONE, F_ALL) \
	OP3X(X, inc, C_UN, R_NONE, F_ALL) OP3X(X, dec, C_UN, R_NONE, F_ALL) \
	X(add_imm_l, C_UN, 32, R_NONE, F_ALL) X(sub_imm8_l, C_UN, 32, R_NONE, F_ALL) \
	X(adc_mem_l, C_BIN, 32, R_NONE, F_ALL)

#define OPS_LOGIC(X) \
	OP3X(X, and, C_BIN, R_NONE, F_LOGIC) OP3X(X, or, C_BIN, R_NONE, F_LOGIC) \
	OP3X(X, xor, C_BIN, R_NONE, F_LOGIC) OP3X(X, test, C_BIN, R_NONE, F_LOGIC) \
	OP3X(X, not, C_UN, R_NONE, F_ALL)

#define OPS_SHIFT(X) \
	OP3X(X, shl, C_SHIFT, R_SHIFTU, F_ALL) OP3X(X, shr, C_SHIFT, R_SHIFTU, F_ALL) \
	OP3X(X, sar, C_SHIFT, R_SHIFTS, F_ALL) \
	X(shl1_l, C_UN, 32, R_NONE, F_ALL & ~F_AF) X(shr1_l, C_UN, 32, R_NONE, F_ALL & ~F_AF) \
	X(sar1_w, C_UN, 16, R_NONE, F_ALL & ~F_AF) X(shl1_b, C_UN, 8, R_NONE, F_ALL & ~F_AF) \
	X(shl_imm0_l, C_UN, 32, R_NONE, F_ALL) X(shr_imm33_l, C_UN, 32, R_NONE, F_ALL & ~F_AF)

#define OPS_ROTATE(X) \
	OP3X(X, rol, C_SHIFT, R_ROT, F_ALL) OP3X(X, ror, C_SHIFT, R_ROT, F_ALL) \
	OP3X(X, rcl, C_SHIFT, R_ROT, F_ALL) OP3X(X, rcr, C_SHIFT, R_ROT, F_ALL) \
	X(rol1_l, C_UN, 32, R_NONE, F_ALL) X(rcr1_b, C_UN, 8, R_NONE, F_ALL)

#define OPS_SHXD(X) \
	X(shld_w, C_SHIFT, 16, R_SHXD, F_ALL) X(shld_l, C_SHIFT, 32, R_SHXD, F_ALL) \
	X(shrd_w, C_SHIFT, 16, R_SHXD, F_ALL) X(shrd_l, C_SHIFT, 32, R_SHXD, F_ALL) \
	X(shld_imm1_l, C_BIN, 32, R_NONE, F_ALL & ~F_AF) \
	X(shrd_imm31_l, C_BIN, 32, R_NONE, F_ALL & ~(F_AF | F_OF))

#define OPS_MUL(X) \
	OP3X(X, mul, C_BIN, R_NONE, F_MUL) OP3X(X, imul1, C_BIN, R_NONE, F_MUL) \
	X(imul2_w, C_BIN, 16, R_NONE, F_MUL) X(imul2_l, C_BIN, 32, R_NONE, F_MUL) \
	X(imul3_w, C_BIN, 16, R_NONE, F_MUL) X(imul3_l, C_BIN, 32, R_NONE, F_MUL) \
	X(imul3big_l, C_BIN, 32, R_NONE, F_MUL)

#define OPS_DIV(X) OP3X(X, div, C_DIV, R_NONE, 0) OP3X(X, idiv, C_DIV, R_NONE, 0)

#define OPS_BCD(X) \
	X(daa, C_BCD, 8, R_NONE, F_ALL & ~F_OF) X(das, C_BCD, 8, R_NONE, F_ALL & ~F_OF) \
	X(aaa, C_BCD, 8, R_NONE, F_CF | F_AF) X(aas, C_BCD, 8, R_NONE, F_CF | F_AF) \
	X(aam10, C_BCD, 8, R_NONE, F_SF | F_ZF | F_PF) X(aam16, C_BCD, 8, R_NONE, F_SF | F_ZF | F_PF) \
	X(aam0, C_BCD, 8, R_NONE, 0) \
	X(aad10, C_BCD, 8, R_NONE, F_SF | F_ZF | F_PF) X(aad7, C_BCD, 8, R_NONE, F_SF | F_ZF | F_PF)

#define OPS_BITOPS(X) \
	X(bt_w, C_BIN, 16, R_NONE, F_CF | F_ZF) X(bt_l, C_BIN, 32, R_NONE, F_CF | F_ZF) \
	X(bts_w, C_BIN, 16, R_NONE, F_CF | F_ZF) X(bts_l, C_BIN, 32, R_NONE, F_CF | F_ZF) \
	X(btr_w, C_BIN, 16, R_NONE, F_CF | F_ZF) X(btr_l, C_BIN, 32, R_NONE, F_CF | F_ZF) \
	X(btc_w, C_BIN, 16, R_NONE, F_CF | F_ZF) X(btc_l, C_BIN, 32, R_NONE, F_CF | F_ZF) \
	X(bt_imm37_l, C_UN, 32, R_NONE, F_CF | F_ZF) X(btc_imm7_w, C_UN, 16, R_NONE, F_CF | F_ZF) \
	X(bsf_w, C_BIN, 16, R_BSX, F_ZF) X(bsf_l, C_BIN, 32, R_BSX, F_ZF) \
	X(bsr_w, C_BIN, 16, R_BSX, F_ZF) X(bsr_l, C_BIN, 32, R_BSX, F_ZF)

#define OPS_MISC(X) \
	X(bswap_l, C_UN, 32, R_NONE, F_ALL) X(bswap_ecx, C_UN, 32, R_NONE, F_ALL) \
	X(cbw, C_UN, 16, R_NONE, F_ALL) X(cwde, C_UN, 32, R_NONE, F_ALL) \
	X(cwd, C_UN, 16, R_NONE, F_ALL) X(cdq, C_UN, 32, R_NONE, F_ALL) \
	OP3X(X, xadd, C_BIN, R_NONE, F_ALL) OP3X(X, cmpxchg, C_BIN, R_NONE, F_ALL) \
	OP3X(X, xchg, C_BIN, R_NONE, F_ALL) \
	X(movzx_b, C_BIN, 32, R_NONE, F_ALL) X(movzx_w, C_BIN, 32, R_NONE, F_ALL) \
	X(movsx_b, C_BIN, 32, R_NONE, F_ALL) X(movsx_w, C_BIN, 32, R_NONE, F_ALL) \
	X(movsx_bw, C_BIN, 16, R_NONE, F_ALL) X(lea_l, C_BIN, 32, R_NONE, F_ALL) \
	X(lea_w, C_BIN, 16, R_NONE, F_ALL) X(sahf, C_UN, 8, R_NONE, F_ALL) \
	X(cmc, C_UN, 8, R_NONE, F_ALL)

#define CCX(X, cc) X(set##cc, C_CC, 8, R_NONE, F_ALL) X(cmov##cc##_l, C_CC, 32, R_NONE, F_ALL) \
	X(cmov##cc##_w, C_CC, 16, R_NONE, F_ALL)
#define OPS_CC(X) \
	CCX(X, o) CCX(X, no) CCX(X, b) CCX(X, ae) CCX(X, e) CCX(X, ne) CCX(X, be) CCX(X, a) \
	CCX(X, s) CCX(X, ns) CCX(X, p) CCX(X, np) CCX(X, l) CCX(X, ge) CCX(X, le) CCX(X, g) \
	X(lahf, C_CC, 8, R_NONE, F_ALL) X(jcxz_probe, C_CC, 32, R_NONE, F_ALL) \
	X(loop_probe, C_CC, 32, R_NONE, F_ALL) X(loopz_probe, C_CC, 32, R_NONE, F_ALL) \
	X(loopnz_probe, C_CC, 32, R_NONE, F_ALL)

#define OPS_GROUPS(G) G(arith, OPS_ARITH) G(logic, OPS_LOGIC) G(shift, OPS_SHIFT) \
	G(rotate, OPS_ROTATE) G(shxd, OPS_SHXD) G(mul, OPS_MUL) G(div, OPS_DIV) \
	G(bcd, OPS_BCD) G(bitops, OPS_BITOPS) G(misc, OPS_MISC) G(cc, OPS_CC)

#define OPS_DECLARE_GROUP(g, L) L(OPDECL)
OPS_GROUPS(OPS_DECLARE_GROUP)

static const uint32_t ops_v12[12] = {
	0, 1, 0x7F, 0x80, 0xFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
	0x80000000, 0xFFFFFFFF, 0x12345678, 0xEDCB7F81,
};
static const uint32_t ops_v24[24] = {
	0, 1, 0x7F, 0x80, 0xFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
	0x80000000, 0xFFFFFFFF, 0x12345678, 0xEDCB7F81, 2, 0x7E, 0x81, 0xFE,
	0x100, 0x7FFF, 0x8001, 0xFFFE, 0x10000, 0x40000000, 0xFFFFFF7F, 0x0F0F0F0F,
};
static const uint32_t ops_counts[15] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 0xFF };
static const uint32_t ops_div_hi[6] = { 0, 1, 5, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF };
static const uint32_t ops_divisors[12] = {
	0, 1, 2, 3, 7, 0x80, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE,
};
static const uint32_t ops_fl2[2] = { 0x002, 0x8D7 };
static const uint32_t ops_fl4[4] = { 0x002, 0x003, 0x012, 0x8D7 };
static const uint32_t ops_cc_ecx[4] = { 0, 1, 2, 0x10000 };
static const uint32_t ops_ncases[C_NCLASS] = { 288, 48, 360, 864, 1024, 256 };

/* the EFLAGS image for combination i of CF PF AF ZF SF OF */
static inline uint32_t ops_cc_flags(uint32_t i)
{
	static const uint32_t bit[6] = { F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF };
	uint32_t f = 0x002;
	for (int b = 0; b < 6; b++)
		if ((i >> b) & 1)
			f |= bit[b];
	return f;
}

/* inputs of case i of a class: EAX ECX EDX EFLAGS */
static inline void ops_case(int cls, uint32_t i, uint32_t in[4])
{
	switch (cls) {
	case C_BIN:
		in[0] = ops_v12[i / 24], in[1] = ops_v12[(i / 2) % 12];
		in[2] = 0x13579BDF, in[3] = ops_fl2[i % 2];
		break;
	case C_UN:
		in[0] = ops_v24[i / 2], in[1] = 0x2468ACE0, in[2] = 0x13579BDF;
		in[3] = ops_fl2[i % 2];
		break;
	case C_SHIFT:
		in[0] = ops_v12[i / 30], in[1] = 0xABCDEF00 | ops_counts[(i / 2) % 15];
		in[2] = in[0] ^ 0x5A5AA5A5, in[3] = ops_fl2[i % 2];
		break;
	case C_DIV:
		in[0] = ops_v12[(i / 12) % 12], in[1] = ops_divisors[i % 12];
		in[2] = ops_div_hi[i / 144], in[3] = 0x002;
		break;
	case C_BCD: {
		uint32_t al = i & 0xFF, ah = (al * 7 + (i >> 8) * 0x35) & 0xFF;
		in[0] = 0xCAFE0000 | (ah << 8) | al, in[1] = 0x2468ACE0;
		in[2] = 0x13579BDF, in[3] = ops_fl4[i >> 8];
		break;
	}
	default:
		in[0] = 0x12345600 | i, in[1] = ops_cc_ecx[i >> 6], in[2] = 0x13579BDF;
		in[3] = ops_cc_flags(i & 63);
		break;
	}
}

#endif
