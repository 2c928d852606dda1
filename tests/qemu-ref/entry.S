/*
 * The QEMU reference guest's assembly: multiboot entry, the exception
 * stub copied to every vector, the common handler that saves the state at
 * the exception without touching the case's stack, and the two ways into
 * a case (IRET to ring 3 from our stack, IRET at ring 0 from the entry
 * frame the image put below the case's ESP).
 */
#define SEL_DATA0 0x10

	.section .multiboot, "a"
	.balign 4
	.long 0x1BADB002
	.long 0
	.long -0x1BADB002

	.text
	.globl _start
_start:
	cli
	cld
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	mov %eax, %edx
	xor %eax, %eax
	rep stosb
	mov $kstack_top, %esp
	push %ebx
	push %edx
	call ref_main
1:	hlt
	jmp 1b

/*
 * 15 bytes, copied to CASE_H_STUBS + 16 * v with v patched in at offset
 * 7. Nothing is pushed: at ring 0 the stack is the case's own memory.
 */
	.globl stub_template, stub_template_end
stub_template:
	mov %eax, %ss:save_gpr
	mov $0, %al
	jmp *%cs:common_ptr
stub_template_end:

common:
	movzbl %al, %eax
	mov %eax, %ss:save_vec
	mov %esp, %ss:save_gpr + 16
	mov %ecx, %ss:save_gpr + 4
	mov %edx, %ss:save_gpr + 8
	mov %ebx, %ss:save_gpr + 12
	mov %ebp, %ss:save_gpr + 20
	mov %esi, %ss:save_gpr + 24
	mov %edi, %ss:save_gpr + 28
	mov %es, %ss:save_sreg + 0
	mov %ss, %ss:save_sreg + 4
	mov %ds, %ss:save_sreg + 6
	mov %fs, %ss:save_sreg + 8
	mov %gs, %ss:save_sreg + 10
	mov %cr2, %eax
	mov %eax, %ss:save_cr2
	mov $SEL_DATA0, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $kstack_top, %esp
	call ref_exception
2:	hlt
	jmp 2b

/* The entry block: eax..edi, eip, cs, eflags, esp for LSS, ss, ds, es, fs, gs. */
#define E_EBP 20
#define E_EIP 32
#define E_CS 36
#define E_EFLAGS 40
#define E_LSS 44
#define E_SS 48
#define E_DS 52
#define E_ES 56
#define E_FS 60
#define E_GS 64

.macro load_case_segments_and_gprs
	mov %ss:E_DS(%ebp), %eax
	mov %ax, %ds
	mov %ss:E_ES(%ebp), %eax
	mov %ax, %es
	mov %ss:E_FS(%ebp), %eax
	mov %ax, %fs
	mov %ss:E_GS(%ebp), %eax
	mov %ax, %gs
	mov %ss:0(%ebp), %eax
	mov %ss:4(%ebp), %ecx
	mov %ss:8(%ebp), %edx
	mov %ss:12(%ebp), %ebx
	mov %ss:24(%ebp), %esi
	mov %ss:28(%ebp), %edi
.endm

	.globl enter_ring3
enter_ring3:
	mov 4(%esp), %ebp
	pushl %ss:E_SS(%ebp)
	pushl %ss:16(%ebp)
	pushl %ss:E_EFLAGS(%ebp)
	pushl %ss:E_CS(%ebp)
	pushl %ss:E_EIP(%ebp)
	load_case_segments_and_gprs
	mov %ss:E_EBP(%ebp), %ebp
	iret

	.globl enter_ring0
enter_ring0:
	mov 4(%esp), %ebp
	load_case_segments_and_gprs
	lss %ss:E_LSS(%ebp), %esp
	mov %cs:E_EBP(%ebp), %ebp
	iret

	.data
	.balign 4
common_ptr:
	.long common
	.globl save_gpr, save_sreg, save_vec, save_cr2
save_gpr:
	.fill 8, 4, 0
save_sreg:
	.fill 6, 2, 0
save_vec:
	.long 0
save_cr2:
	.long 0

	.bss
	.balign 16
	.globl kstack, kstack_top
kstack:
	.fill 16384, 1, 0
kstack_top:
