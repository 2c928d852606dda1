/*
 * Direct execution: the shadow of the guest's user address space, the
 * paper's shadow page tables as a virtual TLB. Guest linear pages that the
 * guest's page tables allow at CPL 3 are mapped into the stub's low 4 GiB
 * from the RAM memfd, lazily, on hidden faults: read-only first, writable
 * only on the first write fault, so the accessed and dirty bits are set
 * exactly when the hardware would set them (the walk is the interpreter's
 * own, mmu_translate).
 *
 * The shadow is a TLB of its own (SHADOW_SLOTS pages, direct-mapped) that
 * flushes where the architecture flushes: the interpreter's TLB counts
 * and logs every flush (vmm/mmu.h: a CR3 load, INVLPG, a paging-mode or
 * A20 change, the drop after a page fault), and the shadow replays that
 * log at the next entry into the guest. Dropping more than the hardware
 * would is always allowed (a TLB may forget anything), so a non-global
 * flush and a log it fell behind drop everything.
 *
 * A fill also permits the other pages of its 64 KiB group that the stub
 * can map by itself, without a round trip (de_host.h: struct de_permit):
 * those whose walk would change nothing (A, and D for a writable mapping,
 * already set), like a TLB entry the hardware may have cached ahead.
 */
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>

#include "de_host.h"
#include "mem.h"
#include "mmu.h"

#define SHADOW_SLOTS DE_PERMITS /* 16 MiB of reach; a slot and its permit share an index */
#define LARGE_MASK 0xffc00000u
#define PERMIT_GROUP 16u   /* a fill permits the other pages of its aligned 64 KiB */

struct slot {
	uint32_t lin;  /* page | 1 when used */
	uint32_t pa;   /* physical page */
	bool write;    /* mapped writable (the walk set D) */
};

static struct slot slots[SHADOW_SLOTS];
static uint32_t shadow_epoch;  /* the TLB flushes replayed so far */
static bool shadow_behind;     /* a new stub, or a flush by de_flush: drop all */
/*
 * The page the last fill pushed out of its slot. An instruction that needs
 * two pages of one slot (code and data 16 MiB apart) would push them out
 * of each other forever: when that page faults right back, the
 * interpreter runs the instruction instead.
 */
static uint32_t last_evicted = 1;
static uint32_t shadow_min; /* the host's mmap_min_addr: nothing below it maps */
/* The slots a fill made writable since the run began (may repeat). */
static uint16_t writable[SHADOW_SLOTS];
static unsigned n_writable;

static struct slot *slot_of(uint32_t lin)
{
	return &slots[(lin >> 12) & (SHADOW_SLOTS - 1)];
}

static void shadow_clear(void)
{
	memset(slots, 0, sizeof(slots));
	n_writable = 0;
	memset(de_shared_page()->permit, 0, sizeof(de_shared_page()->permit));
}

void de_shadow_reset(uint32_t min_addr)
{
	shadow_clear();
	shadow_min = min_addr;
	shadow_behind = true;
	last_evicted = 1;
}

/* Queue work for the stub; a full queue becomes one flush of everything. */
static void shadow_queue(uint32_t kind, uint32_t lin, uint32_t pa, uint32_t prot)
{
	struct de_shared *sh = de_shared_page();

	if (sh->n_ops >= DE_OPS_MAX) {
		shadow_clear();
		sh->n_ops = 0;
		sh->ops[sh->n_ops++] = (struct de_op){ DE_OP_FLUSH, 0, 0, 0 };
		if (kind != DE_OP_MAP)
			return;
	}
	sh->ops[sh->n_ops++] = (struct de_op){ kind, lin, pa, prot };
}

static void shadow_drop_all(void)
{
	shadow_clear();
	de_shared_page()->n_ops = 0;
	shadow_queue(DE_OP_FLUSH, 0, 0, 0);
}

void de_shadow_flush(struct machine *m)
{
	(void)m;
	shadow_behind = true;
}

static void slot_drop(struct slot *s)
{
	shadow_queue(DE_OP_UNMAP, s->lin & TLB_PAGE_MASK, 0, 0);
	de_shared_page()->permit[s - slots].lin = 0;
	*s = (struct slot){ 0, 0, false };
}

