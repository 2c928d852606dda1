/*
 * `doppel random-guests`: robustness by random bytes. Each guest is 4 KiB
 * of random bytes entered in real mode or 32-bit protected mode, some with
 * an IVT or IDT whose handlers are random bytes too, some loaded through
 * the multiboot loader. All guests run in one process on one machine
 * (reset between them), each with an instruction budget; every run must
 * end with a clean stop reason. A watchdog names a guest that hangs.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/harness.h"
#include "vmm/engine.h"
#include "vmm/loader.h"

#define RG_RAM (2u << 20)
#define RG_CODE 4096u
#define RG_WATCHDOG_SECONDS 10

const char random_guests_usage[] =
	"usage: doppel random-guests [--seed S] [--count N] [--first I]\n"
	"                            [--max-insns N] [--engine NAME] [--verbose]\n"
	"                            [--trace[=exec,io,int]]\n"
	"  runs guests I .. I+N-1 (default 0 .. 999) made of random bytes from seed S\n"
	"  (default 1), each for at most N instructions (default 20000); fails if a\n"
	"  run ends in a monitor error. A run that hangs is killed by a watchdog.\n";

struct rg_opts {
	uint64_t seed, count, first, max_insns;
	const char *engine;
	bool verbose;
	unsigned trace;
};

/* splitmix64: a fixed, portable generator so a seed means the same guests
 * on every host. */
