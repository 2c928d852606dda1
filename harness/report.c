/*
 * Check results collected as a command runs, printed as they come and
 * written as one JUnit XML test suite (the format CI systems read).
 */
#include "harness/report.h"

#include <stdarg.h>
#include <stdio.h>

static struct report_case *report_next(struct report *r, const char *name, bool ok)
{
	struct report_case *c = &r->c[r->n < REPORT_CASES_MAX ? r->n++ : REPORT_CASES_MAX - 1];
	c->name = name;
	c->ok = ok;
	c->msg[0] = 0;
	return c;
}

void report_pass(struct report *r, const char *name)
{
	report_next(r, name, true);
}

void report_fail(struct report *r, const char *name, const char *fmt, ...)
{
	struct report_case *c = report_next(r, name, false);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	printf("FAIL: %s\n", c->msg);
}

int report_failures(const struct report *r)
{
	int n = 0;
	for (int i = 0; i < r->n; i++)
		n += !r->c[i].ok;
	return n;
}

static void report_xml_text(FILE *f, const char *s)
{
	static const struct { char ch; const char *ent; } ents[] = {
		{ '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" },
		{ '\n', "&#10;" }, /* kept through attribute normalization */
	};
	for (; *s; s++) {
		unsigned i = 0;
		while (i < sizeof(ents) / sizeof(ents[0]) && ents[i].ch != *s)
			i++;
		if (i < sizeof(ents) / sizeof(ents[0]))
			fputs(ents[i].ent, f);
		else if ((unsigned char)*s >= 0x20 || *s == '\t')
			fputc(*s, f);
	}
}

static void report_xml_case(FILE *f, const struct report *r, const struct report_case *c)
{
	fprintf(f, "  <testcase classname=\"");
	report_xml_text(f, r->suite);
	fprintf(f, "\" name=\"");
	report_xml_text(f, c->name);
	if (c->ok) {
		fprintf(f, "\"/>\n");
		return;
	}
	fprintf(f, "\">\n    <failure message=\"");
	report_xml_text(f, c->msg);
	fprintf(f, "\"/>\n  </testcase>\n");
}

int report_write_junit(const struct report *r, const char *path, double secs)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "doppel: cannot write %s\n", path);
		return -1;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"");
	report_xml_text(f, r->suite);
	fprintf(f, "\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">\n", r->n,
		report_failures(r), secs);
	for (int i = 0; i < r->n; i++)
		report_xml_case(f, r, &r->c[i]);
	fprintf(f, "</testsuite>\n");
	return fclose(f) == 0 ? 0 : -1;
}
