/*
 * The one CPUID model every engine reports: a GenuineIntel Pentium III
 * (family 6, model 8, stepping 3) with only the features doppel
 * implements and tests. Leaves above the maximum return the maximum
 * basic leaf, as Intel processors do.
 */
#include "cpu.h"

#define CPUID_MAX_LEAF 2u

/* CPUID.1:EDX feature bits */
#define FEAT_FPU (1u << 0)
#define FEAT_PSE (1u << 3)
#define FEAT_TSC (1u << 4)
#define FEAT_MSR (1u << 5)
#define FEAT_CX8 (1u << 8)
#define FEAT_PGE (1u << 13)
#define FEAT_CMOV (1u << 15)

/* EAX, EBX, ECX, EDX of each basic leaf. */
static const uint32_t cpuid_leaves[CPUID_MAX_LEAF + 1][4] = {
	/* "GenuineIntel" in EBX, EDX, ECX */
	{ CPUID_MAX_LEAF, 0x756e6547u, 0x6c65746eu, 0x49656e69u },
	{ CPU_SIGNATURE, 0, 0,
	  FEAT_FPU | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_CX8 | FEAT_PGE | FEAT_CMOV },
	/*
	 * Cache and TLB descriptors of a Coppermine: one iteration (01);
	 * instruction TLB 4K (01) and 4M (02), data TLB 4K (03) and 4M (04),
	 * 16K L1 instruction (08) and data (0C) caches, 256K 8-way L2 (82).
	 */
	{ 0x03020101u, 0, 0, 0x0c040882u },
};

void cpuid_query(uint32_t leaf, uint32_t regs[4])
{
	const uint32_t *r = cpuid_leaves[leaf > CPUID_MAX_LEAF ? CPUID_MAX_LEAF : leaf];
	for (int k = 0; k < 4; k++)
		regs[k] = r[k];
}
