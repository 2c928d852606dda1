/*
 * `doppel diff CASE`: one test case on two or more engines, the first
 * engine as the reference; prints each engine's final state and every
 * difference register by register, flag by flag, byte by byte (or JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/case_run.h"
#include "harness/fuzz_gen.h"
#include "harness/harness.h"
#include "harness/qemu_ref.h"

const char diff_usage[] =
	"usage: doppel diff [--engines interp,native[,qemu]] [--json] CASE\n"
	"  runs the test case file CASE (docs/case-format.md) on each engine and\n"
	"  compares every final state with the first engine's. Exit status 0 when\n"
	"  all agree, 1 when they differ, 2 on an error.\n";

struct diff_opts {
	const char *engines;
	const char *path;
	bool json;
};

static int diff_opt_engines(void *ctx, const char *v)
{
	((struct diff_opts *)ctx)->engines = v;
	return 0;
}

static int diff_opt_json(void *ctx, const char *v)
{
	(void)v;
	((struct diff_opts *)ctx)->json = true;
	return 0;
}

static const struct opt_spec diff_specs[] = {
	{ "engines", true, false, diff_opt_engines },
	{ "json", false, false, diff_opt_json },
	{ NULL, false, false, NULL },
};

static bool diff_is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help");
}

/* The case is the one argument that is neither an option nor its value. */
static int diff_parse(int argc, char **argv, struct diff_opts *o)
{
	int k = 1;

	for (; k < argc; k++) {
		if (diff_is_help(argv[k])) {
			fputs(diff_usage, stdout);
			return 1;
		}
		if (!strcmp(argv[k], "--engines") || !strcmp(argv[k], "-engines"))
			k++;
		else if (argv[k][0] != '-')
			break;
	}
	if (k >= argc) {
		fputs(diff_usage, stderr);
		return -1;
	}
	o->path = argv[k];
	memmove(argv + k, argv + k + 1, (size_t)(argc - k - 1) * sizeof(argv[0]));
	return opt_parse(argc - 2, argv + 1, diff_specs, o, "diff");
}

/* Run fc on engine e into *st; QEMU through a one-case batch. */
static int diff_run_one(struct case_runner *r, enum case_engine e,
			const struct fuzz_case *fc, struct case_state *st)
{
	char why[320];

	if (e == CENG_QEMU) {
		if (qemu_ref_run(fc, 1, st, why, sizeof(why)) < 0) {
			fprintf(stderr, "doppel diff: qemu: %s\n", why);
			return -1;
		}
		return 0;
	}
	if (!case_engine_available(r, e, why, sizeof(why))) {
		fprintf(stderr, "doppel diff: %s\n", why);
		return -1;
	}
	case_run(r, e, fc, st);
	return 0;
}

static int diff_report(const struct diff_opts *o, struct case_runner *r,
		       const struct fuzz_case *fc, const enum case_engine *eng,
		       struct case_state **st, int n)
{
	struct case_mask masks[CENG_COUNT + 1];
	const char *names[CENG_COUNT + 1];
	struct case_diff d;
	int differ = 0;

	for (int k = 0; k < n; k++) {
		names[k] = case_engine_names[eng[k]];
		case_mask_for(fc, eng[0], eng[k], &masks[k]);
		if (k)
			differ |= case_compare(st[0], st[k], &masks[k], &d);
	}
	if (o->json) {
		case_print_json(stdout, names, (const struct case_state *const *)st, masks, n);
		return differ;
	}
	printf("case %s%s%s\n", o->path, fc->note[0] ? ": " : "", fc->note);
	for (int k = 1; k < n; k++) {
		const char *mnemonic, *why = fuzz_case_path_gap(r, fc, eng[k], &mnemonic);
		case_print_diff(stdout, names[0], st[0], names[k], st[k], &masks[k]);
		if (why)
			printf("  note: the case contains %s, on which %s cannot agree: %s "
			       "(docs/native-differences.md)\n", mnemonic, names[k], why);
	}
	return differ;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_opts o = { "interp,native", NULL, false };
	enum case_engine eng[CENG_COUNT + 1];
	struct case_state *st[CENG_COUNT + 1] = { 0 };
	static struct fuzz_case fc;
	struct case_runner *r;
	char err[320];
	int n, rc = EXIT_ERROR, p = diff_parse(argc, argv, &o);

	if (p)
		return p > 0 ? EXIT_HELP : EXIT_ERROR;
	n = case_engines_parse(o.engines, eng, CENG_COUNT + 1);
	if (n < 0)
		return EXIT_ERROR;
	if (case_load(o.path, &fc, err, sizeof(err)) < 0) {
		fprintf(stderr, "doppel diff: %s\n", err);
		return EXIT_ERROR;
	}
	r = case_runner_new(err, sizeof(err));
	if (!r) {
		fprintf(stderr, "doppel diff: %s\n", err);
		return EXIT_ERROR;
	}
	int k = 0;
	for (; k < n; k++) {
		st[k] = malloc(sizeof(*st[k]));
		if (!st[k] || diff_run_one(r, eng[k], &fc, st[k]) < 0)
			break;
	}
	if (k == n)
		rc = diff_report(&o, r, &fc, eng, st, n);
	for (k = 0; k < n; k++)
		free(st[k]);
	case_runner_free(r);
	return rc;
}
