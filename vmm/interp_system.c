/*
 * System instructions of the reference interpreter: control and debug
 * registers, the TLB and cache controls, CPUID, the time-stamp counter
 * and MSRs, HLT, CLI/STI. CPL 0 for the privileged ones is checked by
 * the dispatcher from the table's A_PRIV; what is left here is each
 * instruction's own rule. The model is the CPUID one (vmm/cpuid.c):
 * features it does not advertise do not exist (#GP or #UD as the
 * hardware would raise for an absent feature).
 */
#include <stddef.h>

#include "interp.h"
#include "machine.h"
#include "mem.h"
#include "pmu.h"

#define CR0_DEFINED (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | \
		     CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* The CR4 bits of the model: PSE and PGE by CPUID, TSD with the TSC, PCE on every P6. */
#define CR4_SUPPORTED (CR4_TSD | CR4_PSE | CR4_PGE | CR4_PCE)
/* DR6 bits 4-11 and 16-31 read as 1; DR7 bit 10 reads as 1, 11/12/14/15 as 0. */
#define DR6_FIXED1 0xffff0ff0u
#define DR6_WRITABLE 0x0000e00fu
#define DR6_BD 0x00002000u
#define DR7_FIXED1 0x00000400u
#define DR7_WRITABLE 0xffff23ffu
#define DR7_GD 0x00002000u

#define MSR_TSC 0x10u
#define MSR_PLATFORM_ID 0x17u
#define MSR_BIOS_SIGN_ID 0x8bu

/* ---- control registers ---- */

static void cr0_write(struct cpu *c, uint32_t v)
{
	v = (v & CR0_DEFINED) | CR0_ET; /* ET is hardwired on P6 */
	if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
		cpu_raise(c, EXC_GP, 0);
	uint32_t changed = c->cr0 ^ v;
	c->cr0 = v;
	if (changed & (CR0_PG | CR0_PE | CR0_WP))
		tlb_flush_all(c, true);
}

static void cr2_write(struct cpu *c, uint32_t v)
{
	c->cr2 = v;
}

static void cr3_write(struct cpu *c, uint32_t v)
{
	c->cr3 = v;
	tlb_flush_all(c, false);
}

static void cr4_write(struct cpu *c, uint32_t v)
{
	if (v & ~CR4_SUPPORTED)
		cpu_raise(c, EXC_GP, 0);
	uint32_t changed = c->cr4 ^ v;
	c->cr4 = v;
	if (changed & (CR4_PSE | CR4_PGE))
		tlb_flush_all(c, true);
}

typedef void cr_write_fn(struct cpu *c, uint32_t v);

/* CR1 and CR5-CR7 do not exist: #UD. */
static cr_write_fn *const cr_writers[8] = {
	[0] = cr0_write, [2] = cr2_write, [3] = cr3_write, [4] = cr4_write,
};

static const size_t cr_fields[8] = {
	[0] = offsetof(struct cpu, cr0), [2] = offsetof(struct cpu, cr2),
	[3] = offsetof(struct cpu, cr3), [4] = offsetof(struct cpu, cr4),
};

void op_mov_to_cr(struct cpu *c, const struct insn *i)
{
	cr_write_fn *w = cr_writers[i->reg & 7];
	if (!w)
		cpu_raise(c, EXC_UD, 0);
	w(c, reg_read(c, i->rm, 4));
}

void op_mov_from_cr(struct cpu *c, const struct insn *i)
{
	size_t off = cr_fields[i->reg & 7];
	if (!off)
		cpu_raise(c, EXC_UD, 0);
	reg_write(c, i->rm, 4, *(const uint32_t *)((const char *)c + off));
}

/* ---- debug registers (breakpoints are stored, not yet acted on) ---- */

/* DR7.GD: any MOV DR faults with #DB, DR6.BD set, GD cleared for the handler. */
static void dr_check_general_detect(struct cpu *c)
{
	if (!(c->dr[7] & DR7_GD))
		return;
	c->dr[6] |= DR6_BD;
	c->dr[7] &= ~DR7_GD;
	cpu_raise(c, EXC_DB, 0);
}

