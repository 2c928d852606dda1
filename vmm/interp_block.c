/*
 * Decoded blocks: the interpreter's translation cache (the paper's
 * translation units, with struct insn as the translation). A guest basic
 * block is decoded once into an array of instructions and then run
 * without fetching or decoding. A block is keyed by the physical address
 * of its first byte, its CS offset (branch targets depend on it) and the
 * code size, the only mode bit decoding depends on; it ends after control
 * flow, a system or I/O instruction (anything that can change the mode,
 * the CS limit, CPL, EFLAGS.TF/IF or pending events), at the end of its
 * page or of the CS limit, or at BLOCK_INSNS_MAX.
 *
 * Exact under self-modifying code: a block is compared with the code
 * bytes in RAM when it is entered for the first time in an epoch. The
 * epoch advances whenever guest RAM may have changed under decoded code:
 * a guest store into a page that holds cached code (kept off the TLB's
 * fast path by vmm/mmu.c and noted here; it also ends the running block
 * after the storing instruction), a new run (loaders and the harness
 * write RAM directly between runs), and device activity (I/O
 * instructions, timers: DMA).
 *
 * Storage is a direct-mapped table of blocks over a pool of instructions
 * and bytes; when the pool is full everything is dropped at once.
 *
 * Chaining: a block remembers the blocks that followed it (falling
 * through, branching), so the next one is found without the lookup. A
 * link is only followed after an instruction that cannot change CS, the
 * mode or CPL (neither A_SERIAL nor I/O), and only while nothing the
 * lookup depends on changed: every TLB change, new block and epoch
 * advances the link generation and so drops all links at once.
 */
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "interp_block.h"
#include "machine.h"
#include "mmu.h"

#define PAGE_SIZE 0x1000u
#define BLOCK_INSNS_MAX 32u
#define BLOCK_TABLE_BITS 12
#define BLOCK_TABLE (1u << BLOCK_TABLE_BITS)
#define POOL_INSNS (BLOCK_TABLE * 8u)
#define POOL_BYTES (POOL_INSNS * 4u)

/* Rows after which a block ends: what may change how the next one runs. */
#define BLOCK_END_ATTR (A_BRANCH | A_SERIAL | A_IOPL)

struct block {
	uint32_t pa;        /* physical address of the first byte */
	uint32_t eip;       /* CS offset of the first byte */
	uint32_t last;      /* CS offset of the last byte: the CS limit must reach it */
	uint16_t nbytes;
	uint8_t n;          /* instructions; 0: an empty slot */
	bool code32;
	uint32_t epoch;     /* when the bytes were last found unchanged in RAM */
	uint32_t link_gen;  /* next[] is good while this is the cache's link_gen */
	struct block *next[2]; /* what followed: [0] falling through, [1] a branch */
	struct insn *insns;
	uint8_t *quiet;     /* interp_mark_quiet of insns */
	uint8_t *bytes;     /* the code as decoded */
};

struct block_cache {
	struct block table[BLOCK_TABLE];
	struct insn insns[POOL_INSNS];
	uint8_t quiet[POOL_INSNS];
	uint8_t bytes[POOL_BYTES];
	uint32_t insns_used, bytes_used;
	uint32_t epoch;
	uint32_t link_gen;
	bool store_seen;
	uint32_t pages;     /* bits in code_pages: one per 4 KiB of RAM */
	uint64_t *code_pages;
};

static struct block_cache *block_cache_get(struct machine *m)
{
	struct block_cache *bc = m->blocks;

	if (bc)
		return bc;
	bc = calloc(1, sizeof(*bc));
	if (!bc)
		return NULL;
	bc->pages = m->ram_size / PAGE_SIZE;
	bc->code_pages = calloc((bc->pages + 63) / 64, sizeof(uint64_t));
	if (!bc->code_pages) {
		free(bc);
		return NULL;
	}
	m->blocks = bc;
	return bc;
}

