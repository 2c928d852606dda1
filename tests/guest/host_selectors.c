/*
 * Segment loads at CPL 3 of the selectors a 64-bit Linux host also answers
 * natively in compatibility mode (0x20-0x23, 0x28-0x2b, 0x30-0x33 and
 * 0x78-0x7b; docs/direct-execution.md, "Segment loads the host answers").
 * The guest's own GDT decides, per the SDM (vol. 2 MOV, POP, JMP, CALL, RET,
 * IRET; vol. 3 5.4-5.8, 7.3):
 * - a data-segment load (MOV, POP) of a system or zero descriptor is
 *   #GP(selector & ~3) at the load, nothing changed (entry 5 is the TSS,
 *   entry 6 the #DF TSS, entry 15 empty); so is MOV SS of the TSS;
 * - a far JMP/CALL to a DPL-0 TSS from CPL 3 is #GP(TSS selector); a far
 *   JMP to a data segment, and RETF/IRET popping a CS that is not a code
 *   segment, are #GP(selector);
 * - with entry 6 or 15 a DPL-3 data segment of base B, any RPL of 0x30-0x33
 *   or 0x78-0x7b loads it: reads and writes at offset 0x20000 reach
 *   B + 0x20000, not linear 0x20000 (both hold distinct known values);
 * - entry 4 is flat writable user data: ES/DS = 0x20-0x23 write memory;
 * - a run of ordinary code with such a load in its middle computes what the
 *   same code computes with the guest's descriptor.
 */
#include "rt.h"

#define WIN 0x20000u /* the offset read through the TLS-like segment */
#define MARK_B 0xB0B0B0B0u
#define MARK_S 0x5E5E5E5Eu
#define TLS_WORD0 0x22222222u
#define LOW_WORD0 0x11111111u
#define TLS_WORD1 0x44444444u
#define LOW_WORD1 0x33333333u

/* Known registers and the stack pointer just before the faulting instruction. */
#define MARKS "mov $0xB0B0B0B0, %%ebx; mov $0x5E5E5E5E, %%esi; mov %%esp, u_esp\n"
#define FAULT_AT(label, insn) MARKS ".globl " label "\n" label ": " insn "\n"

uint32_t u_esp;
static struct __attribute__((packed)) { uint32_t off; uint16_t sel; } u_far;
static uint32_t tls_area[1024] __attribute__((aligned(4096)));
static uint32_t es_target;
static uint32_t loop_buf[2000];

/* A wrongly taken control transfer lands here and shows up as #UD. */
__asm__(".text\n.globl bad_target\nbad_target: ud2\n");
extern char bad_target[];
extern char at_mov_ds[], at_mov_es[], at_mov_fs[], at_pop_gs[], at_mov_ss[];
extern char at_ljmp33[], at_ljmp_ind[], at_lcall33[], at_lret[], at_iret[];

/*
 * One CPL-3 function per faulting instruction: `pre` sets up the stack,
 * then the marks and the instruction at its label; AX holds the selector.
 */
#define FAULT_FN(fn, pre, label, insn)                                                     \
	static uint32_t fn(uint32_t sel)                                                   \
	{                                                                                  \
		__asm__ volatile(pre FAULT_AT(label, insn)::"a"(sel), "m"(u_far)            \
				 : "ebx", "esi", "memory");                                \
		return 0;                                                                  \
	}

FAULT_FN(u_mov_ds, "", "at_mov_ds", "mov %%ax, %%ds")
FAULT_FN(u_mov_es, "", "at_mov_es", "mov %%ax, %%es")
FAULT_FN(u_mov_fs, "", "at_mov_fs", "mov %%ax, %%fs")
FAULT_FN(u_pop_gs, "push %%eax\n", "at_pop_gs", "pop %%gs")
FAULT_FN(u_mov_ss, "", "at_mov_ss", "mov %%ax, %%ss")
FAULT_FN(u_ljmp33, "", "at_ljmp33", "ljmp $0x33, $bad_target")
FAULT_FN(u_ljmp_ind, "", "at_ljmp_ind", "ljmp *%1")
FAULT_FN(u_lcall33, "", "at_lcall33", "lcall $0x33, $bad_target")
FAULT_FN(u_lret, "push %%eax; push $bad_target\n", "at_lret", "lret")
FAULT_FN(u_iret, "pushf; push %%eax; push $bad_target\n", "at_iret", "iret")

