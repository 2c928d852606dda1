/*
 * `doppel run`: build the machine, load the guest, run it on the chosen
 * engine and turn the stop reason into an exit code. COM1 goes to stdout,
 * everything doppel says goes to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"
#include "vmm/de.h"
#include "vmm/engine.h"
#include "vmm/loader.h"

#define DEFAULT_RAM (128u << 20) /* QEMU's default */

const char run_usage[] =
	"usage: doppel run [OPTIONS] -kernel FILE\n"
	"  -kernel FILE       multiboot v1 kernel (ELF32 or a.out kludge), a Linux\n"
	"                     bzImage (32-bit boot protocol), or with -flat/-flat32\n"
	"                     a flat binary\n"
	"  -initrd FILE       initial ramdisk for a Linux kernel\n"
	"  -append ARGS       kernel command line (a multiboot guest sees \"FILE ARGS\",\n"
	"                     as QEMU; Linux sees ARGS)\n"
	"  -flat ADDR         FILE is a flat binary at ADDR (below 1 MiB), started in\n"
	"                     real mode with CS:IP = (ADDR>>4 & 0xf000):(ADDR & 0xffff)\n"
	"  -flat32 ADDR       FILE is a flat binary at ADDR, started in flat 32-bit\n"
	"                     protected mode (the multiboot entry state), EIP = ESP = ADDR\n"
	"  -m SIZE            RAM: 64, 64M, 512K, 1G (no suffix: MiB); default 128M\n"
	"  -rtc base=TIME     the RTC's time at power-on, UTC: YYYY-MM-DDTHH:MM:SS or\n"
	"                     YYYY-MM-DD, or utc / localtime for the host's time now;\n"
	"                     default 2026-01-01T00:00:00, the same on every run\n"
	"  -serial IN         what COM1 receives: stdio (default: the terminal or\n"
	"                     whatever stdin is), none, or a FILE's bytes; COM1's\n"
	"                     output always goes to stdout\n"
	"  --engine NAME      interp (default)\n"
	"  --trace[=LIST]     trace categories exec,io,int (default all)\n"
	"  --trace-file F     write the trace to F instead of stderr\n"
	"  --max-insns N      stop after N guest instructions\n"
	"  --stats            print retired instructions, seconds and MIPS on stderr at\n"
	"                     the end (the virtual clock also counts halted time)\n"
	"With -serial stdio a terminal on stdin goes unechoed and unbuffered (the\n"
	"guest echoes); Ctrl-C stops doppel.\n"
	"Options take one dash or two. Exit code: the guest's isa-debug-exit status\n"
	"((v << 1) | 1: always odd), or 2 error, 4 triple fault, 6 halted with\n"
	"interrupts off, 8 --max-insns spent, 10 the guest asked for a reset,\n12 the guest needs a feature not modelled yet (V86 mode; the message names it).\n";

struct run_opts {
	const char *kernel, *append, *engine, *trace_file, *initrd, *serial;
	int64_t rtc_base;
	bool rtc_set;
	uint64_t ram, max_insns;
	uint32_t flat_addr;
	int flat;          /* 0 multiboot, 1 real mode, 2 32-bit */
	unsigned trace;
	bool stats;
};

static int run_set_kernel(void *ctx, const char *v) { ((struct run_opts *)ctx)->kernel = v; return 0; }
static int run_set_initrd(void *ctx, const char *v) { ((struct run_opts *)ctx)->initrd = v; return 0; }
static int run_set_append(void *ctx, const char *v) { ((struct run_opts *)ctx)->append = v; return 0; }
static int run_set_engine(void *ctx, const char *v) { ((struct run_opts *)ctx)->engine = v; return 0; }
static int run_set_trace_file(void *ctx, const char *v) { ((struct run_opts *)ctx)->trace_file = v; return 0; }
static int run_set_stats(void *ctx, const char *v) { (void)v; ((struct run_opts *)ctx)->stats = true; return 0; }

static int run_set_serial(void *ctx, const char *v) { ((struct run_opts *)ctx)->serial = v; return 0; }

static int run_set_rtc(void *ctx, const char *v)
{
	struct run_opts *o = ctx;

	if (parse_rtc_base(v, &o->rtc_base) < 0)
		return -1;
	o->rtc_set = true;
	return 0;
}

