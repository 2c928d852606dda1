/*
 * The x87 FPU: the guest's state (struct fpu in cpu.h) executed on the
 * host's own x87 unit, so every result, flag and masked or unmasked
 * exception response is the hardware's. The monitor side carries the
 * guest's memory operands, its instruction and data pointers and the
 * environment image formats of the guest's mode.
 */
#ifndef DOPPEL_FPU_H
#define DOPPEL_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "insn.h"

/* Every x87 handler vmm/insn_x87.def names (op_<name>, vmm/fpu_ops.c). */
#define FPU_HANDLERS(X) \
	X(fld) X(fst) X(fild) X(fist) X(fbld) X(fbstp) X(fxch) X(fldconst) \
	X(farith) X(fcom) X(fcomi) X(funary) X(fmath) X(ftrans) X(fcmov) \
	X(ffree) X(fstack) X(fnop) \
	X(fninit) X(fnclex) X(fldcw) X(fnstcw) X(fnstsw) \
	X(fldenv) X(fnstenv) X(frstor) X(fnsave) X(fwait) X(fnop_legacy)

#define FPU_DECLARE(name) insn_handler op_##name;
FPU_HANDLERS(FPU_DECLARE)
#undef FPU_DECLARE

/* Status word fields */
#define FSW_IE 0x0001u
#define FSW_DE 0x0002u
#define FSW_ZE 0x0004u
#define FSW_OE 0x0008u
#define FSW_UE 0x0010u
#define FSW_PE 0x0020u
#define FSW_SF 0x0040u
#define FSW_ES 0x0080u
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_C3 0x3000u
#define FSW_B 0x8000u
#define FSW_TOP(sw) (((sw) >> 11) & 7)
#define FSW_EXC 0x003fu /* IE DE ZE OE UE PE: masked by FCW's low bits */

#define FPU_SAVE_SIZE 108 /* FSAVE image, 32-bit protected-mode layout */

/* Power-on and FNINIT state (registers keep their contents). */
void fpu_init(struct fpu *f);

/* Is there an x87 instruction with this opcode (D8-DF) and ModRM on P6? */
bool fpu_encoding_valid(uint8_t opcode, uint8_t modrm);

/*
 * Execute the x87 instruction opcode/modrm on f with the host's x87 unit.
 * A memory form (mod != 3) reads and writes `operand` as its memory
 * operand; *eflags is the guest's EFLAGS (FCMOVcc reads it, FCOMI writes
 * ZF, PF, CF and clears OF, SF, AF). The pointer registers (FIP, FCS,
 * FOP, FDP, FDS) are left as they were: they are the caller's business.
 * Unless the instruction is a non-waiting one (FN*), f must have no
 * exception pending (FSW.ES clear): the caller reports that first (#MF).
 */
void fpu_exec(struct fpu *f, uint8_t opcode, uint8_t modrm, void *operand,
	      uint32_t *eflags);

/* ST(i) as the 80-bit register it names. */
uint8_t *fpu_st(struct fpu *f, int i);

/*
 * Environment and state images (FNSTENV/FLDENV, FNSAVE/FRSTOR) in the
 * four layouts: 16- or 32-bit operand size, real (and V86) or protected
 * mode. In the real-mode layouts FIP and FDP are 20- or 32-bit linear
 * addresses, made from FCS:FIP and FDS:FDP with real-mode segment bases.
 */
struct fpu_format {
	bool op32;
	bool real;
};
unsigned fpu_env_size(struct fpu_format fmt);
void fpu_env_encode(const struct fpu *f, struct fpu_format fmt, uint8_t *img);
void fpu_env_decode(struct fpu *f, struct fpu_format fmt, const uint8_t *img);
/* The full FSAVE image: the environment, then ST(0)..ST(7). */
void fpu_save_encode(const struct fpu *f, struct fpu_format fmt, uint8_t *img);
void fpu_save_decode(struct fpu *f, struct fpu_format fmt, const uint8_t *img);

#endif
