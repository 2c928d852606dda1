/*
 * `doppel fuzz`: a differential campaign. Cases from the table-driven
 * generator run on every engine (in-process ones on one reused machine
 * per worker, QEMU in batches); each difference is minimized and written
 * as a case file `doppel diff` replays. Workers are forked once (--jobs),
 * never per case, and report to the parent through a pipe, which prints
 * progress and the summary.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/fuzz_gen.h"
#include "harness/harness.h"
#include "harness/qemu_ref.h"

#define FUZZ_CLASSES 48 /* difference classes, and gap names, counted by name */
#define FUZZ_QEMU_BATCH 256u
#define FUZZ_REPORT_EVERY 64u
#define FUZZ_SIGNATURES 4096

const char fuzz_usage[] =
	"usage: doppel fuzz [--engines interp,native[,qemu]] [--seed S] [--count N]\n"
	"                   [--first I] [--jobs J] [--out DIR] [--cpl 0|3|any]\n"
	"                   [--bytes] [--no-minimize] [--quiet]\n"
	"  generates cases I .. I+N-1 (default 0 .. 999) of campaign S (default 1),\n"
	"  runs each on every engine and compares with the first engine; each\n"
	"  difference is minimized and written to DIR (default fuzz-out) as a case\n"
	"  file for `doppel diff`. Exit status 0 when all agree, 1 on differences.\n"
	"  --bytes: each case's code is random bytes instead of instructions from\n"
	"  the table.\n";

struct fuzz_opts {
	const char *engines, *out;
	uint64_t seed, count, first, jobs;
	int cpl;
	bool minimize, quiet, bytes;
};

/* ---- options ---- */

static int fo_engines(void *ctx, const char *v) { ((struct fuzz_opts *)ctx)->engines = v; return 0; }
static int fo_out(void *ctx, const char *v) { ((struct fuzz_opts *)ctx)->out = v; return 0; }
static int fo_quiet(void *ctx, const char *v) { (void)v; ((struct fuzz_opts *)ctx)->quiet = true; return 0; }
static int fo_nomin(void *ctx, const char *v) { (void)v; ((struct fuzz_opts *)ctx)->minimize = false; return 0; }
static int fo_bytes(void *ctx, const char *v) { (void)v; ((struct fuzz_opts *)ctx)->bytes = true; return 0; }

static int fo_num(const char *v, uint64_t *dst, const char *name)
{
	if (parse_u64(v, dst) < 0) {
		fprintf(stderr, "doppel fuzz: --%s: '%s' is not a number\n", name, v);
		return -1;
	}
	return 0;
}

static int fo_seed(void *ctx, const char *v) { return fo_num(v, &((struct fuzz_opts *)ctx)->seed, "seed"); }
static int fo_count(void *ctx, const char *v) { return fo_num(v, &((struct fuzz_opts *)ctx)->count, "count"); }
static int fo_first(void *ctx, const char *v) { return fo_num(v, &((struct fuzz_opts *)ctx)->first, "first"); }

static int fo_jobs(void *ctx, const char *v)
{
	struct fuzz_opts *o = ctx;

	if (fo_num(v, &o->jobs, "jobs") < 0 || o->jobs < 1 || o->jobs > 64) {
		fprintf(stderr, "doppel fuzz: --jobs must be 1 to 64\n");
		return -1;
	}
	return 0;
}

static int fo_cpl(void *ctx, const char *v)
{
	struct fuzz_opts *o = ctx;

	o->cpl = !strcmp(v, "0") ? 0 : !strcmp(v, "3") ? 3 : !strcmp(v, "any") ? -1 : -2;
	if (o->cpl == -2) {
		fprintf(stderr, "doppel fuzz: --cpl must be 0, 3 or any\n");
		return -1;
	}
	return 0;
}

static const struct opt_spec fuzz_specs[] = {
	{ "engines", true, false, fo_engines }, { "seed", true, false, fo_seed },
	{ "count", true, false, fo_count }, { "first", true, false, fo_first },
	{ "jobs", true, false, fo_jobs }, { "out", true, false, fo_out },
	{ "cpl", true, false, fo_cpl }, { "no-minimize", false, false, fo_nomin },
	{ "quiet", false, false, fo_quiet }, { "bytes", false, false, fo_bytes },
	{ NULL, false, false, NULL },
};

