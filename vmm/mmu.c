/*
 * The MMU: IA-32 two-level paging (4 KiB pages, 4 MiB pages with CR4.PSE,
 * global pages with CR4.PGE) walked in guest RAM, its results kept in the
 * software TLB of vmm/mmu.h. Accessed and dirty bits are set with atomic
 * ORs into guest RAM as the hardware's locked updates do; page-table
 * references outside RAM read all-ones and their writes vanish, like a
 * PC bus with nothing behind the address.
 */
#include <string.h>

#include "interp_block.h"
#include "machine.h"
#include "mem.h"
#include "mmu.h"

/* 4 MiB PDE bits 21:13: bit 21 and, with MAXPHYADDR 32 (no PSE-36), 20:13. */
#define PDE4M_RSVD 0x003fe000u
#define PDE4M_FRAME 0xffc00000u

/* What a walk found: the physical page and the rights of the translation. */
struct walk {
	uint32_t pa;     /* physical page address */
	uint32_t leaf;   /* PTE or 4 MiB PDE, with the A/D bits as now in RAM */
	uint32_t perm;   /* AND of the R/W and U/S bits of every level */
	bool large;
};

static uint32_t mmu_read_entry(struct machine *m, uint32_t pa)
{
	const uint8_t *p = machine_phys(m, pa, 4);
	uint32_t v = 0xffffffffu;
	if (p)
		memcpy(&v, p, 4);
	return v;
}

/* The hardware sets A and D with a locked read-modify-write. */
static uint32_t mmu_set_bits(struct machine *m, uint32_t pa, uint32_t entry, uint32_t bits)
{
	uint8_t *p = machine_phys(m, pa, 4);
	if ((entry & bits) == bits || !p)
		return entry | bits;
	block_note_store(m, pa, 4);
	return __atomic_or_fetch((uint32_t *)(void *)p, bits, __ATOMIC_SEQ_CST);
}

/* The hardware drops TLB entries for an address whose access faults. */
static _Noreturn void mmu_fault(struct cpu *c, uint32_t lin, uint32_t err)
{
	tlb_flush_page(c, lin);
	cpu_raise_pf(c, lin, err);
}

static void mmu_check_rights(struct cpu *c, uint32_t lin, uint32_t perm, bool write,
			     bool user, uint32_t err)
{
	bool ok;
	if (user)
		ok = (perm & PTE_US) && (!write || (perm & PTE_RW));
	else
		ok = !write || (perm & PTE_RW) || !(c->cr0 & CR0_WP);
	if (!ok)
		mmu_fault(c, lin, err | PF_P);
}

static void mmu_walk_large(struct cpu *c, uint32_t lin, uint32_t pde_pa, uint32_t pde,
			   bool write, bool user, uint32_t err, struct walk *w)
{
	if (pde & PDE4M_RSVD)
		mmu_fault(c, lin, err | PF_P | PF_RSVD);
	mmu_check_rights(c, lin, pde, write, user, err);
	w->leaf = mmu_set_bits(c->m, pde_pa, pde, write ? PTE_A | PTE_D : PTE_A);
	w->pa = ((pde & PDE4M_FRAME) | (lin & 0x003ff000u)) & c->m->a20_mask;
	w->perm = pde;
	w->large = true;
}

/*
 * Walk the page directory and page table for lin. The PDE's accessed bit
 * is set once it has been used to find the page table; the leaf's A (and
 * D for a write) only when the access is allowed.
 */
