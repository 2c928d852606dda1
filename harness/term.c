/*
 * The terminal as the guest's serial line: COM1 receives what the user
 * types on stdin. On a terminal, keys go through at once and unechoed (the
 * guest echoes, as on a real serial console), Enter arrives as CR; Ctrl-C
 * still stops doppel, and the terminal's settings come back on every exit.
 * A pipe or a file on stdin is read as it is. A doppel in the background
 * leaves the terminal alone (changing it would stop the process, SIGTTOU).
 * With a terminal, someone waits at it: an idle guest's halted time is
 * spent asleep on the host (machine.halt_paced), not spun through.
 */
#include "harness/harness.h"
#include "vmm/machine.h"

#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios term_saved;
static bool term_changed;

static void term_restore(void)
{
	if (term_changed)
		tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
	term_changed = false;
}

static void term_on_signal(int sig)
{
	if (term_changed)
		tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_make_raw(void)
{
	struct termios t;
	if (tcgetattr(STDIN_FILENO, &term_saved) < 0)
		return;
	t = term_saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		return;
	term_changed = true;
	atexit(term_restore);
	signal(SIGINT, term_on_signal);
	signal(SIGTERM, term_on_signal);
	signal(SIGHUP, term_on_signal);
}

void term_serial_begin(struct machine *m)
{
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		term_make_raw();
	machine_serial_input(m, STDIN_FILENO);
	m->halt_paced = isatty(STDIN_FILENO); /* someone waits at it: idle without spinning */
}

void term_serial_end(void)
{
	term_restore();
}
