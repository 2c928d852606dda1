/*
 * Specifications of direct execution (vmm/de*.c): guest CPL 3 code run
 * natively in the stub comes back with exact registers, flags and x87
 * state; host traps become the guest's events (INT n, #UD, #DE, #PF with
 * the guest's error code and CR2) or instructions for the interpreter
 * (HLT, CPUID, RDTSC, segment-limit faults); the shadow sets the guest's
 * accessed and dirty bits as the hardware does; random code never hurts
 * the monitor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/de.h"
#include "vmm/interp.h"
#include "vmm/machine.h"
#include "vmm/mem.h"

#define RAM_SIZE (4u << 20)
#define CODE 0x110000u /* TLB slot 0x10: clear of DATA's slots */
#define DATA 0x200000u
#define STACK_TOP 0x180000u
#define PD 0x300000u
#define PT 0x301000u
#define SCRATCH 0x00400000u /* above the 4 MiB the page table maps */
#define USER_IDT 0x2000u

static struct machine *m;
static struct cpu *c;

static void put32(uint32_t pa, uint32_t v) { memcpy(m->ram + pa, &v, 4); }
static uint32_t get32(uint32_t pa) { uint32_t v; memcpy(&v, m->ram + pa, 4); return v; }

static struct seg flat(uint16_t sel, uint8_t access)
{
	return (struct seg){ .sel = sel, .attr = 0xc000 | access, .base = 0, .limit = 0xffffffffu };
}

/* One machine (and so one stub) for the whole group. */
static int group_setup(void **state)
{
	(void)state;
	m = calloc(1, sizeof(*m));
	return machine_init(m, RAM_SIZE);
}

static int group_teardown(void **state)
{
	(void)state;
	machine_free(m);
	free(m);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	memset(m->ram, 0, RAM_SIZE);
	machine_reset(m);
	c = &m->cpu;
	c->m = m;
	c->cr0 = CR0_PE | CR0_ET | CR0_NE;
	c->cpl = 3;
	c->seg[SR_CS] = flat(0x1b, 0xfa);
	for (int s = 0; s < 6; s++)
		if (s != SR_CS)
			c->seg[s] = flat(0x23, 0xf2);
	c->eflags = F_FIXED1 | F_IF;
	c->eip = CODE;
	c->gpr[ESP] = STACK_TOP;
	/* Every vector a present DPL 3 interrupt gate: INT n is the guest's to take. */
	for (uint32_t v = 0; v < 256; v++) {
		put32(USER_IDT + 8 * v, 0x00080000);
		put32(USER_IDT + 8 * v + 4, 0xee00);
	}
	c->idtr = (struct dtr){ USER_IDT, 0x7ff };
	assert_int_equal(de_init(m), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	de_flush(m);
	return 0;
}

static void code(const char *bytes, size_t n)
{
	memcpy(m->ram + CODE, bytes, n);
}
#define CODE_OF(s) code(s, sizeof(s) - 1)

/* Identity-map the first 4 MiB for user read/write, PTEs with A/D clear. */
static void paging_on(void)
{
	for (uint32_t i = 0; i < 1024; i++)
		put32(PT + 4 * i, (i << 12) | 7);
	put32(PD, PT | 7);
	c->cr3 = PD;
	c->cr0 |= CR0_PG;
	tlb_flush_all(c, true); /* as MOV CR0 would */
}

static enum de_exit run(struct de_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	return de_run_user(m, ev);
}

static void user_code_computes_and_stops_at_hlt_with_exact_registers(void **state)
{
	struct de_event ev;
	(void)state;
	/* mov eax,5; mov ecx,7; imul eax,ecx; add eax,1; mov edi,-1; inc edi; stc; std; hlt */
	CODE_OF("\xb8\x05\x00\x00\x00\xb9\x07\x00\x00\x00\x0f\xaf\xc1\x83\xc0\x01"
		"\xbf\xff\xff\xff\xff\x47\xf9\xfd\xf4");
	assert_int_equal(run(&ev), DE_NOT_EXACT);
	assert_int_equal(c->eip, CODE + 24);
	assert_int_equal(c->gpr[EAX], 36);
	assert_int_equal(c->gpr[ECX], 7);
	assert_int_equal(c->gpr[EDI], 0);
	assert_int_equal(c->gpr[ESP], STACK_TOP);
	assert_int_equal(c->eflags & (F_CF | F_ZF | F_DF | F_IF), F_CF | F_ZF | F_DF | F_IF);
}

static void the_stack_and_memory_are_guest_ram(void **state)
{
	struct de_event ev;
	(void)state;
	/* push 0x12345678; pop ebx; mov [DATA], ebx; int 0x80 */
	CODE_OF("\x68\x78\x56\x34\x12\x5b\x89\x1d\x00\x00\x20\x00\xcd\x80");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EBX], 0x12345678);
	assert_int_equal(get32(DATA), 0x12345678);
	assert_int_equal(get32(STACK_TOP - 4), 0x12345678);
}

