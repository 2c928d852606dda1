/*
 * Guest memory as an instruction sees it: the segment checks (limit,
 * expand-down, type, null), alignment checking, then the software TLB of
 * vmm/mmu.c and guest RAM. The fast path -- an access inside one page of
 * an ordinary segment that hits the TLB -- is a few compares and a load;
 * everything else takes the slow path, which raises every fault before it
 * writes a byte, as the hardware leaves memory untouched on a fault.
 */
#include <string.h>

#include "interp_block.h"
#include "machine.h"
#include "mem.h"
#include "mmu.h"
#include "seg.h"

#define PAGE_SIZE 0x1000u
#define PAGE_OFF(x) ((x) & (PAGE_SIZE - 1))

/* Present data, expand-up (any R/W) or present readable code: the fast read kinds. */
static inline bool mem_seg_fast_read(uint16_t attr)
{
	return (attr & 0x9c) == 0x90 || (attr & 0x9a) == 0x9a;
}

/* Present writable expand-up data. */
static inline bool mem_seg_fast_write(uint16_t attr)
{
	return (attr & 0x9e) == 0x92;
}

static inline bool mem_user(const struct cpu *c)
{
	return c->cpl == 3;
}

/*
 * Host address of seg:off for an access that needs no check beyond what
 * is seen here, or NULL for the slow path. Misaligned accesses at CPL 3
 * go slow because they may owe an #AC.
 */
static inline uint8_t *mem_fast(struct cpu *c, int seg, uint32_t off, unsigned size, bool write)
{
	const struct seg *s = &c->seg[seg];
	uint32_t lin = s->base + off;
	bool kind_ok = write ? mem_seg_fast_write(s->attr) : mem_seg_fast_read(s->attr);
	if (!kind_ok || (uint64_t)off + (size - 1) > s->limit || PAGE_OFF(lin) > PAGE_SIZE - size ||
	    ((lin & (size - 1)) && mem_user(c)))
		return NULL;
	return tlb_hit(&c->m->tlb, tlb_kind_of(mem_user(c), write), lin);
}

/* ---- segment checks (the rules live in vmm/seg.c) ---- */

/* Check seg:off for `size` bytes (size >= 1); returns the linear address. */
static uint32_t mem_seg_check(struct cpu *c, int seg, uint32_t off, uint32_t size,
			      enum mem_access acc)
{
	if (!seg_access_ok(c, seg, off, (int)size, acc))
		cpu_raise(c, seg == SR_SS ? EXC_SS : EXC_GP, 0);
	return c->seg[seg].base + off;
}

static void mem_check_align(struct cpu *c, uint32_t lin, unsigned size)
{
	if ((lin & (size - 1)) && mem_user(c) && (c->cr0 & CR0_AM) && (c->eflags & F_AC))
		cpu_raise(c, EXC_AC, 0);
}

/* ---- the page-level slow path ---- */

static uint8_t mem_phys_read8(struct machine *m, uint32_t pa)
{
	const uint8_t *p = machine_phys(m, pa, 1);
	return p ? *p : 0xff;
}

static void mem_phys_write8(struct machine *m, uint32_t pa, uint8_t v)
{
	uint8_t *p = machine_phys(m, pa, 1);
	if (p)
		*p = v;
}

/* One page's piece of an access: where it lives once translated. */
struct mem_piece {
	uint8_t *host; /* NULL: not RAM, go byte by byte through pa */
	uint32_t pa;
	uint32_t len;
};

/* Translate the (at most two) pages of [lin, lin+size), size <= 4096. */
static int mem_translate(struct cpu *c, uint32_t lin, uint32_t size, enum mem_access acc,
			 bool user, struct mem_piece p[2])
{
	uint32_t first = PAGE_SIZE - PAGE_OFF(lin);
	p[0].host = mmu_lookup(c, lin, acc, user, &p[0].pa);
	p[0].len = size < first ? size : first;
	if (size <= first)
		return 1;
	p[1].host = mmu_lookup(c, lin + first, acc, user, &p[1].pa);
	p[1].len = size - first;
	return 2;
}