static void mmu_walk(struct cpu *c, uint32_t lin, bool write, bool user, struct walk *w)
{
	struct machine *m = c->m;
	uint32_t err = (write ? PF_W : 0) | (user ? PF_U : 0);
	uint32_t pde_pa = ((c->cr3 & TLB_PAGE_MASK) | ((lin >> 20) & 0xffcu)) & m->a20_mask;
	uint32_t pde = mmu_read_entry(m, pde_pa);
	if (!(pde & PTE_P))
		mmu_fault(c, lin, err);
	if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
		mmu_walk_large(c, lin, pde_pa, pde, write, user, err, w);
		return;
	}
	mmu_set_bits(m, pde_pa, pde, PTE_A);
	uint32_t pte_pa = ((pde & TLB_PAGE_MASK) | ((lin >> 10) & 0xffcu)) & m->a20_mask;
	uint32_t pte = mmu_read_entry(m, pte_pa);
	if (!(pte & PTE_P))
		mmu_fault(c, lin, err);
	mmu_check_rights(c, lin, pde & pte, write, user, err);
	w->leaf = mmu_set_bits(m, pte_pa, pte, write ? PTE_A | PTE_D : PTE_A);
	w->pa = pte & TLB_PAGE_MASK & m->a20_mask;
	w->perm = pde & pte;
	w->large = false;
}

/*
 * The kinds of access this translation serves without a new walk. A
 * write entry needs the dirty bit already set, so the first write through
 * a clean page still walks and sets it.
 */
static unsigned mmu_kinds_allowed(const struct cpu *c, const struct walk *w)
{
	bool us = w->perm & PTE_US, rw = w->perm & PTE_RW, dirty = w->leaf & PTE_D;
	bool sup_write = dirty && (rw || !(c->cr0 & CR0_WP));
	return 1u << TLB_SUP_READ | (unsigned)sup_write << TLB_SUP_WRITE |
	       (unsigned)us << TLB_USER_READ | (unsigned)(us && rw && dirty) << TLB_USER_WRITE;
}

/* Remember that slot idx may hold entries now. */
static void tlb_note_used(struct tlb *t, unsigned idx)
{
	for (int k = 0; k < TLB_KINDS; k++)
		if (t->e[k][idx].tag)
			return; /* listed when its first entry came */
	if (t->nused < TLB_USED_MAX)
		t->used[t->nused++] = (uint16_t)idx;
	else
		t->used_all = true;
}

/* The slots a flush must visit: the listed ones, or all (*n = TLB_SIZE, list NULL). */
static const uint16_t *tlb_slots(const struct tlb *t, unsigned *n)
{
	*n = t->used_all ? TLB_SIZE : t->nused;
	return t->used_all ? NULL : t->used;
}

static unsigned tlb_slot(const uint16_t *list, unsigned k)
{
	return list ? list[k] : k;
}

static void mmu_insert(struct cpu *c, uint32_t lin, const struct walk *w, unsigned kinds)
{
	struct tlb *t = &c->m->tlb;
	uint8_t *host = machine_phys(c->m, w->pa, 4096);
	bool global = (c->cr4 & CR4_PGE) && (w->leaf & PTE_G) && cpu_paging(c);
	bool code = block_page_has_code(c->m, w->pa);
	struct tlb_entry n = {
		.tag = (lin & TLB_PAGE_MASK) | TLB_VALID | (host ? 0 : TLB_NOHOST),
		.pa = w->pa | (global ? TLB_GLOBAL : 0) | (w->large ? TLB_LARGE : 0),
		.host = host,
	};
	tlb_note_used(t, (lin >> 12) & (TLB_SIZE - 1));
	for (int k = 0; k < TLB_KINDS; k++) {
		if (!(kinds & (1u << k)))
			continue;
		t->e[k][(lin >> 12) & (TLB_SIZE - 1)] = n;
		if (code && (k == TLB_SUP_WRITE || k == TLB_USER_WRITE))
			t->e[k][(lin >> 12) & (TLB_SIZE - 1)].tag |= TLB_NOHOST;
	}
	t->has_large |= w->large;
	block_tlb_changed(c->m);
}

void tlb_protect_page(struct tlb *t, uint32_t pa)
{
	static const enum tlb_kind writes[] = { TLB_SUP_WRITE, TLB_USER_WRITE };

	unsigned n;
	const uint16_t *list = tlb_slots(t, &n);

	for (unsigned k = 0; k < 2; k++)
		for (unsigned s = 0; s < n; s++) {
			struct tlb_entry *e = &t->e[writes[k]][tlb_slot(list, s)];
			if ((e->tag & TLB_VALID) && ((e->pa ^ pa) & TLB_PAGE_MASK) == 0)
				e->tag |= TLB_NOHOST;
		}
}