static void int_0x80_and_int_0x21_are_software_interrupts_past_the_instruction(void **state)
{
	struct de_event ev;
	(void)state;
	CODE_OF("\xcd\x80\xcd\x21");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, 0x80);
	assert_true(ev.software);
	assert_int_equal(ev.insn_len, 2);
	assert_int_equal(c->eip, CODE + 2);
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, 0x21);
	assert_true(ev.software);
	assert_int_equal(c->eip, CODE + 4);
}

static void int3_is_a_one_byte_software_exception(void **state)
{
	struct de_event ev;
	(void)state;
	CODE_OF("\x90\xcc");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_BP);
	assert_int_equal(ev.insn_len, 1);
	assert_int_equal(c->eip, CODE + 2);
}

/* The guest's gate decides, not the host's: DPL 0 is #GP, not present #NP, at the INT. */
static void a_software_interrupt_the_guests_gate_denies_faults_at_the_instruction(void **state)
{
	struct de_event ev;
	(void)state;
	put32(USER_IDT + 8 * 3 + 4, 0x8e00);  /* vector 3: DPL 0 */
	put32(USER_IDT + 8 * 0x21 + 4, 0x6e00); /* vector 0x21: DPL 3, not present */
	CODE_OF("\xcc");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_GP);
	assert_int_equal(ev.err, 3 * 8 + 2);
	assert_false(ev.software);
	assert_int_equal(c->eip, CODE);
	CODE_OF("\xcd\x21");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_NP);
	assert_int_equal(ev.err, 0x21 * 8 + 2);
	assert_int_equal(c->eip, CODE);
	CODE_OF("\xf1"); /* INT1: no DPL check */
	put32(USER_IDT + 8 * 1 + 4, 0x8e00);
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_DB);
	assert_true(ev.trap && ev.int1);
	assert_int_equal(c->eip, CODE + 1);
}

static void ud2_is_invalid_opcode_at_the_instruction(void **state)
{
	struct de_event ev;
	(void)state;
	CODE_OF("\x90\x0f\x0b");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_UD);
	assert_false(ev.software);
	assert_int_equal(c->eip, CODE + 1);
}

static void divide_by_zero_is_divide_error(void **state)
{
	struct de_event ev;
	(void)state;
	CODE_OF("\xb8\x01\x00\x00\x00\x31\xc9\xf7\xf1"); /* mov eax,1; xor ecx,ecx; div ecx */
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_DE);
	assert_int_equal(c->eip, CODE + 7);
}

static void cpuid_traps_to_the_interpreter_which_answers_with_the_guest_model(void **state)
{
	struct de_event ev;
	(void)state;
	CODE_OF("\xb8\x01\x00\x00\x00\x0f\xa2\xcd\x80"); /* mov eax,1; cpuid; int 0x80 */
	assert_int_equal(run(&ev), DE_NOT_EXACT);
	assert_int_equal(c->eip, CODE + 5);
	engine_interp.run(m, 1);
	assert_int_equal(c->eip, CODE + 7);
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EAX], 0x683); /* family 6, model 8 */
}

static void rdtsc_traps_to_the_interpreter(void **state)
{
	struct de_event ev;
	(void)state;
	CODE_OF("\x0f\x31\xcd\x80");
	assert_int_equal(run(&ev), DE_NOT_EXACT);
	assert_int_equal(c->eip, CODE);
	engine_interp.run(m, 1);
	assert_int_equal(c->eip, CODE + 2);
	assert_int_equal(run(&ev), DE_EVENT);
}

