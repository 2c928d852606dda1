/* Specifications of the multiboot and flat loaders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/loader.h"

#define RAM (2u << 20)
#define KBASE 0x100000u

static struct machine mach;
static char err[LOADER_ERR_MAX];
static uint8_t img[16384];

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t ram32(uint32_t pa) { uint32_t v; memcpy(&v, mach.ram + pa, 4); return v; }

static void put_header(uint8_t *p, uint32_t flags)
{
	put32(p, MB_HEADER_MAGIC);
	put32(p + 4, flags);
	put32(p + 8, 0u - MB_HEADER_MAGIC - flags);
}

/* An ELF32 executable: one PT_LOAD of filesz bytes (file offset 0x1000)
 * at KBASE, memsz bytes in memory, the multiboot header at its start. */
static size_t build_elf(uint32_t paddr, uint32_t filesz, uint32_t memsz)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF\1\1\1", 7);
	put16(img + 16, 2);
	put16(img + 18, 3);
	put32(img + 20, 1);
	put32(img + 24, paddr + 0x20);    /* entry */
	put32(img + 28, 52);              /* phoff */
	put16(img + 40, 52);
	put16(img + 42, 32);
	put16(img + 44, 1);
	uint8_t *ph = img + 52;
	put32(ph, 1);
	put32(ph + 4, 0x1000);
	put32(ph + 8, paddr);
	put32(ph + 12, paddr);
	put32(ph + 16, filesz);
	put32(ph + 20, memsz);
	put_header(img + 0x1000, 0x3);
	memset(img + 0x1000 + 12, 0xaa, filesz - 12);
	return 0x1000 + filesz;
}

static int setup(void **state)
{
	(void)state;
	err[0] = 0;
	return machine_init(&mach, RAM);
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&mach);
	return 0;
}

static void elf_kernel_is_loaded_with_bss_zeroed(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x100, 0x2000);
	memset(mach.ram + KBASE, 0x55, 0x3000);
	assert_int_equal(loader_multiboot_image(&mach, "k.elf", img, len, "a=1", err), 0);
	assert_memory_equal(mach.ram + KBASE, img + 0x1000, 0x100);
	assert_int_equal(mach.ram[KBASE + 0x100], 0);
	assert_int_equal(mach.ram[KBASE + 0x1fff], 0);
	assert_int_equal(mach.cpu.eip, KBASE + 0x20);
}

static void entry_state_follows_the_multiboot_spec(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x100, 0x100);
	assert_int_equal(loader_multiboot_image(&mach, "k.elf", img, len, "", err), 0);
	struct cpu *c = &mach.cpu;
	assert_int_equal(c->gpr[EAX], MB_BOOT_MAGIC);
	assert_int_equal(c->gpr[EBX], MB_INFO_ADDR);
	assert_true(c->cr0 & CR0_PE);
	assert_false(c->cr0 & CR0_PG);
	assert_false(c->eflags & (F_IF | F_VM));
	assert_int_equal(c->seg[SR_CS].sel, LOADER_SEL_CODE32);
	assert_true(SEG_DB(c->seg[SR_CS].attr));
	assert_int_equal(c->seg[SR_CS].limit, 0xffffffffu);
	for (int r = 0; r < 6; r++)
		assert_int_equal(c->seg[r].base, 0);
	assert_int_equal(c->seg[SR_SS].sel, LOADER_SEL_DATA32);
	assert_int_equal(c->gdtr.base, LOADER_GDT_ADDR);
	assert_int_equal(ram32(LOADER_GDT_ADDR + 12), 0x00cf9a00);
	assert_int_equal(mach.a20_mask, 0xffffffffu);
}