static void mem_copy_in(struct machine *m, const struct mem_piece *p, uint8_t *dst)
{
	if (p->host) {
		memcpy(dst, p->host, p->len);
		return;
	}
	for (uint32_t i = 0; i < p->len; i++)
		dst[i] = mem_phys_read8(m, p->pa + i);
}

static void mem_copy_out(struct machine *m, const struct mem_piece *p, const uint8_t *src)
{
	if (p->host) {
		memcpy(p->host, src, p->len);
		block_note_store(m, p->pa, p->len);
		return;
	}
	for (uint32_t i = 0; i < p->len; i++)
		mem_phys_write8(m, p->pa + i, src[i]);
}

/* Linear access of size <= 4096 bytes: both pages translated before any byte moves. */
static void mem_lin_access(struct cpu *c, uint32_t lin, uint32_t size, enum mem_access acc,
			   bool user, void *buf)
{
	struct mem_piece p[2];
	int n = mem_translate(c, lin, size, acc, user, p);
	uint8_t *b = buf;
	for (int i = 0; i < n; b += p[i].len, i++) {
		if (acc == ACC_WRITE)
			mem_copy_out(c->m, &p[i], b);
		else
			mem_copy_in(c->m, &p[i], b);
	}
}

static void mem_slow(struct cpu *c, int seg, uint32_t off, unsigned size, enum mem_access acc,
		     void *buf)
{
	uint32_t lin = mem_seg_check(c, seg, off, size, acc);
	mem_check_align(c, lin, size);
	mem_lin_access(c, lin, size, acc, mem_user(c), buf);
}

/* ---- the segmented interface ---- */

#define MEM_DEFINE_RW(bits)                                                        \
	uint##bits##_t mem_read##bits(struct cpu *c, int seg, uint32_t off)            \
	{                                                                              \
		uint##bits##_t v;                                                          \
		const uint8_t *h = mem_fast(c, seg, off, sizeof v, false);                 \
		if (__builtin_expect(h != NULL, 1))                                        \
			memcpy(&v, h, sizeof v);                                               \
		else                                                                       \
			mem_slow(c, seg, off, sizeof v, ACC_READ, &v);                         \
		return v;                                                                  \
	}                                                                              \
	void mem_write##bits(struct cpu *c, int seg, uint32_t off, uint##bits##_t v)   \
	{                                                                              \
		uint8_t *h = mem_fast(c, seg, off, sizeof v, true);                        \
		if (__builtin_expect(h != NULL, 1))                                        \
			memcpy(h, &v, sizeof v);                                               \
		else                                                                       \
			mem_slow(c, seg, off, sizeof v, ACC_WRITE, &v);                        \
	}

MEM_DEFINE_RW(8)
MEM_DEFINE_RW(16)
MEM_DEFINE_RW(32)
MEM_DEFINE_RW(64)

uint32_t mem_read(struct cpu *c, int seg, uint32_t off, int size)
{
	if (size == 1)
		return mem_read8(c, seg, off);
	if (size == 2)
		return mem_read16(c, seg, off);
	return mem_read32(c, seg, off);
}

void mem_write(struct cpu *c, int seg, uint32_t off, int size, uint32_t v)
{
	if (size == 1)
		mem_write8(c, seg, off, (uint8_t)v);
	else if (size == 2)
		mem_write16(c, seg, off, (uint16_t)v);
	else
		mem_write32(c, seg, off, v);
}

static void mem_check(struct cpu *c, int seg, uint32_t off, int size, enum mem_access acc)
{
	struct mem_piece p[2];
	if (mem_fast(c, seg, off, (unsigned)size, acc == ACC_WRITE))
		return;
	uint32_t lin = mem_seg_check(c, seg, off, (uint32_t)size, acc);
	mem_check_align(c, lin, (unsigned)size);
	mem_translate(c, lin, (uint32_t)size, acc, mem_user(c), p);
}

