/*
 * Interrupts and exceptions through the IVT (real mode) or the IDT
 * (protected mode, with the TSS stack switch): the one place where the
 * guest's event delivery is modelled.
 */
#ifndef DOPPEL_EXCEPTION_H
#define DOPPEL_EXCEPTION_H

#include "cpu.h"

enum int_kind {
	INT_EXCEPTION, /* fault or trap raised by an instruction */
	INT_SOFTWARE,  /* INT n: gate DPL checked, pushes next EIP */
	INT_SOFT_EXC,  /* INT3 / INTO: like INT n, but #BP/#OF vector */
	INT_EXTERNAL,  /* hardware interrupt from the PIC */
};

/* Does this vector push an error code when raised as an exception? */
bool exc_has_error_code(int vector);

/*
 * After cpu_raise() unwound to the engine (EIP already back at the
 * faulting instruction), deliver c->exc. Combines nested faults into #DF
 * and a fault during #DF into a triple fault (sets c->shutdown).
 * Must be called with the engine's exc_jmp armed: delivery itself may
 * raise, and the engine then calls this again.
 */
void exc_deliver_pending(struct cpu *c);

/* Deliver an interrupt of the given kind now; EIP must be the return EIP. */
void exc_deliver(struct cpu *c, int vector, enum int_kind kind);
/*
 * The single-step trap (#DB with DR6.BS) at the boundary the CPU is at:
 * after an instruction that began with TF=1. After INT n, INT3, INTO or
 * INT1 that is the handler's first instruction (SDM vol. 3 17.3.1.4: "to
 * single step an interrupt handler, single step an INT n instruction").
 */
void exc_single_step(struct cpu *c);

#endif
