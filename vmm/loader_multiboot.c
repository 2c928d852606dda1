/*
 * Multiboot v1 (the GRUB specification, 0.6.96): find the header in the
 * first 8192 bytes, load an ELF32 kernel by its PT_LOAD segments or an
 * a.out-kludge kernel by the header's addresses, and hand over the
 * multiboot information laid out where QEMU puts it: info at 0x9500, the
 * memory map at 0x9000, the command line and loader name in the page
 * after the kernel. Every size and address is checked against the file
 * and RAM before anything is copied.
 */
#include "vmm/loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MB_FLAG_AOUT (1u << 16)
#define MB_FLAG_VIDEO (1u << 2)
/* Required bits doppel honours: 0 (page-aligned modules: there are none),
 * 1 (memory information: always given). */
#define MB_FLAGS_HONOURED 0x3u

#define MBI_SIZE 88
#define MBI_FLAGS 0x24fu /* mem, boot_device, cmdline, mods, mmap, loader name */
#define MBI_BOOT_DEVICE 0x8000ffffu
#define MBI_LOADER_NAME "doppel"
#define MEM_LOWER_KIB 639u
#define BIOS_TOP_RESERVED 0x20000u /* SeaBIOS keeps the last 128 KiB of RAM */

#define PAGE_ALIGN(x) (((x) + 0xfffu) & ~0xfffu)

struct mb_kernel {
	const char *name;
	const uint8_t *img;
	size_t len;
	uint32_t hdr;         /* file offset of the multiboot header */
	uint32_t flags;
	uint32_t low, high;   /* guest-physical extent of the loaded kernel */
	uint32_t entry;
	char *err;
};

static int mb_find_header(struct mb_kernel *k)
{
	size_t end = k->len < MB_SEARCH_LEN ? k->len : MB_SEARCH_LEN;
	for (size_t i = 0; i + 12 <= end; i += 4) {
		const uint8_t *h = k->img + i;
		if (le32_at(h) == MB_HEADER_MAGIC && le32_at(h) + le32_at(h + 4) + le32_at(h + 8) == 0) {
			k->hdr = (uint32_t)i;
			k->flags = le32_at(h + 4);
			return 0;
		}
	}
	return loader_fail(k->err, "%s: " "no multiboot header (magic 0x1BADB002 with a valid "
		       "checksum) in the first %u bytes", k->name, MB_SEARCH_LEN);
}

static int mb_check_flags(struct mb_kernel *k)
{
	uint32_t required = k->flags & 0xffffu;
	if (required & MB_FLAG_VIDEO)
		return loader_fail(k->err, "%s: " "multiboot header requires a video mode (flags bit 2), "
			       "which doppel does not provide", k->name);
	if (required & ~MB_FLAGS_HONOURED)
		return loader_fail(k->err, "%s: " "multiboot header requires features doppel does not "
			       "support (flags 0x%04x)", k->name, required & ~MB_FLAGS_HONOURED);
	return 0;
}

/* ---- the a.out kludge: addresses from the header ---- */

static int mb_aout_sizes(struct mb_kernel *k, const uint8_t *h, uint32_t *off,
			 uint32_t *load_size)
{
	uint32_t header_addr = le32_at(h + 12), load_addr = le32_at(h + 16);
	uint32_t load_end = le32_at(h + 20), bss_end = le32_at(h + 24);
	if (header_addr < load_addr || header_addr - load_addr > k->hdr)
		return loader_fail(k->err, "%s: " "a.out kludge: header_addr 0x%x and load_addr 0x%x do not "
			       "match the header's file offset 0x%x", k->name, header_addr, load_addr, k->hdr);
	*off = k->hdr - (header_addr - load_addr);
	if (load_end && load_end < load_addr)
		return loader_fail(k->err, "%s: " "a.out kludge: load_end_addr 0x%x is below load_addr 0x%x", k->name,
			       load_end, load_addr);
	*load_size = load_end ? load_end - load_addr : (uint32_t)(k->len - *off);
	if (*load_size > k->len - *off)
		return loader_fail(k->err, "%s: " "truncated: a.out kludge loads %u bytes from offset 0x%x "
			       "but the file has %zu bytes", k->name, *load_size, *off, k->len);
	if (bss_end && (bss_end < load_addr || bss_end - load_addr < *load_size))
		return loader_fail(k->err, "%s: " "a.out kludge: bss_end_addr 0x%x is below load_end 0x%x", k->name,
			       bss_end, load_addr + *load_size);
	k->low = load_addr;
	k->high = bss_end ? bss_end : load_addr + *load_size;
	return 0;
}