static void an_unmapped_guest_page_is_a_guest_page_fault_with_cr2(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	CODE_OF("\xa1\x10\x00\x40\x00"); /* mov eax, [SCRATCH + 0x10] */
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_PF);
	assert_int_equal(ev.err, PF_U);
	assert_int_equal(ev.cr2, SCRATCH + 0x10);
	assert_int_equal(c->eip, CODE);
}

static void a_write_to_a_read_only_page_is_a_protection_page_fault(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	put32(PT + 4 * (DATA >> 12 & 0x3ff), DATA | 5); /* user, read-only */
	/* mov eax,[DATA]; mov [DATA],eax */
	CODE_OF("\xa1\x00\x00\x20\x00\xa3\x00\x00\x20\x00");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(ev.vector, EXC_PF);
	assert_int_equal(ev.err, PF_P | PF_W | PF_U);
	assert_int_equal(ev.cr2, DATA);
	assert_int_equal(c->eip, CODE + 5);
}

static void accessed_and_dirty_bits_are_set_as_the_hardware_sets_them(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	/* mov eax,[DATA]; mov [DATA+0x1000],eax; int 0x80 */
	CODE_OF("\xa1\x00\x00\x20\x00\xa3\x00\x10\x20\x00\xcd\x80");
	assert_int_equal(run(&ev), DE_EVENT);
	uint32_t read_pte = get32(PT + 4 * (DATA >> 12 & 0x3ff));
	uint32_t write_pte = get32(PT + 4 * ((DATA + 0x1000) >> 12 & 0x3ff));
	assert_int_equal(read_pte & 0x60, 0x20);   /* A, not D */
	assert_int_equal(write_pte & 0x60, 0x60);  /* A and D */
	assert_int_equal(get32(PD) & 0x20, 0x20);
}

static void a_segment_with_a_limit_faults_at_the_limit(void **state)
{
	struct de_event ev;
	(void)state;
	c->seg[SR_DS] = (struct seg){ .sel = 0x2f, .attr = 0x40f2, .base = DATA, .limit = 0xfff };
	put32(DATA + 0xffc, 0xcafef00d);
	/* mov eax,[0xffc]; mov ebx,[0xffe] */
	CODE_OF("\xa1\xfc\x0f\x00\x00\x8b\x1d\xfe\x0f\x00\x00");
	assert_int_equal(run(&ev), DE_NOT_EXACT); /* #GP natively: interp raises the guest's */
	assert_int_equal(c->gpr[EAX], 0xcafef00d);
	assert_int_equal(c->eip, CODE + 5);
}

static void sixteen_bit_code_runs_through_the_ldt(void **state)
{
	struct de_event ev;
	(void)state;
	c->seg[SR_CS] = (struct seg){ .sel = 0x2b, .attr = 0x00fa, .base = CODE, .limit = 0xffff };
	c->eip = 0;
	c->gpr[EAX] = 0xffff0000u;
	/* mov ax, 0x1234 (16-bit: B8 iw); int 0x80 */
	CODE_OF("\xb8\x34\x12\xcd\x80");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EAX], 0xffff1234u);
	assert_int_equal(c->eip, 5);
}

static void x87_state_survives_entry_and_exit(void **state)
{
	struct de_event ev;
	static const uint8_t one_and_half[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f };
	(void)state;
	c->fpu.fcw = 0x37f;
	c->fpu.fsw = 7 << 11; /* TOP = 7 */
	c->fpu.ftw = 0x3fff;  /* physical 7 valid, the rest empty */
	memcpy(c->fpu.st[7], one_and_half, 10);
	/* fadd st0,st0; fstp dword [DATA]; int 0x80 */
	CODE_OF("\xd8\xc0\xd9\x1d\x00\x00\x20\x00\xcd\x80");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(get32(DATA), 0x40400000u); /* 3.0f */
	assert_int_equal((c->fpu.fsw >> 11) & 7, 0);
	assert_int_equal(c->fpu.ftw, 0xffff);
	assert_int_equal(c->fpu.fcw, 0x37f);
}

/* The shadow follows the architecture's flushes: after INVLPG the guest's
 * new mapping shows; without it the old one may stay (as in a TLB). */
