/*
 * One instruction table, every fact about an instruction in one row
 * (vmm/insn.def), and the compact decoded form every engine uses.
 */
#ifndef DOPPEL_INSN_H
#define DOPPEL_INSN_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct insn;

/*
 * Operand forms, in the notation of the Intel SDM opcode map (Vol. 2,
 * Appendix A): the letter says how the operand is addressed, the suffix
 * its size (b byte, w word, d dword, v 16/32 by operand size, z like v,
 * p far pointer, q qword, a pair for BOUND, s 6-byte descriptor table reg).
 */
#define OPERAND_FORMS(X) \
	X(NONE) \
	X(Eb) X(Ew) X(Ed) X(Ev) /* ModRM r/m */ \
	X(Gb) X(Gw) X(Gd) X(Gv) /* ModRM reg, general register */ \
	X(Rd)                   /* ModRM r/m, register only (MOV CR/DR) */ \
	X(M) X(Mp) X(Mq) X(Ma) X(Ms) X(Mw) /* ModRM memory only */ \
	X(Sw)                   /* ModRM reg selects a segment register */ \
	X(Cd) X(Dd)             /* ModRM reg selects CRn / DRn */ \
	X(Ib) X(Ibs) X(Iw) X(Iv) /* immediates; Ibs: imm8 sign-extended to operand size */ \
	X(Jb) X(Jz)             /* relative branch targets */ \
	X(Ap)                   /* direct far pointer */ \
	X(Ob) X(Ov)             /* moffs: absolute offset, no ModRM */ \
	X(Xb) X(Xv)             /* DS:[eSI], segment overridable */ \
	X(Yb) X(Yv)             /* ES:[eDI] */ \
	X(Zb) X(Zv)             /* register in opcode bits 0-2 */ \
	X(AL) X(CL) X(DX) X(eAX) X(AX) X(ONE) \
	X(ES) X(CS) X(SS) X(DS) X(FS) X(GS) \
	/* x87 */ \
	X(ST0) X(STi)           /* ST(0); ST(i) with i = ModRM r/m */ \
	X(Mf32) X(Mf64) X(Mf80) /* real memory operands */ \
	X(Mi16) X(Mi32) X(Mi64) /* integer memory operands */ \
	X(Mbcd) X(Menv) X(Msave) X(Mw2) /* BCD, FLDENV/FNSTENV image, FSAVE image, FNSTCW/FLDCW word */

enum operand_form {
#define OPERAND_FORM_ENUM(f) OPF_##f,
	OPERAND_FORMS(OPERAND_FORM_ENUM)
#undef OPERAND_FORM_ENUM
	OPF_COUNT
};

/* Attributes of an instruction (insn_desc.attr). */
#define A_LOCK 0x0001    /* LOCK prefix allowed (with a memory destination) */
#define A_PRIV 0x0002    /* CPL 0 only, else #GP(0) */
#define A_MEMONLY 0x0004 /* ModRM must address memory, else #UD */
#define A_REP 0x0008     /* REP prefix repeats it (INS/OUTS/MOVS/LODS/STOS) */
#define A_REPCC 0x0010   /* REPE/REPNE repeat it (CMPS/SCAS) */
#define A_BRANCH 0x0020  /* changes control flow: ends a translation block */
#define A_NOREAL 0x0040  /* #UD in real and V86 mode (LAR, LSL, ARPL, ...) */
#define A_SSE 0x0080     /* MMX/SSE encoding: decoded for length, #UD here */
#define A_IOPL 0x0100    /* IOPL-sensitive (CLI, STI, IN, OUT, INS, OUTS) */
#define A_SERIAL 0x0200  /* ends a block: changes mode, paging or is a system op */
#define A_FPU 0x0400     /* x87: #NM when CR0.EM or CR0.TS says so */
#define A_STACK 0x0800   /* implicit stack access, uses SS and stack size */

