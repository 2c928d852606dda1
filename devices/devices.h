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
extern const struct device_ops serial_ops;     /* devices/serial.c */
extern const struct device_ops post_ops;       /* devices/post.c */

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

/* COM1's registers a test may look at (devices/serial.c). */
struct serial {
	struct machine *m;
	uint8_t ier, iir, fcr, lcr, mcr, lsr, msr, scr;
	uint8_t dll, dlm;
	uint8_t rbr;        /* loopback: the last byte sent back to the receiver */
};

struct debug_exit {
	struct machine *m;
};

struct post {
	struct machine *m;
	uint8_t last;       /* the last code written */
};

#endif