static void invlpg_makes_the_shadow_follow_a_changed_page_table_entry(void **state)
{
	struct de_event ev;
	uint32_t pte = PT + 4 * (DATA >> 12 & 0x3ff);
	(void)state;
	paging_on();
	put32(DATA, 0x11111111);
	put32(DATA + 0x1000, 0x22222222);
	CODE_OF("\xa1\x00\x00\x20\x00\xcd\x80"); /* mov eax,[DATA]; int 0x80 */
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EAX], 0x11111111);
	put32(pte, (DATA + 0x1000) | 7);
	tlb_flush_page(c, DATA);
	c->eip = CODE;
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EAX], 0x22222222);
}

/* Pages whose walk would change nothing are mapped by the stub itself;
 * a write to a clean one still reaches the walk, which sets D. */
static void a_clean_accessed_page_gets_its_dirty_bit_on_the_first_write(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	for (uint32_t k = 0; k < 16; k++)
		put32(PT + 4 * ((DATA >> 12) + k), (DATA + (k << 12)) | 0x27); /* A, not D */
	put32(DATA + 0x3000, 0x33333333);
	/* mov eax,[DATA]; mov ebx,[DATA+0x3000]; mov [DATA+0x2000],eax; int 0x80 */
	CODE_OF("\xa1\x00\x00\x20\x00\x8b\x1d\x00\x30\x20\x00\xa3\x00\x20\x20\x00\xcd\x80");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EBX], 0x33333333);
	assert_int_equal(get32(PT + 4 * ((DATA >> 12) + 2)) & 0x60, 0x60);
	assert_int_equal(get32(PT + 4 * ((DATA >> 12) + 3)) & 0x60, 0x20);
}

/* A page the stub may map by itself is dropped by INVLPG like any other. */
static void invlpg_drops_a_page_the_stub_may_map_by_itself(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	for (uint32_t k = 0; k < 16; k++)
		put32(PT + 4 * ((DATA >> 12) + k), (DATA + (k << 12)) | 0x67); /* A and D */
	put32(DATA + 0x1000, 0x11111111);
	put32(DATA + 0x5000, 0x55555555);
	CODE_OF("\xa1\x00\x00\x20\x00\xcd\x80"); /* mov eax,[DATA]; int 0x80 */
	assert_int_equal(run(&ev), DE_EVENT);
	put32(PT + 4 * ((DATA >> 12) + 1), (DATA + 0x5000) | 0x67);
	tlb_flush_page(c, DATA + 0x1000);
	CODE_OF("\xa1\x00\x10\x20\x00\xcd\x80"); /* mov eax,[DATA+0x1000]; int 0x80 */
	c->eip = CODE;
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EAX], 0x55555555);
}

/* Native code that never traps is charged per time slice: the engine
 * still ends at its budget (--max-insns). */
static void a_user_mode_spin_ends_at_the_budget(void **state)
{
	(void)state;
	CODE_OF("\xeb\xfe"); /* jmp $ */
	uint64_t start = m->icount;
	assert_int_equal(engine_de.run(m, 25000000), STOP_BUDGET);
	assert_int_equal(m->icount - start, 25000000);
	assert_int_equal(c->eip, CODE);
}

#define GDT 0x1000u
#define IDT 0x2000u
#define TSS 0x3000u
#define KCODE 0x120000u
#define KHANDLER 0x121000u
#define KSTACK 0x190000u

static void put64(uint32_t pa, uint64_t v) { memcpy(m->ram + pa, &v, 8); }

/* Ring 0 with flat segments, a TSS and an INT 0x80 gate of DPL 3. */
static void kernel_state(void)
{
	put64(GDT + 0x08, 0x00cf9a000000ffffull); /* ring 0 code */
	put64(GDT + 0x10, 0x00cf92000000ffffull); /* ring 0 data */
	put64(GDT + 0x18, 0x00cffa000000ffffull); /* ring 3 code */
	put64(GDT + 0x20, 0x00cff2000000ffffull); /* ring 3 data */
	put64(GDT + 0x28, 0x0000890000000067ull | ((uint64_t)TSS << 16)); /* 32-bit TSS */
	put32(TSS + 4, KSTACK);
	put32(TSS + 8, 0x10);
	put64(IDT + 8 * 0x80, ((uint64_t)(KHANDLER >> 16) << 48) | (0xeeull << 40) |
				      (0x08ull << 16) | (KHANDLER & 0xffff));
	c->gdtr = (struct dtr){ GDT, 0x2f };
	c->idtr = (struct dtr){ IDT, 0x7ff };
	c->tr = (struct seg){ .sel = 0x28, .attr = 0x008b, .base = TSS, .limit = 0x67 };
	c->cpl = 0;
	c->seg[SR_CS] = flat(0x08, 0x9b);
	for (int s = 0; s < 6; s++)
		if (s != SR_CS)
			c->seg[s] = flat(0x10, 0x93);
	c->gpr[ESP] = KSTACK;
	c->eip = KCODE;
	/* push 0x23; push STACK_TOP; push 0x202; push 0x1b; push CODE; iret */
	memcpy(m->ram + KCODE, "\x6a\x23\x68\x00\x00\x18\x00\x68\x02\x02\x00\x00\x6a\x1b"
	       "\x68\x00\x00\x11\x00\xcf", 20);
	memcpy(m->ram + KHANDLER, "\xf4", 1); /* hlt (IF=0 through the interrupt gate) */
}

/* interp stops at the first boundary back at CPL 3 when asked to. */
static void interp_stops_where_the_cpu_returns_to_cpl_3(void **state)
{
	(void)state;
	kernel_state();
	uint64_t start = m->icount;
	m->stop_at_cpl3 = true;
	assert_int_equal(engine_interp.run(m, 1000), STOP_NONE);
	m->stop_at_cpl3 = false;
	assert_int_equal(c->cpl, 3);
	assert_int_equal(c->eip, CODE);
	assert_int_equal(m->icount - start, 6);
}

/* The engine: ring 0 on interp, IRET to ring 3, user code natively, INT 0x80
 * back to ring 0 through the guest's IDT, HLT with IF=0 ends the run. */
static void the_engine_runs_ring_0_on_interp_and_ring_3_natively(void **state)
{
	(void)state;
	kernel_state();
	CODE_OF("\xb8\x2a\x00\x00\x00\xcd\x80"); /* mov eax,42; int 0x80 */
	uint64_t start = m->icount;
	assert_int_equal(engine_de.run(m, 1000), STOP_HLT);
	assert_int_equal(c->gpr[EAX], 42);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->eip, KHANDLER + 1);
	assert_int_equal(get32(KSTACK - 20), CODE + 7); /* the return EIP: past the INT */
	assert_int_equal(m->icount - start, 7); /* 6 + HLT: native code is not counted */
}

/*
 * Linux's one-shot tick: the 8254's channel 0 in mode 4 pulls IRQ 0 low
 * for one PIT tick at the terminal count, and the rising edge raises it.
 * A user-mode spin is preempted (a slice of host time); its charge moves
 * the clock deadline by deadline, so the PIC sees both edges and the
 * interrupt arrives at its own time, well inside the slice. (Charged in
 * one jump, the pulse fell between two looks at OUT: no interrupt, ever.)
 */
static void a_preempted_spin_takes_the_one_shot_timer_interrupt_at_its_deadline(void **state)
{
	/* The control word raises OUT (mode 4): ICW1 then drops that edge. */
	static const uint8_t ports[][2] = {
		{ 0x43, 0x38 }, { 0x40, 100 }, { 0x40, 0 },  /* channel 0, mode 4, count 100 */
		{ 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 }, /* ICW1-4: base 0x20 */
		{ 0x21, 0xfe },                                                 /* only IRQ 0 */
	};

	(void)state;
	kernel_state();
	put64(IDT + 8 * 0x20, ((uint64_t)(KHANDLER >> 16) << 48) | (0x8eull << 40) |
				      (0x08ull << 16) | (KHANDLER & 0xffff));
	CODE_OF("\xeb\xfe"); /* jmp $ */
	uint64_t start = m->icount;
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		machine_io_out(m, ports[i][0], 1, ports[i][1]);
	assert_int_equal(engine_de.run(m, 30000000), STOP_HLT);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->eip, KHANDLER + 1);
	assert_int_equal(get32(KSTACK - 20), CODE); /* interrupted in the spin */
	/* 102 PIT ticks (load, count, rising edge) of 838 ns, then the HLT */
	assert_in_range(m->icount - start, 100 * 838, 103 * 839);
}

/* glibc's TLS: the guest kernel's set_thread_area put a data segment of
 * base TLS in GDT entry 6, and user code loads selector 0x33 into GS --
 * natively the host's 64-bit code selector (base 0). */
#define TLS (DATA + 0x100)

