/*
 * Test results of a harness command as readable text while it runs and,
 * at the end, as JUnit XML for CI: one suite, one case per check.
 */
#ifndef DOPPEL_REPORT_H
#define DOPPEL_REPORT_H

#include <stdbool.h>

#define REPORT_CASES_MAX 16
#define REPORT_MSG_MAX 512

struct report_case {
	const char *name;
	bool ok;
	char msg[REPORT_MSG_MAX];
};

struct report {
	const char *suite;
	struct report_case c[REPORT_CASES_MAX];
	int n;
};

void report_pass(struct report *r, const char *name);
/* Records a failed case and prints "FAIL: MSG" on stdout. */
void report_fail(struct report *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int report_failures(const struct report *r);
/* JUnit XML; -1 with a message on stderr if the file cannot be written. */
int report_write_junit(const struct report *r, const char *path, double secs);

#endif