static int run_set_ram(void *ctx, const char *v)
{
	if (parse_ram_size(v, &((struct run_opts *)ctx)->ram) < 0) {
		fprintf(stderr, "doppel run: bad RAM size '%s' (examples: 64, 64M, 1G)\n", v);
		return -1;
	}
	return 0;
}

static int run_set_max_insns(void *ctx, const char *v)
{
	if (parse_u64(v, &((struct run_opts *)ctx)->max_insns) < 0) {
		fprintf(stderr, "doppel run: bad instruction count '%s'\n", v);
		return -1;
	}
	return 0;
}

static int run_set_flat_mode(struct run_opts *o, const char *v, int mode)
{
	uint64_t a;
	if (parse_u64(v, &a) < 0 || a > 0xffffffffu) {
		fprintf(stderr, "doppel run: bad load address '%s'\n", v);
		return -1;
	}
	o->flat_addr = (uint32_t)a;
	o->flat = mode;
	return 0;
}

static int run_set_flat(void *ctx, const char *v) { return run_set_flat_mode(ctx, v, 1); }
static int run_set_flat32(void *ctx, const char *v) { return run_set_flat_mode(ctx, v, 2); }

static int run_set_trace(void *ctx, const char *v)
{
	return parse_trace(v, &((struct run_opts *)ctx)->trace);
}

static const struct opt_spec run_opts_table[] = {
	{ "kernel", true, false, run_set_kernel },
	{ "append", true, false, run_set_append },
	{ "initrd", true, false, run_set_initrd },
	{ "flat", true, false, run_set_flat },
	{ "flat32", true, false, run_set_flat32 },
	{ "m", true, false, run_set_ram },
	{ "rtc", true, false, run_set_rtc },
	{ "serial", true, false, run_set_serial },
	{ "engine", true, false, run_set_engine },
	{ "trace", true, true, run_set_trace },
	{ "trace-file", true, false, run_set_trace_file },
	{ "max-insns", true, false, run_set_max_insns },
	{ "stats", false, false, run_set_stats },
	{ NULL, false, false, NULL },
};

/* A kernel with a Linux setup header boots as Linux, as on QEMU. */
static bool run_is_linux(const char *path)
{
	uint8_t head[0x206] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(head, 1, sizeof(head), f) : 0;
	if (f)
		fclose(f);
	return loader_linux_probe(head, n);
}

static int run_load(struct machine *m, const struct run_opts *o)
{
	char err[LOADER_ERR_MAX];
	bool linux_kernel = !o->flat && (o->initrd || run_is_linux(o->kernel));
	int rc = o->flat ? loader_flat(m, o->kernel, o->flat_addr, o->flat == 2, err)
		 : linux_kernel ? loader_linux(m, o->kernel, o->initrd, o->append, err)
				: loader_multiboot(m, o->kernel, o->append, err);
	if (rc < 0)
		fprintf(stderr, "doppel: %s\n", err);
	return rc;
}

