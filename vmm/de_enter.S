/*
 * Direct execution: the stub's few lines that must not be C. The guest
 * is entered by returning from a signal handler into compatibility mode
 * (rt_sigreturn restores CS, SS, EIP, EFLAGS); sigreturn leaves DS, ES,
 * FS and GS alone, so the handler loads them here as its last act. While
 * the guest's FS may be loaded, the stub makes its system calls here too:
 * libc's wrappers would store errno through FS.
 */
	.text

/* long de_syscall(nr, a1, a2, a3, a4, a5, a6) */
	.globl de_syscall
	.type de_syscall, @function
de_syscall:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	syscall
	ret
	.size de_syscall, .-de_syscall

/* void de_load_data_segs(const uint16_t sel[6]): ES=0 CS=1 SS=2 DS=3 FS=4 GS=5 */
	.globl de_load_data_segs
	.type de_load_data_segs, @function
de_load_data_segs:
	movw 0(%rdi), %ax
	movw %ax, %es
	movw 6(%rdi), %ax
	movw %ax, %ds
	movw 8(%rdi), %ax
	movw %ax, %fs
	movw 10(%rdi), %ax
	movw %ax, %gs
	ret
	.size de_load_data_segs, .-de_load_data_segs

/* void de_read_data_segs(uint16_t sel[6]) */
	.globl de_read_data_segs
	.type de_read_data_segs, @function
de_read_data_segs:
	movw %es, %ax
	movw %ax, 0(%rdi)
	movw %ds, %ax
	movw %ax, 6(%rdi)
	movw %fs, %ax
	movw %ax, 8(%rdi)
	movw %gs, %ax
	movw %ax, 10(%rdi)
	ret
	.size de_read_data_segs, .-de_read_data_segs

/*
 * void de_set_nt_id(uint64_t bits): NT and ID of the stub's own RFLAGS
 * become `bits`. rt_sigreturn takes every flag it does not let the frame
 * set (NT and ID among them) from the caller's RFLAGS, so this is how
 * the guest gets its own NT and ID back.
 */
	.globl de_set_nt_id
	.type de_set_nt_id, @function
de_set_nt_id:
	pushfq
	andq $~0x204000, (%rsp)
	orq %rdi, (%rsp)
	popfq
	ret
	.size de_set_nt_id, .-de_set_nt_id

/* void de_copy(void *dst, const void *src, uint64_t n) */
	.globl de_copy
	.type de_copy, @function
de_copy:
	movq %rdx, %rcx
	rep movsb
	ret
	.size de_copy, .-de_copy

	.section .note.GNU-stack, "", @progbits