static void tls_state(void)
{
	put64(GDT + 0x30, 0x00cff2000000ffffull | ((uint64_t)(TLS & 0xffffff) << 16));
	c->gdtr = (struct dtr){ GDT, 0x7f };
	put32(TLS + 0x10, 0x7ea10010);
	c->gpr[EBX] = 0x5eed;
	/* mov ax,0x33; mov gs,eax; mov eax,gs:[0x10]; mov gs:[0x20],ebx; int 0x80 */
	CODE_OF("\x66\xb8\x33\x00\x8e\xe8\x65\xa1\x10\x00\x00\x00"
		"\x65\x89\x1d\x20\x00\x00\x00\xcd\x80");
}

/* What interp alone makes of the current state in n instructions. */
static struct cpu interp_alone(uint64_t n)
{
	engine_interp.run(m, n);
	return *c;
}

/*
 * The native load succeeds with the host's descriptor (base 0), so the
 * read through GS goes wrong without a trap; at the next trap the monitor
 * sees GS it did not load and undoes the whole run: registers, the store
 * through GS, the page's dirty bit. interp then runs it: the same result
 * as interp alone.
 */
static void a_native_load_of_the_hosts_0x33_is_undone(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	tls_state();
	struct cpu before = *c;
	assert_int_equal(run(&ev), DE_UNDONE);
	assert_non_null(strstr(ev.undo_why, "GS with 0x33"));
	assert_int_equal(c->eip, CODE);
	assert_memory_equal(c->gpr, before.gpr, sizeof(before.gpr));
	assert_int_equal(get32(TLS + 0x20), 0);
	assert_int_equal(get32(PT + 4 * (TLS >> 12 & 0x3ff)) & 0x60, 0);
	struct cpu after = interp_alone(4);
	assert_int_equal(after.eip, CODE + 19);
	assert_int_equal(after.gpr[EAX], 0x7ea10010);
	assert_int_equal(get32(TLS + 0x20), 0x5eed);
	assert_int_equal(after.seg[SR_GS].base, TLS);
}

static void put_host_cpunode_test(uint64_t desc)
{
	put64(GDT + 0x78, desc);
	c->gdtr = (struct dtr){ GDT, 0x7f };
	put32(DATA, 0x0a0b0c0d);
	/* mov ax,0x7b; mov es,eax; mov eax,es:[DATA]; mov es:[DATA+4],eax; int 0x80 */
	CODE_OF("\x66\xb8\x7b\x00\x8e\xc0\x26\xa1\x00\x00\x20\x00"
		"\x26\xa3\x04\x00\x20\x00\xcd\x80");
}

/* Linux's user data selector 0x7b is the host's CPU-number segment
 * (read-only, expand-down, tiny limit): for a flat guest segment every
 * native read through it is flat, and writes fault. At the first trap
 * (here the read's hidden page fault) the load is adopted and ES moves to
 * an LDT copy of the guest's segment, so the write runs natively. */
static void a_native_load_of_the_hosts_0x7b_is_exact_for_flat_guest_data(void **state)
{
	struct de_event ev;
	(void)state;
	put_host_cpunode_test(0x00cff3000000ffffull);
	assert_int_equal(run(&ev), DE_EVENT); /* the read's hidden #PF is the first trap */
	assert_int_equal(ev.vector, 0x80);
	assert_int_equal(c->gpr[EAX], 0x0a0b0c0d);
	assert_int_equal(c->seg[SR_ES].sel, 0x7b);
	assert_int_equal(get32(DATA + 4), 0x0a0b0c0d);
}

/* The same load of a descriptor whose accessed bit is clear: the guest's
 * load would have set it then, the monitor's only later. Undone. */
static void a_native_load_that_would_set_the_accessed_bit_is_undone(void **state)
{
	struct de_event ev;
	(void)state;
	put_host_cpunode_test(0x00cff2000000ffffull);
	assert_int_equal(run(&ev), DE_UNDONE);
	assert_int_equal(c->eip, CODE);
	assert_int_equal(get32(GDT + 0x7c) & 0x100, 0);
	engine_interp.run(m, 3);
	assert_int_equal(get32(GDT + 0x7c) & 0x100, 0x100);
}