static void shadow_drop_page(uint32_t page)
{
	struct slot *s = slot_of(page);

	if (s->lin == (page | 1))
		slot_drop(s);
}

/* INVLPG in a 4 MiB page: every shadow page of that region goes. */
static void shadow_drop_large(uint32_t lin)
{
	for (unsigned i = 0; i < SHADOW_SLOTS; i++)
		if ((slots[i].lin & 1) && (slots[i].lin & LARGE_MASK) == (lin & LARGE_MASK))
			slot_drop(&slots[i]);
}

/* Replay one logged flush; false when it was a flush of everything. */
static bool shadow_replay(uint32_t what)
{
	if (what & TLB_FLUSH_ALL)
		return false;
	if (what & TLB_FLUSH_LARGE)
		shadow_drop_large(what);
	else
		shadow_drop_page(what & TLB_PAGE_MASK);
	return true;
}

/*
 * A new run starts with no page writable, so that its first write to each
 * page comes to the monitor, which journals the page first. More pages
 * than the queue holds: drop them all instead (shadow_queue's own overflow
 * would clear the slots and still map this one, which nothing then tracks).
 */
static void shadow_protect_written(void)
{
	for (unsigned i = 0; i < n_writable; i++) {
		struct slot *s = &slots[writable[i]];
		if (!s->write)
			continue;
		if (de_shared_page()->n_ops >= DE_OPS_MAX) {
			shadow_drop_all();
			return;
		}
		shadow_queue(DE_OP_MAP, s->lin & TLB_PAGE_MASK, s->pa, PROT_READ | PROT_EXEC);
		s->write = false;
	}
	n_writable = 0;
}

void de_shadow_sync(struct machine *m)
{
	const struct tlb *t = &m->tlb;
	bool all = shadow_behind || t->epoch - shadow_epoch > TLB_FLUSH_LOG;

	for (uint32_t n = shadow_epoch; !all && n != t->epoch; n++)
		all = !shadow_replay(t->flushed[n % TLB_FLUSH_LOG]);
	if (all)
		shadow_drop_all();
	shadow_epoch = t->epoch;
	shadow_behind = false;
	shadow_protect_written();
}

static uint32_t shadow_read_entry(struct machine *m, uint32_t pa)
{
	const uint8_t *p = machine_phys(m, pa & m->a20_mask, 4);
	uint32_t v = 0;

	if (p)
		memcpy(&v, p, 4);
	return v;
}

/* The run's journal keeps the entries a walk of lin may set A or D in. */
static void shadow_journal_walk(struct machine *m, uint32_t lin)
{
	const struct cpu *c = &m->cpu;

	if (!(c->cr0 & CR0_PG))
		return;
	uint32_t pde_pa = ((c->cr3 & TLB_PAGE_MASK) | ((lin >> 20) & 0xffcu)) & m->a20_mask;
	uint32_t pde = shadow_read_entry(m, pde_pa);
	de_journal_word(m, pde_pa);
	if ((pde & PTE_P) && !((pde & PTE_PS) && (c->cr4 & CR4_PSE)))
		de_journal_word(m, ((pde & TLB_PAGE_MASK) | ((lin >> 10) & 0xffcu)) & m->a20_mask);
}

/* The interpreter's walk for a CPL 3 access; false with c->exc set on #PF. */
static bool shadow_translate(struct cpu *c, uint32_t lin, bool write, uint32_t *pa)
{
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;
	volatile bool ok = false;

	shadow_journal_walk(c->m, lin);
	c->exc_jmp = &env;
	if (!setjmp(env)) {
		*pa = mmu_translate(c, lin, write ? ACC_WRITE : ACC_READ, true);
		ok = true;
	}
	c->exc_jmp = outer;
	return ok;
}

/* Put page lin -> pa into its slot, replacing what was there. */
static void shadow_map(uint32_t lin, uint32_t pa, bool write)
{
	struct slot *s = slot_of(lin);

	if ((s->lin & 1) && s->lin != (lin | 1)) {
		last_evicted = s->lin & TLB_PAGE_MASK;
		slot_drop(s);
	}
	/* P6 has no NX: whatever the guest can read it can execute. */
	shadow_queue(DE_OP_MAP, lin, pa, PROT_READ | PROT_EXEC | (write ? PROT_WRITE : 0));
	*s = (struct slot){ lin | 1, pa, write };
	de_shared_page()->permit[s - slots].lin = 0;
	if (write && n_writable < SHADOW_SLOTS)
		writable[n_writable++] = (uint16_t)(s - slots);
	else if (write)
		shadow_drop_all();
}

