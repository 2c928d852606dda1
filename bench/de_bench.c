/*
 * Direct-execution figures: the cost of a trap round trip (guest INT 0x80
 * to the monitor and back; CPUID, which also runs one instruction on the
 * interpreter) and a compute loop run natively by `de` against the same
 * machine code run as a plain function of this process.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vmm/de.h"
#include "vmm/machine.h"

#define CODE 0x110000u
#define LOOPS 200000000u

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
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

/* mov ecx, LOOPS; xor eax, eax; 1: add eax, ecx; dec ecx (FF /1: the same in
 * 64-bit mode); jnz 1b; then INT 0x80 in the guest, RET in the process. */
static const uint8_t loop_code[] = { 0xb9, LOOPS & 0xff, (LOOPS >> 8) & 0xff, (LOOPS >> 16) & 0xff,
				     LOOPS >> 24, 0x31, 0xc0, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa };

int main(void)
{
	struct machine *m = calloc(1, sizeof(*m));
	struct de_event ev;
	int n = 100000;

	if (machine_init(m, 4u << 20) < 0 || (machine_reset(m), de_init(m)) < 0) {
		fprintf(stderr, "de bench: %s\n", m->error);
		return 1;
	}
	struct cpu *c = &m->cpu;
	user_state(c);
	memcpy(m->ram + CODE, "\xcd\x80", 2);
	double t0 = now();
	for (int i = 0; i < n; i++) {
		c->eip = CODE;
		de_run_user(m, &ev);
	}
	printf("de: INT 0x80 round trip (enter, trap, exit): %.2f us\n", (now() - t0) / n * 1e6);

	memcpy(m->ram + CODE, "\x0f\xa2", 2);
	t0 = now();
	for (int i = 0; i < n; i++) {
		c->eip = CODE;
		de_run_user(m, &ev);
		engine_interp.run(m, 1);
	}
	printf("de: CPUID round trip (trap, interp runs it): %.2f us\n", (now() - t0) / n * 1e6);

	memcpy(m->ram + CODE, loop_code, sizeof(loop_code));
	memcpy(m->ram + CODE + sizeof(loop_code), "\xcd\x80", 2);
	c->eip = CODE;
	t0 = now();
	while (de_run_user(m, &ev) == DE_PREEMPTED)
		continue; /* time slices: the monitor preempts a guest that never traps */
	double t_de = now() - t0;
	uint8_t *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(f, loop_code, sizeof(loop_code));
	f[sizeof(loop_code)] = 0xc3;
	t0 = now();
	uint32_t r = ((uint32_t(*)(void))f)();
	double t_native = now() - t0;
	printf("compute loop (%u iterations): de %.3f s, native process %.3f s (ratio %.3f; sums %s)\n",
	       LOOPS, t_de, t_native, t_de / t_native, r == c->gpr[EAX] ? "equal" : "DIFFER");
	return 0;
}