/* ---- the #GP cases: vector, error, EIP, registers, the target register ---- */

static struct frame gp_frame;

static int gp_record(struct frame *fr)
{
	gp_frame = *fr;
	return 0; /* on to the armed catch_fault */
}

enum sreg { R_DS, R_ES, R_FS, R_GS, R_SS, R_CS };

struct gp_case {
	const char *name;
	user_fn fn;
	uint16_t sel;
	const char *at;
	enum sreg unchanged;
};

static const struct gp_case gp_cases[] = {
	{ "gp.mov_ds_0x28_tss", u_mov_ds, 0x28, at_mov_ds, R_DS },
	{ "gp.mov_ds_0x29_tss", u_mov_ds, 0x29, at_mov_ds, R_DS },
	{ "gp.mov_ds_0x2a_tss", u_mov_ds, 0x2a, at_mov_ds, R_DS },
	{ "gp.mov_ds_0x2b_tss", u_mov_ds, 0x2b, at_mov_ds, R_DS },
	{ "gp.mov_es_0x30_dftss", u_mov_es, 0x30, at_mov_es, R_ES },
	{ "gp.mov_es_0x33_dftss", u_mov_es, 0x33, at_mov_es, R_ES },
	{ "gp.mov_fs_0x78_empty", u_mov_fs, 0x78, at_mov_fs, R_FS },
	{ "gp.mov_fs_0x7b_empty", u_mov_fs, 0x7b, at_mov_fs, R_FS },
	{ "gp.pop_gs_0x7b_empty", u_pop_gs, 0x7b, at_pop_gs, R_GS },
	{ "gp.mov_ss_0x2b_tss", u_mov_ss, 0x2b, at_mov_ss, R_SS },
	{ "gp.ljmp_0x33_dpl0_tss", u_ljmp33, 0x33, at_ljmp33, R_CS },
	{ "gp.ljmp_ind_0x30_dpl0_tss", u_ljmp_ind, 0x30, at_ljmp_ind, R_CS },
	{ "gp.ljmp_ind_0x2b_dpl0_tss", u_ljmp_ind, 0x2b, at_ljmp_ind, R_CS },
	{ "gp.ljmp_ind_0x23_data", u_ljmp_ind, 0x23, at_ljmp_ind, R_CS },
	{ "gp.lcall_0x33_dpl0_tss", u_lcall33, 0x33, at_lcall33, R_CS },
	{ "gp.lret_0x33_tss", u_lret, 0x33, at_lret, R_CS },
	{ "gp.lret_0x23_data", u_lret, 0x23, at_lret, R_CS },
	{ "gp.iret_0x33_tss", u_iret, 0x33, at_iret, R_CS },
	{ "gp.iret_0x23_data", u_iret, 0x23, at_iret, R_CS },
};

static uint32_t sreg_in_frame(enum sreg r)
{
	const uint32_t v[] = { gp_frame.ds, gp_frame.es, gp_frame.fs,
			       gp_frame.gs, gp_frame.ss, gp_frame.cs };
	return v[r] & 0xFFFF;
}

static void gp_expect(const struct gp_case *c)
{
	struct fault f;
	memset(&gp_frame, 0, sizeof(gp_frame));
	u_far.off = (uint32_t)bad_target;
	u_far.sel = c->sel;
	if (catch_fault(&f) == 0) {
		run_user(c->fn, c->sel);
		catch_end();
	}
	uint32_t want_sreg = c->unchanged == R_CS ? SEL_UCODE : SEL_UDATA;
	int regs_ok = f.eax == c->sel && f.ebx == MARK_B && f.esi == MARK_S;
	int ok = f.vector == 13 && f.error == (c->sel & 0xFFFCu) && f.eip == (uint32_t)c->at &&
		 regs_ok && gp_frame.esp == u_esp && sreg_in_frame(c->unchanged) == want_sreg;
	check(ok, c->name,
	      "vector %d error 0x%x (want 13, 0x%x), eip %s, regs %s, esp moved by %d, sreg 0x%x",
	      f.vector, f.error, c->sel & 0xFFFCu, f.eip == (uint32_t)c->at ? "ok" : "wrong",
	      regs_ok ? "ok" : "changed", (int)(gp_frame.esp - u_esp), sreg_in_frame(c->unchanged));
}

