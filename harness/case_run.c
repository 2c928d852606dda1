/*
 * The case runner: one machine reused case after case. Loading a case
 * writes its image (harness/case_image.c) and sets the CPU; the run ends
 * at the first exception, which `interp` delivers through the harness
 * IDT to a HLT stub (the frame on the ring-0 stack gives back the state
 * at the exception) and `native` reports straight from de_run_user.
 * Between cases only the pages the last case wrote are cleared.
 */
#define _GNU_SOURCE
#include "harness/case_run.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/de.h"
#include "vmm/engine.h"
#include "vmm/exception.h"
#include "vmm/mmu.h"

/*
 * The direct-execution engine is another part of doppel; until it is
 * linked in, these resolve to NULL and `native` says it is not available.
 */
#pragma weak de_init
#pragma weak de_run_user
#pragma weak de_flush
#pragma weak de_exact
#pragma weak de_use_host_flat_selectors

#define CASE_BUDGET 100000u
#define NATIVE_SLICES 4 /* de time slices before a case counts as an endless loop */
_Static_assert(CASE_CR0 == (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM),
	       "CASE_CR0 names these bits");
const char *const case_engine_names[CENG_COUNT] = { "interp", "native", "qemu" };

struct case_runner {
	struct machine m;
	struct case_image img;
	uint32_t dirty[CASE_IMAGE_MAX]; /* physical pages the last case was given */
	unsigned n_dirty;
	bool scribbled;                 /* last case ran without paging: anything may be written */
	int de_state;                   /* 0 untried, 1 ready, -1 failed */
	char de_why[320];
};

struct case_runner *case_runner_new(char *err, size_t errlen)
{
	struct case_runner *r = calloc(1, sizeof(*r));

	if (!r || machine_init(&r->m, CASE_RAM) < 0) {
		snprintf(err, errlen, "cannot create the case machine");
		free(r);
		return NULL;
	}
	r->m.serial_out = NULL;
	case_harness_write(r->m.ram);
	return r;
}

void case_runner_free(struct case_runner *r)
{
	if (!r)
		return;
	machine_free(&r->m);
	free(r);
}

/* Give RAM back its all-zero state. Punching the memfd costs only the
 * pages that were ever written, so a case without paging stays cheap. */
static void runner_clean(struct case_runner *r)
{
	if (r->scribbled) {
		if (fallocate(r->m.ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      r->m.ram_size) < 0)
			memset(r->m.ram, 0, r->m.ram_size);
		case_harness_write(r->m.ram);
	} else {
		for (unsigned k = 0; k < r->n_dirty; k++)
			memset(r->m.ram + r->dirty[k], 0, CASE_PAGE);
	}
	r->n_dirty = 0;
	r->scribbled = false;
}

static void runner_load_memory(struct case_runner *r, const struct fuzz_case *fc)
{
	for (unsigned k = 0; k < r->img.n; k++) {
		memcpy(r->m.ram + r->img.page[k].pa, r->img.page[k].data, CASE_PAGE);
		r->dirty[r->n_dirty++] = r->img.page[k].pa;
	}
	r->scribbled = !fc->paging;
}

static void runner_load_cpu(struct machine *m, const struct fuzz_case *fc)
{
	struct cpu *c = &m->cpu;

	cpu_reset(c);
	c->m = m;
	memcpy(c->gpr, fc->gpr, sizeof(c->gpr));
	c->eip = fc->eip;
	c->eflags = fc->eflags;
	memcpy(c->seg, fc->seg, sizeof(c->seg));
	c->cpl = fc->cpl;
	c->cr0 = CASE_CR0 | (fc->paging ? CR0_PG : 0);
	c->cr3 = fc->paging ? CASE_H_PD : 0;
	c->gdtr = (struct dtr){ CASE_H_GDT, CASE_PAGE - 1 };
	c->idtr = (struct dtr){ CASE_H_IDT, 256 * 8 - 1 };
	c->tr = (struct seg){ CASE_SEL_TSS, 0x008b, CASE_H_TSS, 0x67 };
	c->ldtr = (struct seg){ 0, 0x0082, 0, 0 };
	tlb_flush_all(c, true);
	m->icount = 0; /* the virtual clock, so RDTSC reads the same in every run */
	m->stop = STOP_NONE;
	m->error[0] = 0;
}