void block_cache_free(struct machine *m)
{
	struct block_cache *bc = m->blocks;

	if (!bc)
		return;
	free(bc->code_pages);
	free(bc);
	m->blocks = NULL;
}

/* ---- the code-page bitmap ---- */

bool block_page_has_code(const struct machine *m, uint32_t pa)
{
	const struct block_cache *bc = m->blocks;
	uint32_t page = pa / PAGE_SIZE;

	return bc && page < bc->pages && (bc->code_pages[page / 64] >> (page % 64) & 1);
}

void block_note_store(struct machine *m, uint32_t pa, uint32_t len)
{
	struct block_cache *bc = m->blocks;

	if (len && (block_page_has_code(m, pa) || block_page_has_code(m, pa + len - 1))) {
		bc->store_seen = true;
		bc->epoch++;
		bc->link_gen++;
	}
}

void block_epoch_advance(struct machine *m)
{
	if (m->blocks) {
		m->blocks->epoch++;
		m->blocks->link_gen++;
	}
}

void block_tlb_changed(struct machine *m)
{
	if (m->blocks)
		m->blocks->link_gen++;
}

/* From now on stores into the page go the slow way, where they are noted. */
static void block_mark_page(struct machine *m, struct block_cache *bc, uint32_t pa)
{
	uint32_t page = pa / PAGE_SIZE;

	if (block_page_has_code(m, pa))
		return;
	bc->code_pages[page / 64] |= 1ull << (page % 64);
	tlb_protect_page(&m->tlb, pa);
}

/*
 * Drop every block. The page bits go too: a page keeps its slow stores
 * only while it holds code (its write TLB entries refill fast later).
 */
static void block_flush(struct block_cache *bc)
{
	memset(bc->table, 0, sizeof(bc->table));
	memset(bc->code_pages, 0, (bc->pages + 63) / 64 * sizeof(uint64_t));
	bc->insns_used = 0;
	bc->bytes_used = 0;
	bc->link_gen++;
}

/* ---- building ---- */

static struct block *block_slot(struct block_cache *bc, uint32_t pa)
{
	return &bc->table[(pa * 0x9e3779b1u) >> (32 - BLOCK_TABLE_BITS)];
}

/*
 * Decode into the pool from code (`room` bytes of the page inside the CS
 * limit). Stops before an instruction that does not decode whole there or
 * has no handler: the one-instruction path reports or faults on it.
 */
static unsigned block_decode(struct block_cache *bc, const uint8_t *code, uint32_t room,
			     uint32_t eip, bool code32, uint32_t *nbytes)
{
	struct insn *pool = &bc->insns[bc->insns_used];
	uint32_t off = 0;
	unsigned n = 0;

	while (n < BLOCK_INSNS_MAX && off < room) {
		struct insn *i = &pool[n];

		if (decode_bytes(i, code32, code + off, room - off, eip + off) != DECODE_OK ||
		    !i->desc->exec)
			break;
		interp_prepare(i);
		off += i->len;
		n++;
		if (i->desc->attr & BLOCK_END_ATTR)
			break;
	}
	*nbytes = off;
	return n;
}

static struct block *block_build(struct machine *m, struct block_cache *bc, uint32_t pa,
				 uint32_t eip, bool code32, uint32_t room)
{
	struct block *b = block_slot(bc, pa);
	uint32_t nbytes;
	unsigned n;

	if (bc->insns_used + BLOCK_INSNS_MAX > POOL_INSNS ||
	    bc->bytes_used + BLOCK_INSNS_MAX * 15 > POOL_BYTES)
		block_flush(bc);
	n = block_decode(bc, m->ram + pa, room, eip, code32, &nbytes);
	if (!n)
		return NULL;
	interp_elide_flags(&bc->insns[bc->insns_used], n);
	*b = (struct block){
		.pa = pa, .eip = eip, .last = eip + nbytes - 1, .nbytes = (uint16_t)nbytes,
		.n = (uint8_t)n, .code32 = code32, .epoch = bc->epoch,
		.insns = &bc->insns[bc->insns_used], .quiet = &bc->quiet[bc->insns_used],
		.bytes = &bc->bytes[bc->bytes_used],
	};
	interp_mark_quiet(b->insns, n, b->quiet);
	memcpy(b->bytes, m->ram + pa, nbytes);
	bc->insns_used += n;
	bc->bytes_used += nbytes;
	bc->link_gen++; /* links may point at the block this one replaced */
	block_mark_page(m, bc, pa);
	return b;
}

