/*
 * The x87 environment and state images of FNSTENV/FLDENV and
 * FNSAVE/FRSTOR in their four layouts (SDM Vol. 1, 8.1.10): 16- or 32-bit
 * operand size, protected or real mode. Reserved halves read as ones, as
 * the hardware writes them.
 */
#include <string.h>

#include "fpu.h"

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

unsigned fpu_env_size(struct fpu_format fmt)
{
	return fmt.op32 ? 28 : 14;
}

/* A real-mode pointer is the linear address of segment:offset. */
static uint32_t fpu_linear(uint16_t sel, uint32_t off)
{
	return ((uint32_t)sel << 4) + off;
}

/* Slot n of the image: a word in the 16-bit layouts, a dword in the 32-bit. */
static void put_slot(uint8_t *img, struct fpu_format fmt, int n, uint32_t v)
{
	if (fmt.op32)
		put32(img + 4 * n, v);
	else
		put16(img + 2 * n, (uint16_t)v);
}

static uint32_t get_slot(const uint8_t *img, struct fpu_format fmt, int n)
{
	return fmt.op32 ? get32(img + 4 * n) : get16(img + 2 * n);
}

static void fpu_env_encode_pointers(const struct fpu *f, struct fpu_format fmt, uint8_t *img)
{
	uint32_t fop = f->fop & 0x7ffu;

	if (!fmt.real) {
		put_slot(img, fmt, 3, f->fip);
		put_slot(img, fmt, 4, f->fcs | (fmt.op32 ? fop << 16 : 0));
		put_slot(img, fmt, 5, f->fdp);
		put_slot(img, fmt, 6, f->fds | 0xffff0000u);
		return;
	}
	uint32_t ip = fpu_linear(f->fcs, f->fip), dp = fpu_linear(f->fds, f->fdp);
	int hi = fmt.op32 ? 16 : 4; /* width of the upper address bits */
	uint32_t hi_mask = (1u << hi) - 1;
	put_slot(img, fmt, 3, (ip & 0xffff) | 0xffff0000u);
	put_slot(img, fmt, 4, (((ip >> 16) & hi_mask) << 12) | fop);
	put_slot(img, fmt, 5, (dp & 0xffff) | 0xffff0000u);
	put_slot(img, fmt, 6, ((dp >> 16) & hi_mask) << 12);
}

void fpu_env_encode(const struct fpu *f, struct fpu_format fmt, uint8_t *img)
{
	put_slot(img, fmt, 0, f->fcw | 0xffff0000u);
	put_slot(img, fmt, 1, f->fsw | 0xffff0000u);
	put_slot(img, fmt, 2, f->ftw | 0xffff0000u);
	fpu_env_encode_pointers(f, fmt, img);
}

/* FOP is loaded only from the layouts that hold it. */
static void fpu_env_decode_pointers(struct fpu *f, struct fpu_format fmt, const uint8_t *img)
{
	uint32_t s3 = get_slot(img, fmt, 3), s4 = get_slot(img, fmt, 4);
	uint32_t s5 = get_slot(img, fmt, 5), s6 = get_slot(img, fmt, 6);

	if (!fmt.real) {
		f->fip = s3;
		f->fcs = (uint16_t)s4;
		f->fdp = s5;
		f->fds = (uint16_t)s6;
		if (fmt.op32)
			f->fop = (s4 >> 16) & 0x7ff;
		return;
	}
	uint32_t hi_mask = fmt.op32 ? 0xffffu : 0xfu;
	f->fip = (s3 & 0xffff) | (((s4 >> 12) & hi_mask) << 16);
	f->fdp = (s5 & 0xffff) | (((s6 >> 12) & hi_mask) << 16);
	f->fop = s4 & 0x7ff;
	f->fcs = f->fds = 0;
}

void fpu_env_decode(struct fpu *f, struct fpu_format fmt, const uint8_t *img)
{
	f->fcw = (uint16_t)get_slot(img, fmt, 0);
	f->fsw = (uint16_t)get_slot(img, fmt, 1);
	f->ftw = (uint16_t)get_slot(img, fmt, 2);
	fpu_env_decode_pointers(f, fmt, img);
}

void fpu_save_encode(const struct fpu *f, struct fpu_format fmt, uint8_t *img)
{
	unsigned env = fpu_env_size(fmt);

	fpu_env_encode(f, fmt, img);
	for (int i = 0; i < 8; i++)
		memcpy(img + env + 10 * i, f->st[(FSW_TOP(f->fsw) + i) & 7], 10);
}

void fpu_save_decode(struct fpu *f, struct fpu_format fmt, const uint8_t *img)
{
	unsigned env = fpu_env_size(fmt);

	fpu_env_decode(f, fmt, img);
	for (int i = 0; i < 8; i++)
		memcpy(f->st[(FSW_TOP(f->fsw) + i) & 7], img + env + 10 * i, 10);
}
