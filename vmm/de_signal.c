/*
 * Direct execution: the native stub, the paper's de-privileged execution
 * context. A child forked from the monitor runs guest CPL 3 code in
 * compatibility mode; every trap arrives as a signal on an alternate stack
 * (hardware trap number and error code in the signal context, INT 0x80
 * through syscall user dispatch, CPUID and RDTSC through their faulting
 * controls). The handler hands the trap to the monitor over the shared
 * page, applies the monitor's shadow and LDT updates, and returns into the
 * guest by rewriting its own signal context: the stub lives entirely
 * inside its signal handler.
 *
 * Why a separate process: a guest can far-jump to the host's 64-bit code
 * selector 0x33 (it exists in the host GDT with DPL 3 and nothing can
 * remove it), and 64-bit code can address the whole process. Here it
 * reaches only the stub: no file descriptor but guest RAM, no system call
 * but the handful below (seccomp), nothing of the monitor's writable state.
 *
 * The handler runs with the guest's DS, ES, FS and GS still loaded, so it
 * and everything it calls use no TLS, no libc and no sanitizer runtime.
 */
#define _GNU_SOURCE /* REG_* of ucontext_t */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "de_host.h"

#define STUB __attribute__((no_sanitize("address", "undefined"), noinline))
#define STUB_ALTSTACK (1u << 18)
/* At most 2000 PAUSEs (60 us) before the stub sleeps: the monitor's
 * answer to a trap usually takes a few microseconds. */
static struct de_spin stub_spin = { .now = 2000, .max = 2000 };

#ifndef UC_SIGCONTEXT_SS
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#endif
#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u
#endif
#define ARCH_SET_CPUID 0x1012
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif

/* Copies of the monitor's values: written before the first signal, read-only after. */
static struct de_shared *stub_sh;
static int stub_ram_fd;

/* Give the turn to the monitor and wait until it gives it back. */
STUB static void stub_hand_over(struct de_shared *sh)
{
	de_turn_give(sh, DE_TURN_MONITOR);
	de_turn_wait(sh, DE_TURN_STUB, &stub_spin, 0);
}

STUB static uint8_t *stub_xsave_header(ucontext_t *uc)
{
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic;

	de_copy(&magic, fp + 464, 4);
	return magic == FP_XSTATE_MAGIC1 ? fp + 512 : NULL;
}

/* The x87 image: XSAVE does not write a component in its initial state. */
STUB static void stub_save_fpu(struct de_shared *sh, ucontext_t *uc)
{
	uint8_t *hdr = stub_xsave_header(uc);

	de_copy(sh->fx, uc->uc_mcontext.fpregs, DE_FX_SIZE);
	if (hdr && !(hdr[0] & 1)) {
		for (int i = 0; i < 160; i++)
			sh->fx[i] = 0;
		sh->fx[0] = 0x7f;
		sh->fx[1] = 0x03;
	}
}

STUB static void stub_load_fpu(const struct de_shared *sh, ucontext_t *uc)
{
	uint8_t *hdr = stub_xsave_header(uc);

	de_copy(uc->uc_mcontext.fpregs, sh->fx, DE_FX_SIZE);
	if (hdr)
		hdr[0] |= 3; /* x87 and SSE come from the image, not the init state */
}

static const int stub_gpr_reg[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX,
				     REG_RSP, REG_RBP, REG_RSI, REG_RDI };

STUB static void stub_record(struct de_shared *sh, int sig, siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];

	for (int r = 0; r < 8; r++)
		sh->regs.gpr[r] = (uint32_t)g[stub_gpr_reg[r]];
	sh->regs.eip = (uint32_t)g[REG_RIP];
	sh->regs.eflags = (uint32_t)g[REG_EFL];
	/* Field by field: a struct copy may become a call to memcpy. */
	sh->trap.signo = sig;
	sh->trap.code = si->si_code;
	sh->trap.trapno = (uint32_t)g[REG_TRAPNO];
	sh->trap.err = (uint32_t)g[REG_ERR];
	sh->trap.addr = (uint64_t)si->si_addr;
	sh->trap.rip = (uint64_t)g[REG_RIP];
	sh->trap.rflags = (uint64_t)g[REG_EFL];
	de_read_data_segs(sh->trap.sel_now);
	sh->trap.sel_now[1] = (uint16_t)csgsfs;
	sh->trap.sel_now[2] = (uint16_t)(csgsfs >> 48);
	stub_save_fpu(sh, uc);
}

STUB static long stub_apply_op(const struct de_op *op)
{
	if (op->kind == DE_OP_FLUSH)
		return de_syscall(SYS_munmap, 0, (long)DE_LOW_TOP, 0, 0, 0, 0);
	if (op->kind == DE_OP_UNMAP)
		return de_syscall(SYS_munmap, op->lin, DE_PAGE, 0, 0, 0, 0);
	long r = de_syscall(SYS_mmap, op->lin, DE_PAGE, op->prot, MAP_SHARED | MAP_FIXED,
			    stub_ram_fd, op->pa);
	return r == (long)op->lin ? 0 : (r < 0 ? r : -EINVAL);
}