/* ---- finding ---- */

static void block_view_fill(struct block_cache *bc, struct block *b, struct block_view *v)
{
	bc->store_seen = false;
	v->block = b;
	v->insns = b->insns;
	v->quiet = b->quiet;
	v->n = b->n;
	v->store_seen = &bc->store_seen;
}

/* Bytes from CS:eip to the end of its page and of the CS limit; 0 if none. */
static uint32_t block_room(const struct seg *cs, uint32_t eip)
{
	uint32_t lin = cs->base + eip;
	uint64_t to_limit = (uint64_t)cs->limit - eip + 1;
	uint32_t to_page = PAGE_SIZE - (lin & (PAGE_SIZE - 1));

	if (eip > cs->limit || (cs->attr & 0x1c) == 0x14) /* expand-down: slow path */
		return 0;
	return to_limit < to_page ? (uint32_t)to_limit : to_page;
}

/* Same key, inside the CS limit, and the same bytes as RAM holds now. */
static bool block_matches(struct block *b, const struct machine *m, uint32_t pa,
			  uint32_t eip, bool code32)
{
	uint32_t epoch = m->blocks->epoch;

	if (!b->n || b->pa != pa || b->eip != eip || b->code32 != code32 ||
	    b->last > m->cpu.seg[SR_CS].limit)
		return false;
	if (b->epoch != epoch) {
		if (memcmp(m->ram + pa, b->bytes, b->nbytes))
			return false;
		b->epoch = epoch;
	}
	return true;
}

bool block_find(struct machine *m, struct block_view *v)
{
	struct cpu *c = &m->cpu;
	struct block_cache *bc = block_cache_get(m);
	uint32_t eip = c->eip, room = block_room(&c->seg[SR_CS], eip);
	const uint8_t *host;
	struct block *b;
	bool code32 = cpu_code32(c);

	if (!bc || !room)
		return false;
	host = tlb_hit(&m->tlb, tlb_kind_of(c->cpl == 3, false), c->seg[SR_CS].base + eip);
	if (!host)
		return false;
	uint32_t pa = (uint32_t)(host - m->ram);
	b = block_slot(bc, pa);
	if (!block_matches(b, m, pa, eip, code32))
		b = block_build(m, bc, pa, eip, code32, room);
	if (!b)
		return false;
	block_view_fill(bc, b, v);
	return true;
}

static void block_link(struct block_cache *bc, struct block *from, unsigned slot,
		       struct block *to, uint32_t gen)
{
	if (bc->link_gen != gen)
		return;
	if (from->link_gen != gen) {
		from->next[0] = from->next[1] = NULL;
		from->link_gen = gen;
	}
	from->next[slot] = to;
}

bool block_find_next(struct machine *m, struct block_view *v)
{
	struct block_cache *bc = m->blocks;
	struct block *b = v->block, *next;
	uint32_t eip = m->cpu.eip, gen = bc->link_gen;
	unsigned slot = eip != b->eip + b->nbytes;

	next = b->link_gen == gen ? b->next[slot] : NULL;
	if (next && next->eip == eip) {
		block_view_fill(bc, next, v);
		return true;
	}
	if (!block_find(m, v))
		return false;
	block_link(bc, b, slot, v->block, gen);
	return true;
}