static void info_has_memory_cmdline_and_map_like_qemu(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x100, 0x100);
	assert_int_equal(loader_multiboot_image(&mach, "k.elf", img, len, "x y", err), 0);
	uint32_t mbi = MB_INFO_ADDR;
	assert_int_equal(ram32(mbi), 0x24f);
	assert_int_equal(ram32(mbi + 4), 639);
	assert_int_equal(ram32(mbi + 8), (RAM - 0x120000) >> 10);
	assert_int_equal(ram32(mbi + 16), KBASE + 0x1000);
	assert_string_equal((char *)mach.ram + ram32(mbi + 16), "k.elf x y");
	assert_string_equal((char *)mach.ram + ram32(mbi + 64), "doppel");
	assert_int_equal(ram32(mbi + 44), 6 * 24);
	assert_int_equal(ram32(mbi + 48), MB_MMAP_ADDR);
	/* Fourth region: usable RAM from 1 MiB up to the BIOS's top 128 KiB. */
	uint32_t e = MB_MMAP_ADDR + 3 * 24;
	assert_int_equal(ram32(e), 20);
	assert_int_equal(ram32(e + 4), 0x100000);
	assert_int_equal(ram32(e + 12), RAM - 0x120000);
	assert_int_equal(ram32(e + 20), 1);
}

static void cmdline_without_append_ends_in_a_space(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x100, 0x100);
	assert_int_equal(loader_multiboot_image(&mach, "k.elf", img, len, NULL, err), 0);
	assert_string_equal((char *)mach.ram + ram32(MB_INFO_ADDR + 16), "k.elf ");
}

static size_t build_aout(uint32_t load_end, uint32_t bss_end)
{
	memset(img, 0, sizeof(img));
	put_header(img + 0x40, 0x10003);
	put32(img + 0x40 + 12, KBASE + 0x40);  /* header_addr */
	put32(img + 0x40 + 16, KBASE);         /* load_addr */
	put32(img + 0x40 + 20, load_end);
	put32(img + 0x40 + 24, bss_end);
	put32(img + 0x40 + 28, KBASE + 0x80);  /* entry */
	memset(img + 0x80, 0xcc, 0x80);
	return 0x100;
}

static void aout_kludge_loads_by_header_addresses(void **state)
{
	(void)state;
	size_t len = build_aout(KBASE + 0x100, KBASE + 0x800);
	memset(mach.ram + KBASE, 0x55, 0x1000);
	assert_int_equal(loader_multiboot_image(&mach, "a.bin", img, len, "", err), 0);
	assert_memory_equal(mach.ram + KBASE, img, 0x100);
	assert_int_equal(mach.ram[KBASE + 0x7ff], 0);
	assert_int_equal(mach.cpu.eip, KBASE + 0x80);
}

static void aout_kludge_without_load_end_takes_the_whole_file(void **state)
{
	(void)state;
	size_t len = build_aout(0, 0);
	assert_int_equal(loader_multiboot_image(&mach, "a.bin", img, len, "", err), 0);
	assert_memory_equal(mach.ram + KBASE, img, len);
}

static void expect_error(size_t len, const char *needle)
{
	assert_int_equal(loader_multiboot_image(&mach, "bad.elf", img, len, "", err), -1);
	assert_non_null(strstr(err, "bad.elf: "));
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
	assert_null(strchr(err, '\n'));
}

static void truncated_elf_is_refused(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x800, 0x800);
	expect_error(len - 0x100, "truncated");
	put32(img + 28, (uint32_t)len - 16);
	expect_error(len, "truncated or bad ELF program header");
}

static void truncated_aout_is_refused(void **state)
{
	(void)state;
	build_aout(KBASE + 0x1000, 0);
	expect_error(0x100, "truncated");
}

static void file_without_header_is_refused(void **state)
{
	(void)state;
	memset(img, 0x90, sizeof(img));
	expect_error(sizeof(img), "no multiboot header");
}

static void header_past_8192_bytes_is_not_found(void **state)
{
	(void)state;
	memset(img, 0, sizeof(img));
	put_header(img + 8192, 0x10000);
	expect_error(sizeof(img), "no multiboot header");
}

