/*
 * The QEMU reference guest: runs the cases of the blob doppel passed as
 * a multiboot module, one after another, each from exactly the image the
 * other engines start from, and reports each final state (the state at
 * the first exception) on COM1 in the line format of blob.h.
 */
#include <stdint.h>

#include "harness/case_layout.h"
#include "tests/qemu-ref/blob.h"

#define PAGE 4096u
#define CR0_PG 0x80000000u
#define COM1 0x3f8
#define ERR_VECTORS 0x00027d00u /* 8, 10-14, 17 push an error code */

extern uint32_t save_gpr[8], save_vec, save_cr2;
extern uint16_t save_sreg[6];
extern uint8_t stub_template[], stub_template_end[], kstack[], kstack_top[], _end[];
void enter_ring3(const uint32_t *entry) __attribute__((noreturn));
void enter_ring0(const uint32_t *entry) __attribute__((noreturn));
void ref_main(uint32_t magic, const uint32_t *mbi);
void ref_exception(void);

/* The case being run. */
static const uint32_t *rec;
static uint32_t remaining;
static uint32_t entry[17];

/* ---- port I/O and the serial line ---- */

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void put_hex(uint32_t v, int digits)
{
	for (int k = digits - 1; k >= 0; k--)
		putc_serial("0123456789abcdef"[(v >> (4 * k)) & 15]);
}

static void put_field(uint32_t v)
{
	putc_serial(' ');
	put_hex(v, 8);
}

static void put_bytes(const uint8_t *b, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		put_hex(b[k], 2);
}

static __attribute__((noreturn)) void ref_exit(int code, const char *why)
{
	if (why) {
		puts_serial("K ");
		puts_serial(why);
		putc_serial('\n');
	}
	outb(0xf4, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void copy(void *dst, const void *src, uint32_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
}

static void zero(void *dst, uint32_t n)
{
	uint8_t *d = dst;
	while (n--)
		*d++ = 0;
}

/* ---- control registers ---- */

/* CR3 before paging goes on, after it goes off: never a half-made switch. */
static void cr_write(uint32_t cr0, uint32_t cr3)
{
	if (cr0 & CR0_PG)
		__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	if (!(cr0 & CR0_PG))
		__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

/* ---- the harness: the GDT, IDT and TSS pages doppel sent, our stubs ---- */

static void harness_setup(const uint8_t *pages)
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } gdtr = { PAGE - 1, CASE_H_GDT },
		idtr = { 256 * 8 - 1, CASE_H_IDT };
	uint8_t *gdt = (uint8_t *)CASE_H_GDT;

	copy(gdt, pages, PAGE);
	copy((void *)CASE_H_IDT, pages + PAGE, PAGE);
	gdt[CASE_SEL_TSS + 5] &= (uint8_t)~0x02; /* available, for LTR */
	for (unsigned v = 0; v < 256; v++) {
		uint8_t *stub = (uint8_t *)(CASE_H_STUBS + v * CASE_H_STUB_SIZE);
		copy(stub, stub_template, (uint32_t)(stub_template_end - stub_template));
		stub[7] = (uint8_t)v;
	}
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(gdtr), "m"(idtr));
	__asm__ volatile("ljmp %0, $1f; 1:" : : "i"(CASE_SEL_CODE0));
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; mov %0, %%fs; mov %0, %%gs"
			 : : "r"(CASE_SEL_DATA0));
	__asm__ volatile("ltr %w0" : : "r"(CASE_SEL_TSS));
	/* A null LDTR, as the case runners give interp and native: after reset the
	 * LDTR would still describe 64 KiB at linear 0. */
	__asm__ volatile("lldt %w0" : : "r"(0));
	outb(0x21, 0xff); /* no interrupts from the PICs */
	outb(0xa1, 0xff);
}

/* ---- running a case ---- */

static const uint32_t *rec_pages(const uint32_t *r)
{
	return r + QREF_CASE_WORDS;
}

static const uint32_t *rec_next(const uint32_t *r)
{
	return rec_pages(r) + r[21] * (2 + PAGE / 4);
}

static void case_load(const uint32_t *r)
{
	const uint32_t *p = rec_pages(r);

	for (uint32_t k = 0; k < r[21]; k++, p += 2 + PAGE / 4)
		copy((void *)p[0], p + 2, PAGE);
}

static void case_clear(const uint32_t *r)
{
	const uint32_t *p = rec_pages(r);

	for (uint32_t k = 0; k < r[21]; k++, p += 2 + PAGE / 4)
		zero((void *)p[0], PAGE);
}

/* The entry block of entry.S from a record. */
static void case_entry(const uint32_t *r)
{
	copy(entry, r + 5, 8 * 4);
	entry[8] = r[13];             /* eip */
	entry[9] = r[15 + 1];         /* cs */
	entry[10] = r[14];            /* eflags */
	entry[11] = r[5 + 4] - 12;    /* ring 0: ESP at the entry frame */
	entry[12] = r[15 + 2];        /* ss */
	entry[13] = r[15 + 3];        /* ds */
	entry[14] = r[15 + 0];        /* es */
	entry[15] = r[15 + 4];        /* fs */
	entry[16] = r[15 + 5];        /* gs */
}

