/*
 * The reference interpreter's run loop (engine `interp`): decode and
 * execute instructions against the architectural state. Straight-line
 * code runs from decoded blocks (vmm/interp_block.c: decoded once, checked
 * against the code bytes on entry, so self-modifying code still works);
 * everything unusual goes one instruction at a time through fetch and
 * decode.
 *
 * Exceptions unwind with longjmp to one jmp_buf armed per run() call;
 * every instruction boundary where something unusual can happen (single
 * step, interrupt shadow, pending events, HLT, V86) goes through one
 * careful step, and blocks end at every instruction that can bring one
 * about, so the common step is a call through the decoded instruction.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "de.h"
#include "engine.h"
#include "exception.h"
#include "fpu.h"
#include "interp.h"
#include "mem.h"
#include "interp_block.h"
#include "trace.h"


/* Row attributes the loop checks before running a handler. */
#define ATTR_CHECKED (A_PRIV | A_NOREAL | A_SSE | A_FPU | A_MEMONLY)

/*
 * The table (vmm/insn_table.c) names handlers weakly, so a handler not yet
 * written is a NULL exec reported at run time. But a weak reference does
 * not pull a member out of libdoppel.a: without this strong list a program
 * linking the interpreter would get NULL for handlers that do exist.
 */
#define INTERP_LINK(name) op_##name,
static insn_handler *const interp_linked[] __attribute__((used)) = {
	INTERP_HANDLERS(INTERP_LINK) FPU_HANDLERS(INTERP_LINK)
};
#undef INTERP_LINK

static unsigned interp_fetch(void *ctx, uint32_t off, uint8_t *buf, unsigned want)
{
	return mem_fetch(ctx, off, buf, want);
}

/*
 * Decode at CS:EIP through mem_fetch, which walks, checks and faults byte
 * by byte: the path for an instruction no decoded block holds.
 */
static const struct insn *interp_decode(struct cpu *c, struct insn *scratch,
					enum decode_status *st)
{
	*st = decode_insn(scratch, cpu_code32(c), c->eip, interp_fetch, c);
	if (*st == DECODE_OK)
		interp_prepare(scratch);
	return scratch;
}

static bool interp_real_or_v86(const struct cpu *c)
{
	return !cpu_pe(c) || cpu_vm86(c);
}

