/*
 * `doppel boot-test`: boot the Linux guest (make linux-guest), capture
 * COM1, and judge the run: the serial lines against a baseline, the
 * kernel's own view of the machine (no warnings or oopses, TSC calibrated
 * against the PIT, COM1 a 16550A on IRQ 4, the timer interrupt counting),
 * and whether the guest reached the baseline's last line before the
 * virtual-time limit (an instruction budget) ran out.
 *
 * The baseline holds the lines as the guest printed them (--update writes
 * it from a run). The filter applied to both sides before comparing:
 * carriage returns are dropped, and unless --exact the kernel's
 * "[    1.234567] " timestamp prefix is cut. Timestamps are virtual time, identical on interp and bt
 * for one doppel build, but every change to the device models' timing
 * moves them; --exact checks them too.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"
#include "harness/report.h"
#include "vmm/engine.h"
#include "vmm/loader.h"

#define BT_DEFAULT_BUDGET 20000000000ull /* about 3x what the guest needs */
/* No local or I/O APIC and no ACPI tables, like QEMU's isapc machine. */
#define BT_DEFAULT_APPEND "console=ttyS0 noapic nolapic acpi=off"

const char boot_test_usage[] =
	"usage: doppel boot-test [OPTIONS]\n"
	"  -kernel FILE       default build/linux/bzImage (make linux-guest)\n"
	"  -initrd FILE       default build/linux/initrd.img\n"
	"  -append ARGS       default \"" BT_DEFAULT_APPEND "\"\n"
	"  -m SIZE            RAM, default 256M\n"
	"  --engine NAME      interp (default)\n"
	"  --baseline FILE    expected serial lines, default tests/linux/baseline.txt\n"
	"  --max-insns N      virtual-time limit, default 20000000000 instructions\n"
	"  --exact            compare the kernel's timestamps too\n"
	"  --update           write the run's filtered output as the new baseline\n"
	"  --log FILE         write the raw serial output to FILE\n"
	"  --junit FILE       write the checks' results as JUnit XML to FILE\n"
	"  --verbose          show the serial output while the guest runs\n"
	"Exit code: 0 the guest reached the baseline's last line and every check\n"
	"passed, 1 a check failed, 8 the guest did not reach its last line within\n"
	"the budget, 2 error.\n";

struct bt_opts {
	const char *kernel, *initrd, *append, *engine, *baseline, *log, *junit;
	uint64_t ram, max_insns;
	bool exact, update, verbose;
};

/* The serial output as it arrives: kept, and echoed with --verbose. */
struct bt_capture {
	char *buf;
	size_t len, cap;
	bool echo;
};

static ssize_t bt_capture_write(void *cookie, const char *data, size_t n)
{
	struct bt_capture *c = cookie;
	if (c->len + n + 1 > c->cap) {
		size_t cap = (c->len + n + 1) * 2;
		char *b = realloc(c->buf, cap);
		if (!b)
			return -1;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	c->buf[c->len] = 0;
	if (c->echo) {
		fwrite(data, 1, n, stdout);
		fflush(stdout);
	}
	return (ssize_t)n;
}

/* ---- lines and the filter ---- */

struct bt_lines {
	char **v;
	size_t n;
};

static const char *bt_strip_timestamp(const char *s)
{
	const char *p = s;
	if (*p++ != '[')
		return s;
	while (*p == ' ')
		p++;
	size_t digits = strspn(p, "0123456789");
	if (!digits || p[digits] != '.' || strspn(p + digits + 1, "0123456789") != 6)
		return s;
	p += digits + 7;
	return p[0] == ']' && p[1] == ' ' ? p + 2 : s;
}

static int bt_lines_add(struct bt_lines *l, const char *s, size_t len, bool exact)
{
	char *line = strndup(s, len);
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!line || !v) {
		free(line);
		return -1;
	}
	l->v = v;
	char *cr;
	while ((cr = strchr(line, '\r')))
		memmove(cr, cr + 1, strlen(cr));
	const char *keep = exact ? line : bt_strip_timestamp(line);
	memmove(line, keep, strlen(keep) + 1);
	l->v[l->n++] = line;
	return 0;
}

/* A last line without its newline still counts: the guest printed it. */
static int bt_lines_split(const char *text, bool exact, struct bt_lines *l)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (bt_lines_add(l, p, len, exact) < 0)
			return -1;
		p += len + (nl != NULL);
	}
	return 0;
}

