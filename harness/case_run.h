/*
 * Running one test case on an engine and collecting its final state (the
 * state at the first exception), and comparing two final states with
 * masks. Every engine starts from the same guest image: the case's pages
 * plus a small harness (GDT, IDT, TSS, page tables) at CASE_HARNESS.
 */
#ifndef DOPPEL_CASE_RUN_H
#define DOPPEL_CASE_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "corpus/case.h"
#include "harness/case_layout.h"
#include "vmm/machine.h"

#define CASE_RAM (32u << 20)

/* One physical page of a case's image. */
struct case_image_page {
	uint32_t pa;
	const uint8_t *data;   /* 4096 bytes */
};

#define CASE_IMAGE_MAX (CASE_PAGES_MAX * 2 + 4)

/* What a case puts in memory besides the constant IDT/TSS/stubs. */
struct case_image {
	struct case_image_page page[CASE_IMAGE_MAX];
	unsigned n;
	uint32_t frame[CASE_PAGES_MAX]; /* physical address of each case page */
	uint8_t gdt[CASE_PAGE];
	uint8_t pd[CASE_PAGE];
	uint8_t pt[CASE_PAGES_MAX + 1][CASE_PAGE];
	uint8_t code_page[CASE_PAGES_MAX][CASE_PAGE]; /* case pages with the code laid over */
};

/* Build the image of fc. -1 with a message when fc cannot be laid out. */
int case_image_build(const struct fuzz_case *fc, struct case_image *img, char *err,
		     size_t errlen);
/* The IDT, TSS and interp's HLT stubs, written once per machine (host-side). */
void case_harness_write(uint8_t *ram);
/* The pages at CASE_H_GDT (harness entries only) and CASE_H_IDT (IDT, TSS),
 * for a guest that builds the harness itself (tests/qemu-ref/). */
void case_harness_gdt(uint8_t *page);
void case_harness_idt_page(uint8_t *page);

/* How a run ended. */
enum case_end {
	CEND_EXCEPTION, /* the first exception (or INT n): vector, err, cr2 */
	CEND_HALT,      /* HLT at CPL 0 with the code's end marker or earlier */
	CEND_SHUTDOWN,  /* triple fault */
	CEND_BUDGET,    /* ran too long: a loop */
	CEND_ERROR,     /* the engine could not run it (message in error) */
};

struct case_state {
	enum case_end end;
	int vector;
	uint32_t err, cr2;
	uint32_t gpr[8], eip, eflags;
	uint16_t sel[6];
	uint16_t fcw, fsw, ftw;
	uint8_t st[8][10];
	unsigned n_pages;
	uint32_t lin[CASE_PAGES_MAX];
	uint8_t mem[CASE_PAGES_MAX][CASE_PAGE];
	char error[320];
};

/* A runner owns one machine, reused case after case. */
struct case_runner;
struct case_runner *case_runner_new(char *err, size_t errlen);
void case_runner_free(struct case_runner *r);

enum case_engine { CENG_INTERP, CENG_NATIVE, CENG_QEMU, CENG_COUNT };
extern const char *const case_engine_names[CENG_COUNT];
/* "interp,native" into a list; -1 after printing one error line. */
int case_engines_parse(const char *s, enum case_engine *list, int max);
/* Is the engine usable here? If not, why (one line). */
bool case_engine_available(struct case_runner *r, enum case_engine e, char *why,
			   size_t whylen);

/* Run fc on an in-process engine (interp or native). */
void case_run(struct case_runner *r, enum case_engine e, const struct fuzz_case *fc,
	      struct case_state *out);
/*
 * Run fc on interp one instruction at a time, showing each to look (the
 * CPU about to run it, and up to 15 bytes at CS:EIP as memory holds them
 * then) before it runs. True
 * as soon as look says true; false when the run ends without.
 */
typedef bool case_look_fn(void *ctx, struct cpu *c, const uint8_t *bytes, unsigned n);
bool case_run_watch(struct case_runner *r, const struct fuzz_case *fc, case_look_fn *look,
		    void *ctx);

/* ---- comparison ---- */

/* What a comparison ignores. */
struct case_mask {
	uint32_t eflags;     /* EFLAGS bits */
	uint8_t sel;         /* segment selectors (bit per enum sreg) */
	bool null_rpl;       /* the RPL of a null data selector (native: the host's IRET drops it) */
};

/* The mask for a pair of engines and a case (docs/native-differences.md). */
void case_mask_for(const struct fuzz_case *fc, enum case_engine a, enum case_engine b,
		   struct case_mask *mask);

/* The first difference, in words. */
struct case_diff {
	char what[64];       /* "eax", "eflags.CF", "mem 0x00402010", "vector" ... */
	char klass[32];      /* difference class for statistics: "flags", "gpr", ... */
	uint32_t a, b;
};

/* 0 when equal under mask; else 1 and the first difference in *d. */
int case_compare(const struct case_state *a, const struct case_state *b,
		 const struct case_mask *mask, struct case_diff *d);
/* Print every difference register by register (human form). */
void case_print_diff(FILE *f, const char *na, const struct case_state *a, const char *nb,
		     const struct case_state *b, const struct case_mask *mask);
void case_print_state(FILE *f, const struct case_state *s);
/* JSON of n states; masks[k] is the mask between state 0 and state k. */
void case_print_json(FILE *f, const char *const *names, const struct case_state *const *s,
		     const struct case_mask *masks, int n);

#endif
