/*
 * The software TLB: a direct-mapped cache of linear-to-physical
 * translations with a host pointer into guest RAM, one table per access
 * kind (user/supervisor x read/write), so that a hit is a mask and a
 * compare. It behaves like a hardware TLB where a guest can see it: an
 * entry stays, stale, until INVLPG, a CR3 load (except global pages) or a
 * paging-mode change flushes it.
 */
#ifndef DOPPEL_MMU_H
#define DOPPEL_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

/* Page-directory and page-table entry bits (two-level 32-bit paging). */
#define PTE_P 0x001u
#define PTE_RW 0x002u
#define PTE_US 0x004u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u

#define TLB_BITS 12
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_PAGE_MASK 0xfffff000u

/* tag: linear page | TLB_VALID; TLB_NOHOST makes the fast compare miss. */
#define TLB_VALID 1u
#define TLB_NOHOST 2u
/* Low bits of tlb_entry.pa. */
#define TLB_GLOBAL 1u
#define TLB_LARGE 2u

enum tlb_kind { TLB_SUP_READ, TLB_SUP_WRITE, TLB_USER_READ, TLB_USER_WRITE, TLB_KINDS };

struct tlb_entry {
	uint32_t tag;
	uint32_t pa;     /* physical page | TLB_GLOBAL | TLB_LARGE */
	uint8_t *host;   /* host address of the page; NULL when not RAM */
};

/*
 * Every flush is counted (epoch) and its extent logged, so a cache that
 * lives outside this TLB (the direct-execution shadow) can flush where the
 * architecture flushes: flushed[n % TLB_FLUSH_LOG] tells what flush n
 * dropped: a page, the 4 MiB region of a page (TLB_FLUSH_LARGE), or
 * everything (TLB_FLUSH_ALL). A reader more than TLB_FLUSH_LOG behind
 * drops everything.
 */
#define TLB_FLUSH_LOG 16
#define TLB_FLUSH_LARGE 1u
#define TLB_FLUSH_ALL 2u

/*
 * Flushes visit only the slots filled since the last full clear: their
 * indices, up to TLB_USED_MAX, then `used_all` (every slot is visited).
 */
#define TLB_USED_MAX 512

/* All-zero is an empty TLB. */
struct tlb {
	struct tlb_entry e[TLB_KINDS][TLB_SIZE];
	uint16_t used[TLB_USED_MAX];
	unsigned nused;
	bool used_all;
	bool has_large;  /* some entry came from a 4 MiB page */
	uint32_t epoch;  /* flushes so far */
	uint32_t flushed[TLB_FLUSH_LOG];
};

static inline enum tlb_kind tlb_kind_of(bool user, bool write)
{
	return (enum tlb_kind)(user * 2 + write);
}

/* Host pointer for lin on a hit of this kind, else NULL. */
static inline uint8_t *tlb_hit(const struct tlb *t, enum tlb_kind k, uint32_t lin)
{
	const struct tlb_entry *e = &t->e[k][(lin >> 12) & (TLB_SIZE - 1)];
	if (e->tag != ((lin & TLB_PAGE_MASK) | TLB_VALID))
		return 0;
	return e->host + (lin & ~TLB_PAGE_MASK);
}

/*
 * The slow path: translate lin for one access through the TLB, walking
 * and filling on a miss (raises #PF). Returns the host address, or NULL
 * when the physical address is not RAM; *pa is set in both cases.
 */
uint8_t *mmu_lookup(struct cpu *c, uint32_t lin, enum mem_access acc, bool user, uint32_t *pa);

/*
 * Physical page pa now holds cached decoded code (vmm/interp_block.c):
 * its write entries stay but miss the fast compare, so every store to it
 * takes the slow path, which reports it. Write entries made later for the
 * page get the same treatment (mmu_insert asks).
 */
void tlb_protect_page(struct tlb *t, uint32_t pa);

#endif
