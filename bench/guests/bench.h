/* What the benchmark guests share: COM1 output, the work size from the
 * multiboot command line ("FILE n=N"), a result line both machines print. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void bench_putc(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, (uint8_t)c);
}

static inline void bench_puts(const char *s)
{
	while (*s)
		bench_putc(*s++);
}

static inline void bench_hex(uint32_t v)
{
	for (int i = 28; i >= 0; i -= 4)
		bench_putc("0123456789abcdef"[(v >> i) & 15]);
}

/* n=N from the command line, else dflt. */
static inline uint32_t bench_arg(const uint32_t *mbi, uint32_t dflt)
{
	if (!(mbi[0] & 4))
		return dflt;
	for (const char *p = (const char *)mbi[4]; *p; p++) {
		if (p[0] != 'n' || p[1] != '=')
			continue;
		uint32_t n = 0;
		for (p += 2; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (uint32_t)(*p - '0');
		return n;
	}
	return dflt;
}

static inline int bench_report(const char *name, uint32_t result)
{
	bench_puts(name);
	bench_puts(" result ");
	bench_hex(result);
	bench_puts("\n");
	return 0; /* debug-exit status 1 */
}

#endif