/* Flag masks use the EFLAGS bits of cpu.h (F_CF ... F_OF); sets the table uses: */
#define F_OSZAP (F_OF | F_SF | F_ZF | F_AF | F_PF)
#define F_SZAP (F_SF | F_ZF | F_AF | F_PF)
#define F_SYSTEM16 (F_TF | F_IF | F_DF | F_IOPL | F_NT) /* what POPF/IRET can write, bits 8-15 */

/*
 * A row with a Zb or Zv operand (register in opcode bits 0-2) covers
 * opcode..opcode+7; a row that names one of those opcodes exactly takes
 * precedence over it (0x90 is NOP, not XCHG eAX,eAX).
 */
#define INSN_IS_ZFORM(d) \
	((d)->operand[0] == OPF_Zb || (d)->operand[0] == OPF_Zv || \
	 (d)->operand[1] == OPF_Zb || (d)->operand[1] == OPF_Zv)

/*
 * How a row's opcode extension is matched, in desc.ext:
 *   EXT_NONE          no ModRM.reg extension
 *   0..7              ModRM.reg must equal it (any mod)
 *   EXT_MEM(r)        reg == r and mod != 3
 *   EXT_REG(r)        reg == r and mod == 3 (any r/m)
 *   EXT_RM(r, m)      mod == 3, reg == r, r/m == m
 */
#define EXT_NONE (-1)
#define EXT_MEM(r) (0x10 | (r))
#define EXT_REG(r) (0x20 | (r))
#define EXT_RM(r, m) (0x40 | ((r) << 3) | (m))

typedef void insn_handler(struct cpu *c, const struct insn *i);

struct insn_desc {
	const char *mnemonic;
	insn_handler *exec;         /* interp semantics; NULL = not yet implemented */
	uint8_t map;                /* 0: one-byte map, 1: 0F map */
	uint8_t opcode;
	int8_t ext;
	bool modrm;                 /* has a ModRM byte */
	uint8_t operand[3];         /* enum operand_form */
	uint16_t flags_read;
	uint16_t flags_written;
	uint16_t flags_undefined;   /* written, but the manual leaves the value undefined */
	uint16_t attr;
};

/* Prefix bits (insn.prefixes) */
#define P_LOCK 0x01
#define P_REPNE 0x02
#define P_REP 0x04 /* REP / REPE */
#define P_OPSIZE 0x08
#define P_ADSIZE 0x10
#define P_SEG 0x20

/*
 * A decoded instruction. Sizes are in bytes. `size` is the operation size:
 * the size of the first data operand, skipping immediates, branch targets
 * and the DX port (so OUT DX,eAX and ENTER have opsize): 1 for byte
 * forms, 2 for w forms and Sw, 4 for d forms and CRn/DRn, opsize for v
 * forms, M/Mp/Ms/Ma and PUSH/POP sreg; x87 and Mq memory forms give their
 * memory size in bytes (Mf80 10, Menv 14/28, Msave 94/108); opsize when
 * there is no data operand.
 *
 * Decoder conventions (vmm/decode.c):
 * - Zb/Zv: reg holds the register number from the opcode's bits 0-2.
 * - disp is as encoded, disp8 sign-extended to 32 bits, disp16
 *   zero-extended; 16-bit addressing wraps the sum.
 * - moffs (Ob/Ov): disp holds the offset, mem is true, and mod/rm are set
 *   to the disp-only ModRM form of the address size (mod 0, rm 5 or 6), so
 *   insn_ea() needs no special case.
 * - Rd (MOV CR/DR): ModRM.mod is ignored; mod reads 3 and mem is false.
 * - seg is the memory operand's segment (override, else SS for BP/EBP/ESP
 *   bases, else DS); without a memory operand it is the override or DS,
 *   which is the source segment of Xb/Xv and XLAT.
 * - Ibs is sign-extended to opsize (truncated to 16 bits when opsize is 2);
 *   Jb and Jz are sign-extended to 32 bits; Ap's offset is in imm and its
 *   selector in imm2; ENTER's Iw is in imm, its Ib in imm2.
 */
