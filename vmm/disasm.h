/*
 * Human-facing disassembly (traces, diff reports) through Capstone. The
 * engines never use it: decoding for execution is vmm/decode.c's.
 */
#ifndef DOPPEL_DISASM_H
#define DOPPEL_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Format the instruction at bytes[0..len) (located at eip, 32- or 16-bit
 * code) as "mnemonic operands" into out. Returns the length Capstone
 * decoded; 0 when it decoded nothing, and out then holds "(bad)".
 */
int disasm_format(const uint8_t *bytes, unsigned len, uint32_t eip, bool code32,
		  char *out, size_t outlen);

#endif
