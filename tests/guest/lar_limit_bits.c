/*
 * LAR with a 32-bit destination returns bits 16-19 (segment limit 19:16) of
 * the descriptor's high dword as well: this host's Intel CPU, natively in
 * 32-bit user mode, gave LAR(0x23) = 0x00CFFB00 for Linux's flat code
 * descriptor (high dword 0x00CFFB00), i.e. high dword AND 0x00FFFF00.
 */
#include "rt.h"

void test_main(void)
{
	uint32_t v;
	__asm__ volatile("lar %1, %0" : "=r"(v) : "r"((uint32_t)SEL_UCODE));
	check_eq("lar.limit_bits.ucode", v, 0x00CFFA00);
	uint16_t sel = gdt_set(9, 0, 0x54321, ACC_DATA_RW, FLG_DB);
	__asm__ volatile("lar %1, %0" : "=r"(v) : "r"((uint32_t)sel));
	check_eq("lar.limit_bits.byte_limit", v, 0x00459200);
}