/* ---- loads the guest allows: the TLS-like segment and flat user data ---- */

static uint32_t u_gs_read(uint32_t sel)
{
	uint32_t v;
	__asm__ volatile("mov %w1, %%gs; mov %%gs:0x20000, %0" : "=r"(v) : "r"(sel) : "memory");
	return v;
}

static uint32_t u_fs_read(uint32_t sel)
{
	uint32_t v;
	__asm__ volatile("mov %w1, %%fs; mov %%fs:0x20000, %0" : "=r"(v) : "r"(sel) : "memory");
	return v;
}

static uint32_t u_ds_read(uint32_t sel)
{
	uint32_t v;
	__asm__ volatile("mov %w1, %%ds; mov %%ds:0x20000, %0; push %%ss; pop %%ds"
			 : "=r"(v) : "r"(sel) : "memory");
	return v;
}

static uint32_t u_gs_write(uint32_t sel)
{
	__asm__ volatile("mov %w0, %%gs; mov $0x55555555, %%ebx; mov %%ebx, %%gs:0x20004"
			 ::"r"(sel) : "ebx", "memory");
	return 0;
}

static uint32_t u_fs_write(uint32_t sel)
{
	__asm__ volatile("mov %w0, %%fs; mov $0x55555555, %%ebx; mov %%ebx, %%fs:0x20004"
			 ::"r"(sel) : "ebx", "memory");
	return 0;
}

static uint32_t u_es_write(uint32_t sel)
{
	__asm__ volatile("mov %w0, %%es; movl $0x66666666, %%es:(%1); push %%ss; pop %%es"
			 ::"r"(sel), "r"(&es_target) : "memory");
	return 0;
}

static uint32_t u_ds_write(uint32_t sel)
{
	__asm__ volatile("mov %w0, %%ds; movl $0x66666666, (%1); push %%ss; pop %%ds"
			 ::"r"(sel), "r"(&es_target) : "memory");
	return 0;
}

/* Linear WIN, kept out of the compiler's view of object bounds. */
static volatile uint32_t *low_window(void)
{
	uint32_t p = WIN;
	__asm__("" : "+r"(p));
	return (volatile uint32_t *)p;
}

static void window_fill(void)
{
	volatile uint32_t *low = low_window();
	low[0] = LOW_WORD0;
	low[1] = LOW_WORD1;
	tls_area[0] = TLS_WORD0;
	tls_area[1] = TLS_WORD1;
}

static uint32_t run_caught(user_fn fn, uint32_t arg, struct fault *f)
{
	volatile uint32_t r = 0;
	if (catch_fault(f) == 0) {
		r = run_user(fn, arg);
		catch_end();
	}
	return r;
}

static void read_expect(const char *name, user_fn fn, uint16_t sel)
{
	struct fault f;
	window_fill();
	uint32_t v = run_caught(fn, sel, &f);
	check(f.vector == NO_FAULT && v == TLS_WORD0, name,
	      "vector %d error 0x%x, read 0x%x (want 0x%x; linear 0x20000 holds 0x%x)",
	      f.vector, f.error, v, TLS_WORD0, LOW_WORD0);
}

static void write_expect(const char *name, user_fn fn, uint16_t sel)
{
	struct fault f;
	window_fill();
	run_caught(fn, sel, &f);
	uint32_t low1 = low_window()[1];
	check(f.vector == NO_FAULT && tls_area[1] == 0x55555555u && low1 == LOW_WORD1, name,
	      "vector %d error 0x%x, B+0x20004 = 0x%x (want 0x55555555), linear 0x20004 = 0x%x "
	      "(want 0x%x)", f.vector, f.error, tls_area[1], low1, LOW_WORD1);
}

