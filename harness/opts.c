/*
 * Option parsing from per-subcommand tables: one loop for every command,
 * so spellings and error messages are the same everywhere.
 */
#define _GNU_SOURCE
#include "harness/harness.h"

#include "vmm/machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct opt_spec *opt_lookup(const struct opt_spec *specs, const char *name,
					 size_t len)
{
	for (; specs->name; specs++)
		if (strlen(specs->name) == len && strncmp(specs->name, name, len) == 0)
			return specs;
	return NULL;
}

static const char *opt_strip_dashes(const char *arg)
{
	if (arg[0] != '-' || arg[1] == 0)
		return NULL;
	return arg[1] == '-' ? arg + 2 : arg + 1;
}

/* Handles argv[*i]; advances *i past a separate value. */
static int opt_one(int argc, char **argv, int *i, const struct opt_spec *specs, void *ctx,
		   const char *cmd)
{
	const char *name = opt_strip_dashes(argv[*i]);
	if (!name) {
		fprintf(stderr, "doppel %s: unexpected argument '%s'\n", cmd, argv[*i]);
		return -1;
	}
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt_spec *o = opt_lookup(specs, name, len);
	if (!o || (eq && !o->has_value)) {
		fprintf(stderr, "doppel %s: unknown option '%s' (see doppel %s --help)\n",
			cmd, argv[*i], cmd);
		return -1;
	}
	const char *val = eq ? eq + 1 : NULL;
	if (o->has_value && !val && !o->value_optional) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "doppel %s: option '%s' needs a value\n", cmd, argv[*i]);
			return -1;
		}
		val = argv[++*i];
	}
	return o->parse(ctx, val);
}

int opt_parse(int argc, char **argv, const struct opt_spec *specs, void *ctx,
	      const char *cmd)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-help"))
			return 1;
		if (opt_one(argc, argv, &i, specs, ctx, cmd) < 0)
			return -1;
	}
	return 0;
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int parse_ram_size(const char *s, uint64_t *bytes)
{
	static const struct { char suffix; unsigned shift; } units[] = {
		{ 0, 20 }, { 'k', 10 }, { 'K', 10 }, { 'm', 20 }, { 'M', 20 },
		{ 'g', 30 }, { 'G', 30 },
	};
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || x > (1ull << 32) || (end[0] && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB")))
		return -1;
	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].suffix == end[0]) {
			*bytes = (uint64_t)x << units[i].shift;
			return 0;
		}
	return -1;
}

static const struct { const char *name; unsigned bit; } trace_names[] = {
	{ "exec", TRACE_EXEC }, { "io", TRACE_IO }, { "int", TRACE_INT },
};
#define N_TRACE (sizeof(trace_names) / sizeof(trace_names[0]))

static int parse_trace_one(const char *p, size_t len, unsigned *bits)
{
	for (unsigned i = 0; i < N_TRACE; i++)
		if (strlen(trace_names[i].name) == len && !strncmp(p, trace_names[i].name, len)) {
			*bits |= trace_names[i].bit;
			return 0;
		}
	fprintf(stderr, "doppel: unknown trace category '%.*s' (known: exec, io, int)\n",
		(int)len, p);
	return -1;
}

int parse_trace(const char *v, unsigned *bits)
{
	if (!v) {
		*bits = TRACE_EXEC | TRACE_IO | TRACE_INT;
		return 0;
	}
	for (const char *p = v; *p;) {
		size_t len = strcspn(p, ",");
		if (parse_trace_one(p, len, bits) < 0)
			return -1;
		p += len + (p[len] == ',');
	}
	return 0;
}

/* A calendar time in UTC: "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD". */
static int parse_datetime(const char *s, int64_t *secs)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || *end)
		return -1;
	*secs = (int64_t)timegm(&tm);
	return 0;
}

/* base=utc and base=localtime: the host's time now, as QEMU starts. */
static int64_t parse_host_time(bool local)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!local || !localtime_r(&now, &tm))
		return (int64_t)now;
	return (int64_t)now + tm.tm_gmtoff;
}

int parse_rtc_base(const char *v, int64_t *secs)
{
	const char *base = strncmp(v, "base=", 5) ? NULL : v + 5;

	if (base && (!strcmp(base, "utc") || !strcmp(base, "localtime"))) {
		*secs = parse_host_time(!strcmp(base, "localtime"));
		return 0;
	}
	if (base && parse_datetime(base, secs) == 0)
		return 0;
	fprintf(stderr, "doppel: bad -rtc '%s' (base=YYYY-MM-DDTHH:MM:SS, base=YYYY-MM-DD, "
		"base=utc or base=localtime)\n", v);
	return -1;
}
