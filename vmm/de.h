/*
 * Direct execution (the paper's VMM half): guest CPL 3 code runs natively
 * on the host CPU, in 32-bit compatibility mode inside a stub process
 * forked from the monitor, over a shadow of the guest's user address space
 * in the stub's low 4 GiB. Every trap comes back as a signal and becomes
 * either a hidden fault (resume), an instruction for the interpreter, or a
 * guest event (stop with the exact guest state). vmm/de_host.h has the
 * host-side contract and the isolation argument.
 */
#ifndef DOPPEL_DE_H
#define DOPPEL_DE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* A guest-visible event that ended native execution. */
struct de_event {
	int vector;        /* exception or INT n vector */
	uint32_t err;      /* error code, where the vector has one */
	bool software;     /* INT n / INT3 / INTO: EIP is past the instruction */
	bool trap;         /* #DB trap: EIP is past the instruction */
	bool int1;         /* the trap is INT1 (F1): DR6 stays as it was */
	uint8_t insn_len;  /* software: length of the INT instruction */
	bool step_after;   /* software or INT1 with TF set: the single-step trap
			    * follows at the handler's first instruction */
	uint32_t cr2;      /* for #PF */
	/*
	 * With DE_NOT_EXACT after a host fault (#GP, #SS, #NP, #TS, #AC, #MF;
	 * else host_vector is -1): the host's exception at the instruction,
	 * and host_same when it is the guest's exception too (the guest
	 * semantics coincide: docs/native-differences.md).
	 */
	int host_vector;
	uint32_t host_err;
	bool host_same;
	char undo_why[128]; /* with DE_UNDONE: what the monitor saw */
};

enum de_exit {
	DE_EVENT,      /* *ev holds the event; struct cpu is the state at it */
	DE_NOT_EXACT,  /* native execution would not be exact here (the paper's
			* rule), or the instruction at EIP trapped and only the
			* interpreter knows its guest meaning: run it on interp */
	DE_ERROR,      /* the host refused something (message in m->error) */
	DE_PREEMPTED,  /* the time slice ended (a guest loop that never traps):
			* the state is at an instruction boundary, no event */
	DE_UNDONE,     /* the host answered a segment load natively (or the
			* stub ran code it should not): guest memory and the
			* CPU are back at the run's entry; interp must run it */
};

/* What direct execution did so far (doppel run --stats). */
struct de_stats {
	uint64_t runs;     /* entries into native code */
	uint64_t undone;   /* runs undone (DE_UNDONE) */
	uint64_t restarts; /* stubs replaced */
	char last_undo[128]; /* why the last undone run was undone */
};

/*
 * Start (or restart, for a machine with other RAM) the native stub for m.
 * -1 with the reason in m->error. de_run_user needs it first.
 */
int de_init(struct machine *m);
/* Is native execution exact for the CPU's current state? */
bool de_exact(const struct cpu *c);
/* Run c's CPL 3 code natively until the first guest-visible event. */
enum de_exit de_run_user(struct machine *m, struct de_event *ev);
/*
 * Run flat guest segments on the host GDT's flat selectors (0x23, 0x2b)
 * instead of LDT copies: for the fuzzer's native runner only, whose cases
 * use those values (vmm/de_segments.c says why the engine does not).
 */
void de_use_host_flat_selectors(bool on);
/* Drop the whole shadow (the shadow also follows the interpreter's TLB by itself). */
void de_flush(struct machine *m);
const struct de_stats *de_stats(void);
/* Deliver ev through the guest's IDT, as the interpreter would. */
void de_deliver(struct machine *m, const struct de_event *ev);

extern const struct engine engine_de;

#endif
