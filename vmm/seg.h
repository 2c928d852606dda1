/*
 * Protected-mode segmentation: descriptor tables (GDT, LDT), the checks
 * the processor makes when a selector is loaded, the limit checks every
 * access makes, and the stacks that far transfers switch to. The rest of
 * the monitor (vmm/mem.c, the far-control and exception code) asks here.
 */
#ifndef DOPPEL_SEG_H
#define DOPPEL_SEG_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "mem.h"

/* Descriptor types (access byte bits 0-4: S and type). */
#define DESC_S 0x10u
#define DESC_CODE 0x08u       /* with S: code segment */
#define DESC_CONFORMING 0x04u /* code: conforming */
#define DESC_EXPAND_DOWN 0x04u /* data: expand-down */
#define DESC_READABLE 0x02u   /* code: readable */
#define DESC_WRITABLE 0x02u   /* data: writable */
#define DESC_ACCESSED 0x01u
/* System types (S = 0). */
enum {
	SYS_TSS16 = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALL16 = 4,
	SYS_TASK = 5, SYS_INT16 = 6, SYS_TRAP16 = 7, SYS_TSS32 = 9,
	SYS_TSS32_BUSY = 11, SYS_CALL32 = 12, SYS_INT32 = 14, SYS_TRAP32 = 15,
};

/* Selector fields; an error code made from a selector drops the RPL. */
#define SEL_RPL(s) ((s) & 3u)
#define SEL_TI 4u
#define SEL_ERR(s) ((uint32_t)((s) & 0xfffcu))
#define SEL_IS_NULL(s) (((s) & 0xfffcu) == 0)

/* A descriptor as read from its table, and where it lives (linear). */
struct desc {
	uint32_t lo, hi;
	uint32_t addr;
};

static inline uint16_t desc_attr(const struct desc *d) { return (uint16_t)((d->hi >> 8) & 0xf0ffu); }
static inline unsigned desc_dpl(const struct desc *d) { return (d->hi >> 13) & 3; }
static inline bool desc_present(const struct desc *d) { return (d->hi >> 15) & 1; }
/* Access byte bits 0-4 (S and type): one number for every kind. */
static inline unsigned desc_kind(const struct desc *d) { return (d->hi >> 8) & 0x1f; }
static inline bool desc_is_code(const struct desc *d) { return (desc_kind(d) & 0x18) == 0x18; }
static inline bool desc_is_data(const struct desc *d) { return (desc_kind(d) & 0x18) == 0x10; }
static inline bool desc_is_conforming(const struct desc *d) { return desc_is_code(d) && (d->hi & 0x400); }
uint32_t desc_base(const struct desc *d);
uint32_t desc_limit(const struct desc *d); /* G applied */
/* Fill a segment cache from a descriptor. */
void desc_to_seg(const struct desc *d, uint16_t sel, struct seg *s);

/*
 * Read the descriptor a selector names (GDT, or LDT with TI). Returns
 * false, touching nothing, if the index lies beyond the table's limit or
 * the LDT is not usable. Page faults on the table are raised.
 */
bool desc_fetch(struct cpu *c, uint16_t sel, struct desc *d);
/* desc_fetch, raising #vector(SEL_ERR(sel) | ext) when it returns false. */
void desc_fetch_or_raise(struct cpu *c, uint16_t sel, struct desc *d, int vector, uint32_t ext);
/* Set the accessed bit in the table, as the processor does on a load. */
void desc_set_accessed(struct cpu *c, struct desc *d);

/*
 * Is [off, off + size) inside the segment's limit? Expand-down data
 * segments allow (limit, 0xffff] or (limit, 0xffffffff] by their B bit;
 * a 4 GiB expand-up segment wraps instead of faulting.
 */
bool seg_offset_ok(const struct seg *s, uint32_t off, int size);
/*
 * Every check a data access through segment register sreg makes before
 * paging: null/unusable segment, type (no writes to code or read-only
 * data, no reads of execute-only code) in protected mode, and the limit.
 * A false answer means #GP(0), or #SS(0) for SS.
 */
bool seg_access_ok(const struct cpu *c, int sreg, uint32_t off, int size, enum mem_access acc);

/* Load CS from a checked code descriptor; the new CPL is `cpl` (= RPL). */
void seg_load_cs(struct cpu *c, uint16_t sel, struct desc *d, unsigned cpl);
/* Load SS from a checked stack descriptor. */
void seg_load_ss(struct cpu *c, uint16_t sel, struct desc *d);
/* After a return to an outer level: null DS/ES/FS/GS the new CPL may not use. */
void seg_null_inaccessible(struct cpu *c);

/*
 * Check the code segment a gate or a far transfer names (null, table
 * limit, type, DPL <= CPL, present). Error codes carry `ext`.
 */
void seg_check_gate_target(struct cpu *c, uint16_t sel, struct desc *d, uint32_t ext);

/*
 * A stack a far transfer uses, which may not be SS yet (the inner stack
 * of a privilege change). Pushes are checked as a whole (limit, then
 * paging) before any byte is written; a limit violation is #SS(fault_err).
 */
struct far_stack {
	struct seg ss;
	uint32_t esp;
	bool user;        /* paging check as CPL 3 */
	uint32_t fault_err; /* #SS error code */
	int n;            /* values queued by far_stack_push */
	uint32_t val[16];
	uint8_t size[16];
};
/* The current SS:ESP, with #SS(0) for a limit violation. */
void far_stack_current(const struct cpu *c, struct far_stack *st);
/*
 * The inner stack for a privilege change to `dpl`, read from the TSS and
 * checked as the SDM says (#TS(sel | ext), not present: #SS(sel | ext)).
 */
void far_stack_inner(struct cpu *c, unsigned dpl, uint32_t ext, struct far_stack *st, struct desc *ssd);
/* Queue a push of size 2 or 4; far_stack_commit checks and writes them all. */
void far_stack_push(struct far_stack *st, int size, uint32_t v);
/* Raise now the #SS a commit of the queued pushes would raise. */
void far_stack_check(struct cpu *c, const struct far_stack *st);
void far_stack_commit(struct cpu *c, struct far_stack *st);
/* Read the value at ESP + offset (checked), without moving ESP. */
uint32_t far_stack_read(struct cpu *c, const struct far_stack *st, uint32_t offset, int size);
/* ESP after moving by delta: a 16-bit stack changes SP only. */
uint32_t far_stack_moved(const struct far_stack *st, uint32_t delta);

#endif