/* Load fc into the machine; false (and out->error) if it cannot be laid out. */
static bool runner_load(struct case_runner *r, const struct fuzz_case *fc,
			struct case_state *out)
{
	memset(out, 0, sizeof(*out));
	runner_clean(r);
	if (case_image_build(fc, &r->img, out->error, sizeof(out->error)) < 0) {
		out->end = CEND_ERROR;
		return false;
	}
	runner_load_memory(r, fc);
	runner_load_cpu(&r->m, fc);
	return true;
}

/* ---- reading the final state ---- */

/* Physical address of a case-linear address, as the image maps it. */
static uint8_t *runner_case_byte(struct case_runner *r, const struct fuzz_case *fc,
				 uint32_t lin)
{
	for (unsigned k = 0; k < fc->n_pages; k++)
		if (fc->page[k].lin == (lin & ~(CASE_PAGE - 1)))
			return r->m.ram + r->img.frame[k] + (lin & (CASE_PAGE - 1));
	if (!fc->paging || (lin >= CASE_HARNESS && lin < CASE_HARNESS_END))
		return machine_phys(&r->m, lin, 1);
	return NULL;
}

static uint32_t runner_read32(struct case_runner *r, const struct fuzz_case *fc,
			      uint32_t lin)
{
	uint32_t v = 0;

	for (int b = 3; b >= 0; b--) {
		uint8_t *p = runner_case_byte(r, fc, lin + (uint32_t)b);
		v = (v << 8) | (p ? *p : 0);
	}
	return v;
}

static void state_copy_common(struct case_state *s, struct case_runner *r,
			      const struct fuzz_case *fc)
{
	const struct cpu *c = &r->m.cpu;

	memcpy(s->gpr, c->gpr, sizeof(s->gpr));
	s->eip = c->eip;
	s->eflags = c->eflags;
	for (int k = 0; k < 6; k++)
		s->sel[k] = c->seg[k].sel;
	s->cr2 = c->cr2;
	s->fcw = c->fpu.fcw;
	s->fsw = c->fpu.fsw;
	s->ftw = c->fpu.ftw;
	memcpy(s->st, c->fpu.st, sizeof(s->st));
	s->n_pages = fc->n_pages;
	for (unsigned k = 0; k < fc->n_pages; k++) {
		s->lin[k] = fc->page[k].lin;
		memcpy(s->mem[k], r->m.ram + r->img.frame[k], CASE_PAGE);
	}
}

/*
 * interp stopped in stub v: undo the delivery from its frame. From ring 3
 * the frame is [err] EIP CS EFLAGS ESP SS on the harness stack, 20 or 24
 * bytes below its top, and the error code is there exactly when it is 24; from ring 0 it
 * is [err] EIP CS EFLAGS on the case's own stack, and whether the vector
 * pushed an error code is told by the vector (INT n of an error-code
 * vector at CPL 0 is therefore not a valid case). RF is what delivery sets
 * for faults, not part of the state at the exception.
 */
static void state_unwind_frame(struct case_state *s, struct case_runner *r,
			       const struct fuzz_case *fc, int v)
{
	const struct cpu *c = &r->m.cpu;
	uint32_t sp = c->seg[SR_SS].base + c->gpr[ESP];
	bool outer = sp == CASE_H_STACK_TOP - 20 || sp == CASE_H_STACK_TOP - 24;
	bool has_err = outer ? sp == CASE_H_STACK_TOP - 24 : exc_has_error_code(v);
	uint32_t f = sp + (has_err ? 4 : 0);

	s->end = CEND_EXCEPTION;
	s->vector = v;
	s->err = has_err ? runner_read32(r, fc, sp) : 0;
	s->eip = runner_read32(r, fc, f);
	s->sel[SR_CS] = (uint16_t)runner_read32(r, fc, f + 4);
	s->eflags = runner_read32(r, fc, f + 8) & ~F_RF;
	if (outer) {
		s->gpr[ESP] = runner_read32(r, fc, f + 12);
		s->sel[SR_SS] = (uint16_t)runner_read32(r, fc, f + 16);
	} else {
		s->gpr[ESP] = c->gpr[ESP] + (f + 12 - sp);
	}
}

