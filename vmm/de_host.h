/*
 * Direct execution, host side: the contract between the monitor (de.c,
 * de_shadow.c, de_segments.c) and the native stub (de_signal.c,
 * de_enter.S). Guest code runs in a separate stub process forked from the
 * monitor, so that guest code that escapes compatibility mode (a far
 * transfer to the host's 64-bit code selector 0x33) reaches only the stub,
 * which a seccomp filter confines to its few system calls. The two sides
 * talk through one shared page and a futex word: the monitor writes
 * commands and the guest registers, the stub writes what trapped.
 */
#ifndef DOPPEL_DE_HOST_H
#define DOPPEL_DE_HOST_H

#include <asm/ldt.h>
#include <stdint.h>

#include "machine.h"

#define DE_LOW_TOP 0x100000000ull /* the guest's shadow: [0, 4 GiB) of the stub */
#define DE_PAGE 0x1000u
#define DE_OPS_MAX 128
#define DE_FX_SIZE 512
/* A guest that never traps is preempted after DE_SLICE_NS of host time;
 * the slice counts as DE_SLICE_INSNS on the virtual clock (1 GHz). */
#define DE_SLICE_NS 10000000L
#define DE_SLICE_INSNS 10000000ull

/* Host selectors: the Linux x86-64 GDT's flat 32-bit code and data, and
 * the stub's LDT entries, one per guest segment register at the top of the
 * LDT, where guest LDT selectors rarely point (every other one faults
 * natively and so reaches the interpreter). */
#define DE_SEL_CODE32 0x23
#define DE_SEL_DATA 0x2b
#define DE_SEL_CODE64 0x33
#define DE_SEL_CPUNODE 0x7b /* the vDSO's getcpu segment: loadable, never the monitor's */
#define DE_LDT_FIRST 8186
#define DE_SEL_LDT(sreg) ((uint16_t)(((DE_LDT_FIRST + (sreg)) << 3) | 7))

enum de_turn { DE_TURN_MONITOR = 1, DE_TURN_STUB = 2 };

/* What the stub does before it resumes the guest. */
enum de_op_kind { DE_OP_MAP, DE_OP_UNMAP, DE_OP_FLUSH };

struct de_op {
	uint32_t kind;
	uint32_t lin;  /* page */
	uint32_t pa;   /* page, for DE_OP_MAP */
	uint32_t prot; /* PROT_READ | PROT_EXEC, maybe | PROT_WRITE */
};

/*
 * A page the stub may map by itself on a hidden fault, with no round trip:
 * the monitor found that mapping it has no guest-visible side effect (the
 * walk would set no A or D bit). Indexed by (lin >> 12) % DE_PERMITS; the
 * stub clears an entry once it used it. The monitor counts the page as
 * mapped, so a TLB flush unmaps it whether the stub used it or not.
 */
#define DE_PERMITS 4096u

struct de_permit {
	uint32_t lin;  /* page | 1 when valid */
	uint32_t pa;   /* page */
	uint32_t prot;
};

/* The guest's registers as the host runs them: host selectors, not the guest's. */
struct de_regs {
	uint32_t gpr[8];
	uint32_t eip, eflags;
	uint16_t sel[6]; /* enum sreg order */
};

/* One trap as the stub saw it. signo 0: a command failed (err = errno). */
struct de_trap {
	int signo, code;
	uint32_t trapno, err;
	uint64_t addr;        /* si_addr: CR2 for a page fault */
	uint64_t rip, rflags; /* full host values: RIP above 4 GiB means the stub itself */
	uint16_t sel_now[6];  /* host selectors at the trap */
};

/*
 * The handshake: the side whose turn ends stores the other's turn, then
 * wakes it only if it sleeps (its bit in `sleeping`); a waiting side
 * first spins with PAUSE for a bounded time (a free core answers in a few
 * microseconds), then sets its bit and sleeps on the futex. Both sides
 * store before they load, with full barriers (Dekker's order), so a
 * sleeper is never missed.
 */
struct de_shared {
	volatile uint32_t turn;  /* futex word: whose turn it is */
	volatile uint32_t sleeping; /* DE_TURN_* bits of the sides in FUTEX_WAIT */
	uint32_t n_ops;
	struct de_op ops[DE_OPS_MAX];
	uint32_t ldt_dirty;      /* bit per LDT slot to (re)write */
	struct user_desc ldt[6];
	struct de_regs regs;
	struct de_trap trap;
	uint8_t fx[DE_FX_SIZE] __attribute__((aligned(64))); /* FXSAVE64 image */
	struct de_permit permit[DE_PERMITS];
};

/* ---- the stub (de_signal.c, de_enter.S) ---- */
/* In the forked child: confine the process, then serve the monitor forever. */
_Noreturn void de_stub_main(struct de_shared *sh, int ram_fd, void *ram, uint64_t ram_size);
/* Raw system call: no errno, no TLS (the guest's FS may be loaded). */
long de_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
/* Load DS, ES, FS, GS with host selectors (64-bit mode, just before sigreturn). */
void de_load_data_segs(const uint16_t sel[6]);
/* Read DS, ES, FS, GS into sel[] (enum sreg order; CS and SS untouched). */
void de_read_data_segs(uint16_t sel[6]);
/* NT and ID (bits 14, 21) of the stub's RFLAGS: what the guest gets at sigreturn. */
void de_set_nt_id(uint64_t bits);
/* Byte copy that no sanitizer or libc intercepts. */
void de_copy(void *dst, const void *src, uint64_t n);

/* ---- both sides (de_turn.c) ---- */
/* Hand the turn to `to` (DE_TURN_*), waking it if it sleeps. */
void de_turn_give(struct de_shared *sh, uint32_t to);
/* How long a side spins before it sleeps, in PAUSEs (about 30 ns each here). */
struct de_spin {
	unsigned now, max;
	unsigned waits; /* how many so far: every 64th spins `max` */
};
/* Wait for the turn `me`: spin, then the futex; 0 once it is mine,
 * -ETIMEDOUT after ns nanoseconds of sleep (ns 0: no limit). */
long de_turn_wait(struct de_shared *sh, uint32_t me, struct de_spin *spin, long ns);

/* ---- the monitor's side ---- */
/* Hand the shared page to the stub and wait for its next trap; -1 if it died
 * (or stopped answering: then it is killed). */
int de_stub_call(struct machine *m);
/* Replace the stub by a fresh one (after it ran code the monitor did not
 * mean it to: 64-bit code, or its own). -1 with m->error if none starts. */
int de_stub_restart(struct machine *m);
struct de_shared *de_shared_page(void);
/* The stub's process id (0 when none runs): for CPU-time figures. */
int de_stub_pid(void);

/* de_fpu.c: struct fpu <-> the FXSAVE64 image the stub's signal frame holds.
 * from_fx keeps FCS/FDS unless the native code moved FIP/FDP. */
void de_fpu_to_fx(const struct fpu *f, uint8_t fx[DE_FX_SIZE]);
void de_fpu_from_fx(struct fpu *f, const uint8_t fx[DE_FX_SIZE], uint16_t cs, uint16_t ds);

/* de_segments.c: the host selectors for the guest's segments; false when
 * some guest segment cannot be expressed natively. Queues LDT writes. */
bool de_segments_prepare(const struct cpu *c, struct de_shared *sh);
/* A new stub: its LDT is empty. */
void de_segments_reset(void);

/*
 * de_journal.c: the undo journal of one native run. begin keeps the CPU
 * state; page and word keep guest memory's old bytes at physical pa before
 * the run may change them (a page the stub may write, a page-table entry a
 * walk may set A or D in); room says whether one more fill fits; undo puts
 * memory and the CPU back as they were at begin.
 */
void de_journal_begin(const struct cpu *c);
bool de_journal_room(void);
void de_journal_page(struct machine *m, uint32_t pa);
void de_journal_word(struct machine *m, uint32_t pa);
/* false (nothing changed) when the run kept less than it changed: the
 * journal was full, or had no memory. */
bool de_journal_undo(struct machine *m);
/* Did the stub get to write physical page pa in this run? */
bool de_journal_wrote(uint32_t pa);

/* de_shadow.c */
enum de_fill { DE_FILL_MAPPED, DE_FILL_GUEST_PF, DE_FILL_NOT_EXACT };
/* A host page fault at lin: map the page if the guest allows the access. */
enum de_fill de_shadow_fill(struct machine *m, uint32_t lin, bool write);
/* Drop the shadow pages whose guest TLB entries were flushed or replaced. */
void de_shadow_sync(struct machine *m);
/* Map the page of CS:EIP ahead, when its walk does not fault. */
void de_shadow_prefill_code(struct machine *m);
/* Drop every shadow page. */
void de_shadow_flush(struct machine *m);
/* A new stub: nothing is mapped; min_addr is the host's mmap_min_addr. */
void de_shadow_reset(uint32_t min_addr);
/* The guest's bytes at a linear address as CPL 3 sees them; false if unmapped. */
bool de_shadow_peek(struct machine *m, uint32_t lin, uint8_t *buf, unsigned n);

#endif
