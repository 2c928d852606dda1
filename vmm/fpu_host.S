/*
 * The host's own x87 unit as the guest's: one tiny stub per x87 encoding
 * (opcode D8-DF with every register ModRM and one memory ModRM per /reg),
 * run between an FRSTOR of the guest state and an FNSAVE of the result.
 * The FNSAVE is non-waiting and reinitialises the unit, so an unmasked
 * exception the guest instruction leaves pending never traps in the
 * monitor; the guest sees it at its own next waiting instruction.
 */
	.text

/*
 * uint64_t fpu_host_call(void *image, void *operand, uint64_t rflags,
 *                        const void *stub)
 * image: 108-byte FSAVE image (32-bit protected-mode layout), in and out.
 * operand: the memory operand, addressed by the stub as (%rsi).
 * rflags: arithmetic flags loaded before the stub (FCMOVcc reads them);
 * returns RFLAGS after it (FCOMI writes them).
 */
	.globl fpu_host_call
	.type fpu_host_call, @function
fpu_host_call:
	sub $120, %rsp
	fnsave (%rsp)
	frstor (%rdi)
	push %rdx
	popfq
	call *%rcx
	pushfq
	pop %rax
	fnsave (%rdi)
	frstor (%rsp)
	add $120, %rsp
	ret
	.size fpu_host_call, .-fpu_host_call

/*
 * The stubs, 4 bytes each: for opcode D8+k, stub k*72+r (r < 8) is the
 * memory form with ModRM.reg = r on (%rsi); stub k*72+8+n is the register
 * form with ModRM = C0+n.
 */
	.globl fpu_host_stubs
	.balign 16
fpu_host_stubs:
	.irp op, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf
	.irp r, 0, 1, 2, 3, 4, 5, 6, 7
	.byte \op, (\r << 3) | 6, 0xc3, 0xcc
	.endr
	.set n, 0xc0
	.rept 64
	.byte \op, n, 0xc3, 0xcc
	.set n, n + 1
	.endr
	.endr
	.size fpu_host_stubs, .-fpu_host_stubs

	.section .note.GNU-stack, "", @progbits