/* ---- one worker ---- */

struct worker {
	const struct fuzz_opts *o;
	enum case_engine eng[CENG_COUNT + 1];
	int n_eng;
	struct fuzz_target target;
	struct case_runner *runner;
	FILE *report;                 /* to the parent: "done N" and "diff CLASS PATH" */
	struct case_state *st[CENG_COUNT + 1];
	struct case_state *qemu;      /* a batch of QEMU results */
	struct fuzz_case *batch;
	char klass[32];               /* what the minimizer must keep */
	int pair;                     /* which engine (index) differs from the first */
	char (*seen)[80];             /* signatures of the differences written */
	unsigned n_seen;
};

/* The first engine that differs from engine 0, and how; -1 if none. */
static int fuzz_compare(struct worker *w, const struct fuzz_case *fc, struct case_diff *d)
{
	for (int k = 1; k < w->n_eng; k++) {
		struct case_mask mask;
		case_mask_for(fc, w->eng[0], w->eng[k], &mask);
		if (case_compare(w->st[0], w->st[k], &mask, d))
			return k;
	}
	return -1;
}

static void fuzz_run_local(struct worker *w, const struct fuzz_case *fc)
{
	for (int k = 0; k < w->n_eng; k++)
		if (w->eng[k] != CENG_QEMU)
			case_run(w->runner, w->eng[k], fc, w->st[k]);
}

/* A difference that a gap instruction on the path explains is not one:
 * that instruction's gap name, or NULL. */
static const char *fuzz_path_gap(struct worker *w, const struct fuzz_case *fc, int k)
{
	const char *mnemonic;

	return fuzz_case_path_gap(w->runner, fc, w->eng[k], &mnemonic) ? mnemonic : NULL;
}

static bool fuzz_still_differs(void *ctx, const struct fuzz_case *fc)
{
	struct worker *w = ctx;
	struct case_mask mask;
	struct case_diff d;
	int k = w->pair;

	case_run(w->runner, w->eng[0], fc, w->st[0]);
	if (w->eng[k] == CENG_QEMU) {
		char err[320];
		if (qemu_ref_run(fc, 1, w->st[k], err, sizeof(err)) < 0)
			return false;
	} else {
		case_run(w->runner, w->eng[k], fc, w->st[k]);
	}
	case_mask_for(fc, w->eng[0], w->eng[k], &mask);
	return case_compare(w->st[0], w->st[k], &mask, &d) && !strcmp(d.klass, w->klass) &&
	       !fuzz_path_gap(w, fc, k);
}

/*
 * What makes two differences the same for the campaign: the engine, the
 * class, the field (memory addresses folded) and the instruction at
 * which the reference engine stopped. Only the first of each is
 * minimized and written; the others are counted.
 */
static void fuzz_signature(const struct worker *w, const struct fuzz_case *fc, int k,
			   const struct case_diff *d, char *sig, size_t len)
{
	uint32_t at = w->st[0]->eip - fc->eip;
	const char *mnemonic = "?";
	struct insn i;

	if (at >= fc->code_len)
		at = 0;
	if (at < fc->code_len &&
	    decode_bytes(&i, fc->code32, fc->code + at, fc->code_len - at, fc->eip + at) == DECODE_OK)
		mnemonic = i.desc->mnemonic;
	snprintf(sig, len, "%s %s %.*s %s", case_engine_names[w->eng[k]], d->klass,
		 strncmp(d->what, "mem ", 4) ? 24 : 3, d->what, mnemonic);
}

static bool fuzz_seen(struct worker *w, const char *sig)
{
	for (unsigned k = 0; k < w->n_seen; k++)
		if (!strcmp(w->seen[k], sig))
			return true;
	if (w->n_seen < FUZZ_SIGNATURES)
		snprintf(w->seen[w->n_seen++], sizeof(w->seen[0]), "%s", sig);
	return false;
}

