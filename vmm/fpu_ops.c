/*
 * The x87 instruction handlers: the guest's memory operands, the waiting
 * check that turns a pending unmasked exception into #MF, and the
 * instruction and data pointers of the P6. The arithmetic itself is the
 * host's x87 unit (vmm/fpu_core.c).
 */
#include <string.h>

#include "fpu.h"
#include "interp.h"
#include "machine.h"
#include "mem.h"

enum {
	FPU_LOAD = 1,    /* reads its memory operand */
	FPU_STORE = 2,   /* writes its memory operand */
	FPU_CONTROL = 4, /* leaves FIP, FCS, FOP, FDP, FDS alone */
	FPU_NOWAIT = 8,  /* FN*: does not report a pending exception */
};

static const uint8_t fpu_form_size[OPF_COUNT] = {
	[OPF_Mf32] = 4, [OPF_Mf64] = 8, [OPF_Mf80] = 10, [OPF_Mi16] = 2,
	[OPF_Mi32] = 4, [OPF_Mi64] = 8, [OPF_Mbcd] = 10, [OPF_Mw2] = 2,
};

static unsigned fpu_mem_size(const struct insn *i)
{
	for (int n = 0; n < 3; n++)
		if (fpu_form_size[i->desc->operand[n]])
			return fpu_form_size[i->desc->operand[n]];
	return 0;
}

/*
 * A waiting instruction first reports an unmasked exception an earlier one
 * left pending: #MF with CR0.NE, else the PC's FERR#/IRQ 13 wiring, which
 * is not modelled. The machine then stops at the instruction (the engine
 * delivers nothing once the machine has failed).
 */
static void fpu_wait(struct cpu *c)
{
	if (!(c->fpu.fsw & FSW_ES))
		return;
	if (!(c->cr0 & CR0_NE))
		machine_unsupported(c->m, "CR0.NE=0 FPU error reporting (IRQ 13) not supported");
	cpu_raise(c, EXC_MF, 0);
}

/* The P6 records every non-control instruction, its memory operand if any. */
static void fpu_note(struct cpu *c, const struct insn *i, uint32_t ea)
{
	c->fpu.fip = i->eip;
	c->fpu.fcs = c->seg[SR_CS].sel;
	c->fpu.fop = (uint16_t)(((i->desc->opcode & 7u) << 8) | i->modrm);
	if (i->mem) {
		c->fpu.fdp = ea;
		c->fpu.fds = c->seg[i->seg].sel;
	}
}

/*
 * Fault checks for an operand of n bytes before anything changes. The
 * pieces are naturally aligned sizes, so the CPL-3 alignment check sees
 * the x87's rule: an m80 or BCD operand is aligned on 8 bytes.
 */
static void fpu_mem_check(struct cpu *c, int seg, uint32_t ea, unsigned n, bool write)
{
	void (*check)(struct cpu *, int, uint32_t, int) = write ? mem_check_write : mem_check_read;

	if (n == 10) {
		check(c, seg, ea, 8);
		check(c, seg, ea + 8, 2);
	} else {
		check(c, seg, ea, (int)n);
	}
}

static uint8_t fpu_host_modrm(const struct insn *i)
{
	return i->mem ? (uint8_t)(i->reg << 3) : i->modrm;
}

/*
 * Did a store that raised an unmasked exception write its destination?
 * The hardware leaves memory alone in some of those cases: run it again
 * on a different fill and see whether the operand came out the same.
 */
static bool fpu_store_written(const struct fpu *before, const struct insn *i,
			      const uint8_t *out, unsigned n, uint32_t eflags)
{
	struct fpu again = *before;
	uint8_t probe[16];

	memset(probe, 0xff, sizeof probe);
	fpu_exec(&again, i->desc->opcode, fpu_host_modrm(i), probe, &eflags);
	return memcmp(out, probe, n) == 0;
}

/*
 * A store as the host makes it: an m80 or BCD operand is two stores, 8
 * bytes then 2, so a fault on the second part leaves the first written;
 * any other operand is written whole or not at all.
 */
static void fpu_store_piece(struct cpu *c, int seg, uint32_t ea, const uint8_t *buf, unsigned n)
{
	fpu_mem_check(c, seg, ea, n, true);
	mem_write_bytes(c, seg, ea, buf, n);
}

static void fpu_store(struct cpu *c, int seg, uint32_t ea, const uint8_t *buf, unsigned n)
{
	unsigned first = n == 10 ? 8 : n;

	fpu_store_piece(c, seg, ea, buf, first);
	if (n > first)
		fpu_store_piece(c, seg, ea + first, buf + first, n - first);
}

/*
 * The result is computed on a copy and committed after the memory access,
 * so a fault leaves the x87 as it was. A store that an unmasked exception
 * suppresses touches no memory: the host raises no #PF, #GP or #AC for it.
 */
static void fpu_run(struct cpu *c, const struct insn *i, unsigned how)
{
	uint8_t buf[16] = { 0 };
	unsigned n = i->mem ? fpu_mem_size(i) : 0;
	uint32_t ea = i->mem ? insn_ea(c, i) : 0;

	if (!(how & FPU_NOWAIT))
		fpu_wait(c);
	if (n && (how & FPU_LOAD)) {
		fpu_mem_check(c, i->seg, ea, n, false);
		mem_read_bytes(c, i->seg, ea, buf, n);
	}
	struct fpu after = c->fpu;
	uint32_t eflags = c->eflags;
	fpu_exec(&after, i->desc->opcode, fpu_host_modrm(i), buf, &eflags);
	if (n && (how & FPU_STORE) &&
	    (!(after.fsw & FSW_ES) || fpu_store_written(&c->fpu, i, buf, n, c->eflags)))
		fpu_store(c, i->seg, ea, buf, n);
	c->fpu = after;
	c->eflags = eflags;
	if (!(how & FPU_CONTROL))
		fpu_note(c, i, ea);
}

