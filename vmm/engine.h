/*
 * The engine interface: every engine runs the same struct machine and
 * returns to the monitor core with a stop reason (machine.stop).
 */
#ifndef DOPPEL_ENGINE_H
#define DOPPEL_ENGINE_H

#include <stdint.h>

#include "machine.h"

struct engine {
	const char *name;
	/* Run until the machine stops or `budget` instructions retired. */
	enum stop_reason (*run)(struct machine *m, uint64_t budget);
};

extern const struct engine engine_interp;

/* Find an engine by name; NULL if there is none. */
const struct engine *engine_find(const char *name);

#endif