static void bad_checksum_is_refused(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x100, 0x100);
	img[0x1008] ^= 1;
	expect_error(len, "no multiboot header");
}

static void segment_beyond_ram_is_refused(void **state)
{
	(void)state;
	expect_error(build_elf(RAM - 0x80, 0x100, 0x100), "outside RAM");
	expect_error(build_elf(KBASE, 0x100, 0xfffff000), "outside RAM");
}

static void image_larger_than_ram_is_refused(void **state)
{
	(void)state;
	expect_error(build_aout(0, KBASE + RAM), "do not fit in RAM");
	static uint8_t big[RAM + 4096];
	assert_int_equal(loader_flat_image(&mach, "big.bin", big, sizeof(big), 0, true, err), -1);
	assert_non_null(strstr(err, "larger than RAM"));
}

static void unsupported_required_flags_are_refused(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x100, 0x100);
	put_header(img + 0x1000, 0x7);
	expect_error(len, "video mode");
	put_header(img + 0x1000, 0x103);
	expect_error(len, "flags 0x0100");
}

static void not_an_i386_executable_is_refused(void **state)
{
	(void)state;
	size_t len = build_elf(KBASE, 0x100, 0x100);
	put16(img + 18, 62);
	expect_error(len, "not i386");
	put16(img + 18, 3);
	put16(img + 16, 3);
	expect_error(len, "ET_EXEC");
	memcpy(img, "ABCD", 4);
	expect_error(len, "not an ELF file");
}

static void missing_file_is_reported(void **state)
{
	(void)state;
	assert_int_equal(loader_multiboot(&mach, "/nonexistent/k.elf", "", err), -1);
	assert_non_null(strstr(err, "/nonexistent/k.elf: cannot open"));
}

static void flat_real_mode_starts_with_ip_the_offset(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0xf4 };
	assert_int_equal(loader_flat_image(&mach, "f", code, 1, 0x17c00, false, err), 0);
	assert_int_equal(mach.ram[0x17c00], 0xf4);
	assert_int_equal(mach.cpu.seg[SR_CS].sel, 0x1000);
	assert_int_equal(mach.cpu.seg[SR_CS].base, 0x10000);
	assert_int_equal(mach.cpu.eip, 0x7c00);
	assert_int_equal(loader_flat_image(&mach, "f", code, 1, 0x100000, false, err), -1);
	assert_non_null(strstr(err, "below 1 MiB"));
}

static void flat32_starts_in_flat_protected_mode(void **state)
{
	(void)state;
	static const uint8_t code[] = { 0xf4 };
	assert_int_equal(loader_flat_image(&mach, "f", code, 1, 0x100000, true, err), 0);
	assert_int_equal(mach.cpu.eip, 0x100000);
	assert_int_equal(mach.cpu.seg[SR_CS].sel, LOADER_SEL_CODE32);
	assert_true(mach.cpu.cr0 & CR0_PE);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(elf_kernel_is_loaded_with_bss_zeroed),
		T(entry_state_follows_the_multiboot_spec),
		T(info_has_memory_cmdline_and_map_like_qemu),
		T(cmdline_without_append_ends_in_a_space),
		T(aout_kludge_loads_by_header_addresses),
		T(aout_kludge_without_load_end_takes_the_whole_file),
		T(truncated_elf_is_refused),
		T(truncated_aout_is_refused),
		T(file_without_header_is_refused),
		T(header_past_8192_bytes_is_not_found),
		T(bad_checksum_is_refused),
		T(segment_beyond_ram_is_refused),
		T(image_larger_than_ram_is_refused),
		T(unsupported_required_flags_are_refused),
		T(not_an_i386_executable_is_refused),
		T(missing_file_is_reported),
		T(flat_real_mode_starts_with_ip_the_offset),
		T(flat32_starts_in_flat_protected_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