/* DR4/DR5 alias DR6/DR7: the model has no CR4.DE, so they always do. */
static int dr_index(const struct insn *i)
{
	int n = i->reg & 7;
	return n == 4 || n == 5 ? n + 2 : n;
}

void op_mov_to_dr(struct cpu *c, const struct insn *i)
{
	int n = dr_index(i);
	uint32_t v = reg_read(c, i->rm, 4);
	dr_check_general_detect(c);
	if (n == 6)
		v = (v & DR6_WRITABLE) | DR6_FIXED1;
	else if (n == 7)
		v = (v & DR7_WRITABLE) | DR7_FIXED1;
	c->dr[n] = v;
}

void op_mov_from_dr(struct cpu *c, const struct insn *i)
{
	dr_check_general_detect(c);
	reg_write(c, i->rm, 4, c->dr[dr_index(i)]);
}

/* ---- CR0 shortcuts, TLB and caches ---- */

void op_clts(struct cpu *c, const struct insn *i)
{
	(void)i;
	c->cr0 &= ~CR0_TS;
}

/* LMSW loads PE, MP, EM, TS; it can set PE but never clear it. */
void op_lmsw(struct cpu *c, const struct insn *i)
{
	uint32_t msw = opnd_read(c, i, 0) & 0xf;
	uint32_t v = (c->cr0 & ~0xeu) | msw;
	if ((v ^ c->cr0) & CR0_PE)
		tlb_flush_all(c, true);
	c->cr0 = v;
}

/* SMSW: a register gets CR0 at the operand size; memory always a word. */
void op_smsw(struct cpu *c, const struct insn *i)
{
	if (i->mem)
		mem_write16(c, i->seg, insn_ea(c, i), (uint16_t)c->cr0);
	else
		reg_write(c, i->rm, i->opsize, c->cr0);
}

/* INVLPG makes no segment checks: it names a linear address. */
void op_invlpg(struct cpu *c, const struct insn *i)
{
	tlb_flush_page(c, c->seg[i->seg].base + insn_ea(c, i));
}

/* No caches are modelled: guest memory is always coherent. */
void op_invd(struct cpu *c, const struct insn *i)
{
	(void)c;
	(void)i;
}

void op_wbinvd(struct cpu *c, const struct insn *i)
{
	(void)c;
	(void)i;
}

/* ---- identification, time, MSRs ---- */

void op_cpuid(struct cpu *c, const struct insn *i)
{
	uint32_t r[4];
	(void)i;
	cpuid_query(c->gpr[EAX], r);
	c->gpr[EAX] = r[0];
	c->gpr[EBX] = r[1];
	c->gpr[ECX] = r[2];
	c->gpr[EDX] = r[3];
}

static uint64_t tsc_now(const struct cpu *c)
{
	return c->m->icount + c->msr.tsc_offset;
}

static void set_edx_eax(struct cpu *c, uint64_t v)
{
	c->gpr[EAX] = (uint32_t)v;
	c->gpr[EDX] = (uint32_t)(v >> 32);
}

void op_rdtsc(struct cpu *c, const struct insn *i)
{
	(void)i;
	if ((c->cr4 & CR4_TSD) && c->cpl > 0)
		cpu_raise(c, EXC_GP, 0);
	set_edx_eax(c, tsc_now(c));
}

static uint64_t msr_read_tsc(struct cpu *c) { return tsc_now(c); }
static uint64_t msr_read_zero(struct cpu *c) { (void)c; return 0; }
static void msr_write_tsc(struct cpu *c, uint64_t v) { c->msr.tsc_offset = v - c->m->icount; }
/* Writing BIOS_SIGN_ID (0 before CPUID) asks for the microcode revision: there is none. */
static void msr_write_ignore(struct cpu *c, uint64_t v) { (void)c; (void)v; }

