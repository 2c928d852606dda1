/*
 * One differential test case: the initial guest state (mode, CPL, paging,
 * registers, segments, code, memory pages) in a line-based text format
 * people read and edit (docs/case-format.md). The same struct is what the
 * fuzzer generates and minimizes and what every engine's runner builds.
 */
#ifndef DOPPEL_CASE_H
#define DOPPEL_CASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/cpu.h"

#define CASE_PAGE 4096u
#define CASE_PAGES_MAX 16
#define CASE_CODE_MAX 256

/* Page permissions (case_page.perm) */
#define CPERM_W 1u  /* writable */
#define CPERM_U 2u  /* user-accessible */

struct case_page {
	uint32_t lin;                /* page-aligned linear address */
	uint8_t perm;                /* CPERM_* */
	uint8_t data[CASE_PAGE];
};

struct fuzz_case {
	bool code32;                 /* CS.D: prot32 or prot16 */
	uint8_t cpl;                 /* 0 or 3 */
	bool paging;
	uint32_t gpr[8];
	uint32_t eip;
	uint32_t eflags;
	struct seg seg[6];           /* selector, base, byte limit, attr as struct cpu holds it */
	uint8_t code[CASE_CODE_MAX]; /* at CS:EIP, followed by the end marker */
	unsigned code_len;
	struct case_page page[CASE_PAGES_MAX];
	unsigned n_pages;
	char note[160];              /* free text: what the case shows (one line) */
};

/*
 * The end marker the runners place after the code, so that every case
 * ends in an exception: at CPL 3 HLT (#GP(0)), at CPL 0 UD2 (#UD), which
 * also stops QEMU, where a HLT with interrupts masked would wait for ever.
 */
#define CASE_END_MARKER_MAX 2
unsigned case_end_marker(const struct fuzz_case *fc, uint8_t *bytes);

/* A flat 4 GiB case at `cpl`: 32-bit segments, EFLAGS 0x202, no pages. */
void case_init(struct fuzz_case *fc, int cpl);
/* The page holding lin, or NULL. */
struct case_page *case_find_page(struct fuzz_case *fc, uint32_t lin);
/* Add a zeroed page at lin (aligned down); returns it, or NULL when full
 * or when the page exists already. */
struct case_page *case_add_page(struct fuzz_case *fc, uint32_t lin, uint8_t perm);
void case_drop_page(struct fuzz_case *fc, unsigned k);
/* Linear address of the code (CS.base + EIP). */
uint32_t case_code_lin(const struct fuzz_case *fc);
/* Check the case is runnable; on error writes one line into err. */
int case_validate(const struct fuzz_case *fc, char *err, size_t errlen);

/*
 * Text form. case_read returns 0, or -1 with "FILE:LINE: what" in err.
 * case_write never fails on a valid case (I/O errors aside, -1).
 */
int case_read(FILE *f, const char *name, struct fuzz_case *fc, char *err, size_t errlen);
int case_load(const char *path, struct fuzz_case *fc, char *err, size_t errlen);
int case_write(FILE *f, const struct fuzz_case *fc);
int case_save(const char *path, const struct fuzz_case *fc);

/* Names of the segment registers in the format: es cs ss ds fs gs. */
extern const char *const case_seg_names[6];
extern const char *const case_gpr_names[8];

#endif