/* The monitor's queued work; 0, or -errno of the first failure. */
STUB static long stub_apply(struct de_shared *sh)
{
	long r = 0;

	for (uint32_t i = 0; i < sh->n_ops && i < DE_OPS_MAX && r == 0; i++)
		r = stub_apply_op(&sh->ops[i]);
	for (int s = 0; s < 6 && r == 0; s++)
		if (sh->ldt_dirty & (1u << s))
			r = de_syscall(SYS_modify_ldt, 0x11, (long)&sh->ldt[s],
				       sizeof(struct user_desc), 0, 0, 0);
	sh->n_ops = 0;
	sh->ldt_dirty = 0;
	return r;
}

STUB static void stub_resume(struct de_shared *sh, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	for (int r = 0; r < 8; r++)
		g[stub_gpr_reg[r]] = sh->regs.gpr[r];
	g[REG_RIP] = sh->regs.eip;
	g[REG_EFL] = sh->regs.eflags;
	g[REG_CSGSFS] = (greg_t)(sh->regs.sel[1] | ((uint64_t)sh->regs.sel[2] << 48));
	uc->uc_flags |= UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	stub_load_fpu(sh, uc);
	de_load_data_segs(sh->regs.sel);
	de_set_nt_id(sh->regs.eflags & 0x204000u);
}

/*
 * A hidden page fault the monitor pre-approved: map the page and return
 * straight into the guest (the guest's segments are still loaded and the
 * kernel restores the rest from the frame). A write needs a writable
 * permit; anything else goes to the monitor.
 */
STUB static int stub_fill(struct de_shared *sh, int sig, siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t addr = (uint64_t)si->si_addr, page = addr & ~(uint64_t)(DE_PAGE - 1);
	struct de_permit *p = &sh->permit[(addr >> 12) % DE_PERMITS];

	if (sig != SIGSEGV || g[REG_TRAPNO] != 14 || addr >= DE_LOW_TOP || p->lin != (page | 1))
		return 0;
	if ((g[REG_ERR] & 2) && !(p->prot & PROT_WRITE))
		return 0;
	p->lin = 0;
	if (de_syscall(SYS_mmap, (long)page, DE_PAGE, p->prot, MAP_SHARED | MAP_FIXED,
		       stub_ram_fd, p->pa) != (long)page)
		return 0;
	uc->uc_flags |= UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	return 1;
}

STUB static void stub_handler(int sig, siginfo_t *si, void *ucv)
{
	struct de_shared *sh = stub_sh;
	ucontext_t *uc = ucv;

	if (stub_fill(sh, sig, si, uc))
		return;
	stub_record(sh, sig, si, uc);
	for (;;) {
		stub_hand_over(sh);
		long r = stub_apply(sh);
		if (r == 0)
			break;
		sh->trap.signo = 0;
		sh->trap.err = (uint32_t)-r;
	}
	stub_resume(sh, uc);
}

static void stub_die(void)
{
	de_syscall(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static void stub_signals(void)
{
	/* SIGURG: the monitor's preemption of a guest that never traps. */
	static const int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS, SIGSYS, SIGURG };
	stack_t ss = { .ss_size = STUB_ALTSTACK };
	struct sigaction sa = { .sa_sigaction = stub_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	sigset_t all;

	ss.ss_sp = mmap(NULL, STUB_ALTSTACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || (uint64_t)ss.ss_sp < DE_LOW_TOP || sigaltstack(&ss, NULL))
		stub_die();
	sigfillset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			stub_die();
	sigfillset(&all);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(&all, sigs[i]);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Only what the handler needs; anything else (and any 32-bit or x32
 * system call) kills the stub. */
static void stub_confine(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		ALLOW(SYS_futex), ALLOW(SYS_mmap), ALLOW(SYS_munmap), ALLOW(SYS_modify_ldt),
		ALLOW(SYS_rt_sigreturn), ALLOW(SYS_exit_group), ALLOW(SYS_exit),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		stub_die();
}

static void stub_close_fds(int keep)
{
	if (keep > 0)
		syscall(SYS_close_range, 0, keep - 1, 0);
	syscall(SYS_close_range, keep + 1, ~0u, 0);
}

/*
 * The traps the guest must not see as host behaviour: CPUID and RDTSC
 * fault, and every system call from below 4 GiB (the guest's INT 0x80)
 * becomes SIGSYS; the stub's own code lies above 4 GiB.
 */
static void stub_trap_controls(void)
{
	if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) || prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) ||
	    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, DE_LOW_TOP,
		  (1ull << 47) - DE_LOW_TOP, 0))
		stub_die();
}

_Noreturn void de_stub_main(struct de_shared *sh, int ram_fd, void *ram, uint64_t ram_size)
{
	stub_sh = sh;
	stub_ram_fd = ram_fd;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		stub_die();
	stub_signals();
	stub_close_fds(ram_fd);
	/* The guest's linear space: whatever the monitor had there (a
	 * sanitizer's shadow) is not the stub's business. */
	munmap(0, DE_LOW_TOP);
	/* Guest RAM reaches the guest only through the shadow, whose first
	 * write to a page in a run the monitor journals: not through the
	 * monitor's own mapping, which 64-bit guest code could write. */
	munmap(ram, ram_size);
	stub_trap_controls();
	stub_confine();
	/* The first trap says "ready"; the monitor's answer enters the guest. */
	__builtin_trap();
}
