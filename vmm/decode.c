/*
 * The one decoder: IA-32 bytes to a struct insn through the instruction
 * table (prefixes, opcode maps, ModRM/SIB addressing, immediates). It
 * serves interp, bt, the disassembler and the fuzzer; it is pure and
 * reads no byte the fetch function did not return.
 */
#include <string.h>

#include "cpu.h"
#include "insn.h"

#define INSN_MAX_LEN 15

struct decoder {
	struct insn *i;
	insn_fetch_fn *fetch;
	void *ctx;
	unsigned have;  /* bytes fetched into i->bytes */
	enum decode_status status;
};

/* The next instruction byte; false (with d->status set) when there is none. */
static bool decode_next(struct decoder *d, uint8_t *b)
{
	struct insn *i = d->i;

	if (i->len >= INSN_MAX_LEN) {
		d->status = DECODE_TOO_LONG;
		return false;
	}
	if (i->len == d->have) {
		/* Ask again from the byte needed, so a fetch fault is raised for it. */
		d->have += d->fetch(d->ctx, i->eip + d->have, i->bytes + d->have,
				    INSN_MAX_LEN - d->have);
		if (i->len == d->have) {
			d->status = DECODE_TRUNCATED;
			return false;
		}
	}
	*b = i->bytes[i->len++];
	return true;
}

/* A little-endian value of n bytes (1, 2 or 4). */
static bool decode_uint(struct decoder *d, unsigned n, uint32_t *v)
{
	uint8_t b;

	*v = 0;
	for (unsigned k = 0; k < n; k++) {
		if (!decode_next(d, &b))
			return false;
		*v |= (uint32_t)b << (8 * k);
	}
	return true;
}

static uint32_t sign_extend(uint32_t v, unsigned bytes)
{
	if (bytes == 1)
		return (uint32_t)(int32_t)(int8_t)v;
	if (bytes == 2)
		return (uint32_t)(int32_t)(int16_t)v;
	return v;
}

/* Segment register named by a segment-override prefix byte, or -1. */
static int prefix_segment(uint8_t b)
{
	switch (b) {
	case 0x26: return SR_ES;
	case 0x2e: return SR_CS;
	case 0x36: return SR_SS;
	case 0x3e: return SR_DS;
	case 0x64: return SR_FS;
	case 0x65: return SR_GS;
	default: return -1;
	}
}

/* Prefix bits of the other prefix bytes, 0 for a non-prefix. */
static uint8_t prefix_bit(uint8_t b)
{
	switch (b) {
	case 0xf0: return P_LOCK;
	case 0xf2: return P_REPNE;
	case 0xf3: return P_REP;
	case 0x66: return P_OPSIZE;
	case 0x67: return P_ADSIZE;
	default: return 0;
	}
}

/*
 * Consume prefixes; returns the first opcode byte. Repeats are allowed;
 * the last segment override and the last of F2/F3 win.
 */
static bool decode_prefixes(struct decoder *d, int *override, uint8_t *op)
{
	struct insn *i = d->i;

	for (;;) {
		if (!decode_next(d, op))
			return false;
		int seg = prefix_segment(*op);
		uint8_t bit = prefix_bit(*op);
		if (seg >= 0) {
			*override = seg;
			i->prefixes |= P_SEG;
		} else if (bit) {
			if (bit & (P_REP | P_REPNE))
				i->prefixes &= ~(P_REP | P_REPNE);
			i->prefixes |= bit;
		} else {
			return true;
		}
	}
}

/* 16-bit ModRM memory operand: disp and the default segment. */
static bool decode_ea16(struct decoder *d, int *seg)
{
	struct insn *i = d->i;
	uint32_t v;

	if (i->mod == 0 && i->rm == 6)
		return decode_uint(d, 2, &i->disp);
	if (i->rm == 2 || i->rm == 3 || i->rm == 6)
		*seg = SR_SS;
	if (i->mod == 0)
		return true;
	if (!decode_uint(d, i->mod == 1 ? 1 : 2, &v))
		return false;
	i->disp = i->mod == 1 ? sign_extend(v, 1) : v;
	return true;
}

/* 32-bit ModRM memory operand: SIB, disp and the default segment. */
static bool decode_ea32(struct decoder *d, int *seg)
{
	struct insn *i = d->i;
	unsigned base = i->rm;
	uint32_t v;

	if (i->rm == 4) {
		if (!decode_next(d, &i->sib))
			return false;
		i->has_sib = true;
		base = i->sib & 7;
	}
	bool no_base = i->mod == 0 && base == EBP;
	if (!no_base && (base == ESP || base == EBP))
		*seg = SR_SS;
	if (no_base)
		return decode_uint(d, 4, &i->disp);
	if (i->mod == 0)
		return true;
	if (!decode_uint(d, i->mod == 1 ? 1 : 4, &v))
		return false;
	i->disp = i->mod == 1 ? sign_extend(v, 1) : v;
	return true;
}