static int stub_vector(const struct cpu *c)
{
	uint32_t at = c->eip - 1 - CASE_H_STUBS;

	if (c->seg[SR_CS].sel != CASE_SEL_CODE0 || c->eip <= CASE_H_STUBS ||
	    at >= 256 * CASE_H_STUB_SIZE || at % CASE_H_STUB_SIZE)
		return -1;
	return (int)(at / CASE_H_STUB_SIZE);
}

static void state_from_interp(struct case_state *s, struct case_runner *r,
			      const struct fuzz_case *fc, enum stop_reason why)
{
	int v = stub_vector(&r->m.cpu);

	state_copy_common(s, r, fc);
	s->vector = -1;
	s->end = why == STOP_HLT ? CEND_HALT : why == STOP_BUDGET ? CEND_BUDGET
		 : why == STOP_SHUTDOWN ? CEND_SHUTDOWN : CEND_ERROR;
	if (s->end == CEND_ERROR)
		snprintf(s->error, sizeof(s->error), "interp: %s",
			 r->m.error[0] ? r->m.error : "stopped for an unexpected reason");
	if (why == STOP_HLT && v >= 0)
		state_unwind_frame(s, r, fc, v);
}

static void run_interp(struct case_runner *r, const struct fuzz_case *fc,
		       struct case_state *out)
{
	enum stop_reason why;

	if (!runner_load(r, fc, out))
		return;
	why = engine_interp.run(&r->m, CASE_BUDGET);
	state_from_interp(out, r, fc, why);
}

static bool in_stubs(const struct cpu *c)
{
	return c->seg[SR_CS].sel == CASE_SEL_CODE0 && c->eip >= CASE_H_STUBS &&
	       c->eip < CASE_H_STUBS + 256 * CASE_H_STUB_SIZE;
}

/* The run ends in a stub's HLT: an interp run of one instruction at a time is the same run. */
bool case_run_watch(struct case_runner *r, const struct fuzz_case *fc, case_look_fn *look,
		    void *ctx)
{
	struct case_state *st = malloc(sizeof(*st));
	struct cpu *c = &r->m.cpu;
	bool seen = false;

	if (!st || !runner_load(r, fc, st)) {
		free(st);
		return false;
	}
	free(st);
	for (unsigned n = 0; n < CASE_BUDGET && !seen && !in_stubs(c); n++) {
		uint8_t bytes[15];
		unsigned len = 0;
		for (const uint8_t *p; len < sizeof(bytes) &&
		     (p = runner_case_byte(r, fc, c->seg[SR_CS].base + c->eip + len)); len++)
			bytes[len] = *p;
		seen = look(ctx, c, bytes, len);
		if (!seen && engine_interp.run(&r->m, 1) != STOP_BUDGET)
			break;
	}
	return seen;
}

/* ---- native: the host CPU through direct execution ---- */

static bool native_ready(struct case_runner *r)
{
	if (r->de_state)
		return r->de_state > 0;
	r->de_state = -1;
	if (!de_init || !de_run_user || !de_flush || !de_exact || !de_use_host_flat_selectors)
		snprintf(r->de_why, sizeof(r->de_why), "native engine not available: direct "
			 "execution (vmm/de.h) is not linked into this build");
	else if (de_init(&r->m) < 0)
		snprintf(r->de_why, sizeof(r->de_why), "native engine not available: %s",
			 r->m.error[0] ? r->m.error : "de_init failed");
	else {
		de_use_host_flat_selectors(true);
		r->de_state = 1;
	}
	return r->de_state > 0;
}

static void state_from_event(struct case_state *s, struct case_runner *r,
			     const struct fuzz_case *fc, const struct de_event *ev)
{
	state_copy_common(s, r, fc);
	s->end = CEND_EXCEPTION;
	s->vector = ev->vector;
	s->err = exc_has_error_code(ev->vector) && !ev->software ? ev->err : 0;
	if (ev->vector == EXC_PF)
		s->cr2 = ev->cr2;
	s->eflags &= ~F_RF;
}

/*
 * de gives some host traps back to the monitor instead of reporting them
 * (a #GP other than INT n, #NP, #SS, #AC, #MF ...): the full `de` engine
 * would now run that instruction on the slow path. Where the host's
 * exception is the guest's too (de_event.host_same: #AC, #MF, most
 * #GP(0) and #SS(0)) the case ends at the host's; otherwise the case
 * runs that instruction on interp: the state up to it is the host's,
 * and the exception it raises is interp's.
 */
static void native_finish_on_interp(struct case_runner *r, const struct fuzz_case *fc,
				    struct case_state *out)
{
	enum stop_reason why = engine_interp.run(&r->m, CASE_BUDGET);

	state_from_interp(out, r, fc, why);
}

static void run_native(struct case_runner *r, const struct fuzz_case *fc,
		       struct case_state *out)
{
	struct de_event ev;
	enum de_exit why;

	if (!native_ready(r) || fc->cpl != 3) {
		memset(out, 0, sizeof(*out));
		out->end = CEND_ERROR;
		snprintf(out->error, sizeof(out->error), "%s",
			 fc->cpl != 3 ? "native runs CPL 3 cases only" : r->de_why);
		return;
	}
	if (!runner_load(r, fc, out))
		return;
	if (!de_exact(&r->m.cpu)) {
		out->end = CEND_ERROR;
		snprintf(out->error, sizeof(out->error), "native: direct execution is not exact "
			 "for this initial state (de_exact)");
		return;
	}
	de_flush(&r->m);
	why = de_run_user(&r->m, &ev);
	/* a loop that never traps: a few more slices, then it is interp's endless loop too */
	for (int slice = 1; why == DE_PREEMPTED && slice < NATIVE_SLICES; slice++)
		why = de_run_user(&r->m, &ev);
	if (why == DE_PREEMPTED) {
		state_copy_common(out, r, fc);
		out->end = CEND_BUDGET;
		out->vector = -1;
		return;
	}
	if (why == DE_NOT_EXACT && ev.host_same) {
		/* the hardware's exception is the guest's: the case ends at it */
		ev = (struct de_event){ .vector = ev.host_vector, .err = ev.host_err };
		why = DE_EVENT;
	}
	if (why == DE_EVENT && ev.step_after) {
		/* the single-step trap after the delivery ends the case */
		de_deliver(&r->m, &ev);
		native_finish_on_interp(r, fc, out);
	} else if (why == DE_EVENT)
		state_from_event(out, r, fc, &ev);
	else if (why == DE_NOT_EXACT)
		native_finish_on_interp(r, fc, out);
	else if (why == DE_UNDONE) {
		/* the hardware ran the host's meaning: it has no answer here */
		out->end = CEND_ERROR;
		snprintf(out->error, sizeof(out->error), "native: run undone: %s", ev.undo_why);
	} else {
		out->end = CEND_ERROR;
		snprintf(out->error, sizeof(out->error), "native: %s", r->m.error);
	}
}

bool case_engine_available(struct case_runner *r, enum case_engine e, char *why,
			   size_t whylen)
{
	if (e == CENG_NATIVE && !native_ready(r)) {
		snprintf(why, whylen, "%s", r->de_why);
		return false;
	}
	if (e == CENG_QEMU) {
		snprintf(why, whylen, "qemu runs through harness/qemu_ref.c, in batches");
		return false;
	}
	return true;
}

void case_run(struct case_runner *r, enum case_engine e, const struct fuzz_case *fc,
	      struct case_state *out)
{
	if (e == CENG_NATIVE)
		run_native(r, fc, out);
	else
		run_interp(r, fc, out);
}

int case_engines_parse(const char *s, enum case_engine *list, int max)
{
	int n = 0;

	for (const char *p = s; *p;) {
		size_t len = strcspn(p, ",");
		int e = CENG_COUNT;
		for (int k = 0; k < CENG_COUNT; k++)
			if (strlen(case_engine_names[k]) == len && !strncmp(p, case_engine_names[k], len))
				e = k;
		if (e == CENG_COUNT || n == max) {
			fprintf(stderr, "doppel: --engines: '%.*s' is not one of interp, native, "
				"qemu (at most %d)\n", (int)len, p, max);
			return -1;
		}
		list[n++] = (enum case_engine)e;
		p += len + (p[len] == ',');
	}
	if (n < 2) {
		fprintf(stderr, "doppel: --engines needs two or more engines\n");
		return -1;
	}
	return n;
}