/* COM1's receive side: the terminal (stdin), nothing, or a file. */
static int run_connect_serial(struct machine *m, const char *in)
{
	int fd;

	if (!strcmp(in, "stdio")) {
		term_serial_begin(m);
		return 0;
	}
	if (!strcmp(in, "none"))
		return 0;
	if ((fd = open(in, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "doppel: cannot read serial input %s: %s\n", in, strerror(errno));
		return -1;
	}
	machine_serial_input(m, fd);
	return 0;
}

static int run_setup(struct machine *m, const struct run_opts *o)
{
	if (o->ram < RAM_MIN || o->ram > RAM_MAX || o->ram % 4096) {
		fprintf(stderr, "doppel: RAM size %" PRIu64 " KiB is out of range: it must be "
			"a multiple of 4 KiB from 1 MiB to %u MiB\n", o->ram >> 10, RAM_MAX >> 20);
		return -1;
	}
	if (machine_init(m, (uint32_t)o->ram) < 0)
		return -1;
	if (o->rtc_set)
		m->rtc_base = o->rtc_base; /* the RTC reads it at reset */
	machine_reset(m);
	m->trace = o->trace;
	if (o->trace_file && !(m->trace_out = fopen(o->trace_file, "w"))) {
		fprintf(stderr, "doppel: cannot write trace file %s\n", o->trace_file);
		return -1;
	}
	if (run_load(m, o) < 0)
		return -1;
	return run_connect_serial(m, o->serial);
}

static double run_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int run_report(struct machine *m, enum stop_reason why)
{
	const struct cpu *c = &m->cpu;
	unsigned cs = c->seg[SR_CS].sel;
	switch (why) {
	case STOP_DEBUG_EXIT:
		return m->exit_status & 0xff;
	case STOP_SHUTDOWN:
		fprintf(stderr, "doppel: triple fault at %04x:%08x after %" PRIu64
			" instructions%s%s\n", cs, c->eip, m->icount, m->error[0] ? ": " : "", m->error);
		return EXIT_SHUTDOWN;
	case STOP_HLT:
		fprintf(stderr, "doppel: halted with interrupts off at %04x:%08x after %" PRIu64
			" instructions\n", cs, c->eip, m->icount);
		return EXIT_HALTED;
	case STOP_BUDGET:
		fprintf(stderr, "doppel: instruction budget spent (%" PRIu64 " instructions) at "
			"%04x:%08x\n", m->icount, cs, c->eip);
		return EXIT_BUDGET;
	case STOP_RESET:
		fprintf(stderr, "doppel: the guest asked for a reset after %" PRIu64
			" instructions\n", m->icount);
		return EXIT_RESET;
	case STOP_ERROR:
		fprintf(stderr, "doppel: error at %04x:%08x: %s\n", cs, c->eip, m->error);
		return EXIT_ERROR;
	case STOP_UNSUPPORTED:
		fprintf(stderr, "doppel: unsupported at %04x:%08x: %s\n", cs, c->eip, m->error);
		return EXIT_UNSUPPORTED;
	case STOP_NONE:
		break;
	}
	fprintf(stderr, "doppel: the engine returned without a stop reason\n");
	return EXIT_ERROR;
}

/* Retired instructions, not the clock: HLT's jumps retire nothing. */
static void run_print_stats(const struct machine *m, double secs, bool de_used)
{
	uint64_t n = machine_retired(m);

	fprintf(stderr, "doppel: %" PRIu64 " guest instructions in %.3f s, %.2f MIPS "
		"(virtual clock %" PRIu64 " ns, %" PRIu64 " of them halted)\n", n, secs,
		secs > 0 ? (double)n / secs / 1e6 : 0.0, m->icount, m->halted_ticks);
	if (de_used) {
		const struct de_stats *d = de_stats();
		fprintf(stderr, "doppel: de: %" PRIu64 " native runs, %" PRIu64 " undone, %" PRIu64
			" stubs replaced\n", d->runs, d->undone, d->restarts);
		if (d->undone)
			fprintf(stderr, "doppel: de: the last run undone: %s\n", d->last_undo);
	}
}

static int run_execute(struct machine *m, const struct engine *e, const struct run_opts *o)
{
	double t0 = run_now();
	enum stop_reason why = e->run(m, o->max_insns);
	double secs = run_now() - t0;
	term_serial_end();
	fflush(stdout);
	if (o->stats)
		run_print_stats(m, secs, e == &engine_de);
	return run_report(m, why);
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .engine = "interp", .append = "", .serial = "stdio", .ram = DEFAULT_RAM,
			      .max_insns = UINT64_MAX };
	int rc = opt_parse(argc - 1, argv + 1, run_opts_table, &o, "run");
	if (rc != 0) {
		if (rc > 0)
			fputs(run_usage, stdout);
		return rc > 0 ? EXIT_HELP : EXIT_ERROR;
	}
	if (!o.kernel) {
		fprintf(stderr, "doppel run: no guest given (-kernel FILE)\n");
		return EXIT_ERROR;
	}
	const struct engine *e = engine_find(o.engine);
	if (!e) {
		fprintf(stderr, "doppel run: unknown engine '%s' (known: interp, de)\n", o.engine);
		return EXIT_ERROR;
	}
	struct machine *m = calloc(1, sizeof(*m));
	if (m)
		m->ram_fd = -1; /* machine_free is safe before machine_init */
	rc = m && run_setup(m, &o) == 0 ? run_execute(m, e, &o) : EXIT_ERROR;
	if (m && m->trace_out && m->trace_out != stderr)
		fclose(m->trace_out);
	if (m)
		machine_free(m);
	free(m);
	return rc;
}