static void bt_lines_free(struct bt_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static char *bt_read_text(const char *path)
{
	uint8_t *data;
	size_t len;
	char err[LOADER_ERR_MAX];
	if (loader_read_file(path, &data, &len, err) < 0) {
		fprintf(stderr, "doppel boot-test: %s\n", err);
		return NULL;
	}
	char *s = realloc(data, len + 1);
	if (!s) {
		free(data);
		return NULL;
	}
	s[len] = 0;
	return s;
}

/* ---- the kernel's view of the machine ---- */

struct bt_check {
	const char *pattern; /* POSIX extended regex over one filtered line */
	bool forbidden;      /* true: no line may match; false: one must */
	const char *what;
};

static const struct bt_check bt_checks[] = {
	{ "WARNING:|Oops|BUG:|Kernel panic|Call Trace|cut here", true,
	  "the kernel reports no warning or oops" },
	{ "BIOS Error|Firmware Bug|FIRMWARE BUG|Broken PMU|Failed to access perfctr", true,
	  "the kernel finds no broken firmware or hardware" },
	{ "tsc: (Fast TSC calibration using PIT|Using PIT calibration value)", false,
	  "the TSC is calibrated against the PIT" },
	{ "serial8250: ttyS0 at I/O 0x3f8 \\(irq = 4,.*\\) is a 16550A", false,
	  "COM1 is found as a 16550A on IRQ 4" },
	{ "^guest: timer interrupts counting$", false, "the timer interrupt works" },
};
#define N_CHECKS (sizeof(bt_checks) / sizeof(bt_checks[0]))

static void bt_check_one(const struct bt_check *c, const struct bt_lines *out,
			 struct report *r)
{
	regex_t re;
	size_t hit = out->n;
	if (regcomp(&re, c->pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		report_fail(r, c->what, "bad check pattern /%s/", c->pattern);
		return;
	}
	for (size_t i = 0; i < out->n && hit == out->n; i++)
		if (regexec(&re, out->v[i], 0, NULL, 0) == 0)
			hit = i;
	regfree(&re);
	if (c->forbidden && hit < out->n)
		report_fail(r, c->what, "not so: %s; line %zu: %s", c->what, hit + 1, out->v[hit]);
	else if (!c->forbidden && hit == out->n)
		report_fail(r, c->what, "not seen: %s (/%s/)", c->what, c->pattern);
	else
		report_pass(r, c->what);
}

static void bt_check_kernel(const struct bt_lines *out, struct report *r)
{
	for (unsigned i = 0; i < N_CHECKS; i++)
		bt_check_one(&bt_checks[i], out, r);
}

/* ---- the baseline ---- */

#define BT_CASE_BASELINE "the serial output matches the baseline"
#define BT_CASE_REACHED "the guest reaches its last line"

static void bt_compare(const struct bt_lines *want, const struct bt_lines *got,
		       struct report *r)
{
	size_t n = want->n < got->n ? want->n : got->n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(want->v[i], got->v[i]) != 0) {
			report_fail(r, BT_CASE_BASELINE, "serial line %zu differs from the "
				    "baseline\n  expected: %s\n  got:      %s", i + 1,
				    want->v[i], got->v[i]);
			return;
		}
	if (got->n < want->n) {
		report_fail(r, BT_CASE_BASELINE, "the output stops after line %zu; the "
			    "baseline expects\n  %s", got->n, want->v[got->n]);
		return;
	}
	if (got->n > want->n)
		printf("note: %zu lines after the baseline's last one (first: %s)\n",
		       got->n - want->n, got->v[want->n]);
	report_pass(r, BT_CASE_BASELINE);
}

/*
 * With the timestamps cut, the lines that matched may still differ in
 * them: those are the lines that depend on time (on de, where native
 * instructions are not counted, every kernel line after the first user
 * code). Named, as ranges of line numbers, so a run says which they are.
 */
static void bt_note_time_lines(const struct bt_lines *want, const struct bt_lines *got)
{
	size_t n = want->n < got->n ? want->n : got->n, count = 0, first = 0;
	char ranges[160] = "";
	int used = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && strcmp(want->v[i], got->v[i]) != 0) {
			count++;
			first = first ? first : i + 1;
			continue;
		}
		if (first && used < (int)sizeof(ranges))
			used += first == i ? snprintf(ranges + used, sizeof(ranges) - (size_t)used,
						      "%s%zu", used ? ", " : "", i)
					   : snprintf(ranges + used, sizeof(ranges) - (size_t)used,
						      "%s%zu-%zu", used ? ", " : "", first, i);
		first = 0;
	}
	if (count)
		printf("boot-test: %zu lines differ from the baseline only in their timestamps "
		       "(time-dependent; compared with --exact): lines %s\n", count, ranges);
}

