/*
 * The i8042 keyboard controller (0x60 data, 0x64 status/command; IRQ 1
 * for keyboard bytes, IRQ 12 for auxiliary ones) with a PS/2 keyboard
 * behind it that answers its commands (no keys are ever pressed: there is
 * no keyboard input yet, and no mouse). What guests use it for: the
 * controller self-test, the command byte, keyboard reset and identify,
 * the A20 gate through the output port (0xD1, or QEMU's 0xDD/0xDF), and
 * system reset by pulsing output-port bit 0 (command 0xFE). Values as
 * QEMU's controller has them: command byte 0x03 at reset, output port
 * 0xCF, "not inhibited" set in the status.
 */
#include "devices/devices.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define KBD_IRQ 1
#define AUX_IRQ 12
#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08             /* the last write went to 0x64 */
#define ST_UNLOCKED 0x10
#define ST_AUX_OBF 0x20
#define MODE_KBD_INT 0x01
#define MODE_AUX_INT 0x02
#define MODE_SYS 0x04
#define MODE_DISABLE_KBD 0x10
#define MODE_XLATE 0x40
#define OUT_RESET 0x01          /* low pulses the CPU's reset line */
#define OUT_A20 0x02
#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe

static bool i8042_head_is_aux(const struct i8042 *k)
{
	return k->r.q_count && (k->r.q_aux >> k->r.q_head & 1);
}

static void i8042_update_irq(struct i8042 *k)
{
	bool aux = i8042_head_is_aux(k);
	uint8_t mode = k->r.ram[0];

	irq_set(k->kbd_irq, k->r.q_count && !aux && (mode & MODE_KBD_INT));
	irq_set(k->aux_irq, k->r.q_count && aux && (mode & MODE_AUX_INT));
}

/* The controller's output buffer, fed from a queue of keyboard replies. */
static void i8042_queue(struct i8042 *k, uint8_t v, bool aux)
{
	struct i8042_regs *r = &k->r;
	unsigned slot = (r->q_head + r->q_count) % I8042_QUEUE;

	if (r->q_count == I8042_QUEUE)
		return;         /* the device would hold further bytes back */
	r->queue[slot] = v;
	r->q_aux = (uint16_t)((r->q_aux & ~(1u << slot)) | (unsigned)aux << slot);
	r->q_count++;
}

static void i8042_set_output_port(struct i8042 *k, uint8_t v)
{
	k->r.outport = v;
	mmu_set_a20(k->m, v & OUT_A20);
	if (!(v & OUT_RESET))
		machine_request_stop(k->m, STOP_RESET);
}

/* ---- the keyboard's commands ---- */

static void i8042_kbd_reset(struct i8042 *k)
{
	k->r.kbd_param_cmd = 0;
	k->r.scancode_set = 2;
	i8042_queue(k, KBD_ACK, false);
	i8042_queue(k, 0xaa, false);     /* basic assurance test passed */
}

static void i8042_kbd_param(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->r.kbd_param_cmd;

	k->r.kbd_param_cmd = 0;
	i8042_queue(k, KBD_ACK, false);
	if (cmd == 0xf0 && v == 0)
		i8042_queue(k, k->r.scancode_set, false);
	else if (cmd == 0xf0 && v <= 3)
		k->r.scancode_set = v;
}

static void i8042_kbd_write(struct i8042 *k, uint8_t v)
{
	k->r.ram[0] &= (uint8_t)~MODE_DISABLE_KBD;  /* sending re-enables the interface */
	if (k->r.kbd_param_cmd) {
		i8042_kbd_param(k, v);
		return;
	}
	switch (v) {
	case 0xff:
		i8042_kbd_reset(k);
		break;
	case 0xf2:  /* identify: an MF2 keyboard, 0x41 when translated */
		i8042_queue(k, KBD_ACK, false);
		i8042_queue(k, 0xab, false);
		i8042_queue(k, (k->r.ram[0] & MODE_XLATE) ? 0x41 : 0x83, false);
		break;
	case 0xed: case 0xf3: case 0xf0:  /* LEDs, typematic, scan code set */
		k->r.kbd_param_cmd = v;
		i8042_queue(k, KBD_ACK, false);
		break;
	case 0xee:
		i8042_queue(k, 0xee, false);
		break;
	case 0xf4: case 0xf5: case 0xf6:  /* enable, disable, defaults */
		i8042_queue(k, KBD_ACK, false);
		break;
	default:
		i8042_queue(k, KBD_RESEND, false);
		break;
	}
}

/* ---- the controller's commands ---- */

/* A data byte that completes a controller command (0x60-0x7F, 0xD1-0xD4). */
static void i8042_cmd_param(struct i8042 *k, uint8_t cmd, uint8_t v)
{
	if (cmd >= 0x60 && cmd <= 0x7f)
		k->r.ram[cmd & 0x1f] = v;
	if (cmd == 0x60)
		k->r.status = (uint8_t)((k->r.status & ~ST_SYS) | (v & MODE_SYS));
	else if (cmd == 0xd1)
		i8042_set_output_port(k, v);
	else if (cmd == 0xd2 || cmd == 0xd3)
		i8042_queue(k, v, cmd == 0xd3);
	/* 0xd4: to the auxiliary device, and there is none */
}

