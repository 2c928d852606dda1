/*
 * A test case laid out as guest memory: the harness (GDT, IDT with one
 * handler stub per vector, TSS, page tables) plus the case's pages. Every
 * engine -- interp here, the host CPU through de, QEMU through the
 * packed blob -- starts from these same bytes, so a difference in the
 * final state is a difference in the engines, not in the setup.
 */
#include <string.h>

#include "harness/case_run.h"
#include "vmm/mmu.h"

#define SEL_IS_NULL_CASE(s) (((s) & 0xfffcu) == 0)

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void desc_encode(uint8_t *p, uint32_t base, uint32_t raw_limit, uint16_t attr)
{
	put32(p, (raw_limit & 0xffff) | (base << 16));
	put32(p + 4, ((base >> 16) & 0xff) | ((uint32_t)(attr & 0xf0ff) << 8) |
			     (raw_limit & 0xf0000) | (base & 0xff000000u));
}

/* The descriptor a segment cache came from; -1 if no descriptor gives it. */
static int seg_raw_limit(const struct seg *s, uint32_t *raw)
{
	if (SEG_G(s->attr)) {
		if ((s->limit & 0xfff) != 0xfff)
			return -1;
		*raw = s->limit >> 12;
	} else {
		if (s->limit > 0xfffff)
			return -1;
		*raw = s->limit;
	}
	return 0;
}

static int gdt_put_seg(uint8_t *gdt, const struct seg *s, const char *name, char *err,
		       size_t errlen)
{
	uint8_t d[8];
	uint32_t raw, at = s->sel & 0xfff8u;

	if (SEL_IS_NULL_CASE(s->sel))
		return 0;
	if ((s->sel & 4) || s->sel < CASE_SEL_FIRST || s->sel >= CASE_PAGE) {
		snprintf(err, errlen, "%s selector 0x%04x: cases use GDT selectors 0x%02x-0x%x",
			 name, s->sel, CASE_SEL_FIRST, CASE_PAGE - 1);
		return -1;
	}
	if (seg_raw_limit(s, &raw) < 0) {
		snprintf(err, errlen, "%s limit 0x%08x does not fit its G bit", name, s->limit);
		return -1;
	}
	desc_encode(d, s->base, raw, s->attr);
	if (memcmp(gdt + at, "\0\0\0\0\0\0\0\0", 8) && memcmp(gdt + at, d, 8)) {
		snprintf(err, errlen, "%s selector 0x%04x: two different descriptors", name, s->sel);
		return -1;
	}
	memcpy(gdt + at, d, 8);
	return 0;
}

void case_harness_gdt(uint8_t *gdt)
{
	memset(gdt, 0, CASE_PAGE);
	desc_encode(gdt + CASE_SEL_CODE0, 0, 0xfffff, 0xc09b);
	desc_encode(gdt + CASE_SEL_DATA0, 0, 0xfffff, 0xc093);
	desc_encode(gdt + CASE_SEL_TSS, CASE_H_TSS, 0x67, 0x008b);
}

static int image_gdt(const struct fuzz_case *fc, struct case_image *img, char *err,
		     size_t errlen)
{
	case_harness_gdt(img->gdt);
	for (int s = 0; s < 6; s++)
		if (gdt_put_seg(img->gdt, &fc->seg[s], case_seg_names[s], err, errlen) < 0)
			return -1;
	img->page[img->n++] = (struct case_image_page){ CASE_H_GDT, img->gdt };
	return 0;
}

static bool in_harness(uint32_t lin)
{
	return lin >= CASE_HARNESS && lin < CASE_HARNESS_END;
}

/* Where each case page lives physically. */
static int image_frames(const struct fuzz_case *fc, struct case_image *img, char *err,
			size_t errlen)
{
	for (unsigned k = 0; k < fc->n_pages; k++) {
		uint32_t lin = fc->page[k].lin;
		if (in_harness(lin) || (!fc->paging && lin >= CASE_HARNESS)) {
			snprintf(err, errlen, "page 0x%08x: %s", lin,
				 fc->paging ? "inside the harness region 0x01000000-0x010fffff"
					    : "with paging off, pages must lie below 0x01000000");
			return -1;
		}
		img->frame[k] = fc->paging ? CASE_H_FRAMES + k * CASE_PAGE : lin;
	}
	return 0;
}

/* The page table for the 4 MiB region of lin, allocated on first use. */
static uint8_t *image_pt(struct case_image *img, unsigned *n_pt, uint32_t lin)
{
	uint32_t pde_at = (lin >> 22) * 4, pde;

	memcpy(&pde, img->pd + pde_at, 4);
	if (pde & PTE_P)
		return img->pt[(pde - CASE_H_PT) / CASE_PAGE];
	put32(img->pd + pde_at, (CASE_H_PT + *n_pt * CASE_PAGE) | PTE_P | PTE_RW | PTE_US);
	memset(img->pt[*n_pt], 0, CASE_PAGE);
	img->page[img->n++] = (struct case_image_page){ CASE_H_PT + *n_pt * CASE_PAGE,
							img->pt[*n_pt] };
	return img->pt[(*n_pt)++];
}

