/*
 * The architectural state of one IA-32 processor (P6 class): what every
 * engine takes in and gives back. The paper's "virtual CPU" -- the same
 * struct whether interp, bt or de runs the guest.
 */
#ifndef DOPPEL_CPU_H
#define DOPPEL_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

struct machine;

enum gpr { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
enum sreg { SR_ES, SR_CS, SR_SS, SR_DS, SR_FS, SR_GS, SR_NONE = 7 };

/* EFLAGS bits */
#define F_CF 0x00000001u
#define F_FIXED1 0x00000002u
#define F_PF 0x00000004u
#define F_AF 0x00000010u
#define F_ZF 0x00000040u
#define F_SF 0x00000080u
#define F_TF 0x00000100u
#define F_IF 0x00000200u
#define F_DF 0x00000400u
#define F_OF 0x00000800u
#define F_IOPL 0x00003000u
#define F_NT 0x00004000u
#define F_RF 0x00010000u
#define F_VM 0x00020000u
#define F_AC 0x00040000u
#define F_VIF 0x00080000u
#define F_VIP 0x00100000u
#define F_ID 0x00200000u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define IOPL(fl) (((fl) >> 12) & 3)

/* Control register bits */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x0001u
#define CR4_PVI 0x0002u
#define CR4_TSD 0x0004u
#define CR4_DE 0x0008u
#define CR4_PSE 0x0010u
#define CR4_PAE 0x0020u
#define CR4_MCE 0x0040u
#define CR4_PGE 0x0080u
#define CR4_PCE 0x0100u

/* Exception vectors */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4,
	EXC_BR = 5, EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10,
	EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16,
	EXC_AC = 17, EXC_MC = 18,
};

/* Page-fault error code bits */
#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_RSVD 8u

/*
 * A segment register: the visible selector and the hidden descriptor
 * cache. `attr` holds descriptor bits 40..55 as the hardware caches them:
 * bits 0-7 the access byte (type, S, DPL, P), bits 12-15 AVL, L, D/B, G.
 * `limit` is the expanded byte limit (G already applied).
 */
struct seg {
	uint16_t sel;
	uint16_t attr;
	uint32_t base;
	uint32_t limit;
};
#define SEG_TYPE(a) ((a) & 0xf)
#define SEG_S(a) (((a) >> 4) & 1)
#define SEG_DPL(a) (((a) >> 5) & 3)
#define SEG_P(a) (((a) >> 7) & 1)
#define SEG_DB(a) (((a) >> 14) & 1)
#define SEG_G(a) (((a) >> 15) & 1)

struct dtr {
	uint32_t base;
	uint16_t limit;
};

/* x87 state in the layout FSAVE describes; registers are physical ST slots. */
struct fpu {
	uint16_t fcw, fsw, ftw; /* ftw: full 2-bit-per-register tag word */
	uint16_t fop;
	uint32_t fip, fdp;
	uint16_t fcs, fds;
	uint8_t st[8][10]; /* 80-bit extended, little endian, physical order */
};

/* The MSRs the CPUID model advertises (CPUID.1:EDX.MSR). */
struct msrs {
	uint64_t tsc_offset; /* TSC = icount + tsc_offset */
	uint64_t apic_base;
	uint32_t perfevtsel[2]; /* P6 PerfEvtSel0/1 as written (vmm/pmu.c) */
	uint64_t perfctr[2];    /* P6 PerfCtr0/1 (40 bits) as of pmu_mark */
	uint64_t pmu_mark;      /* machine_retired() when perfctr was brought up to date */
};

/* An event waiting to be delivered at the next instruction boundary. */
struct pending {
	bool irq_line;   /* INTR asserted by the PIC (later issues) */
	bool nmi;
};

#define SHADOW_STI 1u
#define SHADOW_MOV_SS 2u

/* The exception being raised or delivered (see vmm/exception.h). */
struct exc_state {
	int vector;      /* raised by cpu_raise, -1 when none */
	uint32_t err;
	uint32_t fault_lin; /* becomes CR2 when a #PF is delivered */
	int delivering;  /* vector whose delivery is under way, -1 when none */
};

struct cpu {
	uint32_t gpr[8];
	uint32_t eip;
	uint32_t eflags;
	struct seg seg[6];
	struct seg ldtr, tr;
	struct dtr gdtr, idtr;
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	struct msrs msr;
	struct fpu fpu;
	struct pending pending;
	struct exc_state exc;
	bool halted;
	bool shutdown;          /* triple fault: the run ends */
	/*
	 * Set by an instruction that holds off events until the next one has
	 * executed: STI (maskable interrupts) and MOV SS / POP SS (interrupts
	 * and debug traps, so a stack switch pair is not split). The engine
	 * clears it after that next instruction.
	 */
	uint8_t int_shadow;     /* SHADOW_* bits */
	uint8_t cpl;

	/* Engine-private bookkeeping for exception delivery. */
	uint32_t insn_eip;    /* EIP of the instruction being executed */
	int exc_nesting;      /* for #DF / triple-fault detection */
	jmp_buf *exc_jmp;     /* where cpu_raise() unwinds to */
	struct machine *m;
};

/* Mode predicates */
static inline bool cpu_pe(const struct cpu *c) { return c->cr0 & CR0_PE; }
static inline bool cpu_vm86(const struct cpu *c) { return c->eflags & F_VM; }
static inline bool cpu_paging(const struct cpu *c) { return c->cr0 & CR0_PG; }
static inline bool cpu_code32(const struct cpu *c) { return cpu_pe(c) && !cpu_vm86(c) && SEG_DB(c->seg[SR_CS].attr); }
static inline bool cpu_stack32(const struct cpu *c) { return cpu_pe(c) && !cpu_vm86(c) && SEG_DB(c->seg[SR_SS].attr); }

/*
 * The processor signature (CPUID.1:EAX, and EDX after reset): family 6,
 * model 8, stepping 3 -- a Pentium III (Coppermine).
 */
#define CPU_SIGNATURE 0x00000683u

/* The CPUID model (vmm/cpuid.c): regs gets EAX, EBX, ECX, EDX of a leaf. */
void cpuid_query(uint32_t leaf, uint32_t regs[4]);

/* Put the CPU into its power-on state (real mode, CS:IP = F000:FFF0). */
void cpu_reset(struct cpu *c);

/*
 * Raise an exception from inside an instruction. Unwinds to the engine's
 * exc_jmp; the engine restores EIP to insn_eip and delivers it.
 * has_err says whether the vector pushes an error code.
 */
_Noreturn void cpu_raise(struct cpu *c, int vector, uint32_t err);
/* Page fault: records the linear address for CR2 at delivery. */
_Noreturn void cpu_raise_pf(struct cpu *c, uint32_t lin, uint32_t err);

#endif
