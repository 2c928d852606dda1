/*
 * Direct execution: the guest's x87 state on the host's x87 unit. While
 * guest code runs natively its FPU is the stub's; the stub's signal frame
 * carries it in the FXSAVE64 layout, which this file converts to and from
 * struct fpu (FSAVE's view: full tag word, physical register order).
 * FXSAVE64 keeps no FCS/FDS: they become the guest's CS and DS when native
 * code ran an x87 instruction (the last one's segments are not known).
 */
#include <string.h>

#include "de_host.h"
#include "fpu.h"

#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FDP 16
#define FX_MXCSR 24
#define FX_ST 32
#define MXCSR_DEFAULT 0x1f80u
#define TAG_VALID 0
#define TAG_ZERO 1
#define TAG_SPECIAL 2
#define TAG_EMPTY 3

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

void de_fpu_to_fx(const struct fpu *f, uint8_t fx[DE_FX_SIZE])
{
	unsigned top = FSW_TOP(f->fsw);
	uint8_t abridged = 0;

	memset(fx, 0, FX_ST + 8 * 16);
	for (int r = 0; r < 8; r++)
		if (((f->ftw >> (2 * r)) & 3) != TAG_EMPTY)
			abridged |= (uint8_t)(1u << r);
	put16(fx + FX_FCW, f->fcw);
	put16(fx + FX_FSW, f->fsw);
	fx[FX_FTW] = abridged;
	put16(fx + FX_FOP, f->fop);
	put32(fx + FX_FIP, f->fip);
	put32(fx + FX_FDP, f->fdp);
	put32(fx + FX_MXCSR, MXCSR_DEFAULT);
	for (unsigned i = 0; i < 8; i++)
		memcpy(fx + FX_ST + 16 * i, f->st[(top + i) & 7], 10);
}

/* The tag FSAVE would report for a non-empty register. */
static unsigned fpu_tag_of(const uint8_t r[10])
{
	uint64_t mant;
	unsigned exp = get16(r + 8) & 0x7fffu;

	memcpy(&mant, r, 8);
	if (exp == 0x7fff)
		return TAG_SPECIAL;
	if (exp == 0)
		return mant ? TAG_SPECIAL : TAG_ZERO;
	return (mant >> 63) ? TAG_VALID : TAG_SPECIAL; /* unnormals are special */
}

void de_fpu_from_fx(struct fpu *f, const uint8_t fx[DE_FX_SIZE], uint16_t cs, uint16_t ds)
{
	uint32_t fip = get32(fx + FX_FIP), fdp = get32(fx + FX_FDP);
	uint16_t fop = get16(fx + FX_FOP) & 0x7ff;
	unsigned top;

	if (fip != f->fip || fdp != f->fdp || fop != f->fop) {
		f->fcs = cs;
		f->fds = ds;
	}
	f->fcw = get16(fx + FX_FCW);
	f->fsw = get16(fx + FX_FSW);
	f->fop = fop;
	f->fip = fip;
	f->fdp = fdp;
	top = FSW_TOP(f->fsw);
	for (unsigned i = 0; i < 8; i++)
		memcpy(f->st[(top + i) & 7], fx + FX_ST + 16 * i, 10);
	f->ftw = 0;
	for (unsigned r = 0; r < 8; r++) {
		unsigned tag = (fx[FX_FTW] >> r) & 1 ? fpu_tag_of(f->st[r]) : TAG_EMPTY;
		f->ftw |= (uint16_t)(tag << (2 * r));
	}
}
