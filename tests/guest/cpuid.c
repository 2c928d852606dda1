/*
 * CPUID: vendor "GenuineIntel", family 6 in leaf 1 EAX[11:8], and the
 * features doppel's model promises in leaf 1 EDX (FPU PSE TSC MSR CX8 PGE
 * CMOV, bits 0 3 4 5 8 13 15 per the SDM's feature table). Also: CPUID is
 * allowed at CPL 3, and EFLAGS.ID (bit 21) can be toggled (CPUID present).
 */
#include "rt.h"

static uint32_t u_cpuid(uint32_t leaf)
{
	uint32_t r[4];
	cpuid(leaf, r);
	return r[1];
}

void test_main(void)
{
	uint32_t r[4];
	cpuid(0, r);
	check(r[1] == 0x756E6547 && r[3] == 0x49656E69 && r[2] == 0x6C65746E, "vendor.genuine_intel",
	      "%x %x %x", r[1], r[3], r[2]);
	check(r[0] >= 1, "max_leaf.at_least_1", "max %u", r[0]);
	cpuid(1, r);
	check_eq("leaf1.family_6", (r[0] >> 8) & 0xF, 6);
	uint32_t want = 1u << 0 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 8 | 1u << 13 | 1u << 15;
	check_eq("leaf1.edx_required", r[3] & want, want);
	check_eq("leaf1.fpu", r[3] & 1, 1);
	check_eq("leaf1.cmov", (r[3] >> 15) & 1, 1);
	check_eq("cpl3.cpuid_ok", run_user(u_cpuid, 0), 0x756E6547);
	uint32_t f0 = read_eflags();
	write_eflags(f0 ^ (1u << 21));
	uint32_t f1 = read_eflags();
	write_eflags(f0);
	check_eq("eflags.id_toggles", (f0 ^ f1) & (1u << 21), 1u << 21);
	uint32_t ac0 = read_eflags();
	write_eflags(ac0 | (1u << 18));
	uint32_t ac1 = read_eflags();
	write_eflags(ac0);
	check_eq("eflags.ac_settable", ac1 & (1u << 18), 1u << 18);
	write_eflags(0x2 | 0xFFC08000u);
	check_eq("eflags.reserved_bits_read_0", read_eflags() & 0xFFC0802Au, 0x2);
	write_eflags(ac0);
}
