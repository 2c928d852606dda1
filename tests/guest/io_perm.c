/*
 * I/O permission at CPL 3 (SDM vol. 1 19.5): with CPL <= IOPL every port is
 * allowed; otherwise each byte of the access must have a clear bit in the
 * TSS I/O bitmap, else #GP(0). CLI/STI follow IOPL alone.
 */
#include "rt.h"

static uint32_t u_out80(uint32_t a) { __asm__ volatile("outb %%al, $0x80" ::"a"(a)); return 1; }
static uint32_t u_out80w(uint32_t a) { __asm__ volatile("outw %%ax, $0x80" ::"a"(a)); return 1; }
static uint32_t u_out80l(uint32_t a) { __asm__ volatile("outl %%eax, $0x80" ::"a"(a)); return 1; }
static uint32_t u_in_dx(uint32_t port)
{
	uint8_t v;
	__asm__ volatile("inb %%dx, %%al" : "=a"(v) : "d"(port));
	return 1;
}
static uint32_t u_cli_sti(uint32_t a) { __asm__ volatile("cli; sti; cli"); return a; }

static void expect(const char *name, user_fn fn, uint32_t arg, uint32_t eflags, int faults)
{
	struct fault f;
	uint32_t r = 0;
	if (catch_fault(&f) == 0) {
		r = run_user_flags(fn, arg, eflags);
		catch_end();
	}
	if (faults)
		check(f.vector == 13 && f.error == 0, name, "vector %d error 0x%x", f.vector, f.error);
	else
		check(f.vector == NO_FAULT && r, name, "vector %d error 0x%x", f.vector, f.error);
}

void test_main(void)
{
	expect("io.bitmap_deny", u_out80, 0, 0x2, 1);
	io_bitmap_set(0x80, 0);
	expect("io.bitmap_allow_byte", u_out80, 0, 0x2, 0);
	expect("io.word_needs_two_bits", u_out80w, 0, 0x2, 1);
	io_bitmap_set(0x81, 0);
	expect("io.word_allowed", u_out80w, 0, 0x2, 0);
	expect("io.dword_needs_four_bits", u_out80l, 0, 0x2, 1);
	io_bitmap_set(0x82, 0);
	io_bitmap_set(0x83, 0);
	expect("io.dword_allowed", u_out80l, 0, 0x2, 0);
	io_bitmap_set(0x80, 1);
	expect("io.first_byte_denied", u_out80l, 0, 0x2, 1);
	expect("io.iopl3_ignores_bitmap", u_out80, 0, 0x2 | EFL_IOPL3, 0);
	expect("io.iopl2_not_enough", u_out80, 0, 0x2 | 0x2000, 1);
	expect("io.in_dx_denied", u_in_dx, 0x61, 0x2, 1);
	io_bitmap_set(0x61, 0);
	expect("io.in_dx_allowed", u_in_dx, 0x61, 0x2, 0);
	expect("io.cli_iopl0", u_cli_sti, 1, 0x2, 1);
	expect("io.cli_iopl3", u_cli_sti, 1, 0x2 | EFL_IOPL3, 0);
	uint16_t limit_was = tss.iomap;
	tss.iomap = 0xFFFF;
	io_bitmap_set(0x80, 0);
	expect("io.bitmap_beyond_tss_limit", u_out80, 0, 0x2, 1);
	tss.iomap = limit_was;
}
