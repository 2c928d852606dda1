/*
 * The virtual CPU's power-on state and the one way an instruction stops
 * with an exception: unwind to the engine, which delivers it.
 */
#include <string.h>

#include "cpu.h"

/* Real-mode segment caches after RESET (SDM Vol. 3, Table 9-1). */
#define ATTR_DATA_RW_ACCESSED 0x0093u
#define ATTR_CODE_RX_ACCESSED 0x009bu
#define ATTR_LDT 0x0082u
#define ATTR_TSS32_BUSY 0x008bu

static void cpu_reset_segments(struct cpu *c)
{
	for (int s = SR_ES; s <= SR_GS; s++)
		c->seg[s] = (struct seg){ .sel = 0, .attr = ATTR_DATA_RW_ACCESSED, .base = 0, .limit = 0xffff };
	c->seg[SR_CS] = (struct seg){ .sel = 0xf000, .attr = ATTR_CODE_RX_ACCESSED,
				      .base = 0xffff0000u, .limit = 0xffff };
	c->ldtr = (struct seg){ .attr = ATTR_LDT, .limit = 0xffff };
	c->tr = (struct seg){ .attr = ATTR_TSS32_BUSY, .limit = 0xffff };
	c->gdtr = (struct dtr){ .base = 0, .limit = 0xffff };
	c->idtr = (struct dtr){ .base = 0, .limit = 0xffff };
}

/* The x87 as FNINIT leaves it (the BIOS runs FNINIT before any use). */
static void cpu_reset_fpu(struct fpu *f)
{
	memset(f, 0, sizeof(*f));
	f->fcw = 0x037f;
	f->ftw = 0xffff;
}

void cpu_reset(struct cpu *c)
{
	struct machine *m = c->m;
	jmp_buf *jmp = c->exc_jmp;

	memset(c, 0, sizeof(*c));
	c->m = m;
	c->exc_jmp = jmp;
	c->gpr[EDX] = CPU_SIGNATURE;
	c->eip = 0xfff0;
	c->eflags = F_FIXED1;
	c->cr0 = CR0_CD | CR0_NW | CR0_ET;
	c->dr[6] = 0xffff0ff0u;
	c->dr[7] = 0x00000400u;
	c->msr.apic_base = 0xfee00900u; /* BSP, enabled, at the default base */
	cpu_reset_segments(c);
	cpu_reset_fpu(&c->fpu);
	c->exc.vector = -1;
	c->exc.delivering = -1;
}

_Noreturn void cpu_raise(struct cpu *c, int vector, uint32_t err)
{
	c->exc.vector = vector;
	c->exc.err = err;
	longjmp(*c->exc_jmp, 1);
}

_Noreturn void cpu_raise_pf(struct cpu *c, uint32_t lin, uint32_t err)
{
	c->exc.fault_lin = lin;
	cpu_raise(c, EXC_PF, err);
}
