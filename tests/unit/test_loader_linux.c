/* Specifications of the Linux 32-bit boot protocol loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/loader.h"

#define RAM (64u << 20)
#define REAL_BZIMAGE "build/linux/bzImage"

static struct machine mach;
static char err[LOADER_ERR_MAX];
static uint8_t img[0x3000];
static uint8_t initrd_bytes[0x2000];

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t ram32(uint32_t pa) { uint32_t v; memcpy(&v, mach.ram + pa, 4); return v; }
static uint64_t ram64(uint32_t pa) { uint64_t v; memcpy(&v, mach.ram + pa, 8); return v; }

/* A bzImage of protocol `version`: 4 setup sectors, then 0x2000 bytes of
 * "kernel" (0xcc), init_size 1 MiB from pref_address 16 MiB. */
static struct loader_blob build_bzimage(uint16_t version)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = 4;
	put16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, version);
	img[0x211] = 0x01; /* LOADED_HIGH */
	put32(img + 0x214, 0x100000);
	put32(img + 0x1f4, (uint32_t)(sizeof(img) - 0xa00) / 16); /* syssize */
	put32(img + 0x22c, 0x7fffffff);
	put32(img + 0x238, 2047);
	put32(img + 0x258, 0x1000000);
	put32(img + 0x260, 0x100000);
	memset(img + 0xa00, 0xcc, sizeof(img) - 0xa00);
	return (struct loader_blob){ "bz", img, sizeof(img) };
}

static int setup(void **state)
{
	(void)state;
	err[0] = 0;
	memset(initrd_bytes, 0x5a, sizeof(initrd_bytes));
	return machine_init(&mach, RAM);
}

static int teardown(void **state)
{
	(void)state;
	machine_free(&mach);
	return 0;
}

static void kernel_goes_to_1mib_and_entry_follows_the_32bit_protocol(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "console=ttyS0", err), 0);
	assert_memory_equal(mach.ram + 0x100000, img + 0xa00, sizeof(img) - 0xa00);
	struct cpu *c = &mach.cpu;
	assert_int_equal(c->eip, 0x100000);
	assert_int_equal(c->gpr[ESI], LINUX_ZERO_PAGE_ADDR);
	assert_int_equal(c->gpr[EBX] | c->gpr[EBP] | c->gpr[EDI], 0);
	assert_int_equal(c->seg[SR_CS].sel, 0x10);
	assert_int_equal(c->seg[SR_DS].sel, 0x18);
	assert_int_equal(c->seg[SR_SS].sel, 0x18);
	assert_true(SEG_DB(c->seg[SR_CS].attr));
	assert_false(c->eflags & F_IF);
	assert_true(c->cr0 & CR0_PE);
	assert_false(c->cr0 & CR0_PG);
	assert_int_equal(c->gdtr.base, LINUX_GDT_ADDR);
	assert_int_equal(ram32(LINUX_GDT_ADDR + 0x10 + 4), 0x00cf9a00);
	assert_int_equal(ram32(LINUX_GDT_ADDR + 0x18 + 4), 0x00cf9300);
}

static void zero_page_has_header_cmdline_and_e820_like_qemu(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "console=ttyS0 x", err), 0);
	uint32_t zp = LINUX_ZERO_PAGE_ADDR;
	assert_memory_equal(mach.ram + zp + 0x202, "HdrS", 4);
	assert_int_equal(mach.ram[zp + 0x210], 0xff);
	assert_int_equal(ram32(zp + 0x228), LINUX_CMDLINE_ADDR);
	assert_string_equal((char *)mach.ram + LINUX_CMDLINE_ADDR, "console=ttyS0 x");
	assert_int_equal(ram32(zp + 0x218), 0);
	assert_int_equal(mach.ram[zp + 0x1e8], 5);
	uint32_t e = zp + 0x2d0 + 3 * 20;
	assert_int_equal(ram64(e), 0x100000);
	assert_int_equal(ram64(e + 8), RAM - 0x100000);
	assert_int_equal(ram32(e + 16), 1);
	assert_int_equal(ram64(zp + 0x2d0 + 20 + 8), 0x400);
	assert_int_equal(ram32(zp + 0x2d0 + 20 + 16), 2);
	/* The BIOS data area as SeaBIOS leaves it: EBDA at 0x9fc00, 639 KiB. */
	assert_int_equal(mach.ram[0x40e] | mach.ram[0x40f] << 8, 0x9fc0);
	assert_int_equal(mach.ram[0x413] | mach.ram[0x414] << 8, 639);
}