static void fuzz_record(struct worker *w, struct fuzz_case *fc, uint64_t index, int k,
			const struct case_diff *d)
{
	char path[512], sig[80];

	fuzz_signature(w, fc, k, d, sig, sizeof(sig));
	if (fuzz_seen(w, sig)) {
		fprintf(w->report, "same %s\n", d->klass);
		return;
	}
	snprintf(w->klass, sizeof(w->klass), "%s", d->klass);
	w->pair = k;
	/* an engine that could not run the case has nothing to shrink toward */
	if (w->o->minimize && strcmp(d->klass, "error"))
		fuzz_minimize(fc, fuzz_still_differs, w);
	snprintf(fc->note, sizeof(fc->note), "%s vs %s: %s differs (%s): fuzz seed %llu case %llu",
		 case_engine_names[w->eng[0]], case_engine_names[w->eng[k]], d->what, d->klass,
		 (unsigned long long)w->o->seed, (unsigned long long)index);
	snprintf(path, sizeof(path), "%s/%s-%s-%llu-%llu.case", w->o->out, case_engine_names[w->eng[k]],
		 d->klass, (unsigned long long)w->o->seed, (unsigned long long)index);
	if (case_save(path, fc) < 0)
		fprintf(stderr, "doppel fuzz: cannot write %s: %s\n", path, strerror(errno));
	fprintf(w->report, "diff %s %s %s\n", d->klass, path, sig);
}

/* Compare one case whose results are in w->st; record a difference. */
static void fuzz_check(struct worker *w, struct fuzz_case *fc, uint64_t index)
{
	struct case_diff d;
	int k = fuzz_compare(w, fc, &d);
	const char *gap = k > 0 ? fuzz_path_gap(w, fc, k) : NULL;

	if (gap)
		fprintf(w->report, "gap %s\n", gap);
	else if (k > 0)
		fuzz_record(w, fc, index, k, &d);
}

static int fuzz_qemu_index(const struct worker *w)
{
	for (int k = 0; k < w->n_eng; k++)
		if (w->eng[k] == CENG_QEMU)
			return k;
	return -1;
}

/* A batch: generate, run QEMU once for all of them, then the rest per case. */
static int fuzz_batch(struct worker *w, const uint64_t *idx, unsigned n)
{
	int q = fuzz_qemu_index(w);
	char err[320];

	for (unsigned b = 0; b < n; b++)
		fuzz_gen_case(&w->target, w->o->seed, idx[b], &w->batch[b]);
	if (q >= 0 && qemu_ref_run(w->batch, n, w->qemu, err, sizeof(err)) < 0) {
		fprintf(stderr, "doppel fuzz: qemu: %s\n", err);
		return -1;
	}
	for (unsigned b = 0; b < n; b++) {
		fuzz_run_local(w, &w->batch[b]);
		if (q >= 0)
			memcpy(w->st[q], &w->qemu[b], sizeof(w->qemu[b]));
		fuzz_check(w, &w->batch[b], idx[b]);
	}
	fprintf(w->report, "done %u\n", n);
	fflush(w->report);
	return 0;
}

static int worker_run(struct worker *w, unsigned job)
{
	const struct fuzz_opts *o = w->o;
	unsigned per = fuzz_qemu_index(w) >= 0 ? FUZZ_QEMU_BATCH : FUZZ_REPORT_EVERY;
	uint64_t idx[FUZZ_QEMU_BATCH];
	unsigned n = 0;

	for (uint64_t i = o->first + job; i < o->first + o->count; i += o->jobs) {
		idx[n++] = i;
		if (n == per) {
			if (fuzz_batch(w, idx, n) < 0)
				return EXIT_ERROR;
			n = 0;
		}
	}
	return n && fuzz_batch(w, idx, n) < 0 ? EXIT_ERROR : 0;
}

static int worker_init(struct worker *w, const struct fuzz_opts *o)
{
	char why[320];

	memset(w, 0, sizeof(*w));
	w->o = o;
	w->n_eng = case_engines_parse(o->engines, w->eng, CENG_COUNT + 1);
	if (w->n_eng < 0)
		return -1;
	w->target.cpl = o->cpl;
	w->target.bytes = o->bytes;
	for (int k = 0; k < w->n_eng; k++)
		w->target.engine[w->eng[k]] = true;
	w->runner = case_runner_new(why, sizeof(why));
	for (int k = 0; w->runner && k < w->n_eng; k++) {
		if (w->eng[k] != CENG_QEMU &&
		    !case_engine_available(w->runner, w->eng[k], why, sizeof(why))) {
			fprintf(stderr, "doppel fuzz: %s\n", why);
			return -1;
		}
		w->st[k] = malloc(sizeof(*w->st[k]));
	}
	w->qemu = malloc(FUZZ_QEMU_BATCH * sizeof(*w->qemu));
	w->batch = malloc(FUZZ_QEMU_BATCH * sizeof(*w->batch));
	w->seen = malloc(FUZZ_SIGNATURES * sizeof(*w->seen));
	return w->runner && w->qemu && w->batch && w->seen ? 0 : -1;
}

