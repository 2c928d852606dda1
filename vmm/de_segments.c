/*
 * Direct execution: the guest's segments as host selectors. The paper's
 * monitor shadowed the guest's descriptor tables in its own GDT; a Linux
 * process owns only its LDT. So each guest segment register runs on an
 * LDT entry of the stub of its own, made with modify_ldt, with the guest's
 * base, limit, granularity, type and size -- never on one of the host
 * GDT's selectors (0x23, 0x2b), even for a flat segment: guest code can
 * load those by itself without a trap, and the monitor must be able to
 * tell such a load (a selector it did not put there) from its own. The
 * guest's selector values are not what the host holds: MOV r/m,Sreg and
 * PUSH Sreg show host selectors natively (the paper's non-virtualizable
 * selector reads).
 *
 * The fuzzer's native runner asks for the host's flat selectors instead
 * (de_use_host_flat_selectors): its cases give flat segments the host's
 * selector values, so that far calls push the same CS natively; a native
 * load of a host selector is a gap of the fuzzer's (harness/fuzz_gen.c)
 * there, not something de must see.
 */
#include <string.h>

#include "de_host.h"

#define TYPE_CODE 0x8
#define TYPE_CONFORMING_OR_DOWN 0x4
#define TYPE_WRITABLE_OR_READABLE 0x2
#define LDT_CONTENTS_DATA 0
#define LDT_CONTENTS_STACK 1 /* expand-down data */
#define LDT_CONTENTS_CODE 2

static bool use_host_flat;

void de_use_host_flat_selectors(bool on)
{
	use_host_flat = on;
}

/* What the stub's LDT holds now, slot by slot. */
static struct user_desc ldt_now[6];
static bool ldt_known[6];

void de_segments_reset(void)
{
	memset(ldt_known, 0, sizeof(ldt_known));
}

/* The host's own flat selector when it means exactly the same, else 0. */
static uint16_t seg_host_flat(int sreg, const struct seg *s)
{
	unsigned type = SEG_TYPE(s->attr);
	bool code = type & TYPE_CODE, rw = type & TYPE_WRITABLE_OR_READABLE;

	if (!use_host_flat || s->base || s->limit != 0xffffffffu ||
	    (type & TYPE_CONFORMING_OR_DOWN) || !rw)
		return 0;
	if (code)
		return SEG_DB(s->attr) || sreg != SR_CS ? DE_SEL_CODE32 : 0;
	return SEG_DB(s->attr) || sreg != SR_SS ? DE_SEL_DATA : 0;
}

/*
 * A conforming code segment becomes an ordinary one: modify_ldt refuses
 * present conforming descriptors, and at CPL 3 only far transfers (which
 * trap to the interpreter) could tell them apart.
 */
static struct user_desc seg_ldt_desc(int sreg, const struct seg *s)
{
	unsigned type = SEG_TYPE(s->attr);
	bool code = type & TYPE_CODE, g = SEG_G(s->attr);
	struct user_desc d = {
		.entry_number = DE_LDT_FIRST + (unsigned)sreg,
		.base_addr = s->base,
		.limit = g ? s->limit >> 12 : s->limit,
		.seg_32bit = SEG_DB(s->attr),
		.read_exec_only = !(type & TYPE_WRITABLE_OR_READABLE),
		.limit_in_pages = g,
		.useable = (s->attr >> 12) & 1,
	};
	if (code)
		d.contents = LDT_CONTENTS_CODE;
	else if (type & TYPE_CONFORMING_OR_DOWN)
		d.contents = LDT_CONTENTS_STACK;
	else
		d.contents = LDT_CONTENTS_DATA;
	return d;
}

/* Can this segment register hold this descriptor at CPL 3 at all? */
static bool seg_usable(int sreg, const struct seg *s)
{
	unsigned type = SEG_TYPE(s->attr);

	if (!SEG_S(s->attr))
		return false;
	/* A byte-granular limit must fit the descriptor's 20 bits. */
	if (!SEG_G(s->attr) && s->limit > 0xfffffu)
		return false;
	if (sreg == SR_CS)
		return type & TYPE_CODE;
	if (sreg == SR_SS)
		return !(type & TYPE_CODE) && (type & TYPE_WRITABLE_OR_READABLE);
	return true;
}

static void seg_queue_ldt(struct de_shared *sh, int sreg, const struct user_desc *d)
{
	if (ldt_known[sreg] && !memcmp(&ldt_now[sreg], d, sizeof(*d)))
		return;
	ldt_now[sreg] = *d;
	ldt_known[sreg] = true;
	sh->ldt[sreg] = *d;
	sh->ldt_dirty |= 1u << sreg;
}

bool de_segments_prepare(const struct cpu *c, struct de_shared *sh)
{
	for (int sreg = 0; sreg < 6; sreg++) {
		const struct seg *s = &c->seg[sreg];
		bool data = sreg != SR_CS && sreg != SR_SS;

		if (data && !SEG_P(s->attr)) {
			sh->regs.sel[sreg] = 0; /* null: every access is #GP(0) natively too */
			continue;
		}
		if (!SEG_P(s->attr) || !seg_usable(sreg, s))
			return false;
		uint16_t sel = seg_host_flat(sreg, s);
		if (!sel) {
			struct user_desc d = seg_ldt_desc(sreg, s);
			seg_queue_ldt(sh, sreg, &d);
			sel = DE_SEL_LDT(sreg);
		}
		sh->regs.sel[sreg] = sel;
	}
	return true;
}