static int mb_load_aout(struct machine *m, struct mb_kernel *k)
{
	const uint8_t *h = k->img + k->hdr;
	uint32_t off = 0, load_size = 0;
	if (k->len - k->hdr < 32)
		return loader_fail(k->err, "%s: " "truncated: the a.out kludge header is cut off", k->name);
	if (mb_aout_sizes(k, h, &off, &load_size) < 0 ||
	    loader_copy(m, k->name, k->low, k->img + off, load_size, k->err) < 0 ||
	    loader_copy(m, k->name, k->low + load_size, NULL, k->high - k->low - load_size,
			k->err) < 0)
		return -1;
	k->entry = le32_at(h + 28);
	return 0;
}

/* ---- ELF32 ---- */

#define EHDR_SIZE 52
#define PHDR_SIZE 32
#define PT_LOAD 1

static int mb_check_ehdr(struct mb_kernel *k)
{
	const uint8_t *e = k->img;
	if (k->len < EHDR_SIZE || memcmp(e, "\177ELF", 4) != 0)
		return loader_fail(k->err, "%s: " "not an ELF file, and the multiboot header does not "
			       "ask for the a.out kludge (flags bit 16)", k->name);
	if (e[4] != 1 || e[5] != 1)
		return loader_fail(k->err, "%s: " "not a 32-bit little-endian ELF file", k->name);
	if (le16_at(e + 18) != 3)
		return loader_fail(k->err, "%s: " "ELF machine %u is not i386", k->name, le16_at(e + 18));
	if (le16_at(e + 16) != 2)
		return loader_fail(k->err, "%s: " "ELF type %u is not an executable (ET_EXEC)", k->name, le16_at(e + 16));
	uint32_t phoff = le32_at(e + 28), phnum = le16_at(e + 44);
	if (le16_at(e + 42) < PHDR_SIZE || phnum == 0 ||
	    phoff > k->len || (uint64_t)phnum * le16_at(e + 42) > k->len - phoff)
		return loader_fail(k->err, "%s: " "truncated or bad ELF program header table", k->name);
	return 0;
}

static int mb_load_segment(struct machine *m, struct mb_kernel *k, const uint8_t *ph)
{
	uint32_t off = le32_at(ph + 4), pa = le32_at(ph + 12);
	uint32_t filesz = le32_at(ph + 16), memsz = le32_at(ph + 20);
	if (memsz == 0)
		return 0;
	if (filesz > memsz)
		return loader_fail(k->err, "%s: " "ELF segment at 0x%x has p_filesz 0x%x > p_memsz 0x%x", k->name,
			       pa, filesz, memsz);
	if (off > k->len || filesz > k->len - off)
		return loader_fail(k->err, "%s: " "truncated: ELF segment at 0x%x needs file bytes "
			       "0x%x-0x%x but the file has %zu", k->name, pa, off, off + filesz, k->len);
	if (memsz > m->ram_size || pa > m->ram_size - memsz)
		return loader_fail(k->err, "%s: " "ELF segment 0x%x-0x%x lies outside RAM (%u MiB)", k->name,
			       pa, (uint32_t)((uint64_t)pa + memsz - 1), m->ram_size >> 20);
	memcpy(m->ram + pa, k->img + off, filesz);
	memset(m->ram + pa + filesz, 0, memsz - filesz);
	k->low = pa < k->low ? pa : k->low;
	k->high = pa + memsz > k->high ? pa + memsz : k->high;
	return 0;
}

static int mb_load_elf(struct machine *m, struct mb_kernel *k)
{
	if (mb_check_ehdr(k) < 0)
		return -1;
	const uint8_t *e = k->img;
	uint32_t phoff = le32_at(e + 28), phentsize = le16_at(e + 42), phnum = le16_at(e + 44);
	k->low = 0xffffffffu;
	k->high = 0;
	for (uint32_t i = 0; i < phnum; i++) {
		const uint8_t *ph = e + phoff + i * phentsize;
		if (le32_at(ph) == PT_LOAD && mb_load_segment(m, k, ph) < 0)
			return -1;
	}
	if (k->high == 0)
		return loader_fail(k->err, "%s: " "ELF file has no loadable (PT_LOAD) segment", k->name);
	k->entry = le32_at(e + 24);
	return 0;
}

/* ---- the multiboot information ---- */

struct mb_region {
	uint32_t base, len, type;
};

