/*
 * The guest runtime's C half: COM1 console and printf, the descriptor
 * tables, exception dispatch into handlers or an armed catch_fault, the
 * identity page map, and the check/summary/exit protocol.
 */
#include "rt.h"

void exc_dispatch(struct frame *fr);
void fault_longjmp(struct fault *f) __attribute__((noreturn));
void user_resume(uint32_t value) __attribute__((noreturn));
void rt_main(uint32_t magic, uint32_t info);
extern uint8_t exc_stubs[];
extern uint8_t __realmode_lma[], __realmode_start[], __realmode_end[];

#define COM1 0x3F8
#define DEBUG_EXIT_PORT 0xF4

/* ---------------- console ---------------- */

void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void serial_init(void)
{
	static const uint8_t init[][2] = {
		{ 1, 0x00 }, { 3, 0x80 }, { 0, 0x01 }, { 1, 0x00 },
		{ 3, 0x03 }, { 2, 0x07 }, { 4, 0x03 },
	};
	for (size_t i = 0; i < sizeof(init) / sizeof(init[0]); i++)
		outb(COM1 + init[i][0], init[i][1]);
}

static void put_num(uint64_t v, unsigned base, int width, char pad, int neg)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width)
		buf[n++] = pad;
	while (n)
		serial_putc(buf[--n]);
}

static uint64_t take_unsigned(va_list *ap, int longs)
{
	if (longs >= 2)
		return va_arg(*ap, uint64_t);
	return va_arg(*ap, uint32_t);
}

static void put_signed(va_list *ap, int longs, int width, char pad)
{
	int64_t v = longs >= 2 ? va_arg(*ap, int64_t) : va_arg(*ap, int32_t);
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	put_num(mag, 10, width, pad, v < 0);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, longs = 0;
		if (*++fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 'x': put_num(take_unsigned(&ap, longs), 16, width, pad, 0); break;
		case 'u': put_num(take_unsigned(&ap, longs), 10, width, pad, 0); break;
		case 'd': put_signed(&ap, longs, width, pad); break;
		case 'c': serial_putc((char)va_arg(ap, int)); break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (int n = (int)strlen(s); n < width; n++)
				serial_putc(' ');
			while (*s)
				serial_putc(*s++);
			break;
		}
		default: serial_putc(*fmt); break;
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* ---------------- libc pieces ---------------- */

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (uint8_t)*a - (uint8_t)*b;
}

/* ---------------- checks and exit ---------------- */

static int n_pass, n_fail;

void check(int ok, const char *name, const char *fmt, ...)
{
	if (ok) {
		n_pass++;
		printf("PASS %s\n", name);
		return;
	}
	n_fail++;
	printf("FAIL %s: ", name);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
}

void check_eq(const char *name, uint32_t got, uint32_t expected)
{
	check(got == expected, name, "got 0x%x expected 0x%x", got, expected);
}

void check_eq64(const char *name, uint64_t got, uint64_t expected)
{
	check(got == expected, name, "got 0x%llx expected 0x%llx", got, expected);
}

void check_mem(const char *name, const void *got, const void *expected, size_t n)
{
	const uint8_t *g = got, *e = expected;
	size_t i = 0;
	while (i < n && g[i] == e[i])
		i++;
	check(i == n, name, "byte %u: got 0x%x expected 0x%x", (uint32_t)i,
	      i < n ? g[i] : 0, i < n ? e[i] : 0);
}

void check_fault(const char *name, const struct fault *f, int vector, long err)
{
	int ok = f->vector == vector && (err < 0 || f->error == (uint32_t)err);
	check(ok, name, "got vector %d error 0x%x, expected vector %d error 0x%x",
	      f->vector, f->error, vector, (uint32_t)err);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("NOTE ");
	vprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
}

