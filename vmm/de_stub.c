/*
 * Direct execution: the monitor's side of the native stub -- starting it
 * for a machine, handing it the shared page and waiting for its next trap
 * (a short spin, then a futex), noticing when it died. The stub runs the
 * guest in the low 4 GiB of a copy of this process, so nothing the stub
 * needs may live there: checked from /proc/self/maps before it starts.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "de.h"
#include "de_host.h"

#define DE_WAIT_NS 100000000L
/* A stub that has not answered for this many waits (10 s) is stuck
 * (its handler can be reached by 64-bit guest code): killed. */
#define DE_WAITS_MAX 100
#define DE_MIN_ADDR_DEFAULT 0x10000u

static struct de_shared *de_sh;
/* At most 2000 PAUSEs (60 us): a trap usually comes back in a few microseconds. */
static struct de_spin de_spin = { .now = 2000, .max = 2000 };
static pid_t de_pid;
static dev_t de_ram_dev;
static ino_t de_ram_ino;

struct de_shared *de_shared_page(void)
{
	return de_sh;
}

int de_stub_pid(void)
{
	return de_pid;
}

static int de_fail(struct machine *m, const char *what)
{
	snprintf(m->error, sizeof(m->error), "de: %s", what);
	return -1;
}

/* Anything named (a file, the heap, a stack, the vDSO) below 4 GiB is
 * something the stub would lose when it clears the guest's space. */
static int de_check_layout(struct machine *m)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], path[256];
	uint64_t lo, hi;
	int bad = 0;

	if (!f)
		return de_fail(m, "cannot read /proc/self/maps");
	while (!bad && fgets(line, sizeof(line), f)) {
		path[0] = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*s %*s %*s %255s", &lo, &hi, path) < 2)
			continue;
		bad = lo < DE_LOW_TOP && path[0];
	}
	fclose(f);
	if (bad) {
		line[strcspn(line, "\n")] = 0;
		snprintf(m->error, sizeof(m->error),
			 "de: %.150s is mapped below 4 GiB (guest user space goes there)", line);
		return -1;
	}
	return 0;
}

static uint32_t de_read_min_addr(void)
{
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long v = DE_MIN_ADDR_DEFAULT;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = DE_MIN_ADDR_DEFAULT;
		fclose(f);
	}
	v = (v + DE_PAGE - 1) & ~(unsigned long)(DE_PAGE - 1);
	return v ? (uint32_t)v : DE_PAGE; /* page 0 stays unmapped either way */
}

static void de_stub_stop(void)
{
	if (de_pid > 0) {
		kill(de_pid, SIGKILL);
		waitpid(de_pid, NULL, 0);
	}
	de_pid = 0;
}

static bool de_stub_dead(struct machine *m)
{
	int status;

	if (waitpid(de_pid, &status, WNOHANG) != de_pid)
		return false;
	snprintf(m->error, sizeof(m->error), "de: the native stub died (%s %d)",
		 WIFSIGNALED(status) ? "signal" : "exit status",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	de_pid = 0;
	return true;
}

/*
 * The stub's next trap: spin, then sleep; a guest still running after one
 * time slice is preempted with SIGURG (not a stub still starting: its
 * handler would take the signal for its first trap), a stub that died is
 * noticed at the next timeout, and one that never answers is killed.
 */
static int de_wait(struct machine *m, bool preempt)
{
	long ns = preempt ? DE_SLICE_NS : DE_WAIT_NS;

	for (int waits = 0; de_turn_wait(de_sh, DE_TURN_MONITOR, &de_spin, ns) < 0; waits++) {
		if (de_stub_dead(m))
			return -1;
		if (waits == DE_WAITS_MAX) {
			de_stub_stop();
			return de_fail(m, "the native stub stopped answering (killed)");
		}
		if (ns == DE_SLICE_NS)
			kill(de_pid, SIGURG);
		ns = DE_WAIT_NS;
	}
	return 0;
}

int de_stub_call(struct machine *m)
{
	if (de_pid <= 0)
		return de_fail(m, "the native stub is not running");
	de_turn_give(de_sh, DE_TURN_STUB);
	return de_wait(m, true);
}

static int de_stub_start(struct machine *m)
{
	memset(de_sh, 0, sizeof(*de_sh));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		de_stub_main(de_sh, m->ram_fd, m->ram, m->ram_size);
	if (pid < 0)
		return de_fail(m, "fork failed");
	de_pid = pid;
	/* Its first trap is its own UD2 (above 4 GiB): ready. */
	if (de_wait(m, false) < 0)
		return -1;
	if (de_sh->trap.signo != SIGILL || de_sh->trap.rip < DE_LOW_TOP) {
		de_stub_stop();
		return de_fail(m, "the native stub did not start");
	}
	de_shadow_reset(de_read_min_addr());
	de_segments_reset();
	return 0;
}

int de_stub_restart(struct machine *m)
{
	de_stub_stop();
	return de_init(m);
}

int de_init(struct machine *m)
{
	struct stat st;

	if (fstat(m->ram_fd, &st))
		return de_fail(m, "guest RAM has no file");
	if (de_pid > 0 && st.st_dev == de_ram_dev && st.st_ino == de_ram_ino)
		return 0;
	de_stub_stop();
	if (de_check_layout(m) < 0)
		return -1;
	if (!de_sh) {
		void *p = mmap(NULL, sizeof(*de_sh), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || (uint64_t)p < DE_LOW_TOP)
			return de_fail(m, "cannot map the page shared with the stub above 4 GiB");
		de_sh = p;
	}
	if (de_stub_start(m) < 0)
		return -1;
	de_ram_dev = st.st_dev;
	de_ram_ino = st.st_ino;
	return 0;
}
