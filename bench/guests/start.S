/* Multiboot entry of the benchmark guests: a stack, then bench_main(mbi);
 * its return value goes to isa-debug-exit. */
	.section .multiboot, "a"
	.align 4
	.long 0x1badb002, 0x00000003, -(0x1badb002 + 3)

	.text
	.globl _start
_start:
	mov $stack_top, %esp
	push %ebx
	call bench_main
	out %eax, $0xf4
1:	hlt
	jmp 1b

	.bss
	.align 16
	.space 65536
stack_top:
	.section .note.GNU-stack, "", @progbits