static void worker_free(struct worker *w)
{
	for (int k = 0; k < w->n_eng; k++)
		free(w->st[k]);
	free(w->qemu);
	free(w->batch);
	free(w->seen);
	case_runner_free(w->runner);
}

/* ---- the parent: progress and summary ---- */

/* How many of each name (the first FUZZ_CLASSES names). */
struct counts {
	char name[FUZZ_CLASSES][32];
	uint64_t n[FUZZ_CLASSES];
	int len;
};

struct tally {
	uint64_t done, diffs, unique;
	uint64_t gaps;              /* differences a gap on the path explains */
	struct counts klass;        /* differences by class */
	struct counts gap;          /* gaps by instruction */
	struct timespec start;
};

static double tally_seconds(const struct tally *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->start.tv_sec) + (now.tv_nsec - t->start.tv_nsec) / 1e9;
}

static void counts_add(struct counts *c, const char *name)
{
	int k = 0;

	while (k < c->len && strcmp(c->name[k], name))
		k++;
	if (k == c->len && k < FUZZ_CLASSES)
		snprintf(c->name[c->len++], sizeof(c->name[0]), "%s", name);
	if (k < FUZZ_CLASSES)
		c->n[k]++;
}

/* The gap names, most frequent first. */
static void counts_print_by_size(FILE *f, const struct counts *c)
{
	bool shown[FUZZ_CLASSES] = { false };

	for (int r = 0; r < c->len; r++) {
		int best = -1;
		for (int k = 0; k < c->len; k++)
			if (!shown[k] && (best < 0 || c->n[k] > c->n[best]))
				best = k;
		shown[best] = true;
		fprintf(f, "%s%s %llu", r ? ", " : "", c->name[best], (unsigned long long)c->n[best]);
	}
}

static void tally_print(FILE *f, const struct tally *t, uint64_t total, const char *end)
{
	double s = tally_seconds(t);

	fprintf(f, "%llu/%llu cases, %.0f cases/s, %llu differences (%llu distinct)",
		(unsigned long long)t->done, (unsigned long long)total,
		s > 0 ? (double)t->done / s : 0.0, (unsigned long long)t->diffs,
		(unsigned long long)t->unique);
	for (int k = 0; k < t->klass.len; k++)
		fprintf(f, "%s%s %llu", k ? ", " : "; by class: ", t->klass.name[k],
			(unsigned long long)t->klass.n[k]);
	if (t->gaps) {
		fprintf(f, "; %llu left out (a gap instruction on the path: ",
			(unsigned long long)t->gaps);
		counts_print_by_size(f, &t->gap);
		fprintf(f, ")");
	}
	fprintf(f, "%s", end);
}

static void tally_line(struct tally *t, char *line, bool quiet)
{
	char klass[32], path[512];
	unsigned n;

	if (sscanf(line, "done %u", &n) == 1)
		t->done += n;
	else if (!strncmp(line, "gap ", 4)) {
		line[strcspn(line, "\n")] = 0;
		counts_add(&t->gap, line + 4);
		t->gaps++;
	} else if (sscanf(line, "same %31s", klass) == 1) {
		counts_add(&t->klass, klass);
		t->diffs++;
	} else if (sscanf(line, "diff %31s %511s", klass, path) == 2) {
		counts_add(&t->klass, klass);
		t->diffs++;
		t->unique++;
		if (!quiet)
			fprintf(stderr, "\rdifference: %s", line + 5 + strlen(klass) + 1);
	}
}

/* Read every worker's reports until all pipes close. */
static void parent_collect(FILE **in, unsigned jobs, const struct fuzz_opts *o, struct tally *t)
{
	char line[640];
	unsigned open_pipes = jobs;
	bool tty = isatty(2) && !o->quiet;

	while (open_pipes) {
		struct pollfd p[64];
		for (unsigned j = 0; j < jobs && j < 64; j++)
			p[j] = (struct pollfd){ in[j] ? fileno(in[j]) : -1, POLLIN, 0 };
		if (poll(p, jobs < 64 ? jobs : 64, 1000) < 0 && errno != EINTR)
			break;
		for (unsigned j = 0; j < jobs && j < 64; j++) {
			if (!in[j] || !(p[j].revents & (POLLIN | POLLHUP)))
				continue;
			if (fgets(line, sizeof(line), in[j]))
				tally_line(t, line, o->quiet);
			else {
				fclose(in[j]);
				in[j] = NULL;
				open_pipes--;
			}
		}
		if (tty)
			tally_print(stderr, t, o->count, "\r");
	}
}

static pid_t fuzz_spawn(const struct fuzz_opts *o, unsigned job, FILE **in)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct worker w;
		int rc = EXIT_ERROR;
		close(fds[0]);
		if (worker_init(&w, o) == 0) {
			w.report = fdopen(fds[1], "w");
			setvbuf(w.report, NULL, _IOLBF, 0);
			rc = worker_run(&w, job);
			fclose(w.report);
		}
		worker_free(&w);
		_exit(rc);
	}
	close(fds[1]);
	*in = pid > 0 ? fdopen(fds[0], "r") : NULL;
	return pid;
}

static int fuzz_parent(const struct fuzz_opts *o)
{
	FILE *in[64];
	pid_t pid[64];
	struct tally t = { 0 };
	int failed = 0;

	clock_gettime(CLOCK_MONOTONIC, &t.start);
	for (unsigned j = 0; j < o->jobs; j++)
		pid[j] = fuzz_spawn(o, j, &in[j]);
	parent_collect(in, (unsigned)o->jobs, o, &t);
	for (unsigned j = 0; j < o->jobs; j++) {
		int status;
		if (pid[j] < 0 || waitpid(pid[j], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed = 1;
	}
	tally_print(stdout, &t, o->count, "\n");
	if (failed || t.done != o->count) {
		fprintf(stderr, "doppel fuzz: a worker failed (%llu of %llu cases done)\n",
			(unsigned long long)t.done, (unsigned long long)o->count);
		return EXIT_ERROR;
	}
	if (t.diffs)
		printf("cases written to %s/ (replay one with: doppel diff --engines %s FILE)\n",
		       o->out, o->engines);
	return t.diffs ? 1 : 0;
}

/*
 * Say once, before any worker starts, that an engine cannot run here. In
 * a child of its own: direct execution is set up once per process and
 * must not be inherited half-made by the workers.
 */
static int fuzz_engines_ready(const enum case_engine *eng, int n)
{
	char why[320];
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct case_runner *r = case_runner_new(why, sizeof(why));
		int rc = r ? 0 : 1;
		for (int k = 0; r && k < n && !rc; k++)
			if (eng[k] != CENG_QEMU && !case_engine_available(r, eng[k], why, sizeof(why)))
				rc = 1;
		if (rc)
			fprintf(stderr, "doppel fuzz: %s\n", why);
		_exit(rc);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int cmd_fuzz(int argc, char **argv)
{
	struct fuzz_opts o = { "interp,native", "fuzz-out", 1, 1000, 0, 1, 3, true, false, false };
	enum case_engine eng[CENG_COUNT + 1];
	int p = opt_parse(argc - 1, argv + 1, fuzz_specs, &o, "fuzz");

	if (p)
		return p > 0 ? (fputs(fuzz_usage, stdout), EXIT_HELP) : EXIT_ERROR;
	int n = case_engines_parse(o.engines, eng, CENG_COUNT + 1);
	if (n < 0 || fuzz_engines_ready(eng, n) < 0)
		return EXIT_ERROR;
	if (mkdir(o.out, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "doppel fuzz: cannot create %s: %s\n", o.out, strerror(errno));
		return EXIT_ERROR;
	}
	return fuzz_parent(&o);
}
