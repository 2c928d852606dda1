/*
 * PCI configuration mechanism #1 (0xCF8 CONFIG_ADDRESS, 0xCFC-0xCFF
 * CONFIG_DATA) with one device on bus 0: the host bridge QEMU's pc machine
 * has, an Intel 440FX (8086:1237), so a kernel's PCI probe finds a bus.
 * Every other device, function and bus reads all-ones (nothing there).
 * CONFIG_ADDRESS is a doubleword register: byte and word accesses to
 * 0xCF8-0xCFB do not touch it (mechanism #2 probes write 0xCFB), and
 * 0xCF9 is the PIIX reset control register: bit 2 resets the machine.
 */
#include "devices/devices.h"

#include <stddef.h>
#include <string.h>

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_RCR 0xcf9
#define PCI_ENABLE 0x80000000u
#define RCR_RESET 0x04
#define RCR_HARD 0x02

/* Which config bytes of the bridge software may change: the command
 * register, the latency timer, and the chipset registers above 0x40. */
static uint8_t pci_writable(unsigned off)
{
	if (off == 0x04)
		return 0x46;    /* memory, bus master, parity */
	if (off == 0x0d || off >= 0x40)
		return 0xff;
	return 0;
}

static bool pci_selects_bridge(const struct pci *p)
{
	return (p->r.addr & PCI_ENABLE) && !(p->r.addr & 0x00ffff00u);
}

static uint32_t pci_addr_read(void *dev, uint16_t port, int size)
{
	struct pci *p = dev;

	if (size == 4 && port == PCI_ADDR)
		return p->r.addr;
	if (size == 1 && port == PCI_RCR)
		return p->r.rcr;
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void pci_addr_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct pci *p = dev;

	if (size == 4 && port == PCI_ADDR) {
		p->r.addr = val & ~3u;
	} else if (size == 1 && port == PCI_RCR) {
		p->r.rcr = val & RCR_HARD;
		if (val & RCR_RESET)
			machine_request_stop(p->m, STOP_RESET);
	}
}

static uint32_t pci_data_read(void *dev, uint16_t port, int size)
{
	struct pci *p = dev;
	unsigned off = (p->r.addr & 0xfc) | (port & 3);
	uint32_t v = 0;

	if (!pci_selects_bridge(p))
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	for (int k = 0; k < size; k++)
		v |= (uint32_t)p->r.config[(off + k) & 0xff] << (8 * k);
	return v;
}

static void pci_data_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct pci *p = dev;
	unsigned off = (p->r.addr & 0xfc) | (port & 3);

	if (!pci_selects_bridge(p))
		return;
	for (int k = 0; k < size; k++, val >>= 8) {
		uint8_t *b = &p->r.config[(off + k) & 0xff], w = pci_writable((off + k) & 0xff);
		*b = (uint8_t)((*b & ~w) | (val & w));
	}
}

static int pci_create(struct machine *m, void *st)
{
	struct pci *p = st;

	p->m = m;
	if (machine_io_register(m, PCI_ADDR, 4, pci_addr_read, pci_addr_write, p) < 0)
		return -1;
	return machine_io_register(m, PCI_DATA, 4, pci_data_read, pci_data_write, p);
}

static void pci_put16(uint8_t *c, unsigned off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

/* The 440FX's identity: host bridge class 06/00, revision 2, command
 * memory + bus master, status medium DEVSEL and fast back-to-back. */
static void pci_reset(void *st)
{
	struct pci *p = st;
	uint8_t *c = p->r.config;

	memset(&p->r, 0, sizeof(p->r));
	pci_put16(c, 0x00, 0x8086);
	pci_put16(c, 0x02, 0x1237);
	pci_put16(c, 0x04, 0x0006);
	pci_put16(c, 0x06, 0x0280);
	c[0x08] = 0x02;
	c[0x0b] = 0x06;
}

static void pci_save(const void *st, uint8_t *blob)
{
	memcpy(blob, &((const struct pci *)st)->r, sizeof(struct pci_regs));
}

static void pci_load(void *st, const uint8_t *blob)
{
	memcpy(&((struct pci *)st)->r, blob, sizeof(struct pci_regs));
}

const struct device_ops pci_ops = {
	.name = "pci-host",
	.state_size = sizeof(struct pci),
	.blob_size = sizeof(struct pci_regs),
	.create = pci_create,
	.reset = pci_reset,
	.save = pci_save,
	.load = pci_load,
};
