/*
 * Direct execution: the undo journal of one native run. A run (de_run_user,
 * from entry into guest code to the trap that ends it) can be taken back:
 * the journal keeps the CPU state at entry and the old bytes of every piece
 * of guest memory the run changed -- each page before the stub may first
 * write it (the shadow maps pages writable only through a fill, and starts
 * every run with none writable), and each page-table entry before a fill's
 * walk may set its accessed or dirty bit.
 *
 * Why: a native segment load of one of the host GDT's loadable selectors
 * gets the host's descriptor without a trap (docs/direct-execution.md), and
 * a far transfer to 0x33 runs 64-bit code. The monitor sees either only at
 * the next trap; then it undoes the run and the interpreter runs it again.
 */
#include <stdlib.h>
#include <string.h>

#include "de_host.h"
#include "mem.h"

#define JOURNAL_PAGES 1024u  /* 4 MiB of copies: more written pages end the run */
#define JOURNAL_WORDS 4096u
#define JOURNAL_HASH 8192u   /* power of two, over twice the entries */
#define JOURNAL_RESERVE 16u  /* words kept for the walks of code peeks */

struct journal_rec {
	uint32_t pa;
	uint32_t len;  /* DE_PAGE or 4 */
	uint32_t at;   /* offset of the old bytes in the arena */
};

/* Which addresses this run already saved: tagged with the run's number, so
 * starting a run clears nothing. */
struct journal_seen {
	uint32_t pa;
	uint32_t run;
};

static struct cpu entry;
static struct journal_rec recs[JOURNAL_PAGES + JOURNAL_WORDS];
static struct journal_seen seen[JOURNAL_HASH];
static uint8_t *arena;       /* JOURNAL_PAGES pages, then JOURNAL_WORDS words */
static unsigned n_recs, n_pages, n_words;
static uint32_t run_no;
static bool lost; /* something of this run was not kept: it cannot be undone */

void de_journal_begin(const struct cpu *c)
{
	entry = *c;
	n_recs = n_pages = n_words = 0;
	if (++run_no == 0) {
		memset(seen, 0, sizeof(seen));
		run_no = 1;
	}
	if (!arena)
		arena = malloc((size_t)JOURNAL_PAGES * DE_PAGE + (size_t)JOURNAL_WORDS * 4);
	lost = !arena;
}

bool de_journal_room(void)
{
	return arena && n_pages < JOURNAL_PAGES && n_words + 2 + JOURNAL_RESERVE <= JOURNAL_WORDS;
}

/* Where (pa, kind) is or would go in this run's set. */
static struct journal_seen *journal_find(uint32_t pa, uint32_t len)
{
	uint32_t key = pa | (len == 4 ? 1u : 0u); /* a page is aligned: bit 0 is free */
	uint32_t h = (key * 0x9e3779b1u) >> 19;

	for (;; h = (h + 1) & (JOURNAL_HASH - 1))
		if (seen[h].run != run_no || seen[h].pa == key)
			return &seen[h];
}

/* True the first time this run asks about (pa, kind). */
static bool journal_first(uint32_t pa, uint32_t len)
{
	struct journal_seen *s = journal_find(pa, len);

	if (s->run == run_no)
		return false;
	*s = (struct journal_seen){ pa | (len == 4 ? 1u : 0u), run_no };
	return true;
}

/* Was (pa, kind) kept already in this run? */
static bool journal_kept(uint32_t pa, uint32_t len)
{
	return journal_find(pa, len)->run == run_no;
}

bool de_journal_wrote(uint32_t pa)
{
	return journal_kept(pa & ~(DE_PAGE - 1), DE_PAGE);
}

/* Keep pa's bytes at arena + at, the first time in the run; 1 if kept now. */
static unsigned journal_keep(struct machine *m, uint32_t pa, uint32_t len, uint32_t at)
{
	const uint8_t *p = machine_phys(m, pa, len);

	if (!p || !journal_first(pa, len))
		return 0;
	memcpy(arena + at, p, len);
	recs[n_recs++] = (struct journal_rec){ pa, len, at };
	return 1;
}

/* No room for pa: the run is lost if that is RAM it has not kept yet. */
static void journal_refuse(struct machine *m, uint32_t pa, uint32_t len)
{
	if (machine_phys(m, pa, len) && !journal_kept(pa, len))
		lost = true;
}

void de_journal_page(struct machine *m, uint32_t pa)
{
	pa &= ~(DE_PAGE - 1);
	if (n_pages < JOURNAL_PAGES && arena)
		n_pages += journal_keep(m, pa, DE_PAGE, n_pages * DE_PAGE);
	else
		journal_refuse(m, pa, DE_PAGE);
}

void de_journal_word(struct machine *m, uint32_t pa)
{
	pa &= ~3u;
	if (n_words < JOURNAL_WORDS && arena)
		n_words += journal_keep(m, pa, 4, JOURNAL_PAGES * DE_PAGE + n_words * 4);
	else
		journal_refuse(m, pa, 4);
}

/*
 * Newest first, so each address ends with the bytes it had before the
 * run. The interpreter's TLB may hold what the undone walks cached (a
 * dirty bit set): it forgets everything, which a TLB may always do, and
 * the shadow follows it.
 */
bool de_journal_undo(struct machine *m)
{
	struct cpu *c = &m->cpu;
	jmp_buf *jmp = c->exc_jmp;

	if (lost)
		return false;
	while (n_recs) {
		const struct journal_rec *r = &recs[--n_recs];
		memcpy(machine_phys(m, r->pa, r->len), arena + r->at, r->len);
	}
	n_pages = n_words = 0;
	*c = entry;
	c->exc_jmp = jmp;
	c->m = m;
	tlb_flush_all(c, true);
	return true;
}