static bool desc_has_form(const struct insn_desc *desc, uint8_t form)
{
	return desc->operand[0] == form || desc->operand[1] == form ||
	       desc->operand[2] == form;
}

/* The ModRM byte's fields and, for a memory form, its address bytes. */
static bool decode_modrm_operand(struct decoder *d, int *seg)
{
	struct insn *i = d->i;

	i->mod = i->modrm >> 6;
	i->reg = (i->modrm >> 3) & 7;
	i->rm = i->modrm & 7;
	if (desc_has_form(i->desc, OPF_Rd))
		i->mod = 3; /* MOV CR/DR ignore mod: always a register */
	if (i->mod == 3)
		return true;
	i->mem = true;
	return i->adsize == 2 ? decode_ea16(d, seg) : decode_ea32(d, seg);
}

/* moffs: an absolute offset of address size, shaped like disp-only ModRM. */
static bool decode_moffs(struct decoder *d)
{
	struct insn *i = d->i;

	i->mem = true;
	i->mod = 0;
	i->rm = i->adsize == 2 ? 6 : 5;
	return decode_uint(d, i->adsize, &i->disp);
}

/* Bytes of an immediate form; 0 when the form has none. */
static unsigned imm_bytes(const struct insn *i, uint8_t form)
{
	switch (form) {
	case OPF_Ib: case OPF_Ibs: case OPF_Jb:
		return 1;
	case OPF_Iw:
		return 2;
	case OPF_Iv: case OPF_Jz: case OPF_Ap:
		return i->opsize;
	default:
		return 0;
	}
}

static uint32_t imm_value(const struct insn *i, uint8_t form, uint32_t v)
{
	switch (form) {
	case OPF_Ibs:
		v = sign_extend(v, 1);
		return i->opsize == 2 ? v & 0xffff : v;
	case OPF_Jb:
		return sign_extend(v, 1);
	case OPF_Jz:
		return sign_extend(v, i->opsize);
	default:
		return v;
	}
}

/* Immediates and moffs, in operand order: first into imm, second into imm2. */
static bool decode_immediates(struct decoder *d)
{
	struct insn *i = d->i;
	uint32_t *slot = &i->imm, v;

	for (int n = 0; n < 3; n++) {
		uint8_t form = i->desc->operand[n];
		unsigned bytes = imm_bytes(i, form);
		if (form == OPF_Ob || form == OPF_Ov) {
			if (!decode_moffs(d))
				return false;
			continue;
		}
		if (!bytes)
			continue;
		if (!decode_uint(d, bytes, &v))
			return false;
		*slot = imm_value(i, form, v);
		slot = &i->imm2;
		if (form == OPF_Ap && !decode_uint(d, 2, slot))
			return false;
	}
	return true;
}

/*
 * Operation size by form: 1, 2, 4 or a memory size; -1 for opsize; 0 for
 * forms that are not data (immediates, branch targets, the DX port).
 */
static const int8_t form_size[OPF_COUNT] = {
	[OPF_Eb] = 1, [OPF_Gb] = 1, [OPF_Ob] = 1, [OPF_Xb] = 1, [OPF_Yb] = 1,
	[OPF_Zb] = 1, [OPF_AL] = 1, [OPF_CL] = 1,
	[OPF_Ew] = 2, [OPF_Gw] = 2, [OPF_Mw] = 2, [OPF_Sw] = 2, [OPF_AX] = 2,
	[OPF_Mw2] = 2, [OPF_Mi16] = 2,
	[OPF_Ed] = 4, [OPF_Gd] = 4, [OPF_Rd] = 4, [OPF_Cd] = 4, [OPF_Dd] = 4,
	[OPF_Mf32] = 4, [OPF_Mi32] = 4,
	[OPF_Mq] = 8, [OPF_Mf64] = 8, [OPF_Mi64] = 8,
	[OPF_Mf80] = 10, [OPF_Mbcd] = 10, [OPF_ST0] = 10, [OPF_STi] = 10,
	[OPF_Ev] = -1, [OPF_Gv] = -1, [OPF_Ov] = -1, [OPF_Xv] = -1,
	[OPF_Yv] = -1, [OPF_Zv] = -1, [OPF_eAX] = -1, [OPF_M] = -1,
	[OPF_Mp] = -1, [OPF_Ma] = -1, [OPF_Ms] = -1,
	[OPF_ES] = -1, [OPF_CS] = -1, [OPF_SS] = -1, [OPF_DS] = -1,
	[OPF_FS] = -1, [OPF_GS] = -1,
	[OPF_Menv] = -2, [OPF_Msave] = -3,
};