void guest_exit(int failed)
{
	outl(DEBUG_EXIT_PORT, failed ? 1 : 0);
	printf("isa-debug-exit did not stop the machine\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void finish(void)
{
	printf("SUMMARY %s: %d passed, %d failed\n", test_name, n_pass, n_fail);
	guest_exit(n_fail != 0 || n_pass == 0);
}

/* ---------------- descriptors ---------------- */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
struct tss32 tss __attribute__((aligned(128)));
struct tss32 df_tss __attribute__((aligned(128))); /* target of a #DF task gate (esp0_fault) */

static void lgdt_lidt(void)
{
	struct __attribute__((packed)) { uint16_t lim; uint32_t base; } g, i;
	g.lim = sizeof(gdt) - 1;
	g.base = (uint32_t)gdt;
	i.lim = sizeof(idt) - 1;
	i.base = (uint32_t)idt;
	__asm__ volatile("lgdt %0; lidt %1" ::"m"(g), "m"(i));
}

void gdt_set_raw(int index, uint32_t lo, uint32_t hi)
{
	gdt[index] = ((uint64_t)hi << 32) | lo;
}

uint64_t gdt_get(int index)
{
	return gdt[index];
}

uint16_t gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	uint32_t lo = (limit & 0xFFFF) | (base << 16);
	uint32_t hi = ((base >> 16) & 0xFF) | ((uint32_t)access << 8) |
		      (limit & 0xF0000) | ((uint32_t)(flags & 0xF) << 20) | (base & 0xFF000000);
	gdt_set_raw(index, lo, hi);
	return (uint16_t)(index << 3);
}

uint32_t stub_address(int vector)
{
	return (uint32_t)exc_stubs + 16u * (uint32_t)vector;
}

void idt_set_gate(int vector, uint32_t offset, uint16_t sel, uint8_t type_attr)
{
	uint32_t lo = (offset & 0xFFFF) | ((uint32_t)sel << 16);
	uint32_t hi = (offset & 0xFFFF0000) | ((uint32_t)type_attr << 8);
	idt[vector] = ((uint64_t)hi << 32) | lo;
}

uint64_t idt_get(int vector)
{
	return idt[vector];
}

/* INT3, INTO and the ring-3 return vector are reachable from CPL 3. */
void idt_restore(int vector)
{
	int user = vector == 3 || vector == 4 || vector == USER_RETURN_VECTOR;
	idt_set_gate(vector, stub_address(vector), SEL_KCODE, user ? 0xEE : 0x8E);
}

void io_bitmap_set(uint16_t port, int deny)
{
	if (deny)
		tss.iobitmap[port >> 3] |= (uint8_t)(1u << (port & 7));
	else
		tss.iobitmap[port >> 3] &= (uint8_t)~(1u << (port & 7));
}

static void tables_init(void)
{
	gdt_set(1, 0, 0xFFFFF, ACC_CODE_XR, FLG_G | FLG_DB);
	gdt_set(2, 0, 0xFFFFF, ACC_DATA_RW, FLG_G | FLG_DB);
	gdt_set(3, 0, 0xFFFFF, ACC_CODE_XR | ACC_DPL(3), FLG_G | FLG_DB);
	gdt_set(4, 0, 0xFFFFF, ACC_DATA_RW | ACC_DPL(3), FLG_G | FLG_DB);
	gdt_set(5, (uint32_t)&tss, sizeof(tss) - 1, 0x89, 0);
	gdt_set(6, (uint32_t)&df_tss, 103, 0x89, 0);
	gdt_set(7, 0, 0xFFFF, ACC_CODE_XR, 0);
	gdt_set(8, 0, 0xFFFF, ACC_DATA_RW, 0);
	for (int v = 0; v < 256; v++)
		idt_restore(v);
	tss.esp0 = (uint32_t)ring0_stack_top;
	tss.ss0 = SEL_KDATA;
	tss.iomap = (uint16_t)offsetof(struct tss32, iobitmap);
	memset(tss.iobitmap, 0xFF, sizeof(tss.iobitmap));
	lgdt_lidt();
	__asm__ volatile("ljmp %0, $1f; 1:" ::"i"(SEL_KCODE));
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs; mov %0, %%ss"
			 ::"r"(SEL_KDATA));
	__asm__ volatile("ltr %w0; lldt %w1" ::"r"(SEL_TSS), "r"(0));
}

/* ---------------- exceptions ---------------- */

struct fault *current_catch; /* read by catch_fault in entry.S */
static exc_handler handlers[256];

void set_handler(int vector, exc_handler h)
{
	handlers[vector] = h;
}

void catch_end(void)
{
	current_catch = 0;
}