static bool bt_reached(const struct bt_lines *want, const struct bt_lines *got)
{
	if (!want->n)
		return false;
	for (size_t i = 0; i < got->n; i++)
		if (!strcmp(got->v[i], want->v[want->n - 1]))
			return true;
	return false;
}

static int bt_write_baseline(const char *path, const struct bt_lines *got)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "doppel boot-test: cannot write %s\n", path);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < got->n; i++)
		fprintf(f, "%s\n", got->v[i]);
	fclose(f);
	printf("boot-test: wrote %zu lines to %s\n", got->n, path);
	return 0;
}

/* ---- the run ---- */

static int bt_setup(struct machine *m, const struct bt_opts *o, FILE *serial)
{
	char err[LOADER_ERR_MAX];
	m->ram_fd = -1;
	if (o->ram < RAM_MIN || o->ram > RAM_MAX || o->ram % 4096) {
		fprintf(stderr, "doppel boot-test: RAM size out of range\n");
		return -1;
	}
	if (machine_init(m, (uint32_t)o->ram) < 0)
		return -1;
	machine_reset(m);
	m->serial_out = serial;
	if (loader_linux(m, o->kernel, o->initrd, o->append, err) < 0) {
		fprintf(stderr, "doppel boot-test: %s (run 'make linux-guest' first?)\n", err);
		return -1;
	}
	return 0;
}

static const char *bt_stop_name(enum stop_reason why)
{
	static const char *const names[] = {
		[STOP_NONE] = "no stop", [STOP_BUDGET] = "budget spent",
		[STOP_HLT] = "halted with interrupts off", [STOP_SHUTDOWN] = "triple fault",
		[STOP_DEBUG_EXIT] = "isa-debug-exit", [STOP_RESET] = "reset",
		[STOP_ERROR] = "monitor error",
	};
	return names[why];
}

/* Runs the guest; the captured text in cap, the stop reason returned. */
static int bt_run(const struct bt_opts *o, const struct engine *e, struct bt_capture *cap,
		  enum stop_reason *why, double *secs)
{
	struct machine *m = calloc(1, sizeof(*m));
	cookie_io_functions_t io = { .write = bt_capture_write };
	FILE *serial = fopencookie(cap, "w", io);
	int rc = -1;
	if (m && serial && bt_setup(m, o, serial) == 0) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		*why = e->run(m, o->max_insns);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
		fflush(serial);
		printf("boot-test: %s after %" PRIu64 " instructions at %04x:%08x%s%s\n",
		       bt_stop_name(*why), m->icount, m->cpu.seg[SR_CS].sel, m->cpu.eip,
		       m->error[0] ? ": " : "", m->error);
		rc = 0;
	}
	if (serial)
		fclose(serial);
	if (m)
		machine_free(m);
	free(m);
	return rc;
}

static int bt_save_log(const char *path, const struct bt_capture *cap)
{
	FILE *f = path ? fopen(path, "w") : NULL;
	if (path && !f) {
		fprintf(stderr, "doppel boot-test: cannot write %s\n", path);
		return -1;
	}
	if (f) {
		fwrite(cap->buf ? cap->buf : "", 1, cap->len, f);
		fclose(f);
	}
	return 0;
}

static bool bt_judge_reached(const struct bt_opts *o, const struct bt_lines *want,
			     const struct bt_lines *got, enum stop_reason why,
			     struct report *r)
{
	if (bt_reached(want, got)) {
		report_pass(r, BT_CASE_REACHED);
		return true;
	}
	const char *expected = want->n ? want->v[want->n - 1] : "(empty baseline)";
	const char *seen = got->n ? got->v[got->n - 1] : "(no output)";
	if (why == STOP_BUDGET)
		report_fail(r, BT_CASE_REACHED, "guest did not reach its last line within %"
			    PRIu64 " instructions\n  last line expected: %s\n  last line seen:"
			    "     %s", o->max_insns, expected, seen);
	else
		report_fail(r, BT_CASE_REACHED, "guest stopped (%s) before its last line\n"
			    "  last line expected: %s\n  last line seen:     %s",
			    bt_stop_name(why), expected, seen);
	return false;
}

static int bt_judge(const struct bt_opts *o, const struct bt_lines *want,
		    const struct bt_lines *got, enum stop_reason why, double secs)
{
	struct report r = { .suite = "boot-test" };
	bool reached = bt_judge_reached(o, want, got, why, &r);
	if (reached)
		bt_check_kernel(got, &r);
	bt_compare(want, got, &r);
	if (o->junit && report_write_junit(&r, o->junit, secs) < 0)
		return EXIT_ERROR;
	if (!reached)
		return why == STOP_BUDGET ? EXIT_BUDGET : 1;
	printf("boot-test: %s (%zu lines)\n", report_failures(&r) ? "FAIL" : "PASS", got->n);
	return report_failures(&r) ? 1 : 0;
}

static int bt_main(const struct bt_opts *o, const struct engine *e)
{
	struct bt_capture cap = { .echo = o->verbose };
	struct bt_lines want = { 0 }, got = { 0 }, want_raw = { 0 }, got_raw = { 0 };
	enum stop_reason why = STOP_NONE;
	double secs = 0;
	char *base = o->update ? strdup("") : bt_read_text(o->baseline);
	int rc = EXIT_ERROR;
	if (base && bt_lines_split(base, o->exact, &want) == 0 &&
	    bt_run(o, e, &cap, &why, &secs) == 0 && bt_save_log(o->log, &cap) == 0 &&
	    bt_lines_split(cap.buf ? cap.buf : "", o->exact || o->update, &got) == 0)
		rc = o->update ? bt_write_baseline(o->baseline, &got) : bt_judge(o, &want, &got, why, secs);
	if (rc == 0 && !o->update && !o->exact && bt_lines_split(base, true, &want_raw) == 0 &&
	    bt_lines_split(cap.buf ? cap.buf : "", true, &got_raw) == 0)
		bt_note_time_lines(&want_raw, &got_raw);
	bt_lines_free(&want);
	bt_lines_free(&got);
	bt_lines_free(&want_raw);
	bt_lines_free(&got_raw);
	free(base);
	free(cap.buf);
	return rc;
}

/* ---- options ---- */

#define BT_STR_SETTER(field) \
	static int bt_set_##field(void *ctx, const char *v) \
	{ ((struct bt_opts *)ctx)->field = v; return 0; }
BT_STR_SETTER(kernel)
BT_STR_SETTER(initrd)
BT_STR_SETTER(append)
BT_STR_SETTER(engine)
BT_STR_SETTER(baseline)
BT_STR_SETTER(log)
BT_STR_SETTER(junit)

static int bt_set_exact(void *ctx, const char *v) { (void)v; ((struct bt_opts *)ctx)->exact = true; return 0; }
static int bt_set_update(void *ctx, const char *v) { (void)v; ((struct bt_opts *)ctx)->update = true; return 0; }
static int bt_set_verbose(void *ctx, const char *v) { (void)v; ((struct bt_opts *)ctx)->verbose = true; return 0; }

static int bt_set_ram(void *ctx, const char *v)
{
	if (parse_ram_size(v, &((struct bt_opts *)ctx)->ram) == 0)
		return 0;
	fprintf(stderr, "doppel boot-test: bad RAM size '%s'\n", v);
	return -1;
}

static int bt_set_max_insns(void *ctx, const char *v)
{
	if (parse_u64(v, &((struct bt_opts *)ctx)->max_insns) == 0)
		return 0;
	fprintf(stderr, "doppel boot-test: bad instruction count '%s'\n", v);
	return -1;
}

static const struct opt_spec bt_opts_table[] = {
	{ "kernel", true, false, bt_set_kernel },
	{ "initrd", true, false, bt_set_initrd },
	{ "append", true, false, bt_set_append },
	{ "m", true, false, bt_set_ram },
	{ "engine", true, false, bt_set_engine },
	{ "baseline", true, false, bt_set_baseline },
	{ "max-insns", true, false, bt_set_max_insns },
	{ "exact", false, false, bt_set_exact },
	{ "update", false, false, bt_set_update },
	{ "log", true, false, bt_set_log },
	{ "junit", true, false, bt_set_junit },
	{ "verbose", false, false, bt_set_verbose },
	{ NULL, false, false, NULL },
};

int cmd_boot_test(int argc, char **argv)
{
	struct bt_opts o = {
		.kernel = "build/linux/bzImage", .initrd = "build/linux/initrd.img",
		.append = BT_DEFAULT_APPEND, .engine = "interp",
		.baseline = "tests/linux/baseline.txt", .ram = 256u << 20,
		.max_insns = BT_DEFAULT_BUDGET,
	};
	int rc = opt_parse(argc - 1, argv + 1, bt_opts_table, &o, "boot-test");
	if (rc != 0) {
		if (rc > 0)
			fputs(boot_test_usage, stdout);
		return rc > 0 ? EXIT_HELP : EXIT_ERROR;
	}
	const struct engine *e = engine_find(o.engine);
	if (!e) {
		fprintf(stderr, "doppel boot-test: unknown engine '%s'\n", o.engine);
		return EXIT_ERROR;
	}
	return bt_main(&o, e);
}