void op_fld(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_LOAD); }
void op_fst(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_STORE); }
void op_fild(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_LOAD); }
void op_fist(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_STORE); }
void op_fbld(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_LOAD); }
void op_fbstp(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_STORE); }
void op_fxch(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_fldconst(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_farith(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_LOAD); }
void op_fcom(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_LOAD); }
void op_fcomi(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_funary(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_fmath(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_ftrans(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_fcmov(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_ffree(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_fstack(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_fnop(struct cpu *c, const struct insn *i) { fpu_run(c, i, 0); }
void op_fnclex(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_CONTROL | FPU_NOWAIT); }
void op_fldcw(struct cpu *c, const struct insn *i) { fpu_run(c, i, FPU_LOAD | FPU_CONTROL); }

/* FNENI, FNDISI, FNSETPM: 8087/287 controls the P6 ignores (no wait, no FIP). */
void op_fnop_legacy(struct cpu *c, const struct insn *i)
{
	(void)c;
	(void)i;
}

void op_fninit(struct cpu *c, const struct insn *i)
{
	(void)i;
	fpu_init(&c->fpu);
}

void op_fnstcw(struct cpu *c, const struct insn *i)
{
	mem_write16(c, i->seg, insn_ea(c, i), c->fpu.fcw);
}

void op_fnstsw(struct cpu *c, const struct insn *i)
{
	if (i->mem)
		mem_write16(c, i->seg, insn_ea(c, i), c->fpu.fsw);
	else
		reg_write(c, EAX, 2, c->fpu.fsw);
}

/* WAIT is no ESC instruction: CR0.EM does not matter, TS only with MP. */
void op_fwait(struct cpu *c, const struct insn *i)
{
	(void)i;
	if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		cpu_raise(c, EXC_NM, 0);
	fpu_wait(c);
}

static struct fpu_format fpu_guest_format(const struct cpu *c, const struct insn *i)
{
	return (struct fpu_format){ .op32 = i->opsize == 4, .real = !cpu_pe(c) || cpu_vm86(c) };
}

static const struct fpu_format fpu_host_format = { .op32 = true, .real = false };

/*
 * The hardware touches an image in this order: its first slot (so its
 * alignment check and faults come first), then its last byte, then the
 * rest. A fault on the image's second page therefore names its last byte
 * (CR2), and nothing is stored before it.
 */
static void fpu_image_check(struct cpu *c, const struct insn *i, unsigned size, bool write)
{
	uint32_t ea = insn_ea(c, i);

	fpu_mem_check(c, i->seg, ea, i->opsize, write);
	fpu_mem_check(c, i->seg, ea + size - 1, 1, write);
}

static void fpu_take_pointers(struct fpu *f, const struct fpu *from)
{
	f->fip = from->fip;
	f->fcs = from->fcs;
	f->fop = from->fop;
	f->fdp = from->fdp;
	f->fds = from->fds;
}

/* The masking that follows the store is the host's: it also settles ES. */
void op_fnstenv(struct cpu *c, const struct insn *i)
{
	struct fpu_format fmt = fpu_guest_format(c, i);
	uint8_t img[FPU_SAVE_SIZE];

	fpu_env_encode(&c->fpu, fmt, img);
	fpu_image_check(c, i, fpu_env_size(fmt), true);
	mem_write_bytes(c, i->seg, insn_ea(c, i), img, fpu_env_size(fmt));
	fpu_exec(&c->fpu, 0xd9, 6 << 3, img, &c->eflags);
}

void op_fnsave(struct cpu *c, const struct insn *i)
{
	struct fpu_format fmt = fpu_guest_format(c, i);
	uint8_t img[FPU_SAVE_SIZE];

	fpu_save_encode(&c->fpu, fmt, img);
	fpu_image_check(c, i, fpu_env_size(fmt) + 80, true);
	mem_write_bytes(c, i->seg, insn_ea(c, i), img, fpu_env_size(fmt) + 80);
	fpu_init(&c->fpu);
}

/*
 * The image is read in the guest's layout, then handed to the host's own
 * FLDENV/FRSTOR (opcode, ModRM /4) in its layout, so which tags and status
 * bits survive the load is the hardware's decision.
 */
static void fpu_load_image(struct cpu *c, const struct insn *i, uint8_t opcode, unsigned size)
{
	struct fpu_format fmt = fpu_guest_format(c, i);
	uint8_t img[FPU_SAVE_SIZE];
	struct fpu loaded = c->fpu;

	fpu_wait(c);
	fpu_image_check(c, i, size, false);
	mem_read_bytes(c, i->seg, insn_ea(c, i), img, size);
	if (opcode == 0xdd) {
		fpu_save_decode(&loaded, fmt, img);
		fpu_save_encode(&loaded, fpu_host_format, img);
	} else {
		fpu_env_decode(&loaded, fmt, img);
		fpu_env_encode(&loaded, fpu_host_format, img);
	}
	fpu_exec(&c->fpu, opcode, 4 << 3, img, &c->eflags);
	fpu_take_pointers(&c->fpu, &loaded);
}

void op_fldenv(struct cpu *c, const struct insn *i)
{
	fpu_load_image(c, i, 0xd9, fpu_env_size(fpu_guest_format(c, i)));
}

void op_frstor(struct cpu *c, const struct insn *i)
{
	fpu_load_image(c, i, 0xdd, fpu_env_size(fpu_guest_format(c, i)) + 80);
}
