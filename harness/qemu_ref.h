/*
 * QEMU (qemu-system-i386, TCG) as an outside reference: many cases packed
 * into one multiboot guest run (tests/qemu-ref/), each final state read
 * back from the serial port.
 */
#ifndef DOPPEL_QEMU_REF_H
#define DOPPEL_QEMU_REF_H

#include "harness/case_run.h"

/* The guest kernel doppel boots in QEMU (built by tests/qemu-ref/qemu-ref.mk). */
#define QEMU_REF_KERNEL "build/guest/qemu-ref.elf"

/*
 * Run n cases in QEMU; out[k] gets case k's final state (CEND_ERROR with
 * a message for a case QEMU could not finish). Returns -1 with a message
 * when QEMU itself could not run.
 */
int qemu_ref_run(const struct fuzz_case *cases, unsigned n, struct case_state *out,
		 char *err, size_t errlen);

#endif
