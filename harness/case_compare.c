/*
 * Comparing final states: every field in a fixed order (how the run ended,
 * the exception, EIP, registers, EFLAGS flag by flag, selectors, x87,
 * memory byte by byte), under the masks a pair of engines needs; the
 * first difference for the fuzzer, all of them for people and JSON.
 */
#include <string.h>

#include "harness/case_run.h"
#include "vmm/insn.h"

static const char *const end_names[] = { "exception", "halted", "triple fault",
					 "budget spent", "error" };
static const char *const flag_names[32] = {
	[0] = "CF", [1] = "bit1", [2] = "PF", [4] = "AF", [6] = "ZF", [7] = "SF",
	[8] = "TF", [9] = "IF", [10] = "DF", [11] = "OF", [12] = "IOPL0", [13] = "IOPL1",
	[14] = "NT", [16] = "RF", [17] = "VM", [18] = "AC", [19] = "VIF", [20] = "VIP",
	[21] = "ID",
};

typedef void diff_emit_fn(void *ctx, const struct case_diff *d);

struct diff_walk {
	diff_emit_fn *emit;
	void *ctx;
	int count;
	int max;
};

static bool walk_done(const struct diff_walk *w)
{
	return w->max && w->count >= w->max;
}

static void walk_add(struct diff_walk *w, const char *klass, const char *what, uint32_t a,
		     uint32_t b)
{
	struct case_diff d;

	if (walk_done(w) || a == b)
		return;
	snprintf(d.what, sizeof(d.what), "%s", what);
	snprintf(d.klass, sizeof(d.klass), "%s", klass);
	d.a = a;
	d.b = b;
	w->count++;
	w->emit(w->ctx, &d);
}

static void walk_regs(struct diff_walk *w, const struct case_state *a,
		      const struct case_state *b, const struct case_mask *m)
{
	walk_add(w, "exception", "vector", (uint32_t)a->vector, (uint32_t)b->vector);
	walk_add(w, "exception", "error code", a->err, b->err);
	walk_add(w, "cr2", "cr2", a->cr2, b->cr2);
	walk_add(w, "eip", "eip", a->eip, b->eip);
	for (int r = 0; r < 8; r++)
		walk_add(w, "gpr", case_gpr_names[r], a->gpr[r], b->gpr[r]);
	for (int bit = 0; bit < 32; bit++) {
		char name[32];
		uint32_t f = 1u << bit;
		if (m->eflags & f)
			continue;
		snprintf(name, sizeof(name), "eflags.%s", flag_names[bit] ? flag_names[bit] : "?");
		if (!flag_names[bit])
			snprintf(name, sizeof(name), "eflags.bit%d", bit);
		walk_add(w, "flags", name, (a->eflags >> bit) & 1, (b->eflags >> bit) & 1);
	}
	for (int s = 0; s < 6; s++) {
		bool both_null = a->sel[s] <= 3 && b->sel[s] <= 3;
		if (!(m->sel & (1u << s)) && !(m->null_rpl && both_null))
			walk_add(w, "sreg", case_seg_names[s], a->sel[s], b->sel[s]);
	}
}

static void walk_fpu(struct diff_walk *w, const struct case_state *a,
		     const struct case_state *b)
{
	walk_add(w, "x87", "fcw", a->fcw, b->fcw);
	walk_add(w, "x87", "fsw", a->fsw, b->fsw);
	walk_add(w, "x87", "ftw", a->ftw, b->ftw);
	for (int r = 0; r < 8; r++) {
		static const char *const part[3] = { "lo", "mid", "hi" };
		/* an empty register's bits are whatever was there before FNINIT */
		if (((a->ftw >> (2 * r)) & 3) == 3 && ((b->ftw >> (2 * r)) & 3) == 3)
			continue;
		for (int k = 0; k < 3; k++) {
			char name[32];
			uint32_t va = 0, vb = 0;
			memcpy(&va, a->st[r] + 4 * k, k < 2 ? 4 : 2);
			memcpy(&vb, b->st[r] + 4 * k, k < 2 ? 4 : 2);
			snprintf(name, sizeof(name), "x87 reg%d.%s", r, part[k]);
			walk_add(w, "x87", name, va, vb);
		}
	}
}

static void walk_mem(struct diff_walk *w, const struct case_state *a,
		     const struct case_state *b)
{
	walk_add(w, "memory", "number of pages", a->n_pages, b->n_pages);
	for (unsigned k = 0; k < a->n_pages && k < b->n_pages && !walk_done(w); k++) {
		if (!memcmp(a->mem[k], b->mem[k], CASE_PAGE))
			continue;
		for (unsigned off = 0; off < CASE_PAGE; off++) {
			char name[32];
			snprintf(name, sizeof(name), "mem 0x%08x", a->lin[k] + off);
			walk_add(w, "memory", name, a->mem[k][off], b->mem[k][off]);
		}
	}
}

static void walk_all(struct diff_walk *w, const struct case_state *a,
		     const struct case_state *b, const struct case_mask *m)
{
	if (a->end == CEND_ERROR || b->end == CEND_ERROR) {
		walk_add(w, "error", "engine error", a->end == CEND_ERROR, b->end == CEND_ERROR);
		if (strcmp(a->error, b->error))
			walk_add(w, "error", "error message", 0, 1);
		return;
	}
	walk_add(w, "end", "end", a->end, b->end);
	/* a run that never reached an exception has no state to compare */
	if (a->end == CEND_SHUTDOWN || a->end == CEND_BUDGET)
		return;
	walk_regs(w, a, b, m);
	walk_fpu(w, a, b);
	walk_mem(w, a, b);
}