static void initrd_goes_to_the_top_of_ram_page_aligned(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	struct loader_blob i = { "rd", initrd_bytes, 0x1234 };
	assert_int_equal(loader_linux_image(&mach, &k, &i, "", err), 0);
	uint32_t at = (RAM - 0x1234) & ~0xfffu;
	assert_int_equal(ram32(LINUX_ZERO_PAGE_ADDR + 0x218), at);
	assert_int_equal(ram32(LINUX_ZERO_PAGE_ADDR + 0x21c), 0x1234);
	assert_memory_equal(mach.ram + at, initrd_bytes, 0x1234);
}

static void initrd_respects_initrd_addr_max(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	put32(img + 0x22c, (20u << 20) - 1);
	struct loader_blob i = { "rd", initrd_bytes, 0x1000 };
	assert_int_equal(loader_linux_image(&mach, &k, &i, "", err), 0);
	assert_int_equal(ram32(LINUX_ZERO_PAGE_ADDR + 0x218), (20u << 20) - 0x1000);
}

static void initrd_that_does_not_fit_is_refused(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	uint8_t *big = calloc(1, RAM - (16u << 20));
	struct loader_blob i = { "rd", big, RAM - (16u << 20) };
	assert_int_equal(loader_linux_image(&mach, &k, &i, "", err), -1);
	free(big);
	assert_non_null(strstr(err, "bz: the initrd"));
	assert_non_null(strstr(err, "does not fit in RAM"));
}

static void not_a_bzimage_is_refused(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	memcpy(img + 0x202, "HdrX", 4);
	assert_false(loader_linux_probe(img, sizeof(img)));
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "", err), -1);
	assert_non_null(strstr(err, "bz: not a Linux bzImage"));
}

static void truncated_image_is_refused(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	k.len = 0x230;
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "", err), -1);
	assert_non_null(strstr(err, "truncated"));
	k.len = 0xa00;
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "", err), -1);
	assert_non_null(strstr(err, "leaving no kernel"));
	k.len = sizeof(img) - 16; /* the kernel payload is cut short */
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "", err), -1);
	assert_non_null(strstr(err, "syssize"));
}

static void old_boot_protocol_is_refused(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x204);
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "", err), -1);
	assert_non_null(strstr(err, "boot protocol 2.04 is older than 2.06"));
}

static void zimage_is_refused(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	img[0x211] = 0;
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "", err), -1);
	assert_non_null(strstr(err, "zImage"));
}

static void command_line_longer_than_cmdline_size_is_refused(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	put32(img + 0x238, 8);
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "console=ttyS0", err), -1);
	assert_non_null(strstr(err, "longer than the kernel's limit of 8"));
}

static void ram_too_small_to_decompress_is_refused(void **state)
{
	(void)state;
	struct loader_blob k = build_bzimage(0x20f);
	put32(img + 0x260, RAM);
	assert_int_equal(loader_linux_image(&mach, &k, NULL, "", err), -1);
	assert_non_null(strstr(err, "needs RAM up to"));
}

/* Debian 12's linux-image-686, when `make linux-guest` has fetched it. */
static void real_debian_bzimage_loads(void **state)
{
	(void)state;
	uint8_t *data;
	size_t len;
	if (loader_read_file(REAL_BZIMAGE, &data, &len, err) < 0)
		skip();
	struct loader_blob k = { REAL_BZIMAGE, data, len };
	assert_true(loader_linux_probe(data, len));
	int rc = loader_linux_image(&mach, &k, NULL, "console=ttyS0", err);
	free(data);
	assert_int_equal(rc, 0);
	assert_true((ram32(LINUX_ZERO_PAGE_ADDR + 0x206) & 0xffff) >= 0x20f);
	assert_int_equal(mach.cpu.eip, 0x100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kernel_goes_to_1mib_and_entry_follows_the_32bit_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_page_has_header_cmdline_and_e820_like_qemu, setup, teardown),
		cmocka_unit_test_setup_teardown(initrd_goes_to_the_top_of_ram_page_aligned, setup, teardown),
		cmocka_unit_test_setup_teardown(initrd_respects_initrd_addr_max, setup, teardown),
		cmocka_unit_test_setup_teardown(initrd_that_does_not_fit_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(not_a_bzimage_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_image_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(old_boot_protocol_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(zimage_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(command_line_longer_than_cmdline_size_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(ram_too_small_to_decompress_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(real_debian_bzimage_loads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
