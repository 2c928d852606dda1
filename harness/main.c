/*
 * doppel's entry point: dispatch to a subcommand from one table.
 */
#include <stdio.h>
#include <string.h>

#include "harness/harness.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "run", cmd_run, "boot a guest on an engine" },
	{ "boot-test", cmd_boot_test, "boot the Linux guest, check its serial output against a baseline" },
	{ "random-guests", cmd_random_guests, "run random-byte guests, check every run stops cleanly" },
	{ "diff", cmd_diff, "run one test case on several engines, show the first difference" },
	{ "fuzz", cmd_fuzz, "differential fuzzing: generate, compare, minimize cases" },
	{ "help", cmd_help, "this text; 'doppel help CMD' for a command's options" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help_print(void)
{
	printf("usage: doppel COMMAND [OPTIONS]\n\ncommands:\n");
	for (unsigned i = 0; i < N_COMMANDS; i++)
		printf("  %-14s %s\n", commands[i].name, commands[i].summary);
	printf("\nexit codes of run: the guest's isa-debug-exit status (odd), or\n"
	       "  2 error, 4 triple fault, 6 halted for ever, 8 budget spent, 10 reset,\n  12 the guest needs a feature doppel does not model yet (named)\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "run"))
		fputs(run_usage, stdout);
	else if (argc > 1 && !strcmp(argv[1], "boot-test"))
		fputs(boot_test_usage, stdout);
	else if (argc > 1 && !strcmp(argv[1], "random-guests"))
		fputs(random_guests_usage, stdout);
	else if (argc > 1 && !strcmp(argv[1], "diff"))
		fputs(diff_usage, stdout);
	else if (argc > 1 && !strcmp(argv[1], "fuzz"))
		fputs(fuzz_usage, stdout);
	else
		help_print();
	return EXIT_HELP;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help_print();
		return EXIT_ERROR;
	}
	for (unsigned i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	fprintf(stderr, "doppel: unknown command '%s' (see doppel help)\n", argv[1]);
	return EXIT_ERROR;
}
