/*
 * Direct-execution figures: the cost of a trap round trip (guest INT 0x80
 * to the monitor and back; CPUID, which also runs one instruction on the
 * interpreter; a hidden page fault after a flush), each as the median and
 * 90th percentile of many single round trips, and a compute loop run
 * natively by `de` against the same machine code run as a plain function
 * of this process.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vmm/de.h"
#include "vmm/de_host.h"
#include "vmm/machine.h"

#define CODE 0x110000u
#define LOOPS 1000000000u
#define TRIPS 20000

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of the stub (guest code) plus this process (the monitor). */
static double cpu_both(void)
{
	clockid_t stub;

	if (clock_getcpuclockid(de_stub_pid(), &stub))
		return 0;
	return clock_s(stub) + clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void user_state(struct cpu *c)
{
	c->cr0 = CR0_PE | CR0_ET | CR0_NE;
	c->cpl = 3;
	for (int s = 0; s < 6; s++)
		c->seg[s] = (struct seg){ .sel = 0x23, .attr = 0xc0f2, .limit = 0xffffffffu };
	c->seg[SR_CS].attr = 0xc0fa;
	c->eflags = F_FIXED1 | F_IF;
	c->gpr[ESP] = 0x180000;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double samples[TRIPS];

static void report(const char *what)
{
	qsort(samples, TRIPS, sizeof(samples[0]), cmp_double);
	printf("%-52s median %7.2f us  p90 %7.2f us  (%d trips)\n", what,
	       samples[TRIPS / 2] * 1e6, samples[TRIPS * 9 / 10] * 1e6, TRIPS);
}

/* One trip: enter at CODE, come back with the first trap; `after` runs
 * what the monitor does with it. */
static void trips(struct machine *m, const char *what, void (*after)(struct machine *))
{
	struct de_event ev;

	for (int i = 0; i < TRIPS; i++) {
		double t0 = now();
		m->cpu.eip = CODE;
		de_run_user(m, &ev);
		if (after)
			after(m);
		samples[i] = now() - t0;
	}
	report(what);
}

static void interp_one(struct machine *m)
{
	engine_interp.run(m, 1);
}

static void compute_loop(struct machine *m)
{
	struct de_event ev;
	struct cpu *c = &m->cpu;

	memcpy(m->ram + CODE, (const uint8_t[]){ 0xb9, LOOPS & 0xff, (LOOPS >> 8) & 0xff,
						  (LOOPS >> 16) & 0xff, LOOPS >> 24, 0x31, 0xc0,
						  0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa, 0xcd, 0x80 }, 15);
	c->eip = CODE;
	double t0 = now(), cpu0 = cpu_both();
	while (de_run_user(m, &ev) == DE_PREEMPTED)
		continue; /* time slices: the monitor preempts a guest that never traps */
	double t_de = now() - t0, cpu_de = cpu_both() - cpu0;
	uint8_t *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(f, m->ram + CODE, 13);
	f[13] = 0xc3;
	t0 = now();
	cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	uint32_t r = ((uint32_t(*)(void))f)();
	double t_native = now() - t0, cpu_native = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	printf("compute loop (%u iterations): wall de %.3f s, native process %.3f s (ratio %.3f)\n",
	       LOOPS, t_de, t_native, t_de / t_native);
	printf("compute loop CPU time: de %.3f s (stub + monitor), native %.3f s (ratio %.3f; sums %s)\n",
	       cpu_de, cpu_native, cpu_de / cpu_native, r == c->gpr[EAX] ? "equal" : "DIFFER");
}

int main(void)
{
	struct machine *m = calloc(1, sizeof(*m));

	if (machine_init(m, 4u << 20) < 0 || (machine_reset(m), de_init(m)) < 0) {
		fprintf(stderr, "de bench: %s\n", m->error);
		return 1;
	}
	user_state(&m->cpu);
	memcpy(m->ram + CODE, "\xcd\x80", 2);
	trips(m, "de: INT 0x80 round trip (enter, trap, exit):", NULL);
	memcpy(m->ram + CODE, "\x0f\xa2", 2);
	trips(m, "de: CPUID (trap, interp runs it):", interp_one);
	memcpy(m->ram + CODE, "\xa1\x00\x00\x20\x00\xcd\x80", 7); /* mov eax,[0x200000]; int 0x80 */
	trips(m, "de: hidden page fault + INT 0x80 (after a flush):", de_flush);
	for (int k = 0; k < 16; k++) /* mov eax,[0x200000 + k * 0x1000] */
		memcpy(m->ram + CODE + 5 * k, (const uint8_t[]){ 0xa1, 0, k << 4, 0x20, 0 }, 5);
	memcpy(m->ram + CODE + 80, "\xcd\x80", 2);
	trips(m, "de: 16 hidden page faults + INT 0x80 (after a flush):", de_flush);
	/* mov [0x200000],eax; int 0x80: the page the last run wrote is
	 * read-only again, and its first write comes to the undo journal */
	memcpy(m->ram + CODE, "\xa3\x00\x00\x20\x00\xcd\x80", 7);
	trips(m, "de: store to a page written last run + INT 0x80:", NULL);
	compute_loop(m);
	return 0;
}