static const struct { const char *name; user_fn fn; uint16_t sel; } tls_reads[] = {
	{ "tls.gs_0x30_read", u_gs_read, 0x30 }, { "tls.gs_0x31_read", u_gs_read, 0x31 },
	{ "tls.gs_0x32_read", u_gs_read, 0x32 }, { "tls.gs_0x33_read", u_gs_read, 0x33 },
	{ "tls.gs_0x78_read", u_gs_read, 0x78 }, { "tls.gs_0x79_read", u_gs_read, 0x79 },
	{ "tls.gs_0x7a_read", u_gs_read, 0x7a }, { "tls.gs_0x7b_read", u_gs_read, 0x7b },
	{ "tls.fs_0x33_read", u_fs_read, 0x33 }, { "tls.fs_0x7b_read", u_fs_read, 0x7b },
	{ "tls.ds_0x33_read", u_ds_read, 0x33 }, { "tls.ds_0x78_read", u_ds_read, 0x78 },
};

static void tls_checks(void)
{
	uint32_t base = (uint32_t)tls_area - WIN;
	gdt_set(6, base, 0xFFFFF, ACC_DATA_RW | ACC_DPL(3), FLG_G | FLG_DB);
	gdt_set(15, base, 0xFFFFF, ACC_DATA_RW | ACC_DPL(3), FLG_G | FLG_DB);
	for (size_t i = 0; i < sizeof(tls_reads) / sizeof(tls_reads[0]); i++)
		read_expect(tls_reads[i].name, tls_reads[i].fn, tls_reads[i].sel);
	write_expect("tls.gs_0x33_write", u_gs_write, 0x33);
	write_expect("tls.fs_0x7b_write", u_fs_write, 0x7b);
	write_expect("tls.gs_0x78_write", u_gs_write, 0x78);
}

static void flat_write_expect(const char *name, user_fn fn, uint16_t sel)
{
	struct fault f;
	es_target = 0;
	run_caught(fn, sel, &f);
	check(f.vector == NO_FAULT && es_target == 0x66666666u, name,
	      "vector %d error 0x%x, memory 0x%x (want 0x66666666)", f.vector, f.error, es_target);
}

/* ---- a native-length run with the load in its middle ---- */

static uint32_t loop_value(uint32_t i, uint32_t seed, uint32_t tls)
{
	return i < 1000 ? seed ^ (i * 2654435761u) : tls + i;
}

static uint32_t u_loop(uint32_t seed)
{
	uint32_t sum = 0, v;
	for (uint32_t i = 0; i < 1000; i++) {
		loop_buf[i] = loop_value(i, seed, 0);
		sum = sum * 31 + loop_buf[i];
	}
	__asm__ volatile("mov %w1, %%gs; mov %%gs:0x20000, %0" : "=r"(v) : "r"(0x33) : "memory");
	for (uint32_t i = 1000; i < 2000; i++) {
		loop_buf[i] = loop_value(i, seed, v);
		sum = sum * 31 + loop_buf[i];
	}
	return sum;
}

static void loop_check(void)
{
	struct fault f;
	uint32_t seed = 0x0BADF00Du, want = 0, bad = 0;
	window_fill();
	memset(loop_buf, 0, sizeof(loop_buf));
	uint32_t got = run_caught(u_loop, seed, &f);
	for (uint32_t i = 0; i < 2000; i++) {
		uint32_t v = loop_value(i, seed, TLS_WORD0);
		want = want * 31 + v;
		bad += loop_buf[i] != v;
	}
	check(f.vector == NO_FAULT && got == want, "loop.checksum",
	      "vector %d error 0x%x, checksum 0x%x (want 0x%x)", f.vector, f.error, got, want);
	check(bad == 0, "loop.buffer", "%u of 2000 words wrong", bad);
}

void test_main(void)
{
	uint64_t dftss = gdt_get(6);
	set_handler(13, gp_record);
	for (size_t i = 0; i < sizeof(gp_cases) / sizeof(gp_cases[0]); i++)
		gp_expect(&gp_cases[i]);

	tls_checks();
	flat_write_expect("flat.es_0x23_write", u_es_write, 0x23);
	flat_write_expect("flat.es_0x20_write", u_es_write, 0x20);
	flat_write_expect("flat.ds_0x22_write", u_ds_write, 0x22);
	loop_check();

	/* the descriptor is read at every load: the #DF TSS back in entry 6 */
	gdt_set_raw(6, (uint32_t)dftss, (uint32_t)(dftss >> 32));
	gdt_set_raw(15, 0, 0);
	gp_expect(&(const struct gp_case){ "gp.mov_es_0x33_after_restore", u_mov_es, 0x33,
					   at_mov_es, R_ES });
	set_handler(13, 0);
}
