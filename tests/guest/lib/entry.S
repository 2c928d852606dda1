/*
 * Multiboot entry, the per-vector exception stubs, the setjmp-like fault
 * catch, the ring-3 round trip and the protected-to-real-mode switch.
 */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_CODE16 0x38
#define SEL_DATA16 0x40

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
	mov %eax, %esi
	mov %ebx, %ebp
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %esp
	push %ebp
	push %esi
	call rt_main
1:	hlt
	jmp 1b

/* 256 stubs of 16 bytes: stub for vector v at exc_stubs + 16 * v. The CPU
 * pushes an error code for 8, 10-14, 17 and 21; the others push a zero. */
	.balign 16
	.globl exc_stubs
exc_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21)
	.else
	pushl $0
	.endif
	.byte 0x68
	.long vec
	jmp exc_common
	.set vec, vec + 1
	.endr

exc_common:
	pusha
	push %ds
	push %es
	push %fs
	push %gs
	mov $SEL_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	cld
	push %esp
	call exc_dispatch
	add $4, %esp
	pop %gs
	pop %fs
	pop %es
	pop %ds
	popa
	add $8, %esp
	iret

/* int catch_fault(struct fault *f): jb = ebx esi edi ebp esp eip */
	.globl catch_fault
catch_fault:
	mov 4(%esp), %eax
	mov %ebx, 0(%eax)
	mov %esi, 4(%eax)
	mov %edi, 8(%eax)
	mov %ebp, 12(%eax)
	lea 4(%esp), %ecx
	mov %ecx, 16(%eax)
	mov (%esp), %ecx
	mov %ecx, 20(%eax)
	movl $-1, 24(%eax)
	mov %eax, current_catch
	xor %eax, %eax
	ret

/* void fault_longjmp(struct fault *f): back into catch_fault, returning 1,
 * with flat ring-0 segments and EFLAGS cleared. */
	.globl fault_longjmp
fault_longjmp:
	mov 4(%esp), %eax
	mov $SEL_KDATA, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	mov %cx, %ss
	mov 16(%eax), %esp
	mov 0(%eax), %ebx
	mov 4(%eax), %esi
	mov 8(%eax), %edi
	mov 12(%eax), %ebp
	pushl $2
	popf
	pushl 20(%eax)
	mov $1, %eax
	ret

/* uint32_t run_user_flags(user_fn fn, uint32_t arg, uint32_t eflags) */
	.globl run_user_flags
run_user_flags:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, user_saved_esp
	mov 20(%esp), %ecx
	mov 24(%esp), %edx
	mov 28(%esp), %eax
	mov $user_stack_top - 8, %ebx
	mov %ecx, 0(%ebx)
	mov %edx, 4(%ebx)
	pushl $SEL_UDATA
	push %ebx
	push %eax
	pushl $SEL_UCODE
	pushl $user_trampoline
	iret

/* Ring 3: flat user data segments, call fn(arg), come back through INT 0x7F. */
	.globl user_trampoline
user_trampoline:
	mov %ds, %ebx
	mov $SEL_UDATA, %ax
	mov %ax, %ds
	mov %ebx, user_entry_ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	pop %ecx
	call *%ecx
	int $0x7F
	ud2

/* void user_resume(uint32_t value): abandon the ring-0 event frame and
 * return value from run_user_flags. */
	.globl user_resume
user_resume:
	mov 4(%esp), %eax
	mov $SEL_KDATA, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	mov %cx, %ss
	mov user_saved_esp, %esp
	pushl $2
	popf
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/* void real_call(void (*fn16)(void)) */
	.globl real_call
real_call:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov 20(%esp), %eax
	mov %ax, rm_fn
	mov %esp, rm_saved_esp
	sidt rm_saved_idt
	mov %cr0, %eax
	mov %eax, rm_saved_cr0
	and $0x7FFFFFFF, %eax
	mov %eax, %cr0
	lidt rm_ivt_desc
	ljmp $SEL_CODE16, $rm_entry16

rm_back32:
	mov $SEL_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov rm_saved_esp, %esp
	mov rm_saved_cr0, %eax
	mov %eax, %cr0
	jmp 1f
1:	lidt rm_saved_idt
	pushl $2
	popf
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.section .realmode, "awx"
	.code16
rm_entry16:
	mov $SEL_DATA16, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov %cr0, %eax
	and $0xFFFFFFFE, %eax
	mov %eax, %cr0
	ljmp $0, $rm_real
rm_real:
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $0x7F00, %sp
	call *rm_fn
	cli
	cld
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $SEL_KCODE, $rm_back32
	.balign 4
	.globl rm_fn
rm_fn:	.word 0
	.code32

	.data
	.balign 8
rm_ivt_desc:
	.word 0x3FF
	.long 0
	.balign 8
rm_saved_idt:
	.word 0
	.long 0
rm_saved_esp: .long 0
rm_saved_cr0: .long 0
user_saved_esp: .long 0
	.globl user_entry_ds
user_entry_ds: .long 0

	.bss
	.balign 4096
	.space 16384
boot_stack_top:
	.balign 4096
	.globl user_stack
user_stack:
	.space 16384
	.globl user_stack_top
user_stack_top:
	.balign 4096
	.space 16384
	.globl ring0_stack_top
ring0_stack_top:
