/*
 * Single bits and conditions: the BT family (with bit-string addressing
 * for a memory operand and a register offset), BSF/BSR, SETcc, CMOVcc and
 * BSWAP.
 */
#include "interp.h"
#include "alu.h"
#include "mem.h"

/*
 * A register bit offset reaches beyond a memory operand: it is signed, and
 * selects the size-aligned unit at ea + (offset / bits) * size.
 */
static uint32_t bit_string_offset(const struct cpu *c, const struct insn *i, uint32_t bit)
{
	int bits = i->size * 8;
	int32_t sbit = i->size == 2 ? (int16_t)bit : (int32_t)bit;
	int32_t unit = sbit >> (bits == 16 ? 4 : 5);
	uint32_t off = insn_ea(c, i) + (uint32_t)unit * (uint32_t)i->size;

	return i->adsize == 2 ? off & 0xffff : off;
}

static bool bit_string_form(const struct insn *i)
{
	return i->mem && i->desc->operand[1] != OPF_Ib;
}

static void bit_exec_mem(struct cpu *c, const struct insn *i, int op, uint32_t bit)
{
	uint32_t off = bit_string_offset(c, i, bit);
	uint32_t v, r;

	if (op != BIT_TEST)
		mem_check_write(c, i->seg, off, i->size);
	v = mem_read(c, i->seg, off, i->size);
	r = alu_bittest(c, op, v, bit, i->size);
	if (op != BIT_TEST)
		mem_write(c, i->seg, off, i->size, r);
}

static void bit_exec(struct cpu *c, const struct insn *i, int op)
{
	uint32_t bit = opnd_read(c, i, 1);
	uint32_t v, r;

	if (bit_string_form(i)) {
		bit_exec_mem(c, i, op, bit);
		return;
	}
	v = op == BIT_TEST ? opnd_read(c, i, 0) : opnd_read_rmw(c, i, 0);
	r = alu_bittest(c, op, v, bit, i->size);
	if (op != BIT_TEST)
		opnd_write(c, i, 0, r);
}

void op_bt(struct cpu *c, const struct insn *i) { bit_exec(c, i, BIT_TEST); }
void op_bts(struct cpu *c, const struct insn *i) { bit_exec(c, i, BIT_SET); }
void op_btr(struct cpu *c, const struct insn *i) { bit_exec(c, i, BIT_RESET); }
void op_btc(struct cpu *c, const struct insn *i) { bit_exec(c, i, BIT_COMPLEMENT); }

/* BSF/BSR write the destination even when it keeps its value (Intel). */
void op_bsf(struct cpu *c, const struct insn *i)
{
	uint32_t src = opnd_read(c, i, 1);

	opnd_write(c, i, 0, alu_bsf(c, src, opnd_read(c, i, 0), i->size));
}

void op_bsr(struct cpu *c, const struct insn *i)
{
	uint32_t src = opnd_read(c, i, 1);

	opnd_write(c, i, 0, alu_bsr(c, src, opnd_read(c, i, 0), i->size));
}

/* 0F 90-9F: the opcode's low nibble is the condition. */
void op_setcc(struct cpu *c, const struct insn *i)
{
	opnd_write(c, i, 0, cond_holds(c, i->desc->opcode & 0xf));
}

/*
 * 0F 40-4F: the source is read (and may fault) whatever the condition;
 * a false condition leaves the destination register as it was.
 */
void op_cmovcc(struct cpu *c, const struct insn *i)
{
	uint32_t v = opnd_read(c, i, 1);

	if (cond_holds(c, i->desc->opcode & 0xf))
		opnd_write(c, i, 0, v);
}

/* BSWAP r16 is undefined; Intel clears the register's low word. */
void op_bswap(struct cpu *c, const struct insn *i)
{
	uint32_t v = opnd_read(c, i, 0);

	opnd_write(c, i, 0, i->size == 4 ? __builtin_bswap32(v) : 0);
}
