/*
 * The Linux/x86 boot protocol, 32-bit entry (Documentation/arch/x86/
 * boot.rst): check the bzImage's setup header, load the protected-mode
 * kernel at 1 MiB, put the initrd at the top of RAM as QEMU does, and
 * build the zero page (struct boot_params: the setup header copied from
 * the image, the e820 map, command line and initrd pointers). The CPU
 * starts where the 16-bit setup code would leave it: flat 32-bit
 * protected mode with __BOOT_CS = 0x10 and __BOOT_DS = 0x18, interrupts
 * off, ESI = the zero page. No BIOS runs: the e820 map is the one
 * SeaBIOS gives QEMU's isapc machine, and the two BIOS data area words
 * the kernel reads to find the EBDA are SeaBIOS's, so the kernel sees the
 * same memory on both.
 */
#include "vmm/loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offsets in the image's first sector and in the zero page (boot.rst). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4 /* the protected-mode kernel's size in 16-byte units */
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_LEN 0x264 /* everything read above, inside the file */
#define ZP_ALT_MEM_K 0x1e0
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define ZP_SIZE 0x1000

#define BOOT_FLAG 0xaa55
#define LOADED_HIGH 0x01
#define LOADER_UNDEFINED 0xff
#define PROTOCOL_MIN 0x0206 /* cmdline_size; every bzImage since 2.6.22 */
#define KERNEL_ADDR 0x100000u
#define BDA_EBDA_SEG 0x40e     /* the EBDA's segment */
#define BDA_BASE_MEM_K 0x413   /* conventional memory in KiB */
#define EBDA_ADDR 0x9fc00u
#define SETUP_SECTS_DEFAULT 4

/* The GDT the 16-bit setup code leaves: null, null, __BOOT_CS, __BOOT_DS. */
static const uint32_t linux_gdt[] = {
	0, 0, 0, 0,
	0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9300,
};

struct lx_kernel {
	const char *name;
	const uint8_t *img;
	size_t len;
	uint32_t setup_len;  /* bytes before the protected-mode kernel */
	uint16_t version;
	char *err;
};

static void wr64(uint8_t *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put(p + 4, (uint32_t)(v >> 32));
}

bool loader_linux_probe(const uint8_t *img, size_t len)
{
	return len >= HDR_MAGIC + 4 && memcmp(img + HDR_MAGIC, "HdrS", 4) == 0;
}

static int lx_check_header(struct lx_kernel *k)
{
	if (!loader_linux_probe(k->img, k->len) || le16_at(k->img + HDR_BOOT_FLAG) != BOOT_FLAG)
		return loader_fail(k->err, "%s: " "not a Linux bzImage (no boot sector flag 0xAA55 and "
			       "'HdrS' setup header at 0x1fe/0x202)", k->name);
	if (k->len < HDR_MIN_LEN)
		return loader_fail(k->err, "%s: " "truncated: %zu bytes end inside the setup header", k->name, k->len);
	k->version = le16_at(k->img + HDR_VERSION);
	if (k->version < PROTOCOL_MIN)
		return loader_fail(k->err, "%s: " "boot protocol %u.%02u is older than 2.06, the oldest "
			       "doppel loads", k->name, k->version >> 8, k->version & 0xff);
	if (!(k->img[HDR_LOADFLAGS] & LOADED_HIGH))
		return loader_fail(k->err, "%s: " "a zImage (kernel loaded at 0x10000) is not supported: "
			       "doppel loads bzImages only", k->name);
	unsigned sects = k->img[HDR_SETUP_SECTS] ? k->img[HDR_SETUP_SECTS] : SETUP_SECTS_DEFAULT;
	k->setup_len = (sects + 1) * 512;
	if (k->len <= k->setup_len)
		return loader_fail(k->err, "%s: " "truncated: the setup code takes %u bytes and the file "
			       "has %zu, leaving no kernel", k->name, k->setup_len, k->len);
	uint64_t payload = (uint64_t)le32_at(k->img + HDR_SYSSIZE) * 16;
	if (k->len - k->setup_len < payload)
		return loader_fail(k->err, "%s: " "truncated: the header's syssize promises %llu bytes "
			       "of kernel after the setup code and the file holds %zu",
			       k->name, (unsigned long long)payload, k->len - k->setup_len);
	return 0;
}

