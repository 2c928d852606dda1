/*
 * The PC's device models as plain state structs built from one explicit,
 * ordered table (devices.c): each has create (allocates nothing itself,
 * registers its ports), reset, and save/load of its state as a byte blob
 * for snapshots. No device reads a host clock or knows which engine runs.
 */
#ifndef DOPPEL_DEVICES_H
#define DOPPEL_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/machine.h"

struct device_ops {
	const char *name;
	size_t state_size;  /* bytes devices_create allocates (zeroed) */
	size_t blob_size;   /* bytes save writes and load reads */
	/* Register ports; returns -1 (with a message on stderr) on failure. */
	int (*create)(struct machine *m, void *st);
	void (*reset)(void *st);
	void (*save)(const void *st, uint8_t *blob);
	void (*load)(void *st, const uint8_t *blob);
};

extern const struct device_ops debug_exit_ops; /* devices/debug_exit.c */
extern const struct device_ops post_ops;       /* devices/post.c */
extern const struct device_ops uart_ops;       /* devices/uart.c */
extern const struct device_ops pic_ops;        /* devices/pic.c */
extern const struct device_ops pit_ops;        /* devices/pit.c */
extern const struct device_ops rtc_ops;        /* devices/rtc.c */
extern const struct device_ops i8042_ops;      /* devices/i8042.c */
extern const struct device_ops port92_ops;     /* devices/port92.c */
extern const struct device_ops pci_ops;        /* devices/pci.c */

/* Every device of the machine, in creation (and reset) order. */
extern const struct device_ops *const device_table[];
extern const unsigned device_count;

int devices_create(struct machine *m);
void devices_reset(struct machine *m);
void devices_free(struct machine *m);

/* The state of all devices, concatenated in table order. */
size_t devices_blob_size(void);
void devices_save(const struct machine *m, uint8_t *blob);
void devices_load(struct machine *m, const uint8_t *blob);

/* Device state by table index (for tests and snapshots). */
void *devices_state(struct machine *m, const struct device_ops *ops);

#define ISA_DEBUG_EXIT_PORT 0xf4
#define ISA_DEBUG_EXIT_SIZE 4
#define COM1_PORT 0x3f8
#define POST_PORT 0x80

struct debug_exit {
	struct machine *m;
};

struct post {
	struct machine *m;
	uint8_t last;       /* the last code written */
};

/* ---- the 8259A pair (devices/pic.c) ---- */
struct pic_chip {
	uint8_t irr, imr, isr, last_irr;   /* last_irr: input levels, for edges */
	uint8_t elcr, elcr_mask;
	uint8_t irq_base, priority_add;    /* priority_add: the IR with priority 0 */
	uint8_t init_state;                /* 0 ready, 1-3: ICW2-ICW4 expected */
	uint8_t icw4_needed, single, ltim, icw3;
	uint8_t auto_eoi, rotate_auto_eoi, sfnm, special_mask, poll, read_isr;
};

struct pic {
	struct machine *m;
	const struct irq_line *intr;       /* the CPU's INTR pin */
	struct pic_chip chip[2];           /* master, slave */
};

/* Input n (0-15) of the pair; the isa_irq lines call this. */
void pic_set_irq(void *opaque, int n, int level);
/* The INTA cycle: the vector of the request now served (or a spurious IR7). */
int pic_ack(struct pic *p);

/* ---- the 8254 (devices/pit.c) ---- */
struct pit_channel {
	uint64_t load_time;     /* PIT tick the counting element (re)started at */
	uint64_t frozen_d;      /* ticks counted when the gate paused it */
	uint32_t count;         /* the initial count, 1..0x10000 (10000 in BCD) */
	uint16_t latched_count;
	uint8_t count_latched;  /* 0, or which latched bytes remain: 1 LSB, 2 MSB, 3 both */
	uint8_t status, status_latched;
	uint8_t read_msb, write_msb, write_latch;  /* word access: the next byte */
	uint8_t rw_mode, mode, mode_bits, bcd, gate;
	uint8_t state;          /* idle, waiting for a gate trigger, running, paused */
	uint8_t written;        /* programmed since reset (the status's null count) */
	uint8_t pad[4];         /* no hidden padding: snapshots hash these bytes */
};

struct pit {
	struct machine *m;
	const struct irq_line *irq;   /* IRQ 0 */
	struct timer timer;           /* channel 0's next OUT change */
	struct pit_channel ch[3];
	uint8_t port61;               /* bits 0-3 of port 0x61 as written */
};

/* ---- COM1, a 16550A (devices/uart.c) ---- */
#define COM1_IRQ 4
#define UART_FIFO_SIZE 16

struct uart_regs {
	uint8_t rx_fifo[UART_FIFO_SIZE];  /* without FIFOs, entry rx_head is RBR */
	uint8_t rx_head, rx_count;
	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	uint8_t thr_ipending, timeout_ipending;
};

struct uart {
	struct machine *m;
	const struct irq_line *irq;   /* IRQ 4 */
	struct timer timer;           /* the receive FIFO's character timeout */
	struct uart_regs r;
};

/* How many bytes the receiver takes now; feed them with uart_receive. */
size_t uart_rx_room(const struct uart *u);
/* MCR.RTS: the guest is ready to receive (hardware flow control). */
bool uart_rts(const struct uart *u);
void uart_receive(struct uart *u, const uint8_t *bytes, size_t n);

/* ---- the MC146818A and CMOS (devices/rtc.c) ---- */
struct rtc_regs {
	int64_t base_time;      /* Unix seconds shown when the divider had counted 0 */
	int64_t div_base;       /* the clock tick at which the divider counted 0 */
	uint64_t last_check;    /* flags are up to date for the clock until here */
	uint8_t cmos[128];      /* time 0-9, registers A-D, then RAM */
	uint8_t index, nmi_disabled;
	uint8_t pad[6];
};

struct rtc {
	struct machine *m;
	const struct irq_line *irq;   /* IRQ 8 */
	struct timer timer;           /* the next periodic or update event */
	struct rtc_regs r;
};

/* ---- the i8042 and its keyboard (devices/i8042.c) ---- */
#define I8042_QUEUE 16

struct i8042_regs {
	uint8_t queue[I8042_QUEUE];   /* bytes waiting for the output buffer */
	uint16_t q_aux;               /* which of them come from the aux port */
	uint8_t q_head, q_count, last;
	uint8_t ram[32];              /* controller RAM; byte 0 is the command byte */
	uint8_t status, outport;
	uint8_t pending_cmd;          /* controller command waiting for its data byte */
	uint8_t kbd_param_cmd;        /* keyboard command waiting for its parameter */
	uint8_t scancode_set;
};

struct i8042 {
	struct machine *m;
	const struct irq_line *kbd_irq, *aux_irq;   /* IRQ 1, IRQ 12 */
	struct i8042_regs r;
};

/* ---- port 0x92 (devices/port92.c) ---- */
struct port92 {
	struct machine *m;
	uint8_t value;
};

/* ---- PCI configuration mechanism #1 and the host bridge (devices/pci.c) ---- */
struct pci_regs {
	uint32_t addr;          /* CONFIG_ADDRESS */
	uint8_t rcr;            /* 0xCF9 reset control */
	uint8_t pad[3];
	uint8_t config[256];    /* the host bridge's configuration space */
};

struct pci {
	struct machine *m;
	struct pci_regs r;
};

#endif