static void i8042_cmd_simple(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0xa7: k->r.ram[0] |= 0x20; break;
	case 0xa8: k->r.ram[0] &= (uint8_t)~0x20; break;
	case 0xa9: i8042_queue(k, 0x00, false); break;  /* aux interface test: OK */
	case 0xaa:
		k->r.status |= ST_SYS;
		i8042_queue(k, 0x55, false);
		break;
	case 0xab: i8042_queue(k, 0x00, false); break;  /* keyboard interface test: OK */
	case 0xad: k->r.ram[0] |= MODE_DISABLE_KBD; break;
	case 0xae: k->r.ram[0] &= (uint8_t)~MODE_DISABLE_KBD; break;
	case 0xd0: i8042_queue(k, k->r.outport, false); break;
	case 0xdd: i8042_set_output_port(k, k->r.outport & (uint8_t)~OUT_A20); break;
	case 0xdf: i8042_set_output_port(k, k->r.outport | OUT_A20); break;
	case 0xe0: i8042_queue(k, 0x00, false); break;  /* test inputs */
	default:
		/* A real 8042 (and QEMU's) ignores commands it does not know. */
		if (k->m->trace & TRACE_IO)
			fprintf(k->m->trace_out, "i8042: command 0x%02x ignored\n", cmd);
		break;
	}
}

/* Only bit 0 has a lasting effect: its pulse resets the CPU. A20 and the
 * other bits are back where they were 6 us later. */
static void i8042_pulse_output_port(struct i8042 *k, uint8_t cmd)
{
	if (!(cmd & OUT_RESET))
		machine_request_stop(k->m, STOP_RESET);
}

static bool i8042_cmd_takes_param(uint8_t cmd)
{
	return (cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4);
}

static void i8042_write_command(struct i8042 *k, uint8_t cmd)
{
	k->r.status |= ST_CMD;
	k->r.pending_cmd = 0;
	if (cmd >= 0x20 && cmd <= 0x3f)
		i8042_queue(k, k->r.ram[cmd & 0x1f], false);
	else if (i8042_cmd_takes_param(cmd))
		k->r.pending_cmd = cmd;
	else if (cmd >= 0xf0)   /* pulse output-port bits 0-3 given as 0 for 6 us */
		i8042_pulse_output_port(k, cmd);
	else
		i8042_cmd_simple(k, cmd);
}

static void i8042_write_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->r.pending_cmd;

	k->r.status &= (uint8_t)~ST_CMD;
	k->r.pending_cmd = 0;
	if (cmd)
		i8042_cmd_param(k, cmd, v);
	else
		i8042_kbd_write(k, v);
}

static uint8_t i8042_read_data(struct i8042 *k)
{
	struct i8042_regs *r = &k->r;

	if (r->q_count) {
		r->last = r->queue[r->q_head];
		r->q_head = (r->q_head + 1) % I8042_QUEUE;
		r->q_count--;
	}
	return r->last;   /* an empty buffer reads the last byte again */
}

static uint8_t i8042_read_status(const struct i8042 *k)
{
	uint8_t st = k->r.status & (uint8_t)~(ST_OBF | ST_AUX_OBF);

	if (k->r.q_count)
		st |= i8042_head_is_aux(k) ? ST_OBF | ST_AUX_OBF : ST_OBF;
	return st;
}

static uint32_t i8042_read(void *dev, uint16_t port, int size)
{
	struct i8042 *k = dev;
	uint8_t v = port == I8042_DATA ? i8042_read_data(k) : i8042_read_status(k);

	(void)size;
	i8042_update_irq(k);
	return v;
}

static void i8042_write(void *dev, uint16_t port, int size, uint32_t val)
{
	struct i8042 *k = dev;

	(void)size;
	if (port == I8042_DATA)
		i8042_write_data(k, (uint8_t)val);
	else
		i8042_write_command(k, (uint8_t)val);
	i8042_update_irq(k);
}

static int i8042_create(struct machine *m, void *st)
{
	struct i8042 *k = st;

	k->m = m;
	k->kbd_irq = &m->isa_irq[KBD_IRQ];
	k->aux_irq = &m->isa_irq[AUX_IRQ];
	if (machine_io_register(m, I8042_DATA, 1, i8042_read, i8042_write, k) < 0)
		return -1;
	return machine_io_register(m, I8042_CMD, 1, i8042_read, i8042_write, k);
}

static void i8042_reset(void *st)
{
	struct i8042 *k = st;

	memset(&k->r, 0, sizeof(k->r));
	k->r.ram[0] = MODE_KBD_INT | MODE_AUX_INT;
	k->r.status = ST_CMD | ST_UNLOCKED;
	k->r.outport = 0xcf;
	k->r.scancode_set = 2;
	i8042_update_irq(k);
}

static void i8042_save(const void *st, uint8_t *blob)
{
	memcpy(blob, &((const struct i8042 *)st)->r, sizeof(struct i8042_regs));
}

static void i8042_load(void *st, const uint8_t *blob)
{
	struct i8042 *k = st;

	memcpy(&k->r, blob, sizeof(k->r));
	i8042_update_irq(k);
}

const struct device_ops i8042_ops = {
	.name = "i8042",
	.state_size = sizeof(struct i8042),
	.blob_size = sizeof(struct i8042_regs),
	.create = i8042_create,
	.reset = i8042_reset,
	.save = i8042_save,
	.load = i8042_load,
};