/* The memory map SeaBIOS reports to Linux on QEMU's isapc machine. */
static int lx_e820(uint8_t *zp, uint32_t ram)
{
	static const struct { uint32_t base, len, type; } low[] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
	};
	uint8_t *e = zp + ZP_E820_TABLE;
	int n = 0;
	for (unsigned i = 0; i < sizeof(low) / sizeof(low[0]); i++, n++) {
		wr64(e + 20 * n, low[i].base);
		wr64(e + 20 * n + 8, low[i].len);
		le32_put(e + 20 * n + 16, low[i].type);
	}
	wr64(e + 20 * n, KERNEL_ADDR);
	wr64(e + 20 * n + 8, ram - KERNEL_ADDR);
	le32_put(e + 20 * n++ + 16, 1);
	wr64(e + 20 * n, 0xfffc0000u);
	wr64(e + 20 * n + 8, 0x40000);
	le32_put(e + 20 * n++ + 16, 2);
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	le32_put(zp + ZP_ALT_MEM_K, (ram - KERNEL_ADDR) >> 10);
	return n;
}

/* Where the decompressor needs RAM: from 1 MiB (or pref_address, which a
 * relocatable kernel moves to) up to init_size. */
static uint64_t lx_kernel_end(const struct lx_kernel *k)
{
	uint64_t end = KERNEL_ADDR + (k->len - k->setup_len);
	if (k->version >= 0x020a) {
		uint64_t pref = le32_at(k->img + HDR_PREF_ADDRESS);
		uint64_t need = pref + le32_at(k->img + HDR_INIT_SIZE);
		end = need > end ? need : end;
	}
	return end;
}

/* The initrd goes as high as RAM and initrd_addr_max allow, page aligned. */
static int lx_place_initrd(struct lx_kernel *k, struct machine *m, size_t size,
			   uint32_t *addr)
{
	uint64_t top = (uint64_t)le32_at(k->img + HDR_INITRD_ADDR_MAX) + 1;
	top = top < m->ram_size ? top : m->ram_size;
	uint64_t low = lx_kernel_end(k);
	if (size > top || ((top - size) & ~0xfffull) < low)
		return loader_fail(k->err, "%s: " "the initrd (%zu bytes) does not fit in RAM (%u MiB) between "
			       "the kernel's end 0x%llx and 0x%llx", k->name, size, m->ram_size >> 20,
			       (unsigned long long)low, (unsigned long long)top);
	*addr = (uint32_t)((top - size) & ~0xfffull);
	return 0;
}

static int lx_load_kernel(struct lx_kernel *k, struct machine *m)
{
	uint64_t end = lx_kernel_end(k);
	if (end > m->ram_size)
		return loader_fail(k->err, "%s: " "the kernel needs RAM up to 0x%llx to decompress, but RAM "
			       "is %u MiB", k->name, (unsigned long long)end, m->ram_size >> 20);
	return loader_copy(m, k->name, KERNEL_ADDR, k->img + k->setup_len,
			   k->len - k->setup_len, k->err);
}

static int lx_write_cmdline(struct lx_kernel *k, struct machine *m, const char *append)
{
	size_t len = strlen(append);
	uint32_t max = le32_at(k->img + HDR_CMDLINE_SIZE);
	if (len > max || len >= LINUX_CMDLINE_MAX)
		return loader_fail(k->err, "%s: " "command line of %zu bytes is longer than the kernel's "
			       "limit of %u", k->name, len, max < LINUX_CMDLINE_MAX - 1 ? max :
			       LINUX_CMDLINE_MAX - 1);
	return loader_copy(m, k->name, LINUX_CMDLINE_ADDR, append, len + 1, k->err);
}

