/*
 * The fuzz case file: `key value` lines, hex bytes, `#` comments
 * (docs/case-format.md). Every parse error names the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/case.h"

const char *const case_seg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
const char *const case_gpr_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

#define CASE_DATA_PER_LINE 32u

/* Flat segments as struct cpu caches them: G=1, D/B=1, accessed. */
static const uint16_t case_flat_code = 0xc09b, case_flat_data = 0xc093;

void case_init(struct fuzz_case *fc, int cpl)
{
	memset(fc, 0, sizeof(*fc));
	fc->code32 = true;
	fc->cpl = (uint8_t)cpl;
	fc->paging = true;
	fc->eflags = 0x202;
	fc->eip = 0x00401000;
	for (int s = 0; s < 6; s++) {
		uint16_t dpl = (uint16_t)(cpl << 5);
		uint16_t attr = (s == SR_CS ? case_flat_code : case_flat_data) | dpl;
		uint16_t sel = (uint16_t)((s == SR_CS ? 0x20 : 0x28) | cpl);
		fc->seg[s] = (struct seg){ sel, attr, 0, 0xffffffff };
	}
	fc->gpr[ESP] = 0x00403000;
}

struct case_page *case_find_page(struct fuzz_case *fc, uint32_t lin)
{
	for (unsigned k = 0; k < fc->n_pages; k++)
		if (fc->page[k].lin == (lin & ~(CASE_PAGE - 1)))
			return &fc->page[k];
	return NULL;
}

struct case_page *case_add_page(struct fuzz_case *fc, uint32_t lin, uint8_t perm)
{
	struct case_page *p;

	if (case_find_page(fc, lin) || fc->n_pages == CASE_PAGES_MAX)
		return NULL;
	p = &fc->page[fc->n_pages++];
	memset(p, 0, sizeof(*p));
	p->lin = lin & ~(CASE_PAGE - 1);
	p->perm = perm;
	return p;
}

void case_drop_page(struct fuzz_case *fc, unsigned k)
{
	memmove(&fc->page[k], &fc->page[k + 1], (fc->n_pages - k - 1) * sizeof(fc->page[0]));
	fc->n_pages--;
}

uint32_t case_code_lin(const struct fuzz_case *fc)
{
	return fc->seg[SR_CS].base + fc->eip;
}

unsigned case_end_marker(const struct fuzz_case *fc, uint8_t *bytes)
{
	static const uint8_t hlt[] = { 0xf4 }, ud2[] = { 0x0f, 0x0b };

	memcpy(bytes, fc->cpl ? hlt : ud2, fc->cpl ? sizeof(hlt) : sizeof(ud2));
	return fc->cpl ? sizeof(hlt) : sizeof(ud2);
}

/* The code and its end marker must lie in declared pages. */
static bool case_code_mapped(const struct fuzz_case *fc)
{
	uint32_t lin = case_code_lin(fc);
	uint8_t marker[CASE_END_MARKER_MAX];
	unsigned n = fc->code_len + case_end_marker(fc, marker);

	for (unsigned k = 0; k < n; k++)
		if (!case_find_page((struct fuzz_case *)fc, lin + k))
			return false;
	return true;
}

int case_validate(const struct fuzz_case *fc, char *err, size_t errlen)
{
	const char *why = NULL;

	if (fc->cpl != 0 && fc->cpl != 3)
		why = "cpl must be 0 or 3";
	else if ((fc->seg[SR_CS].sel & 3) != fc->cpl)
		why = "cs selector's RPL must equal cpl";
	else if (!case_code_mapped(fc))
		why = "the code and its end marker must lie in declared pages";
	else if (fc->eflags & F_VM)
		why = "eflags.VM: V86 cases are not supported";
	if (why)
		snprintf(err, errlen, "%s", why);
	return why ? -1 : 0;
}

/* ---- reading ---- */

struct case_parser {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	struct fuzz_case *fc;
};

