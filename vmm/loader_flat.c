/*
 * Flat binaries: the bytes of a file at a guest-physical address, started
 * either in real mode (as a BIOS starts a boot sector: CS:IP with IP the
 * offset) or in the flat 32-bit protected mode of a multiboot entry.
 */
#include "vmm/loader.h"

#include <stdio.h>
#include <stdlib.h>

static void flat_enter_real(struct machine *m, uint32_t addr)
{
	struct cpu *c = &m->cpu;
	uint16_t sel = (uint16_t)((addr >> 4) & 0xf000);
	for (int r = 0; r < 6; r++) {
		c->seg[r].sel = sel;
		c->seg[r].base = (uint32_t)sel << 4;
	}
	c->eip = addr & 0xffff;
	c->gpr[ESP] = c->eip;
	m->a20_mask = 0xffffffffu;
}

int loader_flat_image(struct machine *m, const char *name, const uint8_t *img, size_t len,
		      uint32_t addr, bool pm32, char *err)
{
	if (len == 0) {
		snprintf(err, LOADER_ERR_MAX, "%s: the flat image is empty", name);
		return -1;
	}
	if (len > m->ram_size) {
		snprintf(err, LOADER_ERR_MAX, "%s: the image (%zu bytes) is larger than "
			 "RAM (%u bytes)", name, len, m->ram_size);
		return -1;
	}
	if (!pm32 && addr >= 0x100000) {
		snprintf(err, LOADER_ERR_MAX, "%s: a real-mode start address must lie "
			 "below 1 MiB, not 0x%x", name, addr);
		return -1;
	}
	if (loader_copy(m, name, addr, img, len, err) < 0)
		return -1;
	if (pm32) {
		loader_enter_flat32(m, addr);
		m->cpu.gpr[ESP] = addr;
	} else {
		flat_enter_real(m, addr);
	}
	return 0;
}

int loader_flat(struct machine *m, const char *path, uint32_t addr, bool pm32, char *err)
{
	uint8_t *img;
	size_t len;
	if (loader_read_file(path, &img, &len, err) < 0)
		return -1;
	int rc = loader_flat_image(m, path, img, len, addr, pm32, err);
	free(img);
	return rc;
}
