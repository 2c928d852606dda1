/*
 * Self-modifying code (SDM vol. 3 11.6): a store to an instruction that is
 * then executed is seen, whether the code was written before a call, by
 * the instruction right before it in a straight line, or through another
 * linear mapping of the same frame.
 */
#include "rt.h"

static uint8_t code[64] __attribute__((aligned(16)));

static uint32_t call_code(uint32_t at)
{
	uint32_t r;
	__asm__ volatile("call *%1" : "=a"(r) : "r"(at) : "memory", "ecx", "edx");
	return r;
}

static void put_mov_ret(uint8_t *p, uint32_t imm)
{
	p[0] = 0xB8;
	memcpy(p + 1, &imm, 4);
	p[5] = 0xC3;
}

void test_main(void)
{
	put_mov_ret(code, 0x11111111);
	check_eq("written_code_runs", call_code((uint32_t)code), 0x11111111);
	put_mov_ret(code, 0x22222222);
	check_eq("rewritten_code_runs", call_code((uint32_t)code), 0x22222222);
	for (int i = 0; i < 3; i++) {
		put_mov_ret(code, 0x30 + (uint32_t)i);
		check(call_code((uint32_t)code) == 0x30 + (uint32_t)i, "rewrite_loop", "i %d", i);
	}

	uint32_t r;
	__asm__ volatile("movl $0x5EAF00D, 1f + 1\n"
			 "1: mov $0x11111111, %0" : "=r"(r) :: "memory");
	check_eq("next_insn_modified", r, 0x5EAF00D);
	__asm__ volatile("movb $0x90, 1f\n movb $0x90, 1f + 1\n"
			 "mov $7, %0\n"
			 "1: jmp 2f\n mov $8, %0\n 2:" : "=r"(r) :: "memory");
	check_eq("jump_replaced_by_nops", r, 8);

	uint8_t *frame = alloc_page();
	uint32_t x = SCRATCH_VA + 0x30000, w = x + 0x1000;
	map_page(x, (uint32_t)frame, 0);
	map_page(w, (uint32_t)frame, PTE_W);
	put_mov_ret((uint8_t *)w + 0x80, 0xA1A1A1A1);
	check_eq("alias.first", call_code(x + 0x80), 0xA1A1A1A1);
	put_mov_ret((uint8_t *)w + 0x80, 0xB2B2B2B2);
	check_eq("alias.store_via_other_mapping", call_code(x + 0x80), 0xB2B2B2B2);
	__asm__ volatile("mov %1, %%edi; mov $0xC3C3C3C3, %%eax; movl $0xB8, (%%edi);"
			 "mov %%eax, 1(%%edi); movb $0xC3, 5(%%edi); call *%2; mov %%eax, %0"
			 : "=r"(r) : "r"(w + 0x100), "r"(x + 0x100) : "eax", "edi", "ecx", "edx", "memory");
	check_eq("alias.immediately_after_store", r, 0xC3C3C3C3);
}
