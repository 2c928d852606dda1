/*
 * Specifications of operand access (vmm/interp_operand.c): 8-bit register
 * numbering, partial register writes, 16- and 32-bit effective addresses
 * with their wrap-around, SIB forms, default segments, immediates and
 * branch targets, memory operands through segmented access, on a machine
 * with RAM in real mode and in flat 32-bit protected mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/interp.h"
#include "vmm/machine.h"
#include "fixture_machine.h"

static struct machine m;
static struct cpu *c = &m.cpu;

static int setup_real(void **state)
{
	(void)state;
	if (machine_init(&m, 1u << 20) < 0)
		return -1;
	machine_reset(&m);
	return 0;
}

static void flat32(void)
{
	fixture_cpu_set_flat32_segs(c);
	c->cr0 |= CR0_PE;
}

static int setup_flat(void **state)
{
	if (setup_real(state) < 0)
		return -1;
	flat32();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&m);
	return 0;
}

static struct insn decode(bool code32, const uint8_t *b, unsigned n)
{
	struct insn i;

	assert_int_equal(decode_bytes(&i, code32, b, n, 0x100), DECODE_OK);
	return i;
}
#define DECODE16(...) decode(false, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define DECODE32(...) decode(true, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void byte_registers_are_al_cl_dl_bl_ah_ch_dh_bh(void **state)
{
	(void)state;
	c->gpr[EAX] = 0x11223344;
	c->gpr[EBX] = 0xaabbccdd;
	assert_int_equal(reg8_read(c, 0), 0x44); /* AL */
	assert_int_equal(reg8_read(c, 4), 0x33); /* AH */
	assert_int_equal(reg8_read(c, 3), 0xdd); /* BL */
	assert_int_equal(reg8_read(c, 7), 0xcc); /* BH */
	reg8_write(c, 7, 0x55);
	assert_int_equal(c->gpr[EBX], 0xaabb55dd);
	reg8_write(c, 0, 0x99);
	assert_int_equal(c->gpr[EAX], 0x11223399);
}

static void word_writes_keep_the_upper_half(void **state)
{
	(void)state;
	c->gpr[ESI] = 0x12345678;
	reg_write(c, ESI, 2, 0xabcd);
	assert_int_equal(c->gpr[ESI], 0x1234abcd);
	assert_int_equal(reg_read(c, ESI, 2), 0xabcd);
	reg_write(c, ESI, 4, 7);
	assert_int_equal(c->gpr[ESI], 7);
}

static void ea16_wraps_at_64k(void **state)
{
	(void)state;
	struct insn i = DECODE16(0x8b, 0x40, 0x05); /* mov ax,[bx+si+5] */

	c->gpr[EBX] = 0x1234ffff;
	c->gpr[ESI] = 0x00000002;
	assert_int_equal(insn_ea(c, &i), 0x0006);
	assert_int_equal(i.seg, SR_DS);
}

static void ea16_negative_disp8_wraps(void **state)
{
	(void)state;
	struct insn i = DECODE16(0x8b, 0x46, 0xfe); /* mov ax,[bp-2] */

	c->gpr[EBP] = 0x0001;
	assert_int_equal(insn_ea(c, &i), 0xffff);
	assert_int_equal(i.seg, SR_SS);
}

static void ea16_mod0_rm6_is_a_direct_offset(void **state)
{
	(void)state;
	struct insn i = DECODE16(0x8b, 0x1e, 0x34, 0x12); /* mov bx,[0x1234] */

	c->gpr[EBP] = 0x5000;
	assert_int_equal(insn_ea(c, &i), 0x1234);
	assert_int_equal(i.seg, SR_DS);
}

static void ea32_sib_base_index_scale(void **state)
{
	(void)state;
	struct insn i = DECODE32(0x8b, 0x44, 0x8b, 0x10); /* mov eax,[ebx+ecx*4+0x10] */

	c->gpr[EBX] = 0x1000;
	c->gpr[ECX] = 3;
	assert_int_equal(insn_ea(c, &i), 0x1000 + 12 + 0x10);
}

static void ea32_sib_no_base_and_no_index(void **state)
{
	(void)state;
	struct insn i = DECODE32(0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12); /* [0x12345678] */

	c->gpr[EBP] = 0xdead;
	c->gpr[ESP] = 0xbeef;
	assert_int_equal(insn_ea(c, &i), 0x12345678);
	assert_int_equal(i.seg, SR_DS);
}

static void ea32_esp_and_ebp_bases_default_to_ss(void **state)
{
	(void)state;
	struct insn a = DECODE32(0x8b, 0x04, 0x24);       /* mov eax,[esp] */
	struct insn b = DECODE32(0x8b, 0x45, 0x08);       /* mov eax,[ebp+8] */
	struct insn d = DECODE32(0x3e, 0x8b, 0x45, 0x08); /* mov eax,ds:[ebp+8] */

	c->gpr[ESP] = 0x7000;
	c->gpr[EBP] = 0x8000;
	assert_int_equal(insn_ea(c, &a), 0x7000);
	assert_int_equal(a.seg, SR_SS);
	assert_int_equal(insn_ea(c, &b), 0x8008);
	assert_int_equal(b.seg, SR_SS);
	assert_int_equal(d.seg, SR_DS);
}

static void ea32_wraps_at_4g(void **state)
{
	(void)state;
	struct insn i = DECODE32(0x8b, 0x43, 0x20); /* mov eax,[ebx+0x20] */

	c->gpr[EBX] = 0xfffffff0u;
	assert_int_equal(insn_ea(c, &i), 0x10);
}