static void fault_fill(struct fault *f, const struct frame *fr)
{
	f->vector = (int)fr->vector;
	f->error = fr->error;
	f->cr2 = read_cr2();
	f->eip = fr->eip;
	f->cs = fr->cs & 0xFFFF;
	f->eflags = fr->eflags;
	if (fr->cs & 3) {
		f->esp = fr->esp;
		f->ss = fr->ss & 0xFFFF;
	} else {
		f->esp = (uint32_t)&fr->esp;
		f->ss = SEL_KDATA;
	}
	f->eax = fr->eax, f->ecx = fr->ecx, f->edx = fr->edx, f->ebx = fr->ebx;
	f->esi = fr->esi, f->edi = fr->edi, f->ebp = fr->ebp;
}

void exc_dispatch(struct frame *fr)
{
	uint32_t v = fr->vector;
	if (v == USER_RETURN_VECTOR && (fr->cs & 3) == 3)
		user_resume(fr->eax);
	if (handlers[v] && handlers[v](fr))
		return;
	if (current_catch) {
		struct fault *f = current_catch;
		current_catch = 0;
		fault_fill(f, fr);
		fault_longjmp(f);
	}
	printf("FAIL %s: unexpected exception %u error 0x%x at %x:%x cr2 0x%x\n",
	       test_name, v, fr->error, fr->cs & 0xFFFF, fr->eip, read_cr2());
	n_fail++;
	finish();
}

/* ---------------- paging ---------------- */

uint32_t *page_dir;
static uint32_t pd_store[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));
#define POOL_PAGES 96
static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static int pool_used;

void *alloc_page(void)
{
	if (pool_used == POOL_PAGES) {
		printf("FAIL %s: runtime page pool exhausted\n", test_name);
		guest_exit(1);
	}
	memset(pool[pool_used], 0, 4096);
	return pool[pool_used++];
}

uint32_t *pte_of(uint32_t va)
{
	uint32_t *pde = &page_dir[va >> 22];
	if (!(*pde & PTE_P))
		*pde = (uint32_t)alloc_page() | PTE_P | PTE_W | PTE_U;
	if (*pde & PTE_PS) {
		printf("FAIL %s: pte_of(0x%x) inside a 4 MiB page\n", test_name, va);
		guest_exit(1);
	}
	return (uint32_t *)(*pde & ~0xFFFu) + ((va >> 12) & 1023);
}

void map_page(uint32_t va, uint32_t pa, uint32_t flags)
{
	*pte_of(va) = (pa & ~0xFFFu) | flags | PTE_P;
	invlpg(va);
}

void unmap_page(uint32_t va)
{
	*pte_of(va) = 0;
	invlpg(va);
}

static void paging_build(void)
{
	page_dir = pd_store;
	for (uint32_t i = 0; i < 1024; i++)
		pt_low[i] = (i << 12) | PTE_P | PTE_W | PTE_U;
	page_dir[0] = (uint32_t)pt_low | PTE_P | PTE_W | PTE_U;
	for (uint32_t i = 1; i < IDENTITY_TOP >> 22; i++)
		page_dir[i] = (i << 22) | PTE_P | PTE_W | PTE_U | PTE_PS;
}

void paging_on(void)
{
	write_cr4(read_cr4() | 0x10);
	write_cr3((uint32_t)page_dir);
	write_cr0(read_cr0() | 0x80000000u);
}

void paging_off(void)
{
	write_cr0(read_cr0() & ~0x80000000u);
}

/* ---------------- entry ---------------- */

uint32_t run_user(user_fn fn, uint32_t arg)
{
	return run_user_flags(fn, arg, 0x2);
}

void rt_main(uint32_t magic, uint32_t info)
{
	(void)info;
	/* mask every 8259A line: tests that set IF must not see the BIOS's timer */
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	serial_init();
	memcpy(__realmode_start, __realmode_lma, (size_t)(__realmode_end - __realmode_start));
	tables_init();
	/* x87 on, native error reporting: EM=0 TS=0, MP=1 NE=1 */
	write_cr0((read_cr0() & ~0xCu) | 0x22u);
	paging_build();
	paging_on();
	if (magic != 0x2BADB002)
		printf("FAIL %s: multiboot magic 0x%x\n", test_name, magic), n_fail++;
	test_main();
	catch_end();
	finish();
}
