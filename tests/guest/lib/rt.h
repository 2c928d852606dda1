/*
 * The guest test runtime: a freestanding 32-bit multiboot kernel library.
 * It owns the GDT, IDT, TSS, an identity-mapped page directory, COM1 output,
 * exception capture, ring-3 entry and the isa-debug-exit report. A test file
 * defines test_main() and calls the check helpers; the runtime prints one
 * PASS/FAIL line per check and a summary, then exits through port 0xF4.
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>

/* ---- selectors of the fixed GDT ---- */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_TSS 0x28
#define SEL_DFTSS 0x30
#define SEL_CODE16 0x38
#define SEL_DATA16 0x40
#define GDT_FIRST_FREE 9 /* tests may use entries 9..GDT_ENTRIES-1 */
#define GDT_ENTRIES 32

/* descriptor access bytes (P, DPL, S, type) */
#define ACC_DATA_RW 0x92
#define ACC_DATA_RO 0x90
#define ACC_DATA_RW_DOWN 0x96
#define ACC_CODE_XR 0x9A
#define ACC_CODE_X 0x98
#define ACC_CODE_CONF_XR 0x9E
#define ACC_DPL(n) ((n) << 5)
#define ACC_NOTPRESENT_MASK 0x7F
/* descriptor flags nibble: G and D/B */
#define FLG_G 0x8
#define FLG_DB 0x4

#define EFL_CF 0x001
#define EFL_PF 0x004
#define EFL_AF 0x010
#define EFL_ZF 0x040
#define EFL_SF 0x080
#define EFL_TF 0x100
#define EFL_IF 0x200
#define EFL_DF 0x400
#define EFL_OF 0x800
#define EFL_IOPL3 0x3000
#define EFL_NT 0x4000
#define EFL_STATUS (EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)

/* page table entry bits */
#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_U 0x004
#define PTE_A 0x020
#define PTE_D 0x040
#define PTE_PS 0x080
#define PTE_G 0x100

/* A scratch linear area with no mapping until a test maps pages there. */
#define SCRATCH_VA 0x40000000u
/* The identity map covers this much (4 KiB pages below 4 MiB, 4 MiB above). */
#define IDENTITY_TOP (64u << 20)

/* The register image the exception stubs push (lowest address first). */
struct frame {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
	uint32_t esp, ss; /* only when the event came from an outer ring */
};

#define NO_FAULT (-1)
/* What catch_fault saw; vector is NO_FAULT until a fault arrives. */
struct fault {
	uint32_t jb[6]; /* ebx esi edi ebp esp eip: private */
	int vector;
	uint32_t error, cr2, eip, cs, eflags, esp, ss;
	uint32_t eax, ecx, edx, ebx, esi, edi, ebp;
};

/* ---- the test's entry and reporting ---- */
void test_main(void);
void check(int ok, const char *name, const char *fmt, ...);
void check_eq(const char *name, uint32_t got, uint32_t expected);
void check_eq64(const char *name, uint64_t got, uint64_t expected);
void check_mem(const char *name, const void *got, const void *expected, size_t n);
/* a fault check: vector and error code (error ignored when err < 0) */
void check_fault(const char *name, const struct fault *f, int vector, long err);
void note(const char *fmt, ...); /* an informational line ("NOTE ...") */
void guest_exit(int failed) __attribute__((noreturn));
extern const char test_name[];

/* ---- console ---- */
void printf(const char *fmt, ...);
void vprintf(const char *fmt, va_list ap);
void serial_putc(char c);

/* ---- fault capture ---- */
/* Arm: returns 0; a later fault returns 1 here with *f filled (setjmp-like).
 * The catch is disarmed by the fault or by catch_end(). */
int catch_fault(struct fault *f) __attribute__((returns_twice));
void catch_end(void);
/* A handler that returns nonzero resumes the event's frame with IRET. */
typedef int (*exc_handler)(struct frame *fr);
void set_handler(int vector, exc_handler h);

/* ---- descriptors ---- */
uint16_t gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void gdt_set_raw(int index, uint32_t lo, uint32_t hi);
uint64_t gdt_get(int index);
void idt_set_gate(int vector, uint32_t offset, uint16_t sel, uint8_t type_attr);
uint64_t idt_get(int vector);
void idt_restore(int vector); /* back to the runtime's stub, DPL as at start */
uint32_t stub_address(int vector);
struct tss32 {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	uint16_t trap, iomap;
	uint8_t iobitmap[8192 + 1];
} __attribute__((packed));
extern struct tss32 tss, df_tss;
extern uint8_t ring0_stack_top[]; /* TSS.ESP0 at start */
void io_bitmap_set(uint16_t port, int deny);

/* ---- paging ---- */
extern uint32_t *page_dir;
uint32_t *pte_of(uint32_t va); /* creates the page table if needed */
void map_page(uint32_t va, uint32_t pa, uint32_t flags);
void unmap_page(uint32_t va);
void *alloc_page(void); /* a zeroed, 4 KiB-aligned, identity-mapped frame */
void paging_off(void);
void paging_on(void);

/* ---- ring 3 ---- */
typedef uint32_t (*user_fn)(uint32_t arg);
/* Run fn(arg) at CPL 3 with the given IOPL bits in EFLAGS; returns its value. */
uint32_t run_user(user_fn fn, uint32_t arg);
uint32_t run_user_flags(user_fn fn, uint32_t arg, uint32_t eflags);
#define USER_RETURN_VECTOR 0x7F
extern uint32_t user_entry_ds; /* DS as the IRET into ring 3 left it */
extern uint8_t user_stack_top[];

/* ---- real mode ---- */
/* Runs a near 16-bit routine at its real-mode address with CS=DS=ES=SS=0;
 * the routine lives in section .realmode (linked below 64 KiB). */
void real_call(void (*fn16)(void));
#define REALMODE __attribute__((section(".realmode")))

/* ---- small helpers ---- */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline void cr3_reload(void) { write_cr3(read_cr3()); }
static inline uint32_t read_eflags(void) { uint32_t v; __asm__ volatile("pushf; pop %0" : "=r"(v)); return v; }
static inline void write_eflags(uint32_t v) { __asm__ volatile("push %0; popf" ::"r"(v) : "cc", "memory"); }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
static inline void cpuid(uint32_t leaf, uint32_t r[4]) { __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0)); }
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* The test file's own name, defined once in the file built with TEST_NAME. */
#ifdef TEST_NAME
const char test_name[] = TEST_NAME;
#endif

#endif