/*
 * Can CPL 3 read page lin without a walk that changes guest memory (every
 * level present, user, accessed)? Reads the tables only.
 */
static bool shadow_free_read(struct machine *m, uint32_t lin, uint32_t *pa)
{
	const struct cpu *c = &m->cpu;
	uint32_t need = PTE_P | PTE_US | PTE_A;

	if (!(c->cr0 & CR0_PG)) {
		*pa = lin & m->a20_mask;
		return true;
	}
	uint32_t pde = shadow_read_entry(m, (c->cr3 & TLB_PAGE_MASK) | ((lin >> 20) & 0xffcu));
	uint32_t leaf = pde;
	if ((pde & need) != need)
		return false;
	if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
		if (pde & 0x003fe000u)
			return false; /* reserved bits: the walk faults */
		*pa = ((pde & LARGE_MASK) | (lin & 0x003ff000u)) & m->a20_mask;
	} else {
		leaf = shadow_read_entry(m, (pde & TLB_PAGE_MASK) | ((lin >> 10) & 0xffcu));
		*pa = leaf & TLB_PAGE_MASK & m->a20_mask;
	}
	return (leaf & need) == need;
}

/*
 * Permit the other pages of lin's group whose slots are free, for reading:
 * the first write to a page in a run comes to the monitor, which journals
 * the page before it becomes writable (vmm/de_journal.c).
 */
static void shadow_permit_group(struct machine *m, uint32_t lin)
{
	struct de_shared *sh = de_shared_page();
	uint32_t first = lin & ~(PERMIT_GROUP * DE_PAGE - 1), pa;

	for (uint32_t q = first; q - first < PERMIT_GROUP * DE_PAGE; q += DE_PAGE) {
		struct slot *s = slot_of(q);
		if ((s->lin & 1) || q < shadow_min || !shadow_free_read(m, q, &pa) ||
		    !machine_phys(m, pa, DE_PAGE))
			continue;
		*s = (struct slot){ q | 1, pa, false };
		sh->permit[s - slots] = (struct de_permit){ q | 1, pa, PROT_READ | PROT_EXEC };
	}
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
	if (!de_journal_room())
		return DE_FILL_NOT_EXACT; /* the run ends here: a new one has a new journal */
	if (!shadow_translate(c, lin, write, &pa))
		return DE_FILL_GUEST_PF;
	pa &= TLB_PAGE_MASK;
	if (page < shadow_min || !machine_phys(m, pa, DE_PAGE))
		return DE_FILL_NOT_EXACT; /* below mmap_min_addr, or not RAM (MMIO) */
	const struct slot *s = slot_of(page);
	if (s->lin == (page | 1) && (s->write || !write))
		return DE_FILL_NOT_EXACT; /* mapped, yet the host faulted: let interp decide */
	if (write)
		de_journal_page(m, pa);
	shadow_map(page, pa, write);
	shadow_permit_group(m, page);
	return DE_FILL_MAPPED;
}

/*
 * The page at CS:EIP is certainly fetched by the first instruction (within
 * the limit, the fetch walks whatever follows), so mapping it before the
 * guest starts sets its A bit no earlier than anything could see: one
 * round trip less after every flush. A walk that faults maps nothing;
 * the native fetch then faults as before.
 */
void de_shadow_prefill_code(struct machine *m)
{
	struct cpu *c = &m->cpu;
	uint32_t lin = c->seg[SR_CS].base + c->eip, page = lin & TLB_PAGE_MASK, pa;

	c->m = m;
	if (c->eip > c->seg[SR_CS].limit || slot_of(page)->lin == (page | 1) || page < shadow_min)
		return;
	if (!shadow_translate(c, lin, false, &pa)) {
		c->exc.vector = -1;
		return;
	}
	pa &= TLB_PAGE_MASK;
	if (!machine_phys(m, pa, DE_PAGE))
		return;
	shadow_map(page, pa, false);
	shadow_permit_group(m, page);
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