static void mmu_fill(struct cpu *c, uint32_t lin, bool write, bool user)
{
	struct walk w = {
		.pa = lin & TLB_PAGE_MASK & c->m->a20_mask,
		.leaf = PTE_D,
		.perm = PTE_RW | PTE_US,
	};
	if (cpu_paging(c))
		mmu_walk(c, lin, write, user, &w);
	mmu_insert(c, lin, &w, mmu_kinds_allowed(c, &w));
}

uint8_t *mmu_lookup(struct cpu *c, uint32_t lin, enum mem_access acc, bool user, uint32_t *pa)
{
	bool write = acc == ACC_WRITE;
	const struct tlb_entry *e = &c->m->tlb.e[tlb_kind_of(user, write)][(lin >> 12) & (TLB_SIZE - 1)];
	if ((e->tag & ~TLB_NOHOST) != ((lin & TLB_PAGE_MASK) | TLB_VALID))
		mmu_fill(c, lin, write, user);
	*pa = (e->pa & TLB_PAGE_MASK) | (lin & ~TLB_PAGE_MASK);
	return e->host ? e->host + (lin & ~TLB_PAGE_MASK) : NULL;
}

uint32_t mmu_translate(struct cpu *c, uint32_t lin, enum mem_access acc, bool user)
{
	uint32_t pa;
	mmu_lookup(c, lin, acc, user, &pa);
	return pa;
}

static void tlb_log_flush(struct tlb *t, uint32_t what)
{
	t->flushed[t->epoch % TLB_FLUSH_LOG] = what;
	t->epoch++;
}

void tlb_flush_all(struct cpu *c, bool include_global)
{
	struct tlb *t = &c->m->tlb;
	block_tlb_changed(c->m);
	tlb_log_flush(t, TLB_FLUSH_ALL);
	unsigned n, kept = 0;
	const uint16_t *list = tlb_slots(t, &n);

	for (unsigned s = 0; s < n; s++) {
		unsigned i = tlb_slot(list, s), global = 0;

		for (int k = 0; k < TLB_KINDS; k++) {
			struct tlb_entry *e = &t->e[k][i];

			if (include_global || !(e->pa & TLB_GLOBAL))
				e->tag = 0;
			global |= e->tag;
		}
		if (global && kept < TLB_USED_MAX)
			t->used[kept++] = (uint16_t)i;
	}
	t->used_all = kept == TLB_USED_MAX;
	t->nused = kept;
	if (include_global)
		t->has_large = false;
}

/* INVLPG of any address in a 4 MiB page drops the whole page. */
static void tlb_flush_large(struct tlb *t, uint32_t lin)
{
	unsigned n;
	const uint16_t *list = tlb_slots(t, &n);

	for (int k = 0; k < TLB_KINDS; k++)
		for (unsigned s = 0; s < n; s++) {
			struct tlb_entry *e = &t->e[k][tlb_slot(list, s)];
			if ((e->pa & TLB_LARGE) && (e->tag >> 22) == (lin >> 22))
				e->tag = 0;
		}
}

void tlb_flush_page(struct cpu *c, uint32_t lin)
{
	struct tlb *t = &c->m->tlb;
	block_tlb_changed(c->m);
	tlb_log_flush(t, (lin & TLB_PAGE_MASK) | (t->has_large ? TLB_FLUSH_LARGE : 0));
	for (int k = 0; k < TLB_KINDS; k++) {
		struct tlb_entry *e = &t->e[k][(lin >> 12) & (TLB_SIZE - 1)];
		if ((e->tag & TLB_PAGE_MASK) == (lin & TLB_PAGE_MASK))
			e->tag = 0;
	}
	if (t->has_large)
		tlb_flush_large(t, lin);
}

void mmu_set_a20(struct machine *m, bool enabled)
{
	uint32_t mask = enabled ? 0xffffffffu : ~(1u << 20);
	if (m->a20_mask != mask) {
		m->a20_mask = mask;
		tlb_flush_all(&m->cpu, true);
	}
}
