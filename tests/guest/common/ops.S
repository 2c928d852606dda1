/*
 * Integer instruction probes shared by the host generator (run natively as
 * a 32-bit Linux process) and the guest tests: the very same machine code
 * produces the expected tables on this host and the checked values in the
 * guest. Each probe is void op_NAME(const uint32_t in[4], uint32_t out[4]):
 * in = EAX ECX EDX EFLAGS before, out = EAX ECX EDX EFLAGS after.
 */
	.text
.macro OP name, body
	.globl op_\name
	.type op_\name, @function
op_\name:
	push %ebx
	push %esi
	mov 12(%esp), %esi
	mov 0(%esi), %eax
	mov 4(%esi), %ecx
	mov 8(%esi), %edx
	pushl 12(%esi)
	popf
	\body
	pushf
	mov 20(%esp), %esi
	mov %eax, 0(%esi)
	mov %ecx, 4(%esi)
	mov %edx, 8(%esi)
	popl 12(%esi)
	pop %esi
	pop %ebx
	ret
.endm

/* one probe per operand size: NAME_b, NAME_w, NAME_l */
.macro OP3 name, mn, args8, args16, args32
	OP \name\()_b, "\mn\()b \args8"
	OP \name\()_w, "\mn\()w \args16"
	OP \name\()_l, "\mn\()l \args32"
.endm

/* arith */
OP3 add, add, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 adc, adc, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 sub, sub, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 sbb, sbb, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 cmp, cmp, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 neg, neg, "%al", "%ax", "%eax"
OP3 inc, inc, "%al", "%ax", "%eax"
OP3 dec, dec, "%al", "%ax", "%eax"
OP add_imm_l, "addl $0x7FFFFFFF, %eax"
OP sub_imm8_l, "subl $-128, %eax"
OP adc_mem_l, "push %ecx; adcl %eax, (%esp); pop %eax"

/* logic */
OP3 and, and, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 or, or, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 xor, xor, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 test, test, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 not, not, "%al", "%ax", "%eax"

/* shift: count in CL */
OP3 shl, shl, "%cl, %al", "%cl, %ax", "%cl, %eax"
OP3 shr, shr, "%cl, %al", "%cl, %ax", "%cl, %eax"
OP3 sar, sar, "%cl, %al", "%cl, %ax", "%cl, %eax"
OP shl1_l, ".byte 0xD1, 0xE0"
OP shr1_l, ".byte 0xD1, 0xE8"
OP sar1_w, ".byte 0x66, 0xD1, 0xF8"
OP shl1_b, ".byte 0xD0, 0xE0"
OP shl_imm0_l, ".byte 0xC1, 0xE0, 0x00"
OP shr_imm33_l, ".byte 0xC1, 0xE8, 0x21"

/* rotate */
OP3 rol, rol, "%cl, %al", "%cl, %ax", "%cl, %eax"
OP3 ror, ror, "%cl, %al", "%cl, %ax", "%cl, %eax"
OP3 rcl, rcl, "%cl, %al", "%cl, %ax", "%cl, %eax"
OP3 rcr, rcr, "%cl, %al", "%cl, %ax", "%cl, %eax"
OP rol1_l, ".byte 0xD1, 0xC0"
OP rcr1_b, ".byte 0xD0, 0xD8"

/* double shifts: EAX is the destination, EDX the source, CL the count */
OP shld_w, "shldw %cl, %dx, %ax"
OP shld_l, "shldl %cl, %edx, %eax"
OP shrd_w, "shrdw %cl, %dx, %ax"
OP shrd_l, "shrdl %cl, %edx, %eax"
OP shld_imm1_l, "shldl $1, %edx, %eax"
OP shrd_imm31_l, "shrdl $31, %edx, %eax"

/* multiply */
OP3 mul, mul, "%cl", "%cx", "%ecx"
OP3 imul1, imul, "%cl", "%cx", "%ecx"
OP imul2_w, "imulw %cx, %ax"
OP imul2_l, "imull %ecx, %eax"
OP imul3_l, "imull $-3, %ecx, %eax"
OP imul3_w, "imulw $0x1234, %cx, %ax"
OP imul3big_l, "imull $0x12345, %ecx, %eax"

/* divide: AX / CL, DX:AX / CX, EDX:EAX / ECX */
OP3 div, div, "%cl", "%cx", "%ecx"
OP3 idiv, idiv, "%cl", "%cx", "%ecx"

/* decimal */
OP daa, "daa"
OP das, "das"
OP aaa, "aaa"
OP aas, "aas"
OP aam10, ".byte 0xD4, 0x0A"
OP aam16, ".byte 0xD4, 0x10"
OP aam0, ".byte 0xD4, 0x00"
OP aad10, ".byte 0xD5, 0x0A"
OP aad7, ".byte 0xD5, 0x07"

/* bit operations: bit offset in ECX, source of BSF/BSR in ECX */
OP bt_w, "btw %cx, %ax"
OP bt_l, "btl %ecx, %eax"
OP bts_w, "btsw %cx, %ax"
OP bts_l, "btsl %ecx, %eax"
OP btr_w, "btrw %cx, %ax"
OP btr_l, "btrl %ecx, %eax"
OP btc_w, "btcw %cx, %ax"
OP btc_l, "btcl %ecx, %eax"
OP bt_imm37_l, "btl $37, %eax"
OP btc_imm7_w, "btcw $7, %ax"
OP bsf_w, "bsfw %cx, %ax"
OP bsf_l, "bsfl %ecx, %eax"
OP bsr_w, "bsrw %cx, %ax"
OP bsr_l, "bsrl %ecx, %eax"

/* miscellaneous */
OP bswap_l, "bswap %eax"
OP bswap_ecx, "bswap %ecx"
OP cbw, "cbtw"
OP cwde, "cwtl"
OP cwd, "cwtd"
OP cdq, "cltd"
OP3 xadd, xadd, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP3 cmpxchg, cmpxchg, "%dl, %cl", "%dx, %cx", "%edx, %ecx"
OP3 xchg, xchg, "%cl, %al", "%cx, %ax", "%ecx, %eax"
OP movzx_b, "movzbl %cl, %eax"
OP movzx_w, "movzwl %cx, %eax"
OP movsx_b, "movsbl %cl, %eax"
OP movsx_w, "movswl %cx, %eax"
OP movsx_bw, "movsbw %cl, %ax"
OP lea_l, "leal 0x12345678(%eax,%ecx,4), %eax"
OP lea_w, "leaw -3(%eax,%ecx,2), %ax"
OP sahf, "sahf"
OP cmc, "cmc"

/* condition codes: flags come in as every combination */
.macro CC cc
	OP set\cc, "set\cc %al"
	OP cmov\cc\()_l, "cmov\cc %ecx, %eax"
	OP cmov\cc\()_w, "cmov\cc %cx, %ax"
.endm
CC o
CC no
CC b
CC ae
CC e
CC ne
CC be
CC a
CC s
CC ns
CC p
CC np
CC l
CC ge
CC le
CC g
OP lahf, "lahf"
OP jcxz_probe, "xor %edx, %edx; jecxz 1f; inc %edx; 1:"
OP loop_probe, "xor %edx, %edx; loop 1f; inc %edx; 1:"
OP loopz_probe, "xor %edx, %edx; loopz 1f; inc %edx; 1:"
OP loopnz_probe, "xor %edx, %edx; loopnz 1f; inc %edx; 1:"
	.section .note.GNU-stack, "", @progbits
