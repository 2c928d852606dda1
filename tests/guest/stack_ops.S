/* Stack-instruction probes for stack_ops.c: each runs on a private stack
 * (st_area) and stores what it saw in st_out. */
	.text
	.globl st_pusha
st_pusha:			/* PUSHA with known registers; st_out[0] = ESP after */
	pusha
	mov %esp, st_saved
	mov $st_area + 160, %esp
	mov $1, %eax
	mov $2, %ecx
	mov $3, %edx
	mov $4, %ebx
	mov $6, %ebp
	mov $7, %esi
	mov $8, %edi
	pusha
	mov %esp, st_out
	mov st_saved, %esp
	popa
	ret

	.globl st_popa
st_popa:			/* POPA from st_area[8..15]; st_out = regs, ESP */
	pusha
	mov %esp, st_saved
	mov $st_area + 32, %esp
	popa
	mov %eax, st_out + 0
	mov %ebx, st_out + 4
	mov %ecx, st_out + 8
	mov %edx, st_out + 12
	mov %esi, st_out + 16
	mov %edi, st_out + 20
	mov %ebp, st_out + 24
	mov %esp, st_out + 28
	mov st_saved, %esp
	popa
	ret

	.globl st_enter3	/* EBP = &st_area[20], ESP = &st_area[60]: ENTER 16, 3 */
st_enter3:
	pusha
	mov %esp, st_saved
	mov $st_area + 240, %esp
	mov $st_area + 80, %ebp
	enter $16, $3
	mov %ebp, st_out
	mov %esp, st_out + 4
	mov st_saved, %esp
	popa
	ret

	.globl st_enter1
st_enter1:
	pusha
	mov %esp, st_saved
	mov $st_area + 160, %esp
	mov $st_area + 40, %ebp
	enter $8, $1
	mov %ebp, st_out
	mov %esp, st_out + 4
	mov st_saved, %esp
	popa
	ret

	.globl st_enter0_leave
st_enter0_leave:
	pusha
	mov %esp, st_saved
	mov $st_area + 256, %esp
	mov $0x1234, %ebp
	enter $0x104, $0
	mov %ebp, st_out
	leave
	mov %esp, st_out + 4
	mov %ebp, st_out + 8
	mov st_saved, %esp
	popa
	ret

	.globl st_push_pop_esp
st_push_pop_esp:
	pusha
	mov %esp, st_saved
	mov $st_area + 200, %esp
	push %esp
	pop %eax
	mov %eax, st_out
	movl $st_area + 100, st_area + 120
	mov $st_area + 120, %esp
	pop %esp
	mov %esp, st_out + 4
	mov st_saved, %esp
	popa
	ret
	.section .note.GNU-stack, "", @progbits
