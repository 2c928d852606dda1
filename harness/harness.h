/*
 * The command-line front end: subcommands, their option tables, and the
 * exit codes every subcommand shares.
 */
#ifndef DOPPEL_HARNESS_H
#define DOPPEL_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Exit codes of `doppel run`. A guest's isa-debug-exit status
 * ((v << 1) | 1, low 8 bits) is always odd, so doppel's own are even.
 */
enum exit_code {
	EXIT_HELP = 0,      /* help printed */
	EXIT_ERROR = 2,     /* bad input, or the monitor could not go on */
	EXIT_SHUTDOWN = 4,  /* triple fault */
	EXIT_HALTED = 6,    /* HLT with interrupts off: the guest can never wake */
	EXIT_BUDGET = 8,    /* --max-insns spent */
	EXIT_RESET = 10,    /* the guest asked for a system reset */
	EXIT_UNSUPPORTED = 12, /* the guest needs a feature doppel does not model yet */
};

/*
 * One option of a subcommand. Both -name and --name are accepted (QEMU's
 * spelling and the GNU one); a value follows as the next argument or after
 * '='. parse returns -1 after printing one error line.
 */
struct opt_spec {
	const char *name;
	bool has_value;
	bool value_optional; /* only as --name=value */
	int (*parse)(void *ctx, const char *value);
};

/* Returns 0, 1 if --help/-h was given, or -1 after an error line. */
int opt_parse(int argc, char **argv, const struct opt_spec *specs, void *ctx,
	      const char *cmd);

/* 64, 64M, 512K, 1G (no suffix: MiB, as QEMU's -m). -1 on bad syntax. */
int parse_ram_size(const char *s, uint64_t *bytes);
/* --trace[=exec,io,int]: NULL means all; -1 after an error line. */
int parse_trace(const char *v, unsigned *bits);
/* Decimal or 0x hex; -1 on bad syntax or overflow. */
int parse_u64(const char *s, uint64_t *v);
/* QEMU's -rtc base=...: the RTC's time at power-on, Unix seconds; -1
 * after an error line. */
int parse_rtc_base(const char *v, int64_t *secs);

int cmd_run(int argc, char **argv);
int cmd_random_guests(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);
int cmd_boot_test(int argc, char **argv);

struct machine;
/* COM1 receives stdin; a terminal goes unechoed and unbuffered until
 * term_serial_end or exit (harness/term.c). */
void term_serial_begin(struct machine *m);
void term_serial_end(void);

extern const char run_usage[];
extern const char random_guests_usage[];
extern const char diff_usage[];
extern const char fuzz_usage[];
extern const char boot_test_usage[];

#endif