/* A GDT with ring 0 code and data and a TSS, and #GP's gate to KHANDLER. */
static void gp_gate_state(void)
{
	put64(GDT + 0x08, 0x00cf9a000000ffffull);
	put64(GDT + 0x10, 0x00cf92000000ffffull);
	put64(GDT + 0x28, 0x0000890000000067ull | ((uint64_t)TSS << 16));
	put32(TSS + 4, KSTACK);
	put32(TSS + 8, 0x10);
	put64(USER_IDT + 8 * EXC_GP, ((uint64_t)(KHANDLER >> 16) << 48) | (0x8eull << 40) |
					     (0x08ull << 16) | (KHANDLER & 0xffff));
	c->gdtr = (struct dtr){ GDT, 0x7f };
	c->tr = (struct seg){ .sel = 0x28, .attr = 0x008b, .base = TSS, .limit = 0x67 };
}

/*
 * A far jump to 0x33 runs the guest's bytes as 64-bit code in the stub.
 * The guest's GDT has nothing at 0x30, so the guest takes #GP(0x30) at the
 * jump; natively the store before it happened and 64-bit code ran. The
 * monitor sees CS 0x33 at the next trap: the run is undone (the store and
 * the page's A/D bits too) and the stub replaced.
 */
static void a_far_jump_to_the_hosts_64_bit_selector_is_undone(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	gp_gate_state();
	uint64_t restarts = de_stats()->restarts;
	/* mov [DATA],esp; jmp far 0x33:CODE+0x20; at +0x20: ud2 */
	CODE_OF("\x89\x25\x00\x00\x20\x00\xea\x20\x00\x11\x00\x33\x00");
	memcpy(m->ram + CODE + 0x20, "\x0f\x0b", 2);
	assert_int_equal(run(&ev), DE_UNDONE);
	assert_non_null(strstr(ev.undo_why, "left compatibility mode"));
	assert_int_equal(de_stats()->restarts, restarts + 1);
	assert_int_equal(c->eip, CODE);
	assert_int_equal(get32(DATA), 0);
	assert_int_equal(get32(PT + 4 * (DATA >> 12 & 0x3ff)) & 0x60, 0);
	engine_interp.run(m, 2);
	assert_int_equal(get32(DATA), STACK_TOP);
	assert_int_equal(c->eip, KHANDLER);
	assert_int_equal(get32(KSTACK - 24), 0x30); /* #GP(0x30) */
	assert_int_equal(get32(KSTACK - 20), CODE + 6); /* at the jump */
}

/*
 * A guest page written in one run is writable in the stub; the next run
 * starts with it read-only again, so its first write there comes to the
 * monitor, which journals the page: undoing the second run restores what
 * the first left.
 */
static void each_run_journals_its_first_write_to_a_page(void **state)
{
	struct de_event ev;
	(void)state;
	c->gdtr = (struct dtr){ GDT, 0x7f };
	/* mov dword [DATA],1; int 0x80 */
	CODE_OF("\xc7\x05\x00\x00\x20\x00\x01\x00\x00\x00\xcd\x80");
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(get32(DATA), 1);
	c->eip = CODE + 0x40;
	/* mov dword [DATA],2; mov ax,0x2b; mov ds,eax; int 0x80 */
	memcpy(m->ram + CODE + 0x40, "\xc7\x05\x00\x00\x20\x00\x02\x00\x00\x00"
	       "\x66\xb8\x2b\x00\x8e\xd8\xcd\x80", 18);
	assert_int_equal(run(&ev), DE_UNDONE);
	assert_int_equal(get32(DATA), 1);
	assert_int_equal(c->eip, CODE + 0x40);
}

/*
 * More pages written in one run than the stub's queue holds (128 ops):
 * making them read-only at the next entry overflows the queue into a
 * flush of everything. No page may stay mapped that the shadow does not
 * track: after a page-table change and INVLPG of one of them, a later run
 * must read the new frame.
 */