static int parse_fail(struct case_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int parse_fail(struct case_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static char *parse_word(char **s)
{
	char *w = *s + strspn(*s, " \t");
	char *end = w + strcspn(w, " \t");

	*s = end;
	if (*end) {
		*end = 0;
		*s = end + 1;
	}
	return *w ? w : NULL;
}

static int parse_num(struct case_parser *p, char **s, uint32_t max, uint32_t *v)
{
	char *w = parse_word(s), *end;
	unsigned long long x;

	if (!w)
		return parse_fail(p, "missing number");
	errno = 0;
	x = strtoull(w, &end, 0);
	if (*end || errno || x > max)
		return parse_fail(p, "bad number '%s' (at most 0x%x)", w, max);
	*v = (uint32_t)x;
	return 0;
}

static int parse_rest_empty(struct case_parser *p, char *s)
{
	char *w = parse_word(&s);

	return w ? parse_fail(p, "unexpected '%s' at end of line", w) : 0;
}

/* Hex bytes ("0f af c3" or "0fafc3") into out; returns count or -1. */
static int parse_hex(struct case_parser *p, char *s, uint8_t *out, unsigned max)
{
	unsigned n = 0;

	for (char *w; (w = parse_word(&s));) {
		for (; *w; w += 2) {
			char byte[3] = { w[0], w[1], 0 }, *end;
			if (!isxdigit((unsigned char)w[0]) || !isxdigit((unsigned char)w[1]))
				return parse_fail(p, "bad hex byte '%s'", byte);
			if (n == max)
				return parse_fail(p, "too many bytes (at most %u)", max);
			out[n++] = (uint8_t)strtoul(byte, &end, 16);
		}
	}
	return (int)n;
}

static int parse_word_in(struct case_parser *p, char **s, const char *const *names,
			 int n, const char *what)
{
	char *w = parse_word(s);

	for (int k = 0; w && k < n; k++)
		if (!strcmp(w, names[k]))
			return k;
	return parse_fail(p, "%s must be one of %s%s%s", what, names[0],
			  n > 1 ? ", " : "", n > 1 ? names[1] : "");
}

static int key_mode(struct case_parser *p, char *s)
{
	static const char *const modes[] = { "prot32", "prot16" };
	int k = parse_word_in(p, &s, modes, 2, "mode");

	if (k < 0)
		return -1;
	p->fc->code32 = k == 0;
	return parse_rest_empty(p, s);
}

static int key_cpl(struct case_parser *p, char *s)
{
	uint32_t v;

	if (parse_num(p, &s, 3, &v) < 0)
		return -1;
	p->fc->cpl = (uint8_t)v;
	return parse_rest_empty(p, s);
}

static int key_paging(struct case_parser *p, char *s)
{
	static const char *const onoff[] = { "on", "off" };
	int k = parse_word_in(p, &s, onoff, 2, "paging");

	if (k < 0)
		return -1;
	p->fc->paging = k == 0;
	return parse_rest_empty(p, s);
}

static int key_u32(struct case_parser *p, char *s, uint32_t *dst)
{
	return parse_num(p, &s, 0xffffffffu, dst) < 0 ? -1 : parse_rest_empty(p, s);
}

static int key_seg(struct case_parser *p, char *s, int sr)
{
	uint32_t sel, base, limit, attr;
	struct seg *g = &p->fc->seg[sr];

	if (parse_num(p, &s, 0xffff, &sel) < 0 || parse_num(p, &s, 0xffffffffu, &base) < 0 ||
	    parse_num(p, &s, 0xffffffffu, &limit) < 0 || parse_num(p, &s, 0xffff, &attr) < 0)
		return -1;
	*g = (struct seg){ (uint16_t)sel, (uint16_t)attr, base, limit };
	return parse_rest_empty(p, s);
}

static int key_code(struct case_parser *p, char *s)
{
	int n = parse_hex(p, s, p->fc->code, CASE_CODE_MAX);

	if (n < 0)
		return -1;
	p->fc->code_len = (unsigned)n;
	return 0;
}

static int parse_perm(struct case_parser *p, const char *w, uint8_t *perm)
{
	static const char *const perms[4] = { "sr", "srw", "ur", "urw" };

	for (int k = 0; w && k < 4; k++)
		if (!strcmp(w, perms[k])) {
			*perm = (uint8_t)((k & 1 ? CPERM_W : 0) | (k & 2 ? CPERM_U : 0));
			return 0;
		}
	return parse_fail(p, "page permission must be sr, srw, ur or urw");
}

static int key_page(struct case_parser *p, char *s)
{
	uint32_t lin;
	uint8_t perm = 0;

	if (parse_num(p, &s, 0xffffffffu, &lin) < 0 || parse_perm(p, parse_word(&s), &perm) < 0)
		return -1;
	if (lin & (CASE_PAGE - 1))
		return parse_fail(p, "page address 0x%x is not 4 KiB aligned", lin);
	if (case_find_page(p->fc, lin))
		return parse_fail(p, "page 0x%08x declared twice", lin);
	if (!case_add_page(p->fc, lin, perm))
		return parse_fail(p, "too many pages (at most %u)", CASE_PAGES_MAX);
	return parse_rest_empty(p, s);
}

static int key_data(struct case_parser *p, char *s)
{
	uint8_t bytes[CASE_PAGE];
	uint32_t lin;
	struct case_page *pg;
	int n;

	if (parse_num(p, &s, 0xffffffffu, &lin) < 0)
		return -1;
	pg = case_find_page(p->fc, lin);
	if (!pg)
		return parse_fail(p, "data at 0x%08x: no page declared there (page lines first)", lin);
	n = parse_hex(p, s, bytes, CASE_PAGE - (lin & (CASE_PAGE - 1)));
	if (n < 0)
		return -1;
	memcpy(pg->data + (lin & (CASE_PAGE - 1)), bytes, (size_t)n);
	return 0;
}

static int key_note(struct case_parser *p, char *s)
{
	snprintf(p->fc->note, sizeof(p->fc->note), "%s", s + strspn(s, " \t"));
	return 0;
}

static int parse_reg_key(struct case_parser *p, const char *key, char *rest)
{
	for (int r = 0; r < 8; r++)
		if (!strcmp(key, case_gpr_names[r]))
			return key_u32(p, rest, &p->fc->gpr[r]);
	for (int s = 0; s < 6; s++)
		if (!strcmp(key, case_seg_names[s]))
			return key_seg(p, rest, s);
	if (!strcmp(key, "eip"))
		return key_u32(p, rest, &p->fc->eip);
	if (!strcmp(key, "eflags"))
		return key_u32(p, rest, &p->fc->eflags);
	return parse_fail(p, "unknown key '%s'", key);
}

static const struct {
	const char *key;
	int (*parse)(struct case_parser *p, char *rest);
} case_keys[] = {
	{ "mode", key_mode }, { "cpl", key_cpl }, { "paging", key_paging },
	{ "code", key_code }, { "page", key_page }, { "data", key_data },
	{ "note", key_note },
};

static int parse_line(struct case_parser *p, char *line)
{
	char *s = line, *key;

	line[strcspn(line, "\r\n")] = 0;
	if (*(s + strspn(s, " \t")) == '#')
		return 0;
	key = parse_word(&s);
	if (!key)
		return 0;
	for (unsigned k = 0; k < sizeof(case_keys) / sizeof(case_keys[0]); k++)
		if (!strcmp(key, case_keys[k].key))
			return case_keys[k].parse(p, s);
	return parse_reg_key(p, key, s);
}

int case_read(FILE *f, const char *name, struct fuzz_case *fc, char *err, size_t errlen)
{
	struct case_parser p = { name, 0, err, errlen, fc };
	char line[16384], why[160];

	case_init(fc, 3);
	while (fgets(line, sizeof(line), f)) {
		p.line++;
		if (!strchr(line, '\n') && !feof(f))
			return parse_fail(&p, "line too long");
		if (parse_line(&p, line) < 0)
			return -1;
	}
	if (case_validate(fc, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		return -1;
	}
	return 0;
}

int case_load(const char *path, struct fuzz_case *fc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = case_read(f, path, fc, err, errlen);
	fclose(f);
	return rc;
}

/* ---- writing ---- */

static void write_hex(FILE *f, const uint8_t *b, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		fprintf(f, k ? " %02x" : "%02x", b[k]);
	fputc('\n', f);
}

static bool bytes_zero(const uint8_t *b, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (b[k])
			return false;
	return true;
}

static void write_page(FILE *f, const struct case_page *pg)
{
	static const char *const perms[4] = { "sr", "srw", "ur", "urw" };

	fprintf(f, "page 0x%08x %s\n", pg->lin, perms[pg->perm & 3]);
	for (unsigned off = 0; off < CASE_PAGE; off += CASE_DATA_PER_LINE) {
		if (bytes_zero(pg->data + off, CASE_DATA_PER_LINE))
			continue;
		fprintf(f, "data 0x%08x ", pg->lin + off);
		write_hex(f, pg->data + off, CASE_DATA_PER_LINE);
	}
}

static void write_regs(FILE *f, const struct fuzz_case *fc)
{
	for (int r = 0; r < 8; r++)
		fprintf(f, "%s 0x%08x\n", case_gpr_names[r], fc->gpr[r]);
	fprintf(f, "eip 0x%08x\neflags 0x%08x\n", fc->eip, fc->eflags);
	fprintf(f, "# segment selector base limit attr\n");
	for (int s = 0; s < 6; s++)
		fprintf(f, "%s 0x%04x 0x%08x 0x%08x 0x%04x\n", case_seg_names[s], fc->seg[s].sel,
			fc->seg[s].base, fc->seg[s].limit, fc->seg[s].attr);
}

int case_write(FILE *f, const struct fuzz_case *fc)
{
	fprintf(f, "# doppel test case (docs/case-format.md)\n");
	if (fc->note[0])
		fprintf(f, "note %s\n", fc->note);
	fprintf(f, "mode %s\ncpl %u\npaging %s\n", fc->code32 ? "prot32" : "prot16", fc->cpl,
		fc->paging ? "on" : "off");
	write_regs(f, fc);
	for (unsigned k = 0; k < fc->n_pages; k++)
		write_page(f, &fc->page[k]);
	fprintf(f, "code ");
	write_hex(f, fc->code, fc->code_len);
	return ferror(f) ? -1 : 0;
}

int case_save(const char *path, const struct fuzz_case *fc)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = case_write(f, fc);
	return fclose(f) || rc ? -1 : 0;
}