static void emit_copy(void *ctx, const struct case_diff *d)
{
	*(struct case_diff *)ctx = *d;
}

int case_compare(const struct case_state *a, const struct case_state *b,
		 const struct case_mask *mask, struct case_diff *d)
{
	struct diff_walk w = { emit_copy, d, 0, 1 };

	walk_all(&w, a, b, mask);
	return w.count ? 1 : 0;
}

/* ---- masks ---- */

/*
 * Against QEMU the flags the manual leaves undefined are masked, as the
 * instruction table records them: walking the code in order, a flag is
 * masked when the last instruction that wrote it left it undefined.
 */
static uint32_t mask_undefined_flags(const struct fuzz_case *fc)
{
	uint32_t undefined = 0;
	struct insn i;

	for (unsigned at = 0; at < fc->code_len; at += i.len) {
		if (decode_bytes(&i, fc->code32, fc->code + at, fc->code_len - at, fc->eip + at) !=
		    DECODE_OK)
			break;
		undefined = (undefined & ~(uint32_t)i.desc->flags_written) |
			    i.desc->flags_undefined;
	}
	return undefined;
}

void case_mask_for(const struct fuzz_case *fc, enum case_engine a, enum case_engine b,
		   struct case_mask *mask)
{
	memset(mask, 0, sizeof(*mask));
	if (a == CENG_QEMU || b == CENG_QEMU)
		mask->eflags = mask_undefined_flags(fc);
	/* "null selector RPL" in docs/native-differences.md: not the host's to keep */
	mask->null_rpl = a == CENG_NATIVE || b == CENG_NATIVE;
}

/* ---- printing ---- */

static void print_line(void *ctx, const struct case_diff *d)
{
	FILE *f = ctx;

	if (!strncmp(d->what, "mem ", 4) || !strncmp(d->what, "eflags.", 7) ||
	    !strcmp(d->klass, "error"))
		fprintf(f, "  %-22s %10x  %10x\n", d->what, d->a, d->b);
	else
		fprintf(f, "  %-22s 0x%08x  0x%08x\n", d->what, d->a, d->b);
}

void case_print_state(FILE *f, const struct case_state *s)
{
	fprintf(f, "  end %s", end_names[s->end]);
	if (s->end == CEND_EXCEPTION)
		fprintf(f, ": vector %d error code 0x%x cr2 0x%08x", s->vector, s->err, s->cr2);
	if (s->end == CEND_ERROR)
		fprintf(f, ": %s", s->error);
	fprintf(f, "\n  eip %08x eflags %08x\n ", s->eip, s->eflags);
	for (int r = 0; r < 8; r++)
		fprintf(f, " %s %08x", case_gpr_names[r], s->gpr[r]);
	fprintf(f, "\n ");
	for (int k = 0; k < 6; k++)
		fprintf(f, " %s %04x", case_seg_names[k], s->sel[k]);
	fprintf(f, "\n");
}

void case_print_diff(FILE *f, const char *na, const struct case_state *a, const char *nb,
		     const struct case_state *b, const struct case_mask *mask)
{
	struct diff_walk w = { print_line, f, 0, 64 };

	fprintf(f, "%s:\n", na);
	case_print_state(f, a);
	fprintf(f, "%s:\n", nb);
	case_print_state(f, b);
	fprintf(f, "  %-22s %10s  %10s\n", "differs", na, nb);
	walk_all(&w, a, b, mask);
	if (walk_done(&w))
		fprintf(f, "  (first %d differences shown)\n", w.max);
	if (!w.count)
		fprintf(f, "  nothing: the final states agree\n");
}

/* ---- JSON ---- */

static void json_state(FILE *f, const char *name, const struct case_state *s)
{
	fprintf(f, "{\"engine\":\"%s\",\"end\":\"%s\",\"vector\":%d,\"error_code\":%u,"
		"\"cr2\":%u,\"eip\":%u,\"eflags\":%u", name, end_names[s->end], s->vector, s->err,
		s->cr2, s->eip, s->eflags);
	for (int r = 0; r < 8; r++)
		fprintf(f, ",\"%s\":%u", case_gpr_names[r], s->gpr[r]);
	for (int k = 0; k < 6; k++)
		fprintf(f, ",\"%s\":%u", case_seg_names[k], s->sel[k]);
	fprintf(f, ",\"error\":\"");
	for (const char *p = s->error; *p; p++)
		fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
	fprintf(f, "\"}");
}

struct json_ctx {
	FILE *f;
	const char *against;
	bool first;
};

static void json_diff(void *ctx, const struct case_diff *d)
{
	struct json_ctx *j = ctx;

	fprintf(j->f, "%s{\"against\":\"%s\",\"what\":\"%s\",\"class\":\"%s\",\"a\":%u,"
		"\"b\":%u}", j->first ? "" : ",", j->against, d->what, d->klass, d->a, d->b);
	j->first = false;
}

void case_print_json(FILE *f, const char *const *names, const struct case_state *const *s,
		     const struct case_mask *masks, int n)
{
	struct json_ctx j = { f, "", true };
	struct diff_walk w = { json_diff, &j, 0, 256 };

	fprintf(f, "{\"states\":[");
	for (int k = 0; k < n; k++) {
		fprintf(f, k ? "," : "");
		json_state(f, names[k], s[k]);
	}
	fprintf(f, "],\"differences\":[");
	for (int k = 1; k < n; k++) {
		j.against = names[k];
		walk_all(&w, s[0], s[k], &masks[k]);
	}
	fprintf(f, "]}\n");
}
