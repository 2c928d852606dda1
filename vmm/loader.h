/*
 * Boot loaders: put a guest image into RAM and the CPU into the state its
 * boot protocol promises. Errors name the file and the problem in one line
 * (err, LOADER_ERR_MAX bytes) and leave the machine unstarted.
 *
 * Memory layout shared with QEMU's multiboot path (SeaBIOS + multiboot.bin
 * on this host), so guests see the same addresses on both:
 *   0x9000  the memory map (mmap_addr)      0x9500  the multiboot info
 *   0xcb2b8 the boot GDT (in the ROM hole, not in the memory map)
 */
#ifndef DOPPEL_LOADER_H
#define DOPPEL_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"

#define LOADER_ERR_MAX 256

/* Format one error line into err (LOADER_ERR_MAX bytes); returns -1. */
int loader_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Little-endian fields of boot images. */
static inline uint16_t le16_at(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH_LEN 8192u
#define MB_MMAP_ADDR 0x9000u
#define MB_INFO_ADDR 0x9500u
#define LOADER_GDT_ADDR 0xcb2b8u

/* Boot GDT selectors: flat 32-bit code and data, 16-bit code and data. */
#define LOADER_SEL_CODE32 0x08
#define LOADER_SEL_DATA32 0x10
#define LOADER_SEL_CODE16 0x18
#define LOADER_SEL_DATA16 0x20

/*
 * Multiboot v1 kernel: ELF32 (i386, ET_EXEC, PT_LOAD at p_paddr) or the
 * a.out kludge (header flag bit 16). Builds the multiboot info (memory,
 * command line "NAME APPEND" as QEMU passes it, memory map, loader name)
 * and enters 32-bit protected mode with EAX=0x2BADB002, EBX=info.
 * Call after machine_reset. `name` is the file name the guest sees.
 */
int loader_multiboot(struct machine *m, const char *path, const char *append, char *err);
int loader_multiboot_image(struct machine *m, const char *name, const uint8_t *img,
			   size_t len, const char *append, char *err);

/*
 * Flat binary at guest-physical `addr`. Real mode (pm32 false): addr below
 * 1 MiB, CS = (addr >> 4) & 0xf000 so that IP = addr & 0xffff, DS ES FS GS
 * SS = CS, SP = IP (the stack grows down below the image). pm32: the flat
 * 32-bit state of a multiboot entry, EIP = ESP = addr.
 */
int loader_flat(struct machine *m, const char *path, uint32_t addr, bool pm32, char *err);
int loader_flat_image(struct machine *m, const char *name, const uint8_t *img, size_t len,
		      uint32_t addr, bool pm32, char *err);

/*
 * Linux bzImage through the 32-bit boot protocol (vmm/loader_linux.c),
 * boot protocol 2.06 or later. Layout below 1 MiB (nothing else is there:
 * no BIOS runs): the zero page, the command line, the boot GDT.
 */
#define LINUX_ZERO_PAGE_ADDR 0x90000u
#define LINUX_CMDLINE_ADDR 0x91000u
#define LINUX_CMDLINE_MAX 4096u
#define LINUX_GDT_ADDR 0x92000u
#define LINUX_SEL_BOOT_CS 0x10
#define LINUX_SEL_BOOT_DS 0x18

/* A file's bytes and the name errors give it. */
struct loader_blob {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/* Whether img carries a Linux setup header ("HdrS" at 0x202). */
bool loader_linux_probe(const uint8_t *img, size_t len);
/*
 * Kernel at 1 MiB, initrd (may be NULL) at the top of RAM below the
 * kernel's initrd_addr_max, `append` as the whole command line. Enters
 * with CS = 0x10, DS = ES = SS = 0x18 flat, ESI = the zero page, IF = 0.
 */
int loader_linux(struct machine *m, const char *kernel, const char *initrd,
		 const char *append, char *err);
int loader_linux_image(struct machine *m, const struct loader_blob *kernel,
		       const struct loader_blob *initrd, const char *append, char *err);

/* ---- shared by the loaders (vmm/loader.c) ---- */

/* Read a whole file into a malloc'd buffer; -1 and err on failure. */
int loader_read_file(const char *path, uint8_t **data, size_t *len, char *err);
/* Copy len bytes to guest-physical pa; -1 and err if outside RAM. */
int loader_copy(struct machine *m, const char *name, uint32_t pa, const void *src,
		size_t len, char *err);
/* Flat 32-bit protected mode, paging off, IF=0, boot GDT loaded, at eip. */
void loader_enter_flat32(struct machine *m, uint32_t eip);

#endif
