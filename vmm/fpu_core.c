/*
 * The x87 core: the guest's FPU state run through the host's x87 unit
 * (vmm/fpu_host.S). struct fpu keeps the registers in physical order;
 * the FSAVE image the host loads keeps them in stack order.
 */
#include <assert.h>
#include <string.h>

#include "cpu.h"
#include "fpu.h"

uint64_t fpu_host_call(void *image, void *operand, uint64_t rflags, const void *stub);
extern const uint8_t fpu_host_stubs[];

#define STUB_SIZE 4
#define STUBS_PER_OPCODE 72

/*
 * Encodings without a P6 x87 instruction (#UD), as register-form ModRM
 * ranges; measured on hardware. The undocumented aliases (FSTP1, FXCH4,
 * FCOMP5, FFREEP, FXCH7, FSTP8, FSTP9, FCOM2, FCOMP3) do execute.
 */
static const struct { uint8_t opcode, lo, hi; } fpu_ud_ranges[] = {
	{ 0xd9, 0xd1, 0xd7 }, { 0xd9, 0xe2, 0xe3 }, { 0xd9, 0xe6, 0xe7 },
	{ 0xd9, 0xef, 0xef }, { 0xda, 0xe0, 0xe8 }, { 0xda, 0xea, 0xff },
	{ 0xdb, 0xe5, 0xe7 }, { 0xdb, 0xf8, 0xff }, { 0xdd, 0xf0, 0xff },
	{ 0xde, 0xd8, 0xd8 }, { 0xde, 0xda, 0xdf }, { 0xdf, 0xe1, 0xe7 },
	{ 0xdf, 0xf8, 0xff },
};

/* Memory forms without an instruction: (opcode, reg); FISTTP is SSE3. */
static const struct { uint8_t opcode, reg; } fpu_ud_mem[] = {
	{ 0xd9, 1 }, { 0xdb, 1 }, { 0xdb, 4 }, { 0xdb, 6 },
	{ 0xdd, 1 }, { 0xdd, 5 }, { 0xdf, 1 },
};

bool fpu_encoding_valid(uint8_t opcode, uint8_t modrm)
{
	if (opcode < 0xd8 || opcode > 0xdf)
		return false;
	if (modrm < 0xc0) {
		for (unsigned k = 0; k < sizeof fpu_ud_mem / sizeof fpu_ud_mem[0]; k++)
			if (fpu_ud_mem[k].opcode == opcode && fpu_ud_mem[k].reg == ((modrm >> 3) & 7))
				return false;
		return true;
	}
	for (unsigned k = 0; k < sizeof fpu_ud_ranges / sizeof fpu_ud_ranges[0]; k++)
		if (fpu_ud_ranges[k].opcode == opcode && modrm >= fpu_ud_ranges[k].lo &&
		    modrm <= fpu_ud_ranges[k].hi)
			return false;
	return true;
}

void fpu_init(struct fpu *f)
{
	f->fcw = 0x037f;
	f->fsw = 0;
	f->ftw = 0xffff;
	f->fop = 0;
	f->fip = f->fdp = 0;
	f->fcs = f->fds = 0;
}

uint8_t *fpu_st(struct fpu *f, int i)
{
	return f->st[(FSW_TOP(f->fsw) + i) & 7];
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* The host only needs the control, status and tag words and the registers. */
static void fpu_to_host(struct fpu *f, uint8_t *img)
{
	memset(img, 0, FPU_SAVE_SIZE);
	put16(img + 0, f->fcw);
	put16(img + 4, f->fsw);
	put16(img + 8, f->ftw);
	for (int i = 0; i < 8; i++)
		memcpy(img + 28 + 10 * i, fpu_st(f, i), 10);
}

static void fpu_from_host(struct fpu *f, const uint8_t *img)
{
	f->fcw = get16(img + 0);
	f->fsw = get16(img + 4);
	f->ftw = get16(img + 8);
	for (int i = 0; i < 8; i++)
		memcpy(fpu_st(f, i), img + 28 + 10 * i, 10);
}

static const void *fpu_stub(uint8_t opcode, uint8_t modrm)
{
	unsigned n = modrm >= 0xc0 ? 8u + (modrm & 0x3f) : (modrm >> 3) & 7u;
	return fpu_host_stubs + ((opcode - 0xd8u) * STUBS_PER_OPCODE + n) * STUB_SIZE;
}

/*
 * The non-waiting instructions (FNCLEX, FNINIT, FNSTENV, FNSAVE, FNSTSW,
 * FNSTCW, the 8087 leftovers): the only ones the host may run while an
 * unmasked exception is pending. Any other would raise #MF in the monitor.
 */
static bool fpu_nowait(uint8_t opcode, uint8_t modrm)
{
	unsigned reg = (modrm >> 3) & 7;

	if (modrm >= 0xc0)
		return (opcode == 0xdb && modrm >= 0xe0 && modrm <= 0xe4) ||
		       (opcode == 0xdf && modrm == 0xe0);
	return (opcode == 0xd9 && reg >= 6) || (opcode == 0xdd && reg >= 6);
}

void fpu_exec(struct fpu *f, uint8_t opcode, uint8_t modrm, void *operand,
	      uint32_t *eflags)
{
	uint8_t img[FPU_SAVE_SIZE], scratch[16] = { 0 };

	assert(fpu_encoding_valid(opcode, modrm));
	assert(!(f->fsw & FSW_ES) || fpu_nowait(opcode, modrm));
	fpu_to_host(f, img);
	uint64_t fl = fpu_host_call(img, operand ? operand : scratch,
				    (*eflags & F_ARITH) | F_FIXED1, fpu_stub(opcode, modrm));
	fpu_from_host(f, img);
	*eflags = (*eflags & ~F_ARITH) | ((uint32_t)fl & F_ARITH);
}