static uint8_t insn_operation_size(const struct insn *i)
{
	for (int n = 0; n < 3; n++) {
		switch (form_size[i->desc->operand[n]]) {
		case 0: continue;
		case -1: return i->opsize;
		case -2: return i->opsize == 2 ? 14 : 28;
		case -3: return i->opsize == 2 ? 94 : 108;
		default: return form_size[i->desc->operand[n]];
		}
	}
	return i->opsize;
}

/* A row of the same opcode byte (any ModRM), for an undefined group member. */
static const struct insn_desc *decode_sibling_row(unsigned map, uint8_t op, uint8_t modrm)
{
	for (unsigned alt = 0; alt < 16; alt++) {
		uint8_t m = (uint8_t)((modrm & 0xc7) ^ (alt & 8 ? 0xc0 : 0)) | (uint8_t)((alt & 7) << 3);
		const struct insn_desc *desc = insn_table_match(map, op, m);
		if (desc)
			return desc;
	}
	return NULL;
}

/*
 * An undefined ModRM.reg of a group is #UD only once the whole
 * instruction is fetched: the host's length decoder takes the address
 * bytes and the opcode's immediate first, so a fetch fault there wins.
 */
static void decode_undefined_group(struct decoder *d, unsigned map)
{
	struct insn *i = d->i;
	int seg = SR_DS;

	i->desc = decode_sibling_row(map, i->opcode, i->modrm);
	if (i->desc && decode_modrm_operand(d, &seg))
		decode_immediates(d);
	i->desc = NULL;
}

/* Opcode bytes after the prefixes: picks the row (reads ModRM if any). */
static bool decode_opcode(struct decoder *d, uint8_t op)
{
	struct insn *i = d->i;
	unsigned map = 0;
	uint8_t escape;

	if (op == 0x0f) {
		map = 1;
		if (!decode_next(d, &op))
			return false;
	}
	i->opcode = op;
	enum insn_opcode_kind kind = insn_table_kind(map, op);
	if (kind == OPK_INVALID) {
		d->status = DECODE_UD;
		return false;
	}
	/* 0F 38-3F: three-byte maps, all of them #UD here (their rows say how long). */
	if (map == 1 && (op & 0xf8) == 0x38 && !decode_next(d, &escape))
		return false;
	if (kind == OPK_MODRM && !decode_next(d, &i->modrm))
		return false;
	i->desc = insn_table_match(map, op, i->modrm);
	if (i->desc)
		return true;
	d->status = DECODE_UD;
	if (kind == OPK_MODRM)
		decode_undefined_group(d, map);
	return false;
}

/* LOCK only on a lockable instruction with a memory destination; memory-only forms. */
static enum decode_status decode_check(const struct insn *i)
{
	uint16_t attr = i->desc->attr;
	bool rm_mem = i->mem && i->desc->modrm;

	if ((attr & A_MEMONLY) && !rm_mem)
		return DECODE_UD;
	if ((i->prefixes & P_LOCK) && !((attr & A_LOCK) && rm_mem))
		return DECODE_UD;
	return DECODE_OK;
}

static enum decode_status decode_run(struct decoder *d, bool code32)
{
	struct insn *i = d->i;
	int override = -1, seg = SR_DS;
	uint8_t op;

	if (!decode_prefixes(d, &override, &op))
		return d->status;
	i->opsize = ((i->prefixes & P_OPSIZE) != 0) != code32 ? 4 : 2;
	i->adsize = ((i->prefixes & P_ADSIZE) != 0) != code32 ? 4 : 2;
	if (!decode_opcode(d, op))
		return d->status;
	if (i->desc->modrm && !decode_modrm_operand(d, &seg))
		return d->status;
	if (!i->desc->modrm && INSN_IS_ZFORM(i->desc))
		i->reg = i->opcode & 7;
	if (!decode_immediates(d))
		return d->status;
	i->seg = override >= 0 ? override : seg;
	i->size = insn_operation_size(i);
	return decode_check(i);
}

enum decode_status decode_insn(struct insn *i, bool code32, uint32_t eip,
			       insn_fetch_fn *fetch, void *ctx)
{
	struct decoder d = { .i = i, .fetch = fetch, .ctx = ctx };

	memset(i, 0, sizeof(*i));
	i->eip = eip;
	return decode_run(&d, code32);
}

struct byte_source {
	const uint8_t *buf;
	unsigned n;
	uint32_t eip;
};

static unsigned decode_fetch_buffer(void *ctx, uint32_t off, uint8_t *buf, unsigned want)
{
	const struct byte_source *s = ctx;
	uint32_t at = off - s->eip;

	if (at >= s->n)
		return 0;
	if (want > s->n - at)
		want = s->n - at;
	memcpy(buf, s->buf + at, want);
	return want;
}

enum decode_status decode_bytes(struct insn *i, bool code32, const uint8_t *buf,
				unsigned n, uint32_t eip)
{
	struct byte_source s = { .buf = buf, .n = n, .eip = eip };

	return decode_insn(i, code32, eip, decode_fetch_buffer, &s);
}
