/*
 * The instruction trace: a readable line per instruction for people
 * comparing a run against QEMU's -d exec,cpu or against another engine.
 */
#include <stdio.h>

#include "disasm.h"
#include "trace.h"

static void trace_bytes(FILE *f, const struct insn *i)
{
	unsigned k;

	for (k = 0; k < i->len; k++)
		fprintf(f, "%02x", i->bytes[k]);
	fprintf(f, "%*s", (int)(2 * (15 - i->len)) + 1, "");
}

void trace_insn(struct machine *m, const struct insn *i)
{
	const struct cpu *c = &m->cpu;
	FILE *f = m->trace_out ? m->trace_out : stderr;
	char text[96];

	disasm_format(i->bytes, i->len, i->eip, cpu_code32(c), text, sizeof(text));
	fprintf(f, "%04x:%08x ", c->seg[SR_CS].sel, i->eip);
	trace_bytes(f, i);
	fprintf(f, "%-32s eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x"
		" esi=%08x edi=%08x efl=%08x\n", text, c->gpr[EAX], c->gpr[ECX],
		c->gpr[EDX], c->gpr[EBX], c->gpr[ESP], c->gpr[EBP], c->gpr[ESI],
		c->gpr[EDI], c->eflags);
}
