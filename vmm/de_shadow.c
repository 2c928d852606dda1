/*
 * Direct execution: the shadow of the guest's user address space, the
 * paper's shadow page tables as a virtual TLB. Guest linear pages that the
 * guest's page tables allow at CPL 3 are mapped into the stub's low 4 GiB
 * from the RAM memfd, lazily, on hidden faults: read-only first, writable
 * only on the first write fault, so the accessed and dirty bits are set
 * exactly when the hardware would set them (the walk is the interpreter's
 * own, mmu_translate).
 *
 * The shadow is kept a subset of the interpreter's software TLB: every
 * shadow page has the user-mode TLB entry that its fill made, in the same
 * slot. Whatever removes that entry -- a CR3 load, INVLPG, a paging-mode
 * or A20 change, the drop after a fault, or a replacement by another page
 * -- removes the shadow page at the next entry into the guest. So the
 * shadow flushes exactly where the architecture flushes the TLB, without
 * a hook in the interpreter, at the price of the TLB's reach: 256 pages
 * per access kind (a second mapping of a slot replaces the first).
 */
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>

#include "de_host.h"
#include "mem.h"

enum { SLOT_READ, SLOT_WRITE, SLOT_KINDS };

struct slot {
	uint32_t lin;  /* page | 1 when used */
	uint32_t pa;   /* physical page */
};

static struct slot slots[SLOT_KINDS][TLB_SIZE];
/*
 * The page the last fill pushed out of its slot. An instruction that needs
 * two pages of one slot (code and data 1 MiB apart) would push them out of
 * each other forever: when that page faults right back, the interpreter
 * runs the instruction instead.
 */
static uint32_t last_evicted = 1;
static uint32_t shadow_min; /* the host's mmap_min_addr: nothing below it maps */

static const enum tlb_kind slot_tlb_kind[SLOT_KINDS] = { TLB_USER_READ, TLB_USER_WRITE };

void de_shadow_reset(uint32_t min_addr)
{
	memset(slots, 0, sizeof(slots));
	shadow_min = min_addr;
	last_evicted = 1;
}

static void shadow_queue(uint32_t kind, uint32_t lin, uint32_t pa, uint32_t prot)
{
	struct de_shared *sh = de_shared_page();

	if (sh->n_ops >= DE_OPS_MAX) {
		sh->n_ops = 0;
		kind = DE_OP_FLUSH;
		memset(slots, 0, sizeof(slots));
	}
	sh->ops[sh->n_ops++] = (struct de_op){ kind, lin, pa, prot };
}

void de_shadow_flush(struct machine *m)
{
	struct de_shared *sh = de_shared_page();

	(void)m;
	memset(slots, 0, sizeof(slots));
	sh->n_ops = 0;
	shadow_queue(DE_OP_FLUSH, 0, 0, 0);
}

static void slot_drop(struct slot *s)
{
	shadow_queue(DE_OP_UNMAP, s->lin & TLB_PAGE_MASK, 0, 0);
	*s = (struct slot){ 0, 0 };
}

/* Does the interpreter's TLB still hold the entry this slot was filled with? */
static bool slot_current(const struct machine *m, int kind, unsigned idx)
{
	const struct slot *s = &slots[kind][idx];
	const struct tlb_entry *e = &m->tlb.e[slot_tlb_kind[kind]][idx];
	uint32_t page = s->lin & TLB_PAGE_MASK;

	return (e->tag & ~TLB_NOHOST) == (page | TLB_VALID) &&
	       (e->pa & TLB_PAGE_MASK) == s->pa && e->host;
}

void de_shadow_sync(struct machine *m)
{
	for (int kind = 0; kind < SLOT_KINDS; kind++)
		for (unsigned idx = 0; idx < TLB_SIZE; idx++)
			if ((slots[kind][idx].lin & 1) && !slot_current(m, kind, idx))
				slot_drop(&slots[kind][idx]);
}

/* The interpreter's walk for a CPL 3 access; false with c->exc set on #PF. */
static bool shadow_translate(struct cpu *c, uint32_t lin, bool write, uint32_t *pa)
{
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;
	volatile bool ok = false;

	c->exc_jmp = &env;
	if (!setjmp(env)) {
		*pa = mmu_translate(c, lin, write ? ACC_WRITE : ACC_READ, true);
		ok = true;
	}
	c->exc_jmp = outer;
	return ok;
}

/* Put page lin -> pa into the slot of its kind, replacing what was there. */
static void shadow_map(uint32_t lin, uint32_t pa, bool write)
{
	unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
	struct slot *s = &slots[write][idx];
	struct slot *ro = &slots[SLOT_READ][idx];

	if ((s->lin & 1) && s->lin != (lin | 1)) {
		last_evicted = s->lin & TLB_PAGE_MASK;
		slot_drop(s);
	}
	if (write && ro->lin == (lin | 1))
		*ro = (struct slot){ 0, 0 }; /* upgraded in place */
	*s = (struct slot){ lin | 1, pa };
	/* P6 has no NX: whatever the guest can read it can execute. */
	shadow_queue(DE_OP_MAP, lin, pa, PROT_READ | PROT_EXEC | (write ? PROT_WRITE : 0));
}

enum de_fill de_shadow_fill(struct machine *m, uint32_t lin, bool write)
{
	struct cpu *c = &m->cpu;
	uint32_t page = lin & TLB_PAGE_MASK, pa;

	c->m = m;
	if (page == last_evicted) {
		last_evicted = 1;
		return DE_FILL_NOT_EXACT;
	}
	if (!shadow_translate(c, lin, write, &pa))
		return DE_FILL_GUEST_PF;
	pa &= TLB_PAGE_MASK;
	if (page < shadow_min || !machine_phys(m, pa, DE_PAGE))
		return DE_FILL_NOT_EXACT; /* below mmap_min_addr, or not RAM (MMIO) */
	const struct slot *s = &slots[write][(lin >> 12) & (TLB_SIZE - 1)];
	if (s->lin == (page | 1))
		return DE_FILL_NOT_EXACT; /* mapped, yet the host faulted: let interp decide */
	shadow_map(page, pa, write);
	return DE_FILL_MAPPED;
}

bool de_shadow_peek(struct machine *m, uint32_t lin, uint8_t *buf, unsigned n)
{
	struct cpu *c = &m->cpu;

	c->m = m;
	for (unsigned i = 0; i < n; i++) {
		uint32_t pa;
		if (!shadow_translate(c, lin + i, false, &pa) || !machine_phys(m, pa, 1)) {
			c->exc.vector = -1;
			return false;
		}
		buf[i] = m->ram[pa];
	}
	return true;
}