static uint64_t msr_read_ctr0(struct cpu *c) { return pmu_read_counter(c, 0); }
static uint64_t msr_read_ctr1(struct cpu *c) { return pmu_read_counter(c, 1); }
static void msr_write_ctr0(struct cpu *c, uint64_t v) { pmu_write_counter(c, 0, v); }
static void msr_write_ctr1(struct cpu *c, uint64_t v) { pmu_write_counter(c, 1, v); }
static uint64_t msr_read_sel0(struct cpu *c) { return pmu_read_evtsel(c, 0); }
static uint64_t msr_read_sel1(struct cpu *c) { return pmu_read_evtsel(c, 1); }
static void msr_write_sel0(struct cpu *c, uint64_t v) { pmu_write_evtsel(c, 0, v); }
static void msr_write_sel1(struct cpu *c, uint64_t v) { pmu_write_evtsel(c, 1, v); }

struct msr_desc {
	uint32_t index;
	uint64_t (*read)(struct cpu *c);
	void (*write)(struct cpu *c, uint64_t v); /* NULL: read-only, #GP */
};

static const struct msr_desc msr_table[] = {
	{ MSR_TSC, msr_read_tsc, msr_write_tsc },
	{ MSR_PLATFORM_ID, msr_read_zero, NULL },
	{ MSR_BIOS_SIGN_ID, msr_read_zero, msr_write_ignore },
	{ MSR_PERFCTR0, msr_read_ctr0, msr_write_ctr0 },
	{ MSR_PERFCTR1, msr_read_ctr1, msr_write_ctr1 },
	{ MSR_PERFEVTSEL0, msr_read_sel0, msr_write_sel0 },
	{ MSR_PERFEVTSEL1, msr_read_sel1, msr_write_sel1 },
};

/* The MSR ECX names; any other #GP(0), as on hardware. */
static const struct msr_desc *msr_find(struct cpu *c)
{
	for (size_t k = 0; k < sizeof msr_table / sizeof msr_table[0]; k++)
		if (msr_table[k].index == c->gpr[ECX])
			return &msr_table[k];
	cpu_raise(c, EXC_GP, 0);
}

void op_rdmsr(struct cpu *c, const struct insn *i)
{
	(void)i;
	set_edx_eax(c, msr_find(c)->read(c));
}

void op_wrmsr(struct cpu *c, const struct insn *i)
{
	const struct msr_desc *d = msr_find(c);
	(void)i;
	if (!d->write)
		cpu_raise(c, EXC_GP, 0);
	d->write(c, (uint64_t)c->gpr[EDX] << 32 | c->gpr[EAX]);
}

/*
 * RDPMC: CR4.PCE = 0 at CPL > 0 is #GP(0); otherwise ECX names one of the
 * two P6 counters (vmm/pmu.c), 40 bits in EDX:EAX, and any other #GP(0).
 */
void op_rdpmc(struct cpu *c, const struct insn *i)
{
	(void)i;
	if ((!(c->cr4 & CR4_PCE) && c->cpl > 0) || c->gpr[ECX] >= PMU_COUNTERS)
		cpu_raise(c, EXC_GP, 0);
	set_edx_eax(c, pmu_read_counter(c, c->gpr[ECX]));
}

/* ---- HLT, CLI, STI ---- */

void op_hlt(struct cpu *c, const struct insn *i)
{
	(void)i;
	c->halted = true;
}

/* Protected mode (and V86, where CPL is 3) needs CPL <= IOPL; no VME/PVI. */
static void iopl_check(struct cpu *c)
{
	if (cpu_pe(c) && c->cpl > IOPL(c->eflags))
		cpu_raise(c, EXC_GP, 0);
}

void op_cli(struct cpu *c, const struct insn *i)
{
	(void)i;
	iopl_check(c);
	c->eflags &= ~F_IF;
}

/* Interrupts stay held off for one more instruction when STI sets IF. */
void op_sti(struct cpu *c, const struct insn *i)
{
	(void)i;
	iopl_check(c);
	if (!(c->eflags & F_IF))
		c->int_shadow |= SHADOW_STI;
	c->eflags |= F_IF;
}
