/*
 * Direct execution (the paper's VMM half): guest CPL 3 code runs natively
 * on the host CPU, in 32-bit compatibility mode inside this process, over
 * a shadow of the guest's user address space in the low 4 GiB. Every trap
 * comes back as a signal and becomes either a hidden fault (resume) or a
 * guest event (stop with the exact guest state).
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
	uint32_t cr2;      /* for #PF */
};

enum de_exit {
	DE_EVENT,      /* *ev holds the event; struct cpu is the state at it */
	DE_NOT_EXACT,  /* native execution would not be exact here (the paper's rule) */
	DE_ERROR,      /* the host refused something (message in m->error) */
};

/* Once per process (signals, alternate stack, LDT, user dispatch). -1 on failure. */
int de_init(struct machine *m);
/* Is native execution exact for the CPU's current state? */
bool de_exact(const struct cpu *c);
/* Run c's CPL 3 code natively until the first guest-visible event. */
enum de_exit de_run_user(struct machine *m, struct de_event *ev);
/* The guest changed its address space (CR3 load, INVLPG, mode change). */
void de_flush(struct machine *m);

extern const struct engine engine_de;

#endif
