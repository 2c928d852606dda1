/*
 * Port I/O instructions and the protection in front of them: IOPL, and
 * for code below it (or in V86 mode) the I/O permission bitmap of the
 * 32-bit TSS. The ports themselves are the machine's bus (vmm/machine.c).
 */
#include "interp.h"
#include "machine.h"
#include "mem.h"

#define TSS32_MIN_LIMIT 0x67u
#define TSS_IOMAP_BASE 0x66u

static bool io_tss_is_32bit(const struct seg *tr)
{
	return (SEG_TYPE(tr->attr) & 0x9) == 0x9; /* 9 available, 11 busy */
}

/*
 * The bitmap bits for [port, port + size) must all be 0. The processor
 * always reads two bytes of the map, so both must lie inside the TSS
 * limit (hence the extra 0xff byte guests put at its end).
 */
static bool io_bitmap_allows(struct cpu *c, uint16_t port, int size)
{
	const struct seg *tr = &c->tr;
	if (!SEG_P(tr->attr) || !io_tss_is_32bit(tr) || tr->limit < TSS32_MIN_LIMIT)
		return false;
	uint32_t map = lin_read(c, tr->base + TSS_IOMAP_BASE, 2, true);
	uint32_t at = map + port / 8u;
	if (at + 1 > tr->limit)
		return false;
	uint32_t bits = lin_read(c, tr->base + at, 2, true);
	uint32_t mask = ((1u << size) - 1) << (port & 7);
	return !(bits & mask);
}

void io_check_access(struct cpu *c, uint16_t port, int size)
{
	if (!cpu_pe(c) || (!cpu_vm86(c) && c->cpl <= IOPL(c->eflags)))
		return;
	if (!io_bitmap_allows(c, port, size))
		cpu_raise(c, EXC_GP, 0);
}

/* IN AL/eAX, Ib or DX: operand 0 the accumulator, operand 1 the port. */
void op_in(struct cpu *c, const struct insn *i)
{
	int size = opnd_size(i, 0);
	uint16_t port = (uint16_t)opnd_read(c, i, 1);
	io_check_access(c, port, size);
	reg_write(c, EAX, size, machine_io_in(c->m, port, size));
}

/* OUT Ib or DX, AL/eAX: operand 0 the port, operand 1 the accumulator. */
void op_out(struct cpu *c, const struct insn *i)
{
	int size = opnd_size(i, 1);
	uint16_t port = (uint16_t)opnd_read(c, i, 0);
	io_check_access(c, port, size);
	machine_io_out(c->m, port, size, reg_read(c, EAX, size));
}
