/*
 * What every boot loader shares: reading the image, bounds-checked copies
 * into guest RAM, and the flat 32-bit protected-mode entry state (the
 * boot GDT QEMU's multiboot.bin leaves behind, same bytes, same place).
 */
#include "vmm/loader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int loader_fail(char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, LOADER_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

int loader_read_file(const char *path, uint8_t **data, size_t *len, char *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f)
		return loader_fail(err, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return loader_fail(err, "%s: not a regular file", path);
	}
	*len = (size_t)st.st_size;
	*data = malloc(*len ? *len : 1);
	size_t got = *data ? fread(*data, 1, *len, f) : 0;
	fclose(f);
	if (got != *len) {
		free(*data);
		return loader_fail(err, "%s: cannot read %zu bytes", path, *len);
	}
	return 0;
}

int loader_copy(struct machine *m, const char *name, uint32_t pa, const void *src,
		size_t len, char *err)
{
	if (len > m->ram_size || pa > m->ram_size - len)
		return loader_fail(err, "%s: %zu bytes at 0x%x do not fit in RAM (%u MiB)",
				   name, len, pa, m->ram_size >> 20);
	if (src)
		memcpy(m->ram + pa, src, len);
	else
		memset(m->ram + pa, 0, len);
	return 0;
}

/* null, code32, data32, code16, data16: QEMU's multiboot GDT. */
static const uint32_t loader_gdt[] = {
	0, 0,
	0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9300,
	0x0000ffff, 0x00009e00, 0x0000ffff, 0x00009200,
};

static void loader_flat_seg(struct seg *s, uint16_t sel, uint16_t attr)
{
	*s = (struct seg){ .sel = sel, .attr = attr, .base = 0, .limit = 0xffffffffu };
}

void loader_enter_flat32(struct machine *m, uint32_t eip)
{
	struct cpu *c = &m->cpu;
	for (unsigned i = 0; i < sizeof(loader_gdt) / 4; i++)
		memcpy(m->ram + LOADER_GDT_ADDR + 4 * i, &loader_gdt[i], 4);
	c->gdtr = (struct dtr){ LOADER_GDT_ADDR, sizeof(loader_gdt) - 1 };
	c->idtr = (struct dtr){ 0, 0x3ff };
	for (int r = 0; r < 6; r++)
		loader_flat_seg(&c->seg[r], LOADER_SEL_DATA32, 0xc093);
	loader_flat_seg(&c->seg[SR_CS], LOADER_SEL_CODE32, 0xc09a);
	memset(c->gpr, 0, sizeof(c->gpr));
	c->eip = eip;
	c->eflags = F_FIXED1;
	c->cr0 = CR0_PE | CR0_ET;
	c->cpl = 0;
	m->a20_mask = 0xffffffffu;
}