void mem_check_write(struct cpu *c, int seg, uint32_t off, int size)
{
	mem_check(c, seg, off, size, ACC_WRITE);
}

void mem_check_read(struct cpu *c, int seg, uint32_t off, int size)
{
	mem_check(c, seg, off, size, ACC_READ);
}

/* Every page of [lin, lin+n) translated, so a fault comes before any byte moves. */
static void mem_translate_all(struct cpu *c, uint32_t lin, uint32_t n, enum mem_access acc)
{
	uint32_t pa;
	for (uint32_t done = 0; done < n; done += PAGE_SIZE - PAGE_OFF(lin + done))
		mmu_lookup(c, lin + done, acc, mem_user(c), &pa);
}

static void mem_bytes(struct cpu *c, int seg, uint32_t off, void *buf, uint32_t n,
		      enum mem_access acc)
{
	if (n == 0)
		return;
	uint32_t lin = mem_seg_check(c, seg, off, n, acc);
	mem_translate_all(c, lin, n, acc);
	uint8_t *b = buf;
	for (uint32_t done = 0, step; done < n; done += step) {
		step = PAGE_SIZE - PAGE_OFF(lin + done);
		step = step < n - done ? step : n - done;
		mem_lin_access(c, lin + done, step, acc, mem_user(c), b + done);
	}
}

void mem_read_bytes(struct cpu *c, int seg, uint32_t off, void *dst, uint32_t n)
{
	mem_bytes(c, seg, off, dst, n, ACC_READ);
}

void mem_write_bytes(struct cpu *c, int seg, uint32_t off, const void *src, uint32_t n)
{
	mem_bytes(c, seg, off, (void *)src, n, ACC_WRITE);
}

/* ---- linear and fetch ---- */

uint32_t lin_read(struct cpu *c, uint32_t lin, int size, bool supervisor)
{
	uint32_t v = 0;
	mem_lin_access(c, lin, (uint32_t)size, ACC_READ, !supervisor && mem_user(c), &v);
	return v;
}

void lin_write(struct cpu *c, uint32_t lin, int size, uint32_t v, bool supervisor)
{
	mem_lin_access(c, lin, (uint32_t)size, ACC_WRITE, !supervisor && mem_user(c), &v);
}

/* How many of `want` bytes from CS:off lie inside the limit (off does). */
static unsigned mem_fetch_room(const struct seg *cs, uint32_t off, unsigned want)
{
	unsigned n = 1;
	while (n < want && seg_offset_ok(cs, off, (int)n + 1))
		n++;
	return n;
}

/*
 * Instruction bytes up to the CS limit and the end of the page; the next
 * page only when the TLB already holds it, so a fetch never walks (or
 * faults on, or sets the accessed bit of) a page the instruction may not
 * reach. The decoder asks again for the bytes it still needs.
 */
unsigned mem_fetch(struct cpu *c, uint32_t off, uint8_t *buf, unsigned want)
{
	const struct seg *cs = &c->seg[SR_CS];
	if (want == 0)
		return 0;
	if (!seg_offset_ok(cs, off, 1))
		cpu_raise(c, EXC_GP, 0);
	unsigned n = mem_fetch_room(cs, off, want);
	uint32_t lin = cs->base + off, first = PAGE_SIZE - PAGE_OFF(lin);
	struct mem_piece p = { .len = n < first ? n : first };
	p.host = mmu_lookup(c, lin, ACC_EXEC, mem_user(c), &p.pa);
	mem_copy_in(c->m, &p, buf);
	if (n <= first)
		return n;
	const uint8_t *next = tlb_hit(&c->m->tlb, tlb_kind_of(mem_user(c), false), lin + first);
	if (!next)
		return first;
	memcpy(buf + first, next, n - first);
	return n;
}