static void image_paging(const struct fuzz_case *fc, struct case_image *img)
{
	unsigned n_pt = 0;

	memset(img->pd, 0, sizeof(img->pd));
	img->page[img->n++] = (struct case_image_page){ CASE_H_PD, img->pd };
	for (uint32_t a = CASE_HARNESS; a < CASE_HARNESS_END; a += CASE_PAGE)
		put32(image_pt(img, &n_pt, a) + ((a >> 12) & 0x3ff) * 4, a | PTE_P | PTE_RW);
	for (unsigned k = 0; k < fc->n_pages; k++) {
		const struct case_page *p = &fc->page[k];
		uint32_t pte = img->frame[k] | PTE_P | (p->perm & CPERM_W ? PTE_RW : 0) |
			       (p->perm & CPERM_U ? PTE_US : 0);
		put32(image_pt(img, &n_pt, p->lin) + ((p->lin >> 12) & 0x3ff) * 4, pte);
	}
}

/* Write bytes at a case-linear address into the image's copy of the pages. */
static bool image_poke(const struct fuzz_case *fc, struct case_image *img, uint32_t lin,
		       const uint8_t *b, unsigned n)
{
	bool all = true;

	for (unsigned at = 0; at < n; at++, lin++) {
		bool found = false;
		for (unsigned k = 0; k < fc->n_pages; k++)
			if (fc->page[k].lin == (lin & ~(CASE_PAGE - 1))) {
				img->code_page[k][lin & (CASE_PAGE - 1)] = b[at];
				found = true;
			}
		all &= found;
	}
	return all;
}

/*
 * A CPL 0 case is entered with IRET on its own stack, so the 12 bytes
 * below ESP hold EIP, CS and EFLAGS on every engine (QEMU needs them to
 * enter; the others get the same memory).
 */
static int image_entry_frame(const struct fuzz_case *fc, struct case_image *img, char *err,
			     size_t errlen)
{
	uint32_t frame[3] = { fc->eip, fc->seg[SR_CS].sel, fc->eflags };
	uint32_t at = fc->seg[SR_SS].base + fc->gpr[ESP] - 12;
	uint8_t b[12];

	if (fc->cpl != 0)
		return 0;
	memcpy(b, frame, sizeof(b));
	for (unsigned k = 0; k < 12; k++) {
		const struct case_page *p = case_find_page((struct fuzz_case *)fc, at + k);
		if (!p || !(p->perm & CPERM_W)) {
			snprintf(err, errlen, "a CPL 0 case needs the 12 bytes below ESP in a "
				 "writable page (its entry frame)");
			return -1;
		}
	}
	image_poke(fc, img, at, b, sizeof(b));
	return 0;
}

/* The case's pages, with the code and its end marker laid over them. */
static void image_pages(const struct fuzz_case *fc, struct case_image *img)
{
	uint8_t marker[CASE_END_MARKER_MAX];
	unsigned n_marker = case_end_marker(fc, marker);

	for (unsigned k = 0; k < fc->n_pages; k++)
		memcpy(img->code_page[k], fc->page[k].data, CASE_PAGE);
	image_poke(fc, img, case_code_lin(fc), fc->code, fc->code_len);
	image_poke(fc, img, case_code_lin(fc) + fc->code_len, marker, n_marker);
	for (unsigned k = 0; k < fc->n_pages; k++)
		img->page[img->n++] = (struct case_image_page){ img->frame[k], img->code_page[k] };
}


int case_image_build(const struct fuzz_case *fc, struct case_image *img, char *err,
		     size_t errlen)
{
	img->n = 0;
	if (case_validate(fc, err, errlen) < 0 || image_frames(fc, img, err, errlen) < 0 ||
	    image_gdt(fc, img, err, errlen) < 0)
		return -1;
	if (fc->paging)
		image_paging(fc, img);
	image_pages(fc, img);
	return image_entry_frame(fc, img, err, errlen);
}

/* Interrupt gates to ring 0; INT3, INTO and the vectors from 32 up may be
 * raised from ring 3 by INT n, the ones below 32 raise #GP there. */
static void harness_idt(uint8_t *idt)
{
	for (uint32_t v = 0; v < 256; v++) {
		uint32_t off = CASE_H_STUBS + v * CASE_H_STUB_SIZE;
		uint32_t dpl = (v == 3 || v == 4 || v >= 32) ? 3 : 0;
		put32(idt + v * 8, (CASE_SEL_CODE0 << 16) | (off & 0xffff));
		put32(idt + v * 8 + 4, (off & 0xffff0000u) | 0x8e00 | (dpl << 13));
	}
}

void case_harness_idt_page(uint8_t *page)
{
	uint8_t *tss = page + (CASE_H_TSS - CASE_H_IDT);

	memset(page, 0, CASE_PAGE);
	harness_idt(page);
	put32(tss + 4, CASE_H_STACK_TOP);
	put32(tss + 8, CASE_SEL_DATA0);
	put32(tss + 0x64, 0x68u << 16); /* I/O bitmap base past the limit: no bitmap */
}

void case_harness_write(uint8_t *ram)
{
	case_harness_idt_page(ram + CASE_H_IDT);
	memset(ram + CASE_H_STUBS, 0xf4, CASE_PAGE); /* HLT */
}