/* The setup header runs from 0x1f1 to the end given by the jump at 0x200. */
static void lx_write_zero_page(struct lx_kernel *k, struct machine *m, uint32_t initrd,
			       size_t initrd_len)
{
	uint8_t *zp = m->ram + LINUX_ZERO_PAGE_ADDR;
	size_t hdr_end = HDR_JUMP + 2 + k->img[HDR_JUMP + 1];
	memset(zp, 0, ZP_SIZE);
	hdr_end = hdr_end < k->len ? hdr_end : k->len;
	memcpy(zp + HDR_SETUP_SECTS, k->img + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	le32_put(zp + HDR_CODE32_START, KERNEL_ADDR);
	le32_put(zp + HDR_RAMDISK_IMAGE, initrd);
	le32_put(zp + HDR_RAMDISK_SIZE, (uint32_t)initrd_len);
	le32_put(zp + HDR_CMD_LINE_PTR, LINUX_CMDLINE_ADDR);
	lx_e820(zp, m->ram_size);
}

static void lx_write_bda(struct machine *m)
{
	uint8_t *bda = m->ram;
	bda[BDA_EBDA_SEG] = (uint8_t)(EBDA_ADDR >> 4);
	bda[BDA_EBDA_SEG + 1] = (uint8_t)(EBDA_ADDR >> 12);
	bda[BDA_BASE_MEM_K] = (uint8_t)(EBDA_ADDR >> 10);
	bda[BDA_BASE_MEM_K + 1] = (uint8_t)(EBDA_ADDR >> 18);
}

static void lx_enter(struct machine *m)
{
	struct cpu *c = &m->cpu;
	loader_enter_flat32(m, KERNEL_ADDR);
	memcpy(m->ram + LINUX_GDT_ADDR, linux_gdt, sizeof(linux_gdt));
	c->gdtr = (struct dtr){ LINUX_GDT_ADDR, sizeof(linux_gdt) - 1 };
	for (int r = 0; r < 6; r++)
		c->seg[r].sel = LINUX_SEL_BOOT_DS;
	c->seg[SR_CS].sel = LINUX_SEL_BOOT_CS;
	c->gpr[ESI] = LINUX_ZERO_PAGE_ADDR;
}

int loader_linux_image(struct machine *m, const struct loader_blob *kernel,
		       const struct loader_blob *initrd, const char *append, char *err)
{
	struct lx_kernel k = { .name = kernel->name, .img = kernel->data, .len = kernel->len,
			       .err = err };
	uint32_t initrd_addr = 0;
	size_t initrd_len = initrd ? initrd->len : 0;
	if (lx_check_header(&k) < 0 || lx_load_kernel(&k, m) < 0 ||
	    lx_write_cmdline(&k, m, append ? append : "") < 0)
		return -1;
	if (initrd && lx_place_initrd(&k, m, initrd_len, &initrd_addr) < 0)
		return -1;
	if (initrd && loader_copy(m, initrd->name, initrd_addr, initrd->data, initrd_len, err) < 0)
		return -1;
	lx_write_zero_page(&k, m, initrd_addr, initrd_len);
	lx_write_bda(m);
	lx_enter(m);
	return 0;
}

int loader_linux(struct machine *m, const char *kernel, const char *initrd,
		 const char *append, char *err)
{
	uint8_t *kd = NULL, *id = NULL;
	size_t kl = 0, il = 0;
	int rc = -1;
	if (loader_read_file(kernel, &kd, &kl, err) < 0)
		return -1;
	if (!initrd || loader_read_file(initrd, &id, &il, err) == 0) {
		struct loader_blob kb = { kernel, kd, kl }, ib = { initrd, id, il };
		rc = loader_linux_image(m, &kb, initrd ? &ib : NULL, append, err);
		free(id);
	}
	free(kd);
	return rc;
}
