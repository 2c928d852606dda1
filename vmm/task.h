/*
 * Hardware task switching (SDM Vol. 3A, chapter 7): far JMP/CALL to a TSS
 * or a task gate, events through an IDT task gate, IRET with NT=1. The
 * old task's dynamic state goes into its TSS, the new task's comes from
 * its TSS, with the busy bits, the back link and NT kept as the processor
 * keeps them.
 */
#ifndef DOPPEL_TASK_H
#define DOPPEL_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "seg.h"

enum task_switch_reason { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };

/*
 * Switch to the task whose TSS descriptor (in the GDT) `sel` names, for a
 * JMP, CALL or IRET; c->eip is the old task's resume point. Privilege
 * checks on the descriptor the instruction named are the caller's.
 * Faults before the commit point leave everything unchanged; faults after
 * it are raised in the new task (insn_eip is the new task's EIP).
 */
void task_switch(struct cpu *c, uint16_t sel, enum task_switch_reason why);

/* An event delivered through a task gate. */
struct task_event {
	uint32_t ext;      /* EXT bit of the error codes: exceptions, external interrupts */
	uint32_t flags;    /* EFLAGS image saved in the old TSS (RF set for faults) */
	bool push_err;     /* an exception with an error code: pushed on the new stack */
	uint32_t err;
};
void task_switch_event(struct cpu *c, uint16_t sel, const struct task_event *ev);

/* Far JMP/CALL to the TSS descriptor or task gate d that sel named. */
void task_far_transfer(struct cpu *c, uint16_t sel, const struct desc *d, enum task_switch_reason why);

/* IRET with EFLAGS.NT=1: back to the task in the current TSS's back link. */
void task_return(struct cpu *c);

#endif