static void address_size_prefix_selects_16bit_forms(void **state)
{
	(void)state;
	struct insn i = DECODE32(0x67, 0x8b, 0x00); /* mov eax,[bx+si] */

	c->gpr[EBX] = 0x10008000;
	c->gpr[ESI] = 0x9000;
	assert_int_equal(insn_ea(c, &i), 0x1000);
}

static void memory_operands_read_and_write_through_the_segment(void **state)
{
	(void)state;
	struct insn ld = DECODE16(0x8b, 0x07);       /* mov ax,[bx] */
	struct insn st = DECODE16(0x26, 0x89, 0x07); /* mov es:[bx],ax */

	c->seg[SR_DS].base = 0x20000;
	c->seg[SR_ES].base = 0x30000;
	c->gpr[EBX] = 0x10;
	m.ram[0x20010] = 0x34;
	m.ram[0x20011] = 0x12;
	assert_int_equal(opnd_read(c, &ld, 1), 0x1234);
	opnd_write(c, &st, 0, 0xbeef);
	assert_int_equal(m.ram[0x30010], 0xef);
	assert_int_equal(m.ram[0x30011], 0xbe);
	assert_int_equal(opnd_size(&ld, 0), 2);
}

static void register_forms_follow_modrm_and_opcode(void **state)
{
	(void)state;
	struct insn a = DECODE32(0x88, 0xe3); /* mov bl,ah */
	struct insn b = DECODE32(0xbe, 0x01, 0x00, 0x00, 0x00); /* mov esi,1 */

	c->gpr[EAX] = 0x0000ab00;
	c->gpr[EBX] = 0;
	opnd_write(c, &a, 0, opnd_read(c, &a, 1));
	assert_int_equal(c->gpr[EBX], 0xab);
	assert_int_equal(opnd_read(c, &b, 1), 1);
	opnd_write(c, &b, 0, 0x55);
	assert_int_equal(c->gpr[ESI], 0x55);
}

static void immediates_are_sized_and_sign_extended(void **state)
{
	(void)state;
	struct insn a = DECODE32(0x83, 0xc0, 0xff);             /* add eax,-1 */
	struct insn b = DECODE32(0x66, 0x83, 0xc0, 0x80);       /* add ax,-128 */
	struct insn e = DECODE32(0xc8, 0x10, 0x00, 0x03);       /* enter 16,3 */

	assert_int_equal(opnd_read(c, &a, 1), 0xffffffffu);
	assert_int_equal(opnd_read(c, &b, 1), 0xff80);
	assert_int_equal(opnd_read(c, &e, 0), 0x10);
	assert_int_equal(opnd_read(c, &e, 1), 3);
}

static void branch_targets_wrap_with_16bit_operand_size(void **state)
{
	(void)state;
	struct insn j32;
	struct insn j16;

	assert_int_equal(decode_bytes(&j32, true, (const uint8_t[]){ 0xeb, 0xf0 }, 2, 0x1008), DECODE_OK);
	assert_int_equal(opnd_read(c, &j32, 0), 0x1008 + 2 - 16);
	assert_int_equal(decode_bytes(&j16, false, (const uint8_t[]){ 0xeb, 0x10 }, 2, 0xfff8), DECODE_OK);
	assert_int_equal(opnd_read(c, &j16, 0), (0xfff8 + 2 + 16) & 0xffff);
}

static void moffs_and_string_forms_use_their_implicit_registers(void **state)
{
	(void)state;
	struct insn mo = DECODE32(0xa1, 0x00, 0x40, 0x00, 0x00); /* mov eax,[0x4000] */
	struct insn ms = DECODE32(0x64, 0xa4);                   /* movsb fs:[esi] -> es:[edi] */

	m.ram[0x4000] = 0x77;
	assert_int_equal(opnd_read(c, &mo, 1) & 0xff, 0x77);
	c->seg[SR_FS].base = 0x1000;
	c->gpr[ESI] = 0x3000;
	c->gpr[EDI] = 0x5000;
	m.ram[0x4000] = 0x42;
	assert_int_equal(opnd_read(c, &ms, 1), 0x42);
	opnd_write(c, &ms, 0, 0x43);
	assert_int_equal(m.ram[0x5000], 0x43);
}

int main(void)
{
	const struct CMUnitTest real[] = {
		cmocka_unit_test(byte_registers_are_al_cl_dl_bl_ah_ch_dh_bh),
		cmocka_unit_test(word_writes_keep_the_upper_half),
		cmocka_unit_test(ea16_wraps_at_64k),
		cmocka_unit_test(ea16_negative_disp8_wraps),
		cmocka_unit_test(ea16_mod0_rm6_is_a_direct_offset),
		cmocka_unit_test(memory_operands_read_and_write_through_the_segment),
		cmocka_unit_test(branch_targets_wrap_with_16bit_operand_size),
	};
	const struct CMUnitTest flat[] = {
		cmocka_unit_test(ea32_sib_base_index_scale),
		cmocka_unit_test(ea32_sib_no_base_and_no_index),
		cmocka_unit_test(ea32_esp_and_ebp_bases_default_to_ss),
		cmocka_unit_test(ea32_wraps_at_4g),
		cmocka_unit_test(address_size_prefix_selects_16bit_forms),
		cmocka_unit_test(register_forms_follow_modrm_and_opcode),
		cmocka_unit_test(immediates_are_sized_and_sign_extended),
		cmocka_unit_test(moffs_and_string_forms_use_their_implicit_registers),
	};

	return cmocka_run_group_tests_name("operand, real mode", real, setup_real, teardown) |
	       cmocka_run_group_tests_name("operand, flat 32-bit", flat, setup_flat, teardown);
}
