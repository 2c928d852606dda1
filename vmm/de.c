/*
 * Direct execution (engine `de`), the paper's trap-and-emulate VMM: guest
 * CPL 3 code runs natively in the stub (vmm/de_signal.c) wherever that is
 * exact, and everything else -- CPL 0, real mode, states the host cannot
 * reproduce, and every instruction whose trap only the interpreter can
 * give a guest meaning to -- runs on `interp`. A trap comes back as a
 * hidden fault (the shadow fills and the guest resumes), as a guest event
 * delivered through the guest's IDT with the interpreter's exception
 * machinery, or as "run this one instruction on interp" (I/O, HLT, CLI,
 * far transfers, segment loads with guest selectors, CPUID, RDTSC).
 *
 * Native instructions are not counted in m->icount: the host cannot count
 * them. The instructions interp runs advance the virtual clock, and so
 * does each native time slice, by a charge (de_charge_slice).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "de.h"
#include "de_host.h"
#include "exception.h"
#include "interp.h"
#include "mem.h"
#include "mmu.h"
#include "seg.h"
#include "timer.h"

#define DE_USER_CHUNK 256
/* After an undone run, interp runs a stretch before native code runs
 * again: DE_USER_CHUNK instructions, four times more after each undone run
 * in a row (the segment load may lie deep in the run), up to this. */
#define DE_UNDO_INSNS_MAX 16777216u
#define SIGSYS_USER_DISPATCH 2 /* si_code of a syscall-user-dispatch SIGSYS */
#define SIGTRAP_TRACE 2 /* si_code of a single-step SIGTRAP (TRAP_TRACE) */

/*
 * EFLAGS bits the guest's native code owns: what CPL 3 code changes by
 * itself (POPF). sigreturn sets the arithmetic flags, DF, TF and AC from
 * the frame and takes NT and ID from the stub's own RFLAGS, which the
 * stub sets last (de_set_nt_id). IF and IOPL stay the host's (PUSHF shows
 * them: the paper's non-virtualizable flag reads).
 */
#define DE_NATIVE_FLAGS (F_ARITH | F_DF | F_TF | F_AC | F_NT | F_ID)

/* How a hardware trap number becomes a guest event. */
enum de_how { HOW_INTERP, HOW_FAULT, HOW_TRAP, HOW_SOFT, HOW_PF, HOW_GP };

/*
 * #NP, #SS, #TS, #AC, #MF and the rest: the faulting instruction runs on
 * interp, which gives the guest's answer (a host selector's #NP means
 * nothing to the guest; #AC depends on the guest's CR0.AM; #MF on CR0.NE).
 */
static const uint8_t de_how_by_trapno[32] = {
	[EXC_DE] = HOW_FAULT, [EXC_DB] = HOW_TRAP, [EXC_BP] = HOW_SOFT, [EXC_OF] = HOW_SOFT,
	[EXC_BR] = HOW_FAULT, [EXC_UD] = HOW_FAULT, [EXC_GP] = HOW_GP, [EXC_PF] = HOW_PF,
};

static const char *const sreg_names[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };

#define DE_RESTARTS_MAX 3
static struct de_stats de_run_stats;
static int de_restarts_in_row;
static uint64_t de_undo_stretch = DE_USER_CHUNK;

/* An event the CPU would take at the next instruction boundary. */
static bool de_event_ready(const struct cpu *c)
{
	return c->pending.nmi || (c->pending.irq_line && (c->eflags & F_IF));
}

/*
 * The paper's rule, for this host: CPL 3 in protected mode, not V86,
 * nothing pending or held off, no single step (interp steps exactly),
 * IOPL < 3 (else POPF and IRET would change IF, and CLI/STI/IN/OUT would
 * succeed, where the host's IOPL 0 behaves otherwise), AC only where the guest's CR0.AM lets it
 * fault as the host's does, and no CR0.TS/EM (x87 code would run without
 * #NM). IF may be clear: no interrupt could arrive natively anyway.
 */
bool de_exact(const struct cpu *c)
{
	uint32_t fl = c->eflags;

	if (!cpu_pe(c) || cpu_vm86(c) || c->cpl != 3 || c->halted || c->shutdown)
		return false;
	if (c->int_shadow || de_event_ready(c))
		return false;
	if (IOPL(fl) == 3 || (fl & F_TF) || c->exc.vector >= 0)
		return false;
	if ((fl & F_AC) && !(c->cr0 & CR0_AM))
		return false;
	return !(c->cr0 & (CR0_TS | CR0_EM));
}

void de_flush(struct machine *m)
{
	de_shadow_flush(m);
}

static void de_regs_load(const struct cpu *c, struct de_shared *sh)
{
	memcpy(sh->regs.gpr, c->gpr, sizeof(c->gpr));
	sh->regs.eip = c->eip;
	sh->regs.eflags = (c->eflags & DE_NATIVE_FLAGS) | F_IF | F_FIXED1;
	de_fpu_to_fx(&c->fpu, sh->fx);
}

static int de_error(struct machine *m, const char *fmt, unsigned a, unsigned b)
{
	char msg[200];

	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(m->error, sizeof(m->error), "de: %s at EIP %08x", msg, m->cpu.eip);
	return -1;
}

/*
 * The host GDT's selectors that compatibility-mode code can load (DPL 3,
 * this host: LAR/LSL from a 64-bit process), as far as an access through
 * them is concerned: base 0 for all; 0x23 and 0x33 flat readable code
 * (writes fault), 0x2b flat read/write 32-bit data, 0x7b the vDSO's
 * CPU-number segment: read-only, expand-down, limit = CPU and node number
 * (offsets up to it fault, every other read is flat, writes fault).
 */
enum de_host_kind { HOST_NONE, HOST_FLAT_RO, HOST_FLAT_RW, HOST_CPUNODE };

static enum de_host_kind de_host_kind(uint16_t sel)
{
	switch (sel & ~3u) {
	case DE_SEL_CODE32 & ~3u:
	case DE_SEL_CODE64 & ~3u:
		return HOST_FLAT_RO;
	case DE_SEL_DATA & ~3u:
		return HOST_FLAT_RW;
	case DE_SEL_CPUNODE & ~3u:
		return HOST_CPUNODE;
	default:
		return HOST_NONE;
	}
}

/*
 * Does every native access through host selector `host` that does not
 * fault behave as one through the guest's segment `g` (in register s)?
 * The faulting ones reach the interpreter, which gives the guest's answer.
 * That needs a flat 4 GiB expand-up readable guest segment at base 0, and
 * for a writable host segment a writable guest one (and for SS, a 32-bit
 * one: the B bit picks ESP or SP).
 */
static bool de_same_meaning(uint16_t host, int s, const struct seg *g)
{
	unsigned type = SEG_TYPE(g->attr);
	enum de_host_kind k = de_host_kind(host);
	bool readable = !(type & 8) || (type & 2);

	if (k == HOST_NONE || !SEG_P(g->attr) || g->base || g->limit != 0xffffffffu ||
	    (type & 0xc) == 0x4 || !readable)
		return false;
	if (s == SR_SS && !SEG_DB(g->attr))
		return false;
	return k != HOST_FLAT_RW || (!(type & 8) && (type & 2));
}

/*
 * Guest code loaded data segment register s natively with a selector the
 * host answered. The load stands when it was legal for the guest, the
 * guest's descriptor is the one the load read (the run wrote nothing to
 * its page, and its accessed bit was already set, so the load wrote
 * nothing either) and it means what the host's does (de_same_meaning).
 * Linux's own user data selector is 0x7b, the guest tests' 0x23. The
 * register then moves to the stub's LDT copy of the guest's descriptor,
 * so that a later native load of the same selector is seen again.
 */
static bool de_adopt_selector(struct machine *m, struct de_shared *sh, int s, uint16_t sel)
{
	struct cpu *c = &m->cpu;
	struct seg old = c->seg[s];
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;
	volatile bool same = false;
	struct desc d;
	uint32_t pa;

	c->exc_jmp = &env;
	if (!setjmp(env) && desc_fetch(c, sel, &d) && (desc_kind(&d) & DESC_ACCESSED) &&
	    (d.addr & (DE_PAGE - 1)) <= DE_PAGE - 8 && mmu_lookup(c, d.addr, ACC_READ, false, &pa) &&
	    !de_journal_wrote(pa)) {
		seg_load(c, s, sel);
		same = de_same_meaning(sel, s, &c->seg[s]);
	}
	c->exc_jmp = outer;
	c->exc.vector = -1;
	if (same && de_segments_prepare(c, sh))
		return true;
	c->seg[s] = old;
	return false;
}

/*
 * Can the monitor take the trap's state as the guest's? Not once guest
 * code left compatibility mode (CS 0x33: 64-bit code) or reached the
 * stub's own code, nor after a native segment load the host answered
 * with a descriptor of another meaning (0x23, 0x2b, 0x33, 0x7b load
 * without a trap): the run is undone and interp runs it again
 * (docs/direct-execution.md, "Segment loads the host answers"). The
 * monitor sees such a load as a selector it did not load; every other
 * selector the guest can name faults natively and reaches interp. A null
 * selector in DS, ES, FS or GS means the same on both.
 */
enum de_verdict { TRAP_GUEST, TRAP_UNDO, TRAP_UNDO_RESTART };

static enum de_verdict de_trap_verdict(struct machine *m, struct de_shared *sh, char *why,
				       size_t len)
{
	const struct de_trap *t = &sh->trap;

	if (t->rip >= DE_LOW_TOP || t->sel_now[SR_CS] != sh->regs.sel[SR_CS]) {
		snprintf(why, len, "the native code left compatibility mode (CS %#x, RIP %#llx)",
			 t->sel_now[SR_CS], (unsigned long long)t->rip);
		return TRAP_UNDO_RESTART;
	}
	for (int s = 0; s < 6; s++) {
		uint16_t sel = t->sel_now[s];
		if (sel == sh->regs.sel[s])
			continue;
		if (s != SR_SS && sel < 4) {
			seg_load(&m->cpu, s, sel);
			sh->regs.sel[s] = sel;
		} else if (!de_adopt_selector(m, sh, s, sel)) {
			snprintf(why, len, "guest code loaded %s with %#x natively", sreg_names[s], sel);
			return TRAP_UNDO;
		}
	}
	return TRAP_GUEST;
}

/* The trap's state becomes the guest's: registers, native flags, x87. */
static void de_regs_store(struct machine *m, struct de_shared *sh)
{
	struct cpu *c = &m->cpu;

	memcpy(c->gpr, sh->regs.gpr, sizeof(c->gpr));
	c->eip = sh->regs.eip;
	c->eflags = (c->eflags & ~(DE_NATIVE_FLAGS | F_RF)) | (sh->regs.eflags & DE_NATIVE_FLAGS);
	de_fpu_from_fx(&c->fpu, sh->fx, c->seg[SR_CS].sel, c->seg[SR_DS].sel);
}

static bool de_peek_code(struct machine *m, uint32_t eip, uint8_t *buf, unsigned n)
{
	return de_shadow_peek(m, m->cpu.seg[SR_CS].base + eip, buf, n);
}

static enum de_exit de_event_soft(struct de_event *ev, int vector, unsigned len)
{
	*ev = (struct de_event){ .vector = vector, .software = true, .insn_len = (uint8_t)len };
	return DE_EVENT;
}

enum de_gate { GATE_OK, GATE_FAULT, GATE_UNREAD };

static enum de_gate de_gate_fault(struct de_event *ev, int vector, uint32_t err)
{
	*ev = (struct de_event){ .vector = vector, .err = err };
	return GATE_FAULT;
}

/* The IDT entry, read as delivery reads it; false if that read faults. */
static bool de_gate_read(struct cpu *c, uint32_t at, struct desc *d)
{
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;
	volatile bool read = false;

	c->exc_jmp = &env;
	if (!setjmp(env)) {
		d->lo = lin_read(c, c->idtr.base + at, 4, true);
		d->hi = lin_read(c, c->idtr.base + at + 4, 4, true);
		read = true;
	}
	c->exc_jmp = outer;
	c->exc.vector = -1;
	return read;
}

/*
 * The host delivered a software interrupt through its own IDT; the guest's
 * decides. Delivery's gate checks in its order: IDT limit, gate type, the
 * gate's DPL for INT n/INT3/INTO (`soft`; INT1 has none and counts as
 * external), present. GATE_FAULT: *ev is the #GP/#NP fault at the
 * instruction; GATE_UNREAD: reading the gate faults (interp delivers).
 */
static enum de_gate de_gate_check(struct cpu *c, int vector, bool soft, struct de_event *ev)
{
	uint32_t at = (uint32_t)vector * 8, err = at + 2 + !soft;
	struct desc d;
	unsigned kind;

	if (at + 7 > c->idtr.limit)
		return de_gate_fault(ev, EXC_GP, err);
	if (!de_gate_read(c, at, &d))
		return GATE_UNREAD;
	kind = desc_kind(&d);
	if (kind != SYS_TASK && kind != SYS_INT16 && kind != SYS_TRAP16 && kind != SYS_INT32 &&
	    kind != SYS_TRAP32)
		return de_gate_fault(ev, EXC_GP, err);
	if (soft && desc_dpl(&d) < 3)
		return de_gate_fault(ev, EXC_GP, at + 2);
	if (!desc_present(&d))
		return de_gate_fault(ev, EXC_NP, err);
	return GATE_OK;
}

/*
 * A software interrupt of `len` bytes that the host took (EIP is past
 * it): the event the guest's gate makes of it. A gate fault is a fault
 * of the instruction, so EIP goes back to it.
 */
static enum de_exit de_soft_event(struct machine *m, int vector, unsigned len, bool soft,
				  struct de_event *ev)
{
	switch (de_gate_check(&m->cpu, vector, soft, ev)) {
	case GATE_OK:
		if (soft)
			return de_event_soft(ev, vector, len);
		*ev = (struct de_event){ .vector = vector, .trap = true, .int1 = true };
		return DE_EVENT;
	case GATE_FAULT:
		m->cpu.eip -= len;
		return DE_EVENT;
	default:
		m->cpu.eip -= len;
		return DE_NOT_EXACT;
	}
}

/* INT3/INTO (one byte) or INT 3/INT 4 (CD ib): the trap left EIP past it. */
static enum de_exit de_soft_trap(struct machine *m, int vector, struct de_event *ev)
{
	uint8_t b[2];
	uint8_t one = vector == EXC_BP ? 0xcc : 0xce;

	if (de_peek_code(m, m->cpu.eip - 1, b + 1, 1) && b[1] == one)
		return de_soft_event(m, vector, 1, true, ev);
	if (de_peek_code(m, m->cpu.eip - 2, b, 2) && b[0] == 0xcd && b[1] == vector)
		return de_soft_event(m, vector, 2, true, ev);
	return de_error(m, "trap %u after an instruction that is not INT3/INTO/INT n", (unsigned)vector, 0),
	       DE_ERROR;
}

/*
 * A host #DB: INT1 (F1) leaves DR6 as it was (Linux reports no step,
 * TRAP_BRKPT) and goes through the guest's gate like an external event;
 * else the single step of a TF the guest set natively.
 */
static enum de_exit de_debug_trap(struct machine *m, const struct de_trap *t, struct de_event *ev)
{
	uint8_t b;

	if (t->code != SIGTRAP_TRACE && de_peek_code(m, m->cpu.eip - 1, &b, 1) && b == 0xf1)
		return de_soft_event(m, EXC_DB, 1, false, ev);
	*ev = (struct de_event){ .vector = EXC_DB, .trap = true };
	return DE_EVENT;
}

/* INT n through a host gate of DPL 0 is #GP((n << 3) | 2) at the INT. */
static enum de_exit de_general_protection(struct machine *m, uint32_t err, struct de_event *ev)
{
	uint8_t b[2];

	if (de_peek_code(m, m->cpu.eip, b, 2) && b[0] == 0xcd && err == ((uint32_t)b[1] << 3 | 2)) {
		m->cpu.eip += 2;
		return de_soft_event(m, b[1], 2, true, ev);
	}
	return DE_NOT_EXACT;
}

/* A host page fault: a hidden fault (resume: *resume), or the guest's own. */
static enum de_exit de_page_fault(struct machine *m, const struct de_trap *t,
				  struct de_event *ev, bool *resume)
{
	struct cpu *c = &m->cpu;

	switch (de_shadow_fill(m, (uint32_t)t->addr, t->err & PF_W)) {
	case DE_FILL_MAPPED:
		*resume = true;
		return DE_EVENT;
	case DE_FILL_GUEST_PF:
		*ev = (struct de_event){ .vector = EXC_PF, .err = c->exc.err, .cr2 = c->exc.fault_lin };
		c->exc.vector = -1;
		return DE_EVENT;
	default:
		return DE_NOT_EXACT;
	}
}

/* INT 0x80: the one guest system call the host routes to user dispatch. */
static enum de_exit de_syscall_trap(struct machine *m, const struct de_trap *t, struct de_event *ev)
{
	uint8_t b[2];

	if (t->code == SIGSYS_USER_DISPATCH && de_peek_code(m, m->cpu.eip - 2, b, 2) &&
	    b[0] == 0xcd && b[1] == 0x80)
		return de_soft_event(m, 0x80, 2, true, ev);
	return de_error(m, "a system call from guest code that is not INT 0x80 (SYSENTER?)", 0, 0),
	       DE_ERROR;
}

static enum de_exit de_classify(struct machine *m, const struct de_trap *t,
				struct de_event *ev, bool *resume)
{
	if (t->signo == SIGSYS)
		return de_syscall_trap(m, t, ev);
	if (t->signo == SIGURG)
		return DE_PREEMPTED;
	switch (t->trapno < 32 ? de_how_by_trapno[t->trapno] : HOW_INTERP) {
	case HOW_FAULT:
		*ev = (struct de_event){ .vector = (int)t->trapno };
		return DE_EVENT;
	case HOW_TRAP:
		return de_debug_trap(m, t, ev);
	case HOW_SOFT:
		return de_soft_trap(m, (int)t->trapno, ev);
	case HOW_GP:
		return de_general_protection(m, t->err, ev);
	case HOW_PF:
		return de_page_fault(m, t, ev, resume);
	default:
		return DE_NOT_EXACT;
	}
}

/*
 * A host #GP(0) or #SS(0) means the guest's when it comes from what both
 * share: CPL 3 (privileged instructions), segment limits and null
 * segments (the guest's own descriptors in the stub's LDT), instruction
 * length. Not from what only the host has: CPUID faulting, CR4.TSD, the
 * host's CR4.PCE and UMIP, its I/O bitmap, compatibility mode's IRET
 * with NT, a read-only host descriptor under an adopted guest selector
 * (de_adopt_selector), instructions a P6 does not have.
 */
static bool de_host_gp0_same(struct machine *m, const struct de_shared *sh)
{
	static const char *const host_only[] = { "cpuid", "rdtsc", "rdpmc", "sldt", "str",
						 "sgdt", "sidt", "smsw" };
	struct cpu *c = &m->cpu;
	uint8_t b[15];
	unsigned n = sizeof(b);
	struct insn i;

	for (int s = 0; s < 6; s++)
		if (s != SR_CS && de_host_kind(sh->regs.sel[s]) != HOST_NONE &&
		    de_host_kind(sh->regs.sel[s]) != HOST_FLAT_RW)
			return false;

	while (n && !de_peek_code(m, c->eip, b, n))
		n--;
	enum decode_status st = decode_bytes(&i, SEG_DB(c->seg[SR_CS].attr), b, n, c->eip);
	if (st != DECODE_OK)
		return st == DECODE_TOO_LONG;
	if (i.desc->exec == op_ud || (i.desc->attr & A_SSE) || ((i.desc->attr & A_MEMONLY) && !i.mem))
		return false;
	for (unsigned k = 0; k < sizeof(host_only) / sizeof(host_only[0]); k++)
		if (!strcmp(i.desc->mnemonic, host_only[k]))
			return false;
	if (i.desc->attr & A_IOPL)
		return (i.desc->opcode == 0xfa || i.desc->opcode == 0xfb) && !(c->cr4 & CR4_PVI);
	return strcmp(i.desc->mnemonic, "iret") || !(c->eflags & F_NT);
}

/* Report the host fault that handed the instruction to interp (de.h). */
static void de_host_fault(struct machine *m, const struct de_shared *sh, struct de_event *ev)
{
	const struct de_trap *t = &sh->trap;
	unsigned v = t->trapno;
	bool fault = t->signo == SIGSEGV || t->signo == SIGBUS || t->signo == SIGFPE;

	if (!fault || (v != EXC_GP && v != EXC_SS && v != EXC_NP && v != EXC_TS && v != EXC_AC &&
		       v != EXC_MF))
		return;
	ev->host_vector = (int)v;
	ev->host_err = t->err;
	if (v == EXC_AC)
		ev->host_same = true;
	else if (v == EXC_MF)
		ev->host_same = m->cpu.cr0 & CR0_NE;
	else if ((v == EXC_GP || v == EXC_SS) && t->err == 0)
		ev->host_same = de_host_gp0_same(m, sh);
}

/*
 * Undo the run (vmm/de_journal.c): guest memory and the CPU go back to
 * their state at its entry, and a stub that ran code the monitor did not
 * give it is replaced. A stub that dies again and again is an error, not
 * the guest's doing.
 */
static enum de_exit de_undo(struct machine *m, struct de_event *ev, bool restart)
{
	if (!de_journal_undo(m)) {
		snprintf(m->error, sizeof(m->error), "de: a native run must be undone (%.120s), but "
			 "its journal is incomplete (full, or out of memory)", ev->undo_why);
		return DE_ERROR;
	}
	de_run_stats.undone++;
	snprintf(de_run_stats.last_undo, sizeof(de_run_stats.last_undo), "%s", ev->undo_why);
	if (!restart)
		return DE_UNDONE;
	de_run_stats.restarts++;
	if (++de_restarts_in_row > DE_RESTARTS_MAX) {
		snprintf(m->error, sizeof(m->error), "de: the native stub failed %d times in a row (%.150s)",
			 DE_RESTARTS_MAX + 1, ev->undo_why);
		return DE_ERROR;
	}
	m->error[0] = 0;
	return de_stub_restart(m) < 0 ? DE_ERROR : DE_UNDONE;
}

enum de_exit de_run_user(struct machine *m, struct de_event *ev)
{
	struct de_shared *sh = de_shared_page();
	struct cpu *c = &m->cpu;

	*ev = (struct de_event){ .host_vector = -1 };
	if (!sh || !de_exact(c) || !de_segments_prepare(c, sh))
		return DE_NOT_EXACT;
	c->m = m;
	de_run_stats.runs++;
	de_journal_begin(c);
	de_shadow_sync(m);
	de_shadow_prefill_code(m);
	de_regs_load(c, sh);
	for (;;) {
		bool resume = false;
		if (de_stub_call(m) < 0) {
			snprintf(ev->undo_why, sizeof(ev->undo_why), "%.120s", m->error);
			return de_undo(m, ev, true);
		}
		if (sh->trap.signo == 0)
			return de_error(m, "the stub could not update the shadow (errno %u)", sh->trap.err, 0),
			       DE_ERROR;
		enum de_verdict v = de_trap_verdict(m, sh, ev->undo_why, sizeof(ev->undo_why));
		if (v != TRAP_GUEST)
			return de_undo(m, ev, v == TRAP_UNDO_RESTART);
		de_restarts_in_row = 0;
		de_regs_store(m, sh);
		enum de_exit r = de_classify(m, &sh->trap, ev, &resume);
		if (r == DE_NOT_EXACT)
			de_host_fault(m, sh, ev);
		/* the host faulted on INT n (its gate) or trapped once: the step is the guest's */
		ev->step_after = r == DE_EVENT && (ev->software || ev->int1) && (c->eflags & F_TF);
		if (!resume)
			return r;
		sh->regs.eflags = (sh->regs.eflags & DE_NATIVE_FLAGS) | F_IF | F_FIXED1;
	}
}

const struct de_stats *de_stats(void)
{
	return &de_run_stats;
}

static void de_deliver_first(struct cpu *c, const struct de_event *ev)
{
	if (ev->software) {
		c->insn_eip = c->eip - ev->insn_len;
		exc_deliver(c, ev->vector, ev->insn_len == 1 ? INT_SOFT_EXC : INT_SOFTWARE);
	} else if (ev->trap && !ev->int1) {
		exc_single_step(c);
		return;
	} else if (ev->trap) {
		c->insn_eip = c->eip;
		exc_deliver(c, ev->vector, INT_EXCEPTION);
	} else {
		c->insn_eip = c->eip;
		c->exc.vector = ev->vector;
		c->exc.err = ev->err;
		c->exc.fault_lin = ev->cr2;
		exc_deliver_pending(c);
		return;
	}
	if (ev->step_after)
		exc_single_step(c);
}