static uint64_t rg_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rg_fill(uint8_t *p, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rg_next(s);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* ---- the kinds of guest ---- */

static int rg_real(struct machine *m, uint64_t *s, char *err)
{
	uint8_t code[RG_CODE];
	rg_fill(code, sizeof(code), s);
	return loader_flat_image(m, "random", code, sizeof(code), 0x7c00, false, err);
}

/* Real mode with every IVT vector pointing into random handler bytes. */
static int rg_real_ivt(struct machine *m, uint64_t *s, char *err)
{
	rg_fill(m->ram + 0x10000, RG_CODE, s);
	for (unsigned v = 0; v < 256; v++) {
		uint32_t ent = 0x10000000u | (uint32_t)(rg_next(s) & 0xfff);
		memcpy(m->ram + 4 * v, &ent, 4);
	}
	return rg_real(m, s, err);
}

static int rg_pm32(struct machine *m, uint64_t *s, char *err)
{
	uint8_t code[RG_CODE];
	rg_fill(code, sizeof(code), s);
	if (loader_flat_image(m, "random", code, sizeof(code), 0x100000, true, err) < 0)
		return -1;
	m->cpu.gpr[ESP] = 0x180000;
	return 0;
}

/* 32-bit with an IDT of interrupt and trap gates into random handlers. */
static int rg_pm32_idt(struct machine *m, uint64_t *s, char *err)
{
	if (rg_pm32(m, s, err) < 0)
		return -1;
	rg_fill(m->ram + 0x110000, RG_CODE, s);
	for (unsigned v = 0; v < 256; v++) {
		uint32_t off = 0x110000u + (uint32_t)(rg_next(s) & 0xfff);
		uint32_t type = (rg_next(s) & 1) ? 0x8f00u : 0x8e00u;
		uint32_t gate[2] = { (LOADER_SEL_CODE32 << 16) | (off & 0xffff),
				     (off & 0xffff0000u) | type };
		memcpy(m->ram + 0x1000 + 8 * v, gate, 8);
	}
	m->cpu.idtr = (struct dtr){ 0x1000, 0x7ff };
	return 0;
}

/* A multiboot a.out-kludge image: header, then random bytes at the entry. */
static int rg_multiboot(struct machine *m, uint64_t *s, char *err)
{
	uint8_t img[32 + RG_CODE];
	uint32_t h[8] = { MB_HEADER_MAGIC, 0x10000, 0u - MB_HEADER_MAGIC - 0x10000,
			  0x100000, 0x100000, 0, 0, 0x100020 };
	memcpy(img, h, sizeof(h));
	rg_fill(img + 32, RG_CODE, s);
	return loader_multiboot_image(m, "random", img, sizeof(img), "", err);
}

static const struct {
	const char *name;
	int (*setup)(struct machine *m, uint64_t *s, char *err);
} rg_kinds[] = {
	{ "real", rg_real }, { "real+ivt", rg_real_ivt }, { "pm32", rg_pm32 },
	{ "pm32+idt", rg_pm32_idt }, { "multiboot", rg_multiboot },
};
#define RG_KINDS (sizeof(rg_kinds) / sizeof(rg_kinds[0]))

/* ---- the watchdog ---- */

static volatile sig_atomic_t rg_current;

static void rg_watchdog(int sig)
{
	char msg[64] = "random-guests: guest ";
	size_t n = strlen(msg);
	char digits[20];
	int d = 0;
	for (long v = rg_current; d == 0 || v; v /= 10)
		digits[d++] = (char)('0' + v % 10);
	while (d)
		msg[n++] = digits[--d];
	memcpy(msg + n, " hung\n", 6);
	(void)!write(2, msg, n + 6);
	(void)sig;
	_exit(EXIT_ERROR);
}

/* ---- running ---- */

static const char *const rg_stop_names[] = {
	[STOP_NONE] = "none", [STOP_BUDGET] = "budget", [STOP_HLT] = "hlt",
	[STOP_SHUTDOWN] = "shutdown", [STOP_DEBUG_EXIT] = "debug-exit",
	[STOP_RESET] = "reset", [STOP_ERROR] = "error", [STOP_UNSUPPORTED] = "unsupported",
};
#define RG_STOPS (sizeof(rg_stop_names) / sizeof(rg_stop_names[0]))

static bool rg_clean(enum stop_reason why)
{
	return why != STOP_NONE && why != STOP_ERROR;
}

static enum stop_reason rg_one(struct machine *m, const struct engine *e,
			       const struct rg_opts *o, uint64_t idx, char *err)
{
	uint64_t s = o->seed * 0x100000001b3ull ^ idx;
	memset(m->ram, 0, m->ram_size);
	machine_reset(m);
	m->serial_out = NULL;
	m->trace = o->trace;
	if (rg_kinds[idx % RG_KINDS].setup(m, &s, err) < 0)
		return STOP_ERROR;
	enum stop_reason why = e->run(m, o->max_insns);
	if (why == STOP_ERROR)
		snprintf(err, LOADER_ERR_MAX, "%s", m->error);
	return why;
}

static int rg_loop(struct machine *m, const struct engine *e, const struct rg_opts *o)
{
	uint64_t counts[RG_STOPS] = { 0 }, failed = 0;
	char err[LOADER_ERR_MAX];
	signal(SIGALRM, rg_watchdog);
	for (uint64_t i = o->first; i < o->first + o->count; i++) {
		rg_current = (sig_atomic_t)i;
		alarm(RG_WATCHDOG_SECONDS);
		err[0] = 0;
		enum stop_reason why = rg_one(m, e, o, i, err);
		counts[why < RG_STOPS ? why : STOP_NONE]++;
		if (o->verbose || !rg_clean(why))
			fprintf(stderr, "guest %" PRIu64 " (%s): %s after %" PRIu64 " insns%s%s\n",
				i, rg_kinds[i % RG_KINDS].name, rg_stop_names[why < RG_STOPS ? why : 0],
				m->icount, err[0] ? ": " : "", err);
		failed += !rg_clean(why);
	}
	alarm(0);
	fprintf(stderr, "random-guests: %" PRIu64 " guests from seed %" PRIu64 ":", o->count, o->seed);
	for (unsigned r = 1; r < RG_STOPS; r++)
		fprintf(stderr, " %s %" PRIu64, rg_stop_names[r], counts[r]);
	fprintf(stderr, "\n");
	if (failed)
		fprintf(stderr, "random-guests: %" PRIu64 " guests did not stop cleanly; rerun one "
			"with --seed %" PRIu64 " --first I --count 1 --verbose\n", failed, o->seed);
	return failed ? 1 : 0;
}

static int rg_parse_num(uint64_t *dst, const char *v)
{
	if (parse_u64(v, dst) < 0) {
		fprintf(stderr, "doppel random-guests: bad number '%s'\n", v);
		return -1;
	}
	return 0;
}

static int rg_set_seed(void *c, const char *v) { return rg_parse_num(&((struct rg_opts *)c)->seed, v); }
static int rg_set_count(void *c, const char *v) { return rg_parse_num(&((struct rg_opts *)c)->count, v); }
static int rg_set_first(void *c, const char *v) { return rg_parse_num(&((struct rg_opts *)c)->first, v); }
static int rg_set_max(void *c, const char *v) { return rg_parse_num(&((struct rg_opts *)c)->max_insns, v); }
static int rg_set_engine(void *c, const char *v) { ((struct rg_opts *)c)->engine = v; return 0; }
static int rg_set_verbose(void *c, const char *v) { (void)v; ((struct rg_opts *)c)->verbose = true; return 0; }

static int rg_set_trace(void *c, const char *v) { return parse_trace(v, &((struct rg_opts *)c)->trace); }

static const struct opt_spec rg_opts_table[] = {
	{ "seed", true, false, rg_set_seed },
	{ "count", true, false, rg_set_count },
	{ "first", true, false, rg_set_first },
	{ "max-insns", true, false, rg_set_max },
	{ "engine", true, false, rg_set_engine },
	{ "verbose", false, false, rg_set_verbose },
	{ "trace", true, true, rg_set_trace },
	{ NULL, false, false, NULL },
};

int cmd_random_guests(int argc, char **argv)
{
	struct rg_opts o = { .seed = 1, .count = 1000, .max_insns = 20000, .engine = "interp" };
	int rc = opt_parse(argc - 1, argv + 1, rg_opts_table, &o, "random-guests");
	if (rc != 0) {
		if (rc > 0)
			fputs(random_guests_usage, stdout);
		return rc > 0 ? EXIT_HELP : EXIT_ERROR;
	}
	const struct engine *e = engine_find(o.engine);
	if (!e) {
		fprintf(stderr, "doppel random-guests: unknown engine '%s'\n", o.engine);
		return EXIT_ERROR;
	}
	struct machine *m = calloc(1, sizeof(*m));
	if (!m || machine_init(m, RG_RAM) < 0) {
		free(m);
		return EXIT_ERROR;
	}
	rc = rg_loop(m, e, &o);
	machine_free(m);
	free(m);
	return rc;
}