/* The checks every row's attributes imply, in the SDM's priority order. */
static void interp_check_attr(struct cpu *c, const struct insn *i)
{
	uint16_t a = i->desc->attr;

	if ((a & A_SSE) || ((a & A_MEMONLY) && !i->mem))
		cpu_raise(c, EXC_UD, 0);
	if ((a & A_NOREAL) && interp_real_or_v86(c))
		cpu_raise(c, EXC_UD, 0);
	/* x87: CR0.EM emulates it in software, CR0.TS defers a state switch. */
	if ((a & A_FPU) && (c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	if ((a & A_PRIV) && c->cpl > 0)
		cpu_raise(c, EXC_GP, 0);
}

/* A row with attribute checks runs them before its handler. */
static void interp_exec_checked(struct cpu *c, const struct insn *i)
{
	interp_check_attr(c, i);
	i->desc->exec(c, i);
}

void interp_prepare(struct insn *i)
{
	static insn_handler *(*const specialize[])(const struct insn *) = {
		alu_specialize, branch_specialize, move_specialize, shift_specialize,
		muldiv_specialize,
	};

	opnd_resolve(i);
	i->exec = i->desc->exec;
	if (i->desc->attr & ATTR_CHECKED) {
		i->exec = interp_exec_checked;
		return;
	}
	for (unsigned k = 0; k < sizeof(specialize) / sizeof(specialize[0]); k++) {
		insn_handler *h = specialize[k](i);
		if (h) {
			i->exec = h;
			return;
		}
	}
}

/*
 * A handler made for operands that are all registers and immediates: it
 * cannot fault or leave. (A row with attribute checks runs
 * interp_exec_checked, which is no such handler, whatever its operands.)
 */
static bool interp_quiet(const struct insn *i)
{
	if (i->exec == i->desc->exec || i->exec == interp_exec_checked)
		return false;
	for (int n = 0; n < 3; n++) {
		uint8_t k = i->okind[n];

		if (i->desc->operand[n] != OPF_NONE && k != OPND_REG8 && k != OPND_REG16 &&
		    k != OPND_REG32 && k != OPND_IMM)
			return false;
	}
	return true;
}

/*
 * The arithmetic flags i surely writes: a shift by a count that masks to 0
 * writes none, ROL/ROR by an immediate other than 1 no OF (alu_shift_imm).
 */
static uint32_t interp_flags_killed(const struct insn *i)
{
	if (shift_specialize(i) && !(i->imm & 31))
		return 0;
	if ((i->desc->exec == op_rol || i->desc->exec == op_ror) && (i->imm & 31) != 1)
		return F_CF;
	return i->desc->flags_written & F_ARITH;
}

/* The form of i that computes no flags, or NULL. */
static insn_handler *interp_flagless(const struct insn *i)
{
	static insn_handler *(*const flagless[])(const struct insn *) = {
		alu_flagless, shift_flagless, muldiv_flagless,
	};

	for (unsigned k = 0; k < sizeof(flagless) / sizeof(flagless[0]); k++) {
		insn_handler *h = flagless[k](i);
		if (h)
			return h;
	}
	return NULL;
}

/*
 * Dead flags, from the table's flags_read and flags_written: walking a
 * block backwards, the flags a quiet instruction writes are dead when a
 * later instruction overwrites them before any reads them, with only
 * quiet instructions between (an exception, or the end of the block,
 * shows every flag). Such an ALU or shift form runs without computing
 * them. The block must then run whole: interp_run_block never cuts it
 * short.
 */
void interp_elide_flags(struct insn *insns, unsigned n)
{
	uint32_t live = F_ARITH;

	for (unsigned k = n; k-- > 0;) {
		struct insn *i = &insns[k];
		uint32_t written = i->desc->flags_written & F_ARITH;
		insn_handler *flagless;

		if (!interp_quiet(i)) {
			live = F_ARITH;
			continue;
		}
		if (written && !(written & live) && (flagless = interp_flagless(i)))
			i->exec = flagless;
		live = (live & ~interp_flags_killed(i)) | (i->desc->flags_read & F_ARITH);
	}
}

void interp_mark_quiet(const struct insn *insns, unsigned n, uint8_t *quiet)
{
	unsigned run = 0;

	for (unsigned k = n; k-- > 0;) {
		run = interp_quiet(&insns[k]) ? run + 1 : 0;
		quiet[k] = (uint8_t)run;
	}
}

static void interp_decode_fail(struct machine *m, enum decode_status st)
{
	struct cpu *c = &m->cpu;

	if (st == DECODE_UD)
		cpu_raise(c, EXC_UD, 0);
	if (st == DECODE_TOO_LONG)
		cpu_raise(c, EXC_GP, 0);
	machine_fail(m, "interp: decoder ran out of bytes at %04x:%08x",
		     c->seg[SR_CS].sel, c->eip);
}

static void interp_missing(struct machine *m, const struct insn *i)
{
	const struct insn_desc *d = i->desc;

	machine_fail(m, "interp: %s (%s%02x) at %04x:%08x not implemented", d->mnemonic,
		     d->map ? "0f " : "", d->opcode, m->cpu.seg[SR_CS].sel, i->eip);
}

/*
 * One instruction: decode, check, run, retire. Handlers see EIP at the
 * next instruction; branches and repeated string iterations rewrite it.
 * Returns false if the instruction could not run (the machine stopped).
 */
static inline bool interp_exec(struct machine *m, struct insn *scratch)
{
	struct cpu *c = &m->cpu;
	enum decode_status st;
	const struct insn *i;

	c->insn_eip = c->eip;
	i = interp_decode(c, scratch, &st);
	if (__builtin_expect(st != DECODE_OK, 0)) {
		interp_decode_fail(m, st);
		return false;
	}
	if (__builtin_expect(m->trace & TRACE_EXEC, 0))
		trace_insn(m, i);
	if (__builtin_expect(i->desc->attr & ATTR_CHECKED, 0))
		interp_check_attr(c, i);
	if (__builtin_expect(!i->desc->exec, 0)) {
		interp_missing(m, i);
		return false;
	}
	c->eip = i->eip + i->len;
	i->desc->exec(c, i);
	m->icount++;
	return true;
}

/* Is there an event the CPU would take at this boundary (ignoring shadows)? */
static bool interp_event_ready(const struct cpu *c)
{
	return c->pending.nmi || (c->pending.irq_line && (c->eflags & F_IF));
}

/*
 * An external event at this boundary: INTR is acknowledged at the PIC
 * for its vector (vmm/machine_irq.c) and delivered with EIP as the return
 * address. Nothing raises NMI yet: an asserted NMI is a monitor error,
 * never a silently dropped interrupt.
 */
static void interp_take_event(struct machine *m)
{
	struct cpu *c = &m->cpu;

	if (c->pending.nmi) {
		machine_fail(m, "interp: NMI pending at %04x:%08x, but no NMI delivery yet",
			     c->seg[SR_CS].sel, c->eip);
		return;
	}
	c->insn_eip = c->eip; /* a fault while delivering it belongs to this boundary */
	exc_deliver(c, machine_irq_ack(m), INT_EXTERNAL);
}

/*
 * A halted CPU wakes only for an event it can take (handled before this).
 * With IF=0 nothing can wake it: STOP_HLT for good. With IF=1 the virtual
 * clock jumps to the next timer deadline (not past the budget's end).
 */
static void interp_halt(struct machine *m, uint64_t end)
{
	if (m->cpu.eflags & F_IF)
		machine_halt_wait(m, end);
	else
		machine_request_stop(m, STOP_HLT);
}

static void interp_shutdown(struct machine *m)
{
	const struct cpu *c = &m->cpu;

	if (!m->error[0])
		snprintf(m->error, sizeof(m->error), "triple fault at %04x:%08x",
			 c->seg[SR_CS].sel, c->eip);
	machine_request_stop(m, STOP_SHUTDOWN);
}

static bool interp_needs_care(const struct cpu *c)
{
	return (c->eflags & (F_TF | F_RF | F_VM)) | c->int_shadow | c->pending.irq_line |
	       c->pending.nmi | c->halted | c->shutdown;
}

/*
 * The boundary with everything checked: shutdown, V86, the interrupt
 * shadow of the previous instruction, events, HLT, then the instruction
 * with its single-step trap. RF only suppresses instruction breakpoints
 * (which doppel does not model) for one instruction, so it is cleared as
 * the instruction starts; IRET may set it again from its image.
 */
static void interp_step_careful(struct machine *m, struct insn *i, uint64_t end)
{
	struct cpu *c = &m->cpu;
	uint8_t shadow = c->int_shadow;
	bool tf;

	if (c->shutdown) {
		interp_shutdown(m);
		return;
	}
	if (cpu_vm86(c)) {
		machine_unsupported(m, "interp: V86 mode not supported (at %04x:%08x)",
			     c->seg[SR_CS].sel, c->eip);
		return;
	}
	c->int_shadow = 0;
	if (!shadow && interp_event_ready(c)) {
		interp_take_event(m);
		return;
	}
	if (c->halted) {
		interp_halt(m, end);
		return;
	}
	tf = c->eflags & F_TF;
	c->eflags &= ~F_RF;
	/* After MOV SS / POP SS the trap waits for the next instruction too. */
	if (interp_exec(m, i) && tf && !(c->int_shadow & SHADOW_MOV_SS))
		exc_single_step(c);
}

/*
 * A run of k quiet instructions (block_view.quiet): none of them faults,
 * reads EIP or the clock, stores or stops the machine, so they run
 * back to back and the bookkeeping is done once, as after the last one.
 */
static inline const struct insn *interp_run_quiet(struct machine *m, const struct insn *i,
						  unsigned k)
{
	struct cpu *c = &m->cpu;
	const struct insn *end = i + k;

	do
		i->exec(c, i);
	while (++i < end);
	m->icount += k;
	c->insn_eip = end[-1].eip;
	c->eip = end[-1].eip + end[-1].len;
	return end;
}

/*
 * Run the instructions of one decoded block. Leaves early when an
 * instruction changed EIP other than by falling through (a taken branch,
 * a REP iteration), when the machine must stop, or when a store hit a
 * page holding decoded code (the rest of the block may be stale). An
 * exception unwinds out of here with insn_eip and the clock exact.
 * Returns how many ran.
 */
__attribute__((noinline)) /* its own frame: the loop's values stay in registers */
static unsigned interp_block_exec(struct machine *m, const struct block_view *b)
{
	struct cpu *c = &m->cpu;
	const struct insn *i = b->insns, *end = b->insns + b->n;

	while (i < end) {
		unsigned quiet = b->quiet[i - b->insns];
		uint32_t next = i->eip + i->len;

		if (quiet) {
			i = interp_run_quiet(m, i, quiet);
			continue;
		}
		c->insn_eip = i->eip;
		c->eip = next;
		i->exec(c, i);
		i++;
		m->icount++;
		if (__builtin_expect(c->eip != next || m->stop != STOP_NONE || *b->store_seen, 0))
			break;
	}
	return (unsigned)(i - b->insns);
}

/*
 * Run decoded blocks from CS:EIP, up to `budget` instructions; false if
 * no block can start here, or the first is longer than the budget (the
 * caller runs one instruction the slow way: a block runs whole, as its
 * dead flags are only dead at its end). A block that ran to its end with
 * an ordinary last instruction goes straight on to the next
 * (block_find_next); anything else returns to the loop, which checks
 * events, timers and the budget.
 */
static bool interp_run_block(struct machine *m, uint64_t budget)
{
	struct block_view b;
	unsigned ran;

	if (!block_find(m, &b) || b.n > budget)
		return false;
	for (;;) {
		ran = interp_block_exec(m, &b);
		uint16_t last = b.insns[ran - 1].desc->attr;

		budget -= ran;
		if (__builtin_expect(last & A_IOPL, 0))
			block_epoch_advance(m); /* a device may have written RAM */
		if (ran < b.n || (last & (A_SERIAL | A_IOPL)) || m->stop != STOP_NONE ||
		    *b.store_seen)
			return true;
		if (!budget || !block_find_next(m, &b) || b.n > budget)
			return true;
	}
}

/*
 * A block runs up to the budget's end or the next timer deadline, whichever
 * is first, and at least one instruction (as the one-at-a-time loop does
 * after running the timers due, even one re-armed for now).
 */
static uint64_t interp_block_budget(const struct machine *m, uint64_t end)
{
	uint64_t stop = m->timers.next < end ? m->timers.next : end;

	return stop > m->icount ? stop - m->icount : 1;
}

/*
 * The common case runs whole decoded blocks; a boundary that needs care,
 * tracing, or code the block cache cannot hold goes one instruction at a
 * time. Blocks stop at the budget's end and at timer deadlines, so both
 * are met at the exact instruction count.
 */
static void interp_loop(struct machine *m, uint64_t end)
{
	struct cpu *c = &m->cpu;
	struct insn i;

	while (m->stop == STOP_NONE) {
		if (m->icount >= end) {
			machine_request_stop(m, STOP_BUDGET);
			break;
		}
		if (__builtin_expect(m->icount >= m->timers.next, 0)) {
			timer_run_due(m);
			block_epoch_advance(m); /* a device may have written RAM */
		}
		if (__builtin_expect(interp_needs_care(c), 0))
			interp_step_careful(m, &i, end);
		else if (__builtin_expect(m->trace & TRACE_EXEC, 0) ||
			 !interp_run_block(m, interp_block_budget(m, end)))
			interp_exec(m, &i);
		/* CPL changes only at serial instructions and events, which end blocks. */
		if (__builtin_expect(m->stop_at_cpl3, 0) && c->cpl == 3)
			break;
	}
}

/*
 * After cpu_raise unwound: back to the faulting instruction and deliver.
 * If a handler gave up on the machine (machine_fail), nothing is
 * delivered: the guest stays at the instruction for the report.
 */
static void interp_recover(struct machine *m, volatile uint64_t *end)
{
	struct cpu *c = &m->cpu;

	/* A handler that faults again retires nothing: without this charge a
	 * guest whose #UD handler is itself invalid would never spend its budget. */
	if (*end > m->icount)
		(*end)--;
	c->eip = c->insn_eip;
	if (m->stop != STOP_NONE) {
		c->exc.vector = -1;
		return;
	}
	exc_deliver_pending(c);
	if (c->shutdown)
		interp_shutdown(m);
}

/*
 * Each call starts a fresh run segment (m->stop cleared). The jmp_buf is
 * armed once here; an exception lands back in this frame, is delivered,
 * and the loop resumes. Delivery itself may raise: that lands here again.
 */
static enum stop_reason interp_run(struct machine *m, uint64_t budget)
{
	struct cpu *c = &m->cpu;
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;
	volatile uint64_t end = budget > UINT64_MAX - m->icount ? UINT64_MAX : m->icount + budget;

	c->m = m;
	m->stop = STOP_NONE;
	block_epoch_advance(m); /* RAM may have been loaded or patched since the last run */
	c->exc_jmp = &env;
	if (setjmp(env))
		interp_recover(m, &end);
	interp_loop(m, end);
	c->exc_jmp = outer;
	return m->stop;
}

const struct engine engine_interp = { "interp", interp_run };

static const struct engine *const engines[] = { &engine_interp, &engine_de };

const struct engine *engine_find(const char *name)
{
	for (unsigned k = 0; k < sizeof(engines) / sizeof(engines[0]); k++)
		if (!strcmp(engines[k]->name, name))
			return engines[k];
	return NULL;
}