struct insn {
	const struct insn_desc *desc;
	uint32_t eip;            /* offset of the first byte in CS */
	uint8_t len;
	uint8_t prefixes;
	uint8_t opsize;          /* 2 or 4 */
	uint8_t adsize;          /* 2 or 4 */
	uint8_t size;            /* operation size: 1, 2 or 4 */
	uint8_t seg;             /* effective segment of the memory operand (enum sreg) */
	uint8_t opcode;          /* the (last) opcode byte as encoded: Jcc's condition, Z-form register */
	uint8_t modrm, mod, reg, rm;
	uint8_t sib;
	bool has_sib;
	bool mem;                /* ModRM addresses memory */
	uint32_t disp;
	uint32_t imm;            /* first immediate (sign-extended where the form says) */
	uint32_t imm2;           /* second immediate: ENTER's level byte, Ap's selector */
	uint8_t bytes[15];       /* the instruction, then what else was fetched (zero beyond) */
	/*
	 * Each operand resolved for the interpreter's fast access (opnd_resolve
	 * in vmm/interp_operand.c; the decoder leaves them OPND_SLOW): its kind,
	 * its register number, and its size in bytes.
	 */
	uint8_t okind[3];
	uint8_t oreg[3];
	uint8_t osize[3];
	/* What interp runs: desc->exec, or a handler made for these operands. */
	insn_handler *exec;
};

/* insn.okind: how operand access reaches an operand. */
enum opnd_kind {
	OPND_SLOW,   /* anything else: the general path by operand form */
	OPND_REG8,   /* AL..BH numbering */
	OPND_REG16,
	OPND_REG32,
	OPND_IMM,    /* insn.imm */
	OPND_MEM,    /* the ModRM memory operand at i->seg:insn_ea(), 1, 2 or 4 bytes */
};

/* Why decoding stopped without an instruction. */
enum decode_status {
	DECODE_OK,
	DECODE_UD,         /* no such instruction (or LOCK where not allowed): #UD */
	DECODE_TOO_LONG,   /* over 15 bytes: #GP(0) */
	DECODE_TRUNCATED,  /* the fetch function returned fewer bytes than the instruction needs */
};

/*
 * Fetches instruction bytes: returns how many of `want` bytes at CS offset
 * `off` were copied into buf (a fetch fault is the fetcher's business:
 * it raises, or returns fewer bytes).
 */
typedef unsigned insn_fetch_fn(void *ctx, uint32_t off, uint8_t *buf, unsigned want);

/*
 * Decode one instruction at CS offset eip with default operand/address
 * size `code32` (true: 32-bit). Fills *i. Pure: touches no CPU state.
 */
enum decode_status decode_insn(struct insn *i, bool code32, uint32_t eip,
			       insn_fetch_fn *fetch, void *ctx);

/* Decode from a byte buffer (for tests, the disassembler and the fuzzer). */
enum decode_status decode_bytes(struct insn *i, bool code32, const uint8_t *buf,
				unsigned n, uint32_t eip);

/* Every row of the table, for tools that walk it (fuzzer, tests). */
extern const struct insn_desc insn_table[];
extern const unsigned insn_table_len;

/* The decoder's index into the table (vmm/insn_table.c). */
enum insn_opcode_kind { OPK_INVALID, OPK_PLAIN, OPK_MODRM };
/* Does opcode `op` of `map` (0 one-byte, 1 0F) exist, and with a ModRM? */
enum insn_opcode_kind insn_table_kind(unsigned map, uint8_t op);
/* The row for map/op and its ModRM byte (ignored for OPK_PLAIN); NULL if none. */
const struct insn_desc *insn_table_match(unsigned map, uint8_t op, uint8_t modrm);

#endif