static __attribute__((noreturn)) void case_next(void)
{
	if (!remaining)
		ref_exit(0, 0);
	if (rec[0] != QREF_CASE_MAGIC)
		ref_exit(1, "bad case record");
	puts_serial("C ");
	put_hex(rec[1], 8);
	putc_serial('\n');
	case_load(rec);
	case_entry(rec);
	uint32_t cpl = rec[2];
	__asm__ volatile("fninit");
	__asm__ volatile("mov %0, %%cr2" : : "r"(0)); /* as every engine starts */
	/* from here on the blob may be out of reach: only the harness is mapped */
	cr_write(rec[3], rec[4]);
	if (cpl == 3)
		enter_ring3(entry);
	enter_ring0(entry);
}

/* ---- the final state ---- */

struct final {
	uint32_t vector, err, eip, cs, eflags, esp, ss;
};

/*
 * Undo the delivery from the frame, as harness/case_run.c does for interp:
 * from ring 3 the frame is on the harness stack, 20 or 24 bytes below its
 * top (24 with an error code); from ring 0 on the case's stack.
 */
static void final_from_frame(struct final *f)
{
	uint32_t sp = save_gpr[4];
	int outer = sp == CASE_H_STACK_TOP - 20 || sp == CASE_H_STACK_TOP - 24;
	int has_err = outer ? sp == CASE_H_STACK_TOP - 24 : (ERR_VECTORS >> save_vec) & 1;
	const uint32_t *fr = (const uint32_t *)(sp + (has_err ? 4 : 0));

	f->vector = save_vec;
	f->err = has_err ? *(const uint32_t *)sp : 0;
	f->eip = fr[0];
	f->cs = fr[1] & 0xffff;
	f->eflags = fr[2];
	f->esp = outer ? fr[3] : sp + (uint32_t)((const uint8_t *)(fr + 3) - (const uint8_t *)sp);
	f->ss = outer ? fr[4] & 0xffff : save_sreg[2];
}

static void report_state(const struct final *f, const uint8_t *fpu)
{
	uint16_t sel[6] = { save_sreg[0], (uint16_t)f->cs, (uint16_t)f->ss, save_sreg[3],
			    save_sreg[4], save_sreg[5] };
	uint32_t top = ((uint32_t)fpu[5] >> 3) & 7;

	puts_serial("S");
	put_field(f->vector);
	put_field(f->err);
	put_field(save_cr2);
	put_field(f->eip);
	put_field(f->eflags);
	for (int r = 0; r < 8; r++)
		put_field(r == 4 ? f->esp : save_gpr[r]);
	for (int s = 0; s < 6; s++)
		put_field(sel[s]);
	put_field(fpu[0] | (uint32_t)fpu[1] << 8);
	put_field(fpu[4] | (uint32_t)fpu[5] << 8);
	put_field(fpu[8] | (uint32_t)fpu[9] << 8);
	putc_serial('\n');
	for (uint32_t i = 0; i < 8; i++) {
		puts_serial("X ");
		put_hex((top + i) & 7, 1);
		putc_serial(' ');
		put_bytes(fpu + 28 + 10 * i, 10);
		putc_serial('\n');
	}
}

/* The 16-byte pieces of each case page that differ from the image. */
static void report_memory(const uint32_t *r)
{
	const uint32_t *p = rec_pages(r);

	for (uint32_t k = 0; k < r[21]; k++, p += 2 + PAGE / 4) {
		const uint8_t *now = (const uint8_t *)p[0], *was = (const uint8_t *)(p + 2);
		if (p[1] == QREF_NOT_CASE)
			continue;
		for (uint32_t off = 0; off < PAGE; off += 16) {
			uint32_t b = 0;
			while (b < 16 && now[off + b] == was[off + b])
				b++;
			if (b == 16)
				continue;
			puts_serial("M ");
			put_hex(p[1] + off, 8);
			putc_serial(' ');
			put_bytes(now + off, 16);
			putc_serial('\n');
		}
	}
}

void ref_exception(void)
{
	struct final f;
	uint8_t fpu[108];

	if (save_gpr[4] >= (uint32_t)kstack && save_gpr[4] <= (uint32_t)kstack_top) {
		cr_write(CASE_CR0, 0);
		ref_exit(1, "exception inside the reference guest");
	}
	final_from_frame(&f);
	__asm__ volatile("fnsave %0" : "=m"(fpu));
	cr_write(CASE_CR0, 0);
	report_state(&f, fpu);
	report_memory(rec);
	puts_serial("E\n");
	case_clear(rec);
	rec = rec_next(rec);
	remaining--;
	case_next();
}

void ref_main(uint32_t magic, const uint32_t *mbi)
{
	const uint32_t *blob;

	if (magic != 0x2BADB002u || !(mbi[0] & 8) || mbi[5] < 1)
		ref_exit(1, "no multiboot module: pass the case blob with -initrd");
	blob = (const uint32_t *)((const uint32_t *)mbi[6])[0];
	if ((uint32_t)blob < (uint32_t)_end || blob[0] != QREF_BLOB_MAGIC)
		ref_exit(1, "the module is not a case blob above the guest");
	if (stub_template_end - stub_template > (int)CASE_H_STUB_SIZE || stub_template[6] != 0xb0)
		ref_exit(1, "the exception stub does not fit");
	harness_setup((const uint8_t *)(blob + 2));
	remaining = blob[1];
	rec = blob + 2 + 2 * PAGE / 4;
	puts_serial("\nR\n"); /* after whatever the BIOS printed */
	case_next();
}
