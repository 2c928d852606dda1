/*
 * The interpreter's cache of decoded blocks (vmm/interp_block.c): guest
 * basic blocks decoded once into arrays of struct insn, the interpreter's
 * counterpart of the paper's translation cache. Its interface to the run
 * loop, and to the memory system, which keeps stores into pages that hold
 * cached code off the TLB's fast path and reports them here.
 */
#ifndef DOPPEL_INTERP_BLOCK_H
#define DOPPEL_INTERP_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "insn.h"

struct machine;
struct block;

/*
 * A decoded block: n instructions, in order, all inside one page; for
 * each, how many quiet instructions start there (interp_mark_quiet); and
 * the flag a store into a page holding decoded code sets (block_find
 * clears it).
 */
struct block_view {
	struct block *block;
	const struct insn *insns;
	const uint8_t *quiet;
	unsigned n;
	const bool *store_seen;
};

/*
 * The block starting at CS:EIP, decoded now if it is not cached (or its
 * bytes in RAM changed since). False when no block can start here: the
 * page is not in the TLB or not RAM, or the first instruction does not
 * decode inside the page and the CS limit; the caller then takes the
 * one-instruction path, which fetches, walks and faults as it must.
 */
bool block_find(struct machine *m, struct block_view *v);

/*
 * The block at CS:EIP after v's block ran to its end with a last
 * instruction that is neither A_SERIAL nor I/O (CS, the mode and CPL are
 * as they were): through v's links when they still hold, else as
 * block_find, linking what it finds. Replaces *v.
 */
bool block_find_next(struct machine *m, struct block_view *v);

/* Does physical page pa hold cached code? (Asked when a write TLB entry is made.) */
bool block_page_has_code(const struct machine *m, uint32_t pa);

/* A store of len bytes at physical pa went to RAM (slow path, A/D bits). */
void block_note_store(struct machine *m, uint32_t pa, uint32_t len);

/*
 * Guest RAM may have changed by other means than CPU stores: every block
 * is compared with RAM again at its next entry. The run loop calls this
 * as a run starts (loaders and the harness write RAM between runs), after
 * I/O instructions and after timers (device models); a device that writes
 * RAM at any other moment must call it (or block_note_store) itself.
 */
void block_epoch_advance(struct machine *m);

/* A TLB entry was made or dropped: links between blocks are checked again. */
void block_tlb_changed(struct machine *m);

/* Make a decoded instruction ready to run: operands resolved, handler chosen (vmm/interp.c). */
void interp_prepare(struct insn *i);
/* Then, for a whole block: drop flags no one can see (vmm/interp.c). */
void interp_elide_flags(struct insn *insns, unsigned n);

/*
 * quiet[k] = how many instructions from insns[k] on are quiet: made at
 * decode time for register and immediate operands, so they cannot fault,
 * read EIP or the clock, store or stop the machine (vmm/interp.c).
 */
void interp_mark_quiet(const struct insn *insns, unsigned n, uint8_t *quiet);

/* Free the cache (machine_free). */
void block_cache_free(struct machine *m);

#endif
