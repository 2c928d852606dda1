/*
 * x87 probes shared by gen/fpugen.c (run natively on the host) and the
 * fpu_* guest tests: each probe starts from FNINIT, runs x87 code and
 * writes n 32-bit words of results (register images, status and control
 * words, stored integers); none records instruction or data pointers.
 */
#ifndef GUEST_FPU_PROBES_H
#define GUEST_FPU_PROBES_H

#include <stdint.h>

#define FPU_PROBES(X) \
	X(prec, 9) X(round, 40) X(arith, 36) X(ldst, 40) X(cmp, 24) X(masked, 24) \
	X(env, 36) X(consts, 21) X(transc, 15) X(stackflt, 8)

#define FPU_DECL(name, n) void fp_##name(uint32_t out[n]);
FPU_PROBES(FPU_DECL)

#endif