static void re_protecting_more_pages_than_the_queue_holds_leaves_none_untracked(void **state)
{
	struct de_event ev;
	(void)state;
	paging_on();
	const uint32_t pages = 200, moved = DATA + 128 * 0x1000, frame = 0x2f0000;
	/* cld; rep stosd (EDI=DATA, ECX=pages*1024, EAX=0x11111111); int 0x80 */
	CODE_OF("\xfc\xf3\xab\xcd\x80");
	c->gpr[EDI] = DATA;
	c->gpr[ECX] = pages * 1024;
	c->gpr[EAX] = 0x11111111;
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(get32(moved), 0x11111111);
	c->eip = CODE + 3; /* int 0x80 again: an entry that re-protects them all */
	assert_int_equal(run(&ev), DE_EVENT);
	put32(frame, 0x22222222);
	put32(PT + 4 * (moved >> 12 & 0x3ff), frame | 7);
	tlb_flush_page(c, moved); /* INVLPG */
	c->eip = CODE + 0x40;
	/* mov eax,[moved]; int 0x80 */
	memcpy(m->ram + CODE + 0x40, "\xa1\x00\x00\x28\x00\xcd\x80", 7);
	assert_int_equal(run(&ev), DE_EVENT);
	assert_int_equal(c->gpr[EAX], 0x22222222);
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Random bytes natively: every run ends in a return, never in a crash. */
static void random_code_always_comes_back(void **state)
{
	unsigned counts[5] = { 0 };
	(void)state;
	for (int n = 0; n < 10000; n++) {
		struct de_event ev;
		for (int i = 0; i < 64; i++)
			m->ram[CODE + i] = (uint8_t)rng();
		for (int r = 0; r < 8; r++)
			c->gpr[r] = rng() % RAM_SIZE;
		c->gpr[ESP] = STACK_TOP;
		c->eip = CODE;
		c->eflags = F_FIXED1 | F_IF | (rng() & F_ARITH);
		for (int s = 0; s < 6; s++)
			c->seg[s] = s == SR_CS ? flat(0x1b, 0xfa) : flat(0x23, 0xf2);
		memset(&c->fpu, 0, sizeof(c->fpu));
		c->fpu.fcw = 0x37f;
		c->fpu.ftw = 0xffff;
		c->exc.vector = -1;
		enum de_exit r = run(&ev);
		counts[r]++;
		if (r == DE_ERROR)
			assert_int_equal(de_init(m), 0); /* the stub may have died: restart */
	}
	printf("random: %u events, %u for interp, %u errors, %u preempted, %u undone\n",
	       counts[DE_EVENT], counts[DE_NOT_EXACT], counts[DE_ERROR], counts[DE_PREEMPTED],
	       counts[DE_UNDONE]);
	assert_int_equal(counts[0] + counts[1] + counts[2] + counts[3] + counts[4], 10000);
	assert_int_equal(counts[DE_ERROR], 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(user_code_computes_and_stops_at_hlt_with_exact_registers),
		T(the_stack_and_memory_are_guest_ram),
		T(int_0x80_and_int_0x21_are_software_interrupts_past_the_instruction),
		T(int3_is_a_one_byte_software_exception),
		T(a_software_interrupt_the_guests_gate_denies_faults_at_the_instruction),
		T(ud2_is_invalid_opcode_at_the_instruction),
		T(divide_by_zero_is_divide_error),
		T(cpuid_traps_to_the_interpreter_which_answers_with_the_guest_model),
		T(rdtsc_traps_to_the_interpreter),
		T(an_unmapped_guest_page_is_a_guest_page_fault_with_cr2),
		T(a_write_to_a_read_only_page_is_a_protection_page_fault),
		T(accessed_and_dirty_bits_are_set_as_the_hardware_sets_them),
		T(a_segment_with_a_limit_faults_at_the_limit),
		T(sixteen_bit_code_runs_through_the_ldt),
		T(x87_state_survives_entry_and_exit),
		T(invlpg_makes_the_shadow_follow_a_changed_page_table_entry),
		T(a_user_mode_spin_ends_at_the_budget),
		T(a_clean_accessed_page_gets_its_dirty_bit_on_the_first_write),
		T(invlpg_drops_a_page_the_stub_may_map_by_itself),
		T(interp_stops_where_the_cpu_returns_to_cpl_3),
		T(the_engine_runs_ring_0_on_interp_and_ring_3_natively),
		T(a_preempted_spin_takes_the_one_shot_timer_interrupt_at_its_deadline),
		T(a_native_load_of_the_hosts_0x33_is_undone),
		T(a_native_load_of_the_hosts_0x7b_is_exact_for_flat_guest_data),
		T(a_native_load_that_would_set_the_accessed_bit_is_undone),
		T(a_far_jump_to_the_hosts_64_bit_selector_is_undone),
		T(each_run_journals_its_first_write_to_a_page),
		T(re_protecting_more_pages_than_the_queue_holds_leaves_none_untracked),
		T(random_code_always_comes_back),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