/* The memory map SeaBIOS reports under QEMU for this much RAM. */
static int mb_memory_map(uint32_t ram, struct mb_region *r)
{
	int n = 0;
	r[n++] = (struct mb_region){ 0, 0x9fc00, 1 };
	r[n++] = (struct mb_region){ 0x9fc00, 0x400, 2 };
	r[n++] = (struct mb_region){ 0xf0000, 0x10000, 2 };
	if (ram > 0x100000 + BIOS_TOP_RESERVED) {
		r[n++] = (struct mb_region){ 0x100000, ram - 0x100000 - BIOS_TOP_RESERVED, 1 };
		r[n++] = (struct mb_region){ ram - BIOS_TOP_RESERVED, BIOS_TOP_RESERVED, 2 };
	}
	r[n++] = (struct mb_region){ 0xfffc0000, 0x40000, 2 };
	return n;
}

static uint32_t mb_write_mmap(struct machine *m, uint32_t *mem_upper)
{
	struct mb_region r[6];
	int n = mb_memory_map(m->ram_size, r);
	uint8_t *p = m->ram + MB_MMAP_ADDR;
	*mem_upper = 0;
	for (int i = 0; i < n; i++, p += 24) {
		memset(p, 0, 24);
		le32_put(p, 20);
		le32_put(p + 4, r[i].base);
		le32_put(p + 12, r[i].len);
		le32_put(p + 20, r[i].type);
		if (r[i].base == 0x100000)
			*mem_upper = r[i].len >> 10;
	}
	return (uint32_t)n * 24;
}

/* Command line and loader name go in the page after the kernel. */
static int mb_write_strings(struct machine *m, struct mb_kernel *k, const char *append,
			    uint32_t *cmdline, uint32_t *loader_name)
{
	size_t cl = strlen(k->name) + 1 + strlen(append) + 1;
	size_t total = cl + sizeof(MBI_LOADER_NAME);
	uint32_t base = k->low + PAGE_ALIGN(k->high - k->low);
	char *buf = malloc(PAGE_ALIGN(total));
	if (!buf)
		return loader_fail(k->err, "%s: " "out of memory", k->name);
	memset(buf, 0, PAGE_ALIGN(total));
	snprintf(buf, cl, "%s %s", k->name, append);
	memcpy(buf + cl, MBI_LOADER_NAME, sizeof(MBI_LOADER_NAME));
	int rc = loader_copy(m, k->name, base, buf, PAGE_ALIGN(total), k->err);
	free(buf);
	if (rc < 0)
		return loader_fail(k->err, "%s: " "no room in RAM for the multiboot command line at 0x%x", k->name, base);
	*cmdline = base;
	*loader_name = base + (uint32_t)cl;
	return 0;
}

static int mb_write_info(struct machine *m, struct mb_kernel *k, const char *append)
{
	uint8_t info[MBI_SIZE] = { 0 };
	uint32_t cmdline = 0, loader_name = 0, mem_upper;
	if (mb_write_strings(m, k, append, &cmdline, &loader_name) < 0)
		return -1;
	uint32_t mmap_len = mb_write_mmap(m, &mem_upper);
	le32_put(info + 0, MBI_FLAGS);
	le32_put(info + 4, MEM_LOWER_KIB);
	le32_put(info + 8, mem_upper);
	le32_put(info + 12, MBI_BOOT_DEVICE);
	le32_put(info + 16, cmdline);
	le32_put(info + 24, cmdline); /* mods_addr: where modules would start (none) */
	le32_put(info + 44, mmap_len);
	le32_put(info + 48, MB_MMAP_ADDR);
	le32_put(info + 64, loader_name);
	memcpy(m->ram + MB_INFO_ADDR, info, sizeof(info));
	return 0;
}

int loader_multiboot_image(struct machine *m, const char *name, const uint8_t *img,
			   size_t len, const char *append, char *err)
{
	struct mb_kernel k = { .name = name, .img = img, .len = len, .err = err };
	if (mb_find_header(&k) < 0 || mb_check_flags(&k) < 0)
		return -1;
	int rc = (k.flags & MB_FLAG_AOUT) ? mb_load_aout(m, &k) : mb_load_elf(m, &k);
	if (rc < 0 || mb_write_info(m, &k, append ? append : "") < 0)
		return -1;
	loader_enter_flat32(m, k.entry);
	m->cpu.gpr[EAX] = MB_BOOT_MAGIC;
	m->cpu.gpr[EBX] = MB_INFO_ADDR;
	return 0;
}

int loader_multiboot(struct machine *m, const char *path, const char *append, char *err)
{
	uint8_t *img;
	size_t len;
	if (loader_read_file(path, &img, &len, err) < 0)
		return -1;
	int rc = loader_multiboot_image(m, path, img, len, append, err);
	free(img);
	return rc;
}