void de_deliver(struct machine *m, const struct de_event *ev)
{
	struct cpu *c = &m->cpu;
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;

	c->m = m;
	c->exc_jmp = &env;
	/* Delivery may fault; that lands here again, as in the interpreter. */
	if (setjmp(env)) {
		c->eip = c->insn_eip;
		if (m->stop == STOP_NONE)
			exc_deliver_pending(c);
	} else {
		de_deliver_first(c, ev);
	}
	c->exc_jmp = outer;
	if (c->shutdown && m->stop == STOP_NONE) {
		if (!m->error[0])
			snprintf(m->error, sizeof(m->error), "triple fault at %04x:%08x",
				 c->seg[SR_CS].sel, c->eip);
		machine_request_stop(m, STOP_SHUTDOWN);
	}
}

/* n instructions (or fewer: a stop) on the interpreter. */
static void de_interp(struct machine *m, uint64_t n)
{
	if (engine_interp.run(m, n) == STOP_BUDGET)
		m->stop = STOP_NONE;
}

/* Outside CPL 3: interp runs until the CPU is back at CPL 3 (or the end). */
static void de_interp_to_user(struct machine *m, uint64_t n)
{
	m->stop_at_cpl3 = true;
	de_interp(m, n);
	m->stop_at_cpl3 = false;
}

/*
 * The budget rule for code the host cannot count: a native time slice
 * that ended without a trap (DE_SLICE_NS of host time) is charged as
 * DE_SLICE_INSNS instructions of the virtual clock, capped at the budget's
 * end, or less: the charge ends at the deadline where an interrupt the
 * CPU takes comes due (the native code would have been interrupted
 * there). So a guest spinning in user mode still reaches --max-insns, and
 * its timer interrupts arrive at their virtual times.
 *
 * The clock moves from deadline to deadline, as in a halt, never over
 * one: each device sees each of its deadlines. (One jump over both edges
 * of the 8254's one-tick strobe in mode 4, Linux's one-shot tick, lost
 * the timer interrupt and with it the guest's tick for good.)
 */
static void de_charge_slice(struct machine *m, uint64_t end)
{
	uint64_t left = end - m->icount;
	uint64_t stop = m->icount + (left < DE_SLICE_INSNS ? left : DE_SLICE_INSNS);

	while (m->icount < stop && !de_event_ready(&m->cpu)) {
		if (m->timers.next > m->icount)
			m->icount = m->timers.next < stop ? m->timers.next : stop;
		if (m->icount >= m->timers.next)
			timer_run_due(m);
	}
}

static void de_step_native(struct machine *m, uint64_t end)
{
	struct de_event ev;

	enum de_exit why = de_run_user(m, &ev);
	uint64_t stretch = de_undo_stretch;

	de_undo_stretch = why == DE_UNDONE && stretch < DE_UNDO_INSNS_MAX ? stretch * 4 : DE_USER_CHUNK;
	switch (why) {
	case DE_EVENT:
		de_deliver(m, &ev);
		break;
	case DE_NOT_EXACT:
		de_interp(m, 1);
		break;
	case DE_UNDONE:
		de_interp(m, end - m->icount < stretch ? end - m->icount : stretch);
		break;
	case DE_ERROR:
		machine_request_stop(m, STOP_ERROR);
		break;
	case DE_PREEMPTED:
		de_charge_slice(m, end);
		break;
	}
}

/*
 * Outside CPL 3 the interpreter runs until the CPU returns to CPL 3, so
 * that the first instruction back at CPL 3 runs natively; at a CPL 3
 * state that is not exact it runs a few hundred.
 */
static enum stop_reason de_engine_run(struct machine *m, uint64_t budget)
{
	struct cpu *c = &m->cpu;
	uint64_t end = budget > UINT64_MAX - m->icount ? UINT64_MAX : m->icount + budget;

	m->stop = STOP_NONE;
	c->m = m;
	if (de_init(m) < 0) {
		machine_request_stop(m, STOP_ERROR);
		return m->stop;
	}
	while (m->stop == STOP_NONE) {
		uint64_t left = end - m->icount;
		if (m->icount >= end)
			machine_request_stop(m, STOP_BUDGET);
		else if (de_exact(c))
			de_step_native(m, end);
		else if (c->cpl != 3)
			de_interp_to_user(m, left);
		else
			de_interp(m, left > DE_USER_CHUNK ? DE_USER_CHUNK : left);
	}
	return m->stop;
}

const struct engine engine_de = { "de", de_engine_run };
