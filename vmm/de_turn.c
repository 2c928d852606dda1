/*
 * Direct execution: the turn handshake between the monitor and the native
 * stub over the shared page (vmm/de_host.h has the protocol). One
 * implementation for both sides, so it keeps the stub's rules: no libc,
 * no TLS, no sanitizer (the guest's FS may be loaded while it runs).
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>

#include "de_host.h"

#define DE_SPIN_PROBE 64
#define TURN __attribute__((no_sanitize("address", "undefined"), noinline))

TURN void de_turn_give(struct de_shared *sh, uint32_t to)
{
	__atomic_store_n(&sh->turn, to, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sh->sleeping, __ATOMIC_SEQ_CST) & to)
		de_syscall(SYS_futex, (long)&sh->turn, FUTEX_WAKE, 1, 0, 0, 0);
}

TURN static int turn_spin(struct de_shared *sh, uint32_t me, unsigned spins)
{
	for (unsigned i = 0; i < spins; i++) {
		if (__atomic_load_n(&sh->turn, __ATOMIC_ACQUIRE) == me)
			return 1;
		__builtin_ia32_pause();
	}
	return 0;
}

/* Sleep until the turn is `me`, or until ns elapse (-ETIMEDOUT; ns 0: no limit). */
TURN static long turn_sleep(struct de_shared *sh, uint32_t me, long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
	long r = 0;

	__atomic_fetch_or(&sh->sleeping, me, __ATOMIC_SEQ_CST);
	while (r != -ETIMEDOUT && __atomic_load_n(&sh->turn, __ATOMIC_SEQ_CST) != me)
		r = de_syscall(SYS_futex, (long)&sh->turn, FUTEX_WAIT, (long)(me ^ 3),
			       ns ? (long)&ts : 0, 0, 0);
	__atomic_fetch_and(&sh->sleeping, ~me, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&sh->turn, __ATOMIC_ACQUIRE) == me ? 0 : -ETIMEDOUT;
}

/*
 * The spin adapts: a spin that ends in sleep halves the next one, a spin
 * that sees the turn doubles it (up to `max`). When the other side shares
 * this core (the scheduler put both on one), spinning only delays it, and
 * the spin soon shrinks to nothing; one wait in DE_SPIN_PROBE spins the
 * whole `max` anyway, so a core that became free is noticed.
 */
TURN long de_turn_wait(struct de_shared *sh, uint32_t me, struct de_spin *spin, long ns)
{
	bool probe = ++spin->waits % DE_SPIN_PROBE == 0;

	if (turn_spin(sh, me, probe ? spin->max : spin->now)) {
		spin->now = probe || spin->now * 2 >= spin->max ? spin->max : spin->now * 2 + 1;
		return 0;
	}
	spin->now /= 2;
	return turn_sleep(sh, me, ns);
}
