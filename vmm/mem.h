/*
 * Guest memory as the CPU sees it: segmentation (limit and type checks),
 * then paging through a software TLB, then guest-physical RAM. Every
 * access by an engine's slow path goes through here; faults are raised
 * with cpu_raise (#GP, #SS, #PF) before anything is written.
 */
#ifndef DOPPEL_MEM_H
#define DOPPEL_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

enum mem_access { ACC_READ, ACC_WRITE, ACC_EXEC };

/*
 * Segmented access: seg is enum sreg, off the offset within the segment.
 * Checks the limit and type of the segment (#GP(0), or #SS(0) for SS),
 * then translates with the current CPL's privilege.
 */
uint8_t mem_read8(struct cpu *c, int seg, uint32_t off);
uint16_t mem_read16(struct cpu *c, int seg, uint32_t off);
uint32_t mem_read32(struct cpu *c, int seg, uint32_t off);
uint64_t mem_read64(struct cpu *c, int seg, uint32_t off);
void mem_write8(struct cpu *c, int seg, uint32_t off, uint8_t v);
void mem_write16(struct cpu *c, int seg, uint32_t off, uint16_t v);
void mem_write32(struct cpu *c, int seg, uint32_t off, uint32_t v);
void mem_write64(struct cpu *c, int seg, uint32_t off, uint64_t v);
/* size is 1, 2 or 4 */
uint32_t mem_read(struct cpu *c, int seg, uint32_t off, int size);
void mem_write(struct cpu *c, int seg, uint32_t off, int size, uint32_t v);
/* Raise now any fault that writing `size` bytes at seg:off would raise. */
void mem_check_write(struct cpu *c, int seg, uint32_t off, int size);
void mem_check_read(struct cpu *c, int seg, uint32_t off, int size);
/* Byte strings (descriptor tables, FSAVE images): checked as a whole first. */
void mem_read_bytes(struct cpu *c, int seg, uint32_t off, void *dst, uint32_t n);
void mem_write_bytes(struct cpu *c, int seg, uint32_t off, const void *src, uint32_t n);

/*
 * Linear-address access, for descriptor tables, the TSS and the IDT.
 * `supervisor` true means a system access (CPL-independent, as the
 * hardware does for GDT/IDT/TSS references).
 */
uint32_t lin_read(struct cpu *c, uint32_t lin, int size, bool supervisor);
void lin_write(struct cpu *c, uint32_t lin, int size, uint32_t v, bool supervisor);

/*
 * Instruction fetch: copies up to `want` bytes at CS:off. Raises the
 * fault of the first byte that cannot be fetched only if it is byte 0;
 * otherwise returns how many bytes were fetched before it (the decoder
 * then raises for the byte it actually needs).
 */
unsigned mem_fetch(struct cpu *c, uint32_t off, uint8_t *buf, unsigned want);

/*
 * Translate a linear address; on failure raises #PF (sets the fault
 * address and error code). Returns the guest-physical address.
 */
uint32_t mmu_translate(struct cpu *c, uint32_t lin, enum mem_access acc, bool user);

/* The TLB follows the architecture: flushed on CR3 writes (except global
 * pages with CR4.PGE), on INVLPG for one page, on CR0/CR4 paging changes. */
void tlb_flush_all(struct cpu *c, bool include_global);
void tlb_flush_page(struct cpu *c, uint32_t lin);

/* Open or close the A20 gate (m->a20_mask). Every change of the mask must
 * come through here: the TLB caches A20-masked physical addresses. */
void mmu_set_a20(struct machine *m, bool enabled);

#endif
