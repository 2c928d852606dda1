/*
 * The instruction trace (--trace=exec): one line per executed instruction,
 * written by the engine before the instruction runs, so a faulting one is
 * the last line. Free when off: the engine tests m->trace first.
 */
#ifndef DOPPEL_TRACE_H
#define DOPPEL_TRACE_H

#include "insn.h"
#include "machine.h"

/* CS:EIP, the bytes, the disassembly, EAX..EDI and EFLAGS to m->trace_out. */
void trace_insn(struct machine *m, const struct insn *i);

#endif
