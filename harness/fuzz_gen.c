/*
 * Case generation driven by the instruction table: pick a row, encode it
 * with random prefixes, ModRM/SIB forms, displacements and immediates,
 * then make the initial state point its memory operand at a data page
 * (often at a page end or a segment limit). What an engine cannot agree
 * on is named in one list below (fuzz_gaps) and left out for it.
 */
#include <string.h>

#include "harness/fuzz_gen.h"
#include "vmm/de_host.h"
#include "vmm/fpu.h"
#include "vmm/interp.h"

#define GEN_CODE 0x00401000u
#define GEN_STACK 0x00410000u
#define GEN_BYTES_MAX 48u /* random code: 1 to this many bytes */

struct rng {
	uint64_t s;
};

/* splitmix64: portable, so a seed means the same cases on every host */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

static bool rng_chance(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

/* ---- the one list of instructions engines cannot agree on ---- */

#define GAP_NATIVE 1u
#define GAP_QEMU 2u

struct fuzz_gap {
	insn_handler *exec;   /* the row's handler, or NULL to match by attribute or row */
	uint16_t attr;
	const char *row;      /* a row's mnemonic (with `ext`), for rows whose handler is shared */
	int8_t ext;
	const char *name;
	uint8_t engines;      /* GAP_* */
	bool cpl0_only;       /* at CPL 3 every engine faults alike */
	const char *why;
	uint8_t form;         /* FORM_*: the spelling that makes it another instruction */
};

/* fuzz_gap.form: which spellings of the row the gap covers */
#define FORM_ANY 0
#define FORM_REP 1        /* only with an F3 prefix (a newer instruction on the host) */
#define FORM_REG 2        /* only with a register ModRM (a memory-only row: #UD on a P6) */
#define FORM_HOST_SEL 3   /* only loading a host selector (gap_loads_host_selector) */

#define GAP_TAIL 15       /* bytes fetched past the code: an instruction's most */

#define ROW_ANY_EXT (-2)

#define HOST_SEL_WHY \
	"loads one of the host's DPL-3 GDT selectors (0x30-0x33, 0x78-0x7b; 0x20-0x23, " \
	"0x28-0x2b unless the case has its flat descriptor there) or the stub's LDT slots " \
	"(0xffd4-0xffff) without a trap where the " \
	"guest's GDT faults or means another segment: de sees it only at the next trap " \
	"(docs/direct-execution.md, \"Segment loads the host answers\")"

static const struct fuzz_gap fuzz_gaps[] = {
	{ op_pushf, 0, NULL, 0, "pushf", GAP_NATIVE, false,
	  "pushes the host's EFLAGS: IOPL and IF are the host's, not the guest's virtual ones", FORM_ANY },
	{ op_sgdt, 0, NULL, 0, "sgdt", GAP_NATIVE, false, "stores the host's GDTR", FORM_ANY },
	{ op_sidt, 0, NULL, 0, "sidt", GAP_NATIVE, false, "stores the host's IDTR", FORM_ANY },
	{ op_sldt, 0, NULL, 0, "sldt", GAP_NATIVE, false, "stores the host's LDTR selector", FORM_ANY },
	{ op_str, 0, NULL, 0, "str", GAP_NATIVE, false, "stores the host's TR selector", FORM_ANY },
	{ op_smsw, 0, NULL, 0, "smsw", GAP_NATIVE, false, "stores the host's CR0 bits 0-15", FORM_ANY },
	{ op_mov_from_sreg, 0, NULL, 0, "mov r/m,sreg", GAP_NATIVE, false,
	  "reads the host's selector value", FORM_ANY },
	{ op_push_sreg, 0, NULL, 0, "push sreg", GAP_NATIVE, false,
	  "pushes the host's selector value", FORM_ANY },
	{ op_lar, 0, NULL, 0, "lar", GAP_NATIVE, false, "reads the host's descriptor tables", FORM_ANY },
	{ op_lsl, 0, NULL, 0, "lsl", GAP_NATIVE, false, "reads the host's descriptor tables", FORM_ANY },
	{ op_verr, 0, NULL, 0, "verr", GAP_NATIVE, false, "reads the host's descriptor tables", FORM_ANY },
	{ op_verw, 0, NULL, 0, "verw", GAP_NATIVE, false, "reads the host's descriptor tables", FORM_ANY },
	{ NULL, A_SSE, NULL, 0, "MMX/SSE", GAP_NATIVE | GAP_QEMU, false,
	  "executed by the host CPU, and by QEMU even with -mmx, although doppel's CPUID "
	  "offers none", FORM_ANY },
	{ NULL, 0, "fbad", EXT_MEM(1), "fisttp", GAP_NATIVE, false,
	  "DB/DD/DF /1 is FISTTP (SSE3) on the host, #UD on a P6", FORM_ANY },
	{ NULL, 0, "sysenter", ROW_ANY_EXT, "sysenter", GAP_NATIVE, false,
	  "enters the host kernel; doppel's CPUID offers no SEP (#UD)", FORM_ANY },
	{ NULL, 0, "sysexit", ROW_ANY_EXT, "sysexit", GAP_NATIVE, false,
	  "the host's SYSEXIT faults otherwise than a P6 without SEP (#UD)", FORM_ANY },
	{ op_rdtsc, 0, NULL, 0, "rdtsc", GAP_NATIVE, false,
	  "native code cannot count instructions: de returns the TSC of the last "
	  "synchronization point, interp counts every retired instruction", FORM_ANY },
	{ op_fnstenv, 0, NULL, 0, "fnstenv", GAP_NATIVE, false,
	  "stores the host's FCS/FDS (0: this CPU deprecates them) where a P6 stores the selectors", FORM_ANY },
	{ op_fnsave, 0, NULL, 0, "fnsave", GAP_NATIVE, false,
	  "stores the host's FCS/FDS (0: this CPU deprecates them) where a P6 stores the selectors", FORM_ANY },
	{ op_bsf, 0, NULL, 0, "rep bsf", GAP_NATIVE, false,
	  "F3 0F BC is TZCNT on the host (BMI1), BSF on a P6", FORM_REP },
	{ op_bsr, 0, NULL, 0, "rep bsr", GAP_NATIVE, false,
	  "F3 0F BD is LZCNT on the host (ABM), BSR on a P6", FORM_REP },
	{ NULL, 0, "les", EXT_NONE, "vex3", GAP_NATIVE, false,
	  "C4 with a register ModRM is a 3-byte VEX prefix (AVX) on the host, LES #UD on a P6",
	  FORM_REG },
	{ NULL, 0, "lds", EXT_NONE, "vex2", GAP_NATIVE, false,
	  "C5 with a register ModRM is a 2-byte VEX prefix (AVX) on the host, LDS #UD on a P6",
	  FORM_REG },
	{ NULL, 0, "bound", EXT_NONE, "evex", GAP_NATIVE, false,
	  "62 with a register ModRM is an EVEX prefix (AVX-512) on the host, BOUND #UD on a P6",
	  FORM_REG },
	{ NULL, 0, "lgdt", EXT_MEM(2), "0f 01 /2 reg", GAP_NATIVE, false,
	  "0F 01 D0-D7 are XGETBV, XEND, XTEST, ... on the host (XGETBV and XTEST run at CPL 3), "
	  "#UD on a P6", FORM_REG },
	{ NULL, 0, "lidt", EXT_MEM(3), "0f 01 /3 reg", GAP_NATIVE, false,
	  "0F 01 D8-DF are AMD's SVM instructions: #UD on this Intel host, except VMMCALL (D9), "
	  "which the host's own hypervisor rewrites in the guest's code page into VMCALL (0F 01 C1) "
	  "and answers (EAX = -1); #UD on a P6", FORM_REG },
	{ op_mov_to_sreg, 0, NULL, 0, "mov sreg,host selector", GAP_NATIVE, false, HOST_SEL_WHY,
	  FORM_HOST_SEL },
	{ op_pop_sreg, 0, NULL, 0, "pop sreg,host selector", GAP_NATIVE, false, HOST_SEL_WHY,
	  FORM_HOST_SEL },
	{ op_lxs, 0, NULL, 0, "lxs,host selector", GAP_NATIVE, false, HOST_SEL_WHY, FORM_HOST_SEL },
	{ op_jmp_far, 0, NULL, 0, "jmp far,host selector", GAP_NATIVE, false, HOST_SEL_WHY,
	  FORM_HOST_SEL },
	{ op_call_far, 0, NULL, 0, "call far,host selector", GAP_NATIVE, false, HOST_SEL_WHY,
	  FORM_HOST_SEL },
	{ op_ret_far, 0, NULL, 0, "retf,host selector", GAP_NATIVE, false, HOST_SEL_WHY,
	  FORM_HOST_SEL },
	{ op_iret, 0, NULL, 0, "iret,host selector", GAP_NATIVE, false, HOST_SEL_WHY,
	  FORM_HOST_SEL },
	{ op_cpuid, 0, NULL, 0, "cpuid", GAP_QEMU, false, "QEMU's CPUID model is not doppel's", FORM_ANY },
	{ op_rdtsc, 0, NULL, 0, "rdtsc", GAP_QEMU, false,
	  "QEMU's time is not doppel's virtual clock", FORM_ANY },
	{ op_rdpmc, 0, NULL, 0, "rdpmc", GAP_QEMU, true,
	  "performance counters are not modelled alike", FORM_ANY },
	{ op_rdmsr, 0, NULL, 0, "rdmsr", GAP_QEMU, true, "QEMU models other MSRs", FORM_ANY },
	{ op_wrmsr, 0, NULL, 0, "wrmsr", GAP_QEMU, true, "QEMU models other MSRs", FORM_ANY },
	{ op_in, 0, NULL, 0, "in", GAP_QEMU, true, "QEMU's devices are not doppel's", FORM_ANY },
	{ op_out, 0, NULL, 0, "out", GAP_QEMU, true, "QEMU's devices are not doppel's", FORM_ANY },
	{ op_ins, 0, NULL, 0, "ins", GAP_QEMU, true, "QEMU's devices are not doppel's", FORM_ANY },
	{ op_outs, 0, NULL, 0, "outs", GAP_QEMU, true, "QEMU's devices are not doppel's", FORM_ANY },
};

static bool gap_matches(const struct fuzz_gap *g, const struct insn_desc *d)
{
	if (g->exec)
		return d->exec == g->exec;
	if (g->row)
		return !strcmp(d->mnemonic, g->row) && (g->ext == ROW_ANY_EXT || d->ext == g->ext);
	return (d->attr & g->attr) != 0;
}

static uint8_t gap_bit(enum case_engine e)
{
	return e == CENG_NATIVE ? GAP_NATIVE : e == CENG_QEMU ? GAP_QEMU : 0;
}

static const struct fuzz_gap *gap_find_form(const struct insn_desc *d, enum case_engine e,
					     int cpl, uint8_t form)
{
	for (unsigned k = 0; k < sizeof(fuzz_gaps) / sizeof(fuzz_gaps[0]); k++) {
		const struct fuzz_gap *g = &fuzz_gaps[k];
		if (gap_matches(g, d) && g->form == form && (g->engines & gap_bit(e)) &&
		    (!g->cpl0_only || cpl == 0))
			return g;
	}
	return NULL;
}

static const struct fuzz_gap *gap_find(const struct insn_desc *d, enum case_engine e, int cpl)
{
	return gap_find_form(d, e, cpl, FORM_ANY);
}

const char *fuzz_gap_reason(const struct insn_desc *d, enum case_engine e, int cpl)
{
	const struct fuzz_gap *g = gap_find(d, e, cpl);

	return g ? g->why : NULL;
}

static bool byte_is_prefix(uint8_t b)
{
	static const uint8_t prefixes[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
					    0x66, 0x67, 0xf0, 0xf2, 0xf3 };

	return memchr(prefixes, b, sizeof(prefixes)) != NULL;
}

/* The opcode map, opcode and ModRM that bytes spell; false without a ModRM. */
static bool spelling_modrm(const uint8_t *bytes, unsigned n, unsigned *map, uint8_t *op,
			   uint8_t *modrm)
{
	unsigned k = 0;

	*map = 0;
	while (k < n && byte_is_prefix(bytes[k]))
		k++;
	if (k < n && bytes[k] == 0x0f) {
		*map = 1;
		k++;
	}
	if (k + 1 >= n || insn_table_kind(*map, bytes[k]) != OPK_MODRM)
		return false;
	*op = bytes[k];
	*modrm = bytes[k + 1];
	return true;
}

/*
 * The memory-only row that bytes spell with a register ModRM (#UD on a
 * P6, whether or not the table has a row for that ModRM); NULL if none.
 */
static const struct insn_desc *gap_reg_form_row(const uint8_t *bytes, unsigned n)
{
	unsigned map;
	uint8_t op, modrm;

	if (!spelling_modrm(bytes, n, &map, &op, &modrm) || modrm < 0xc0)
		return NULL;
	return insn_table_match(map, op, modrm & 0x3f);
}

/*
 * Host instructions where the table has no row (#UD on a P6): in an
 * undefined group member or opcode. Matched by spelling: the opcode map
 * (0 one-byte, 1 0F) and opcode, ModRM.reg values (a bit each; 0 with no
 * ModRM check), which ModRM forms (ROWLESS_*), an F3 prefix required.
 */
#define ROWLESS_ANY 0
#define ROWLESS_REG 1 /* register ModRM only */
#define ROWLESS_MEM 2 /* memory ModRM only */

struct rowless_gap {
	uint8_t map, op, regs, modrm_form;
	bool rep;
	struct fuzz_gap gap;
};

static const struct rowless_gap rowless_gaps[] = {
	{ 1, 0xc7, 0xc0, ROWLESS_REG, false, { NULL, 0, NULL, 0, "rdrand/rdseed", GAP_NATIVE, false,
	  "0F C7 /6 and /7 with a register ModRM are RDRAND and RDSEED (RDPID with F3) on the "
	  "host, #UD on a P6", FORM_REG } },
	{ 1, 0xc7, 0x10, ROWLESS_MEM, false, { NULL, 0, NULL, 0, "xsavec", GAP_NATIVE, false,
	  "0F C7 /4 with a memory ModRM is XSAVEC on the host, which writes the state area at "
	  "CPL 3; #UD on a P6", FORM_ANY } },
	{ 1, 0x0d, 0, ROWLESS_ANY, false, { NULL, 0, NULL, 0, "prefetchw", GAP_NATIVE, false,
	  "0F 0D is PREFETCH/PREFETCHW on the host (a hint that does nothing), #UD on a P6",
	  FORM_ANY } },
	{ 1, 0xb8, 0, ROWLESS_ANY, true, { NULL, 0, NULL, 0, "popcnt", GAP_NATIVE, false,
	  "F3 0F B8 is POPCNT on the host, #UD on a P6", FORM_REP } },
	{ 0, 0xc6, 0x80, ROWLESS_REG, false, { NULL, 0, NULL, 0, "xabort", GAP_NATIVE, false,
	  "C6 F8 ib is XABORT (RTM) on the host, a no-op outside a transaction; C6 /7 is #UD "
	  "on a P6", FORM_REG } },
	{ 0, 0xc7, 0x80, ROWLESS_REG, false, { NULL, 0, NULL, 0, "xbegin", GAP_NATIVE, false,
	  "C7 F8 rel is XBEGIN (RTM) on the host: a transaction, or a jump to its abort "
	  "address; C7 /7 is #UD on a P6", FORM_REG } },
};

static bool rowless_matches(const struct rowless_gap *g, const uint8_t *b, unsigned n,
			    unsigned k, bool rep)
{
	if (g->map) {
		if (k >= n || b[k] != 0x0f)
			return false;
		k++;
	}
	if (k >= n || b[k] != g->op || (g->rep && !rep))
		return false;
	if (!g->regs && g->modrm_form == ROWLESS_ANY)
		return true;
	if (k + 1 >= n)
		return false;
	bool reg = b[k + 1] >= 0xc0;
	if ((g->modrm_form == ROWLESS_REG && !reg) || (g->modrm_form == ROWLESS_MEM && reg))
		return false;
	return !g->regs || (g->regs >> ((b[k + 1] >> 3) & 7) & 1);
}

static const struct fuzz_gap *gap_rowless(const uint8_t *bytes, unsigned n, enum case_engine e)
{
	unsigned k = 0;
	bool rep = false;

	for (; k < n && byte_is_prefix(bytes[k]); k++)
		rep = bytes[k] == 0xf3 ? true : bytes[k] == 0xf2 ? false : rep;
	for (unsigned g = 0; g < sizeof(rowless_gaps) / sizeof(rowless_gaps[0]); g++)
		if ((rowless_gaps[g].gap.engines & gap_bit(e)) &&
		    rowless_matches(&rowless_gaps[g], bytes, n, k, rep))
			return &rowless_gaps[g].gap;
	return NULL;
}

/* A byte of the case's pages at a linear address (0 where none is declared). */
static uint8_t case_byte(const struct fuzz_case *fc, uint32_t lin)
{
	for (unsigned p = 0; p < fc->n_pages; p++)
		if (fc->page[p].lin == (lin & ~(uint32_t)(CASE_PAGE - 1)))
			return fc->page[p].data[lin & (CASE_PAGE - 1)];
	return 0;
}

static uint16_t case_word(const struct fuzz_case *fc, int seg, uint32_t off)
{
	uint32_t lin = fc->seg[seg].base + off;

	return (uint16_t)(case_byte(fc, lin) | case_byte(fc, lin + 1) << 8);
}

/* The word at seg:off as the CPU reads it now; 0 where that read faults. */
static uint16_t cpu_word(struct cpu *c, int seg, uint32_t off)
{
	jmp_buf env;
	jmp_buf *outer = c->exc_jmp;
	volatile uint16_t v = 0;

	c->exc_jmp = &env;
	if (!setjmp(env))
		v = (uint16_t)lin_read(c, c->seg[seg].base + off, 2, false);
	c->exc_jmp = outer;
	c->exc.vector = -1;
	return v;
}

/* The word at seg:off: the CPU's now (live), or the case's initial memory. */
static uint16_t gap_word(const struct fuzz_case *fc, struct cpu *live, int seg, uint32_t off)
{
	return live ? cpu_word(live, seg, off) : case_word(fc, seg, off);
}

/*
 * The selector a segment load or far transfer takes: from the CPU about
 * to run it (live, on the path interp takes), or else from the case's
 * initial state (an earlier instruction may still compute another).
 */
static uint16_t gap_loaded_selector(const struct fuzz_case *fc, struct cpu *live,
				    const struct insn *i)
{
	struct cpu c;
	const uint32_t *gpr = live ? live->gpr : fc->gpr;
	bool stack32 = ((live ? live->seg : fc->seg)[SR_SS].attr & 0x4000) != 0;

	memset(&c, 0, sizeof(c));
	memcpy(c.gpr, gpr, sizeof(c.gpr));
	if (i->desc->exec == op_pop_sreg)
		return gap_word(fc, live, SR_SS, stack32 ? gpr[ESP] : gpr[ESP] & 0xffff);
	if (i->desc->exec == op_ret_far || i->desc->exec == op_iret) /* CS above EIP */
		return gap_word(fc, live, SR_SS, stack32 ? gpr[ESP] + i->opsize
							 : (gpr[ESP] + i->opsize) & 0xffff);
	if (i->desc->operand[0] == OPF_Ap)
		return (uint16_t)i->imm2;
	if (!i->mem)
		return (uint16_t)gpr[i->rm];
	bool far_pointer = i->desc->operand[0] == OPF_Mp || i->desc->operand[1] == OPF_Mp;
	uint32_t ea = insn_ea(&c, i) + (far_pointer ? i->opsize : 0);
	return gap_word(fc, live, i->seg, i->adsize == 2 ? ea & 0xffff : ea);
}

/* Does the case define sel's GDT slot as the host does: flat, base 0? */
static bool case_defines_flat(const struct fuzz_case *fc, uint16_t sel)
{
	for (int s = 0; s < 6; s++)
		if ((fc->seg[s].sel & ~3) == (sel & ~3) && !fc->seg[s].base &&
		    fc->seg[s].limit == 0xffffffffu)
			return true;
	return false;
}

/*
 * A host DPL-3 GDT selector loads natively without a trap; the guest
 * must mean the same by it (de_adopt_selector), which a case can only do
 * for the flat 0x20/0x28 slots. So do the stub's own LDT slots (de's
 * copies of the guest's segments, DE_SEL_LDT: 0xffd4-0xffff). The selector is the one of the initial
 * state: an earlier instruction of the code may still compute another.
 */
static bool gap_loads_host_selector(const struct fuzz_case *fc, struct cpu *live,
				    const struct insn *i)
{
	uint16_t sel = gap_loaded_selector(fc, live, i) & ~3;

	if (sel == 0x30 || sel == 0x78 || (sel & ~3) >= (DE_SEL_LDT(0) & ~3))
		return true;
	return (sel == 0x20 || sel == 0x28) && !case_defines_flat(fc, sel);
}

/* The gap of the instruction decoded (st) from bytes, if any. */
static const struct fuzz_gap *gap_of(const struct fuzz_case *fc, struct cpu *live,
				     const struct insn *i,
				     enum decode_status st, const uint8_t *bytes, enum case_engine e)
{
	const struct fuzz_gap *g = i->desc ? gap_find(i->desc, e, fc->cpl) : NULL;
	const struct insn_desc *reg_row = gap_reg_form_row(bytes, i->len);

	if (!g && i->desc && (i->prefixes & P_REP))
		g = gap_find_form(i->desc, e, fc->cpl, FORM_REP);
	if (!g && reg_row && st != DECODE_OK)
		g = gap_find_form(reg_row, e, fc->cpl, FORM_REG);
	if (!g && st == DECODE_OK && gap_find_form(i->desc, e, fc->cpl, FORM_HOST_SEL) &&
	    gap_loads_host_selector(fc, live, i))
		g = gap_find_form(i->desc, e, fc->cpl, FORM_HOST_SEL);
	if (!g && st != DECODE_OK)
		g = gap_rowless(bytes, i->len, e);
	return g;
}

/*
 * What the engines fetch at the code: the code, the end marker, then
 * the page bytes after it. An instruction cut short by the end of the
 * code runs on into the marker, and is what they execute.
 */
static unsigned gap_image_bytes(const struct fuzz_case *fc, uint8_t *buf)
{
	uint32_t lin = case_code_lin(fc) + fc->code_len;
	unsigned n = fc->code_len + case_end_marker(fc, buf + fc->code_len);

	memcpy(buf, fc->code, fc->code_len);
	for (unsigned k = 0; k < GAP_TAIL; k++, n++)
		buf[n] = case_byte(fc, lin + (n - fc->code_len));
	return n;
}

#define GAP_STREAMS 32

/*
 * Where the engines may start decoding: the code's start and every
 * relative branch target (a forward branch can land inside another
 * instruction, or past the code in the end marker and the bytes after
 * it). cut[k] is where the code must end to keep stream k out of a gap
 * past the code: at the branch that leads there.
 */
struct gap_streams {
	unsigned start[GAP_STREAMS];
	int cut[GAP_STREAMS];
	unsigned n;
};

static void gap_add_stream(struct gap_streams *s, uint32_t target, int cut, unsigned n_bytes)
{
	if (target >= n_bytes || s->n == GAP_STREAMS)
		return;
	for (unsigned k = 0; k < s->n; k++)
		if (s->start[k] == target)
			return;
	s->start[s->n] = target;
	s->cut[s->n++] = cut;
}

static bool insn_is_relative_branch(const struct insn *i)
{
	for (int k = 0; k < 3; k++)
		if (i->desc->operand[k] == OPF_Jb || i->desc->operand[k] == OPF_Jz)
			return true;
	return false;
}

/*
 * The generator branches only forward, but a branch into the middle of
 * an instruction or into the end marker can decode as one going back
 * (LOOP, Jcc): a loop of up to 2^32 rounds, which the host finishes and
 * interp ends at its budget (fuzz seed 2 cases 896049, 904259).
 */
static const struct fuzz_gap gap_loop = {
	NULL, 0, NULL, 0, "backward branch", GAP_NATIVE | GAP_QEMU, false,
	"a relative branch back makes a loop that may run longer than interp's budget of "
	"100,000 instructions, which the other engine finishes", FORM_ANY
};

static bool insn_branches_back(const struct insn *i)
{
	return insn_is_relative_branch(i) && (int32_t)(i->len + i->imm) <= 0;
}

/* Stream k's first gap: where the code must end to avoid it, or -1. */
static int gap_scan_stream(const struct fuzz_case *fc, enum case_engine e, const uint8_t *buf,
			   unsigned n, struct gap_streams *s, unsigned k, const struct fuzz_gap **gap)
{
	struct insn i;

	for (unsigned at = s->start[k]; at < n; at += i.len) {
		if (at == fc->code_len)
			return -1; /* the end marker */
		enum decode_status st = decode_bytes(&i, fc->code32, buf + at, n - at, fc->eip + at);
		int cut = at < fc->code_len ? (int)at : s->cut[k];
		*gap = gap_of(fc, NULL, &i, st, buf + at, e);
		if (!*gap && st == DECODE_OK && insn_branches_back(&i) && (gap_loop.engines & gap_bit(e)))
			*gap = &gap_loop;
		if (*gap || st != DECODE_OK)
			return *gap ? cut : -1;
		if (insn_is_relative_branch(&i))
			gap_add_stream(s, at + i.len + i.imm, cut, n);
	}
	return -1;
}

/* Where fc's code must end to hold no gap for e (its first), or -1. */
static int gap_offset(const struct fuzz_case *fc, enum case_engine e, const struct fuzz_gap **gap)
{
	uint8_t buf[CASE_CODE_MAX + CASE_END_MARKER_MAX + GAP_TAIL];
	unsigned n = gap_image_bytes(fc, buf);
	struct gap_streams s = { { 0 }, { 0 }, 1 };
	const struct fuzz_gap *g;
	int best = -1;

	for (unsigned k = 0; k < s.n; k++) {
		int cut = gap_scan_stream(fc, e, buf, n, &s, k, &g);
		if (cut >= 0 && (best < 0 || cut < best)) {
			best = cut;
			*gap = g;
		}
	}
	return best;
}

const char *fuzz_case_gap(const struct fuzz_case *fc, enum case_engine e, const char **mnemonic)
{
	const struct fuzz_gap *g;

	if (gap_offset(fc, e, &g) < 0)
		return NULL;
	*mnemonic = g->name;
	return g->why;
}

/*
 * What the code turns into as it runs is beyond the scan: an indirect
 * branch into a data page, a store into the code ahead (fuzz seed 2:
 * REP STOS over itself leaving MMX bytes, ADD [EAX],AL run through a zero
 * page until its bytes spell SLDT). So a difference is checked on the
 * path interp takes, instruction by instruction as the bytes are then.
 */
struct path_look {
	const struct fuzz_case *fc;
	enum case_engine e;
	const struct fuzz_gap *gap;
};

static bool path_look_insn(void *ctx, struct cpu *c, const uint8_t *bytes, unsigned n)
{
	struct path_look *p = ctx;
	struct insn i;
	enum decode_status st = decode_bytes(&i, p->fc->code32, bytes, n, c->eip);

	p->gap = gap_of(p->fc, c, &i, st, bytes, p->e);
	return p->gap != NULL;
}

const char *fuzz_case_path_gap(struct case_runner *r, const struct fuzz_case *fc,
			       enum case_engine e, const char **mnemonic)
{
	struct path_look p = { fc, e, NULL };
	const char *why = fuzz_case_gap(fc, e, mnemonic);

	if (why || !gap_bit(e) || !case_run_watch(r, fc, path_look_insn, &p))
		return why;
	*mnemonic = p.gap->name;
	return p.gap->why;
}

/*
 * At CPL 0 a case may not take the harness apart: system-table, control-
 * register and cache instructions stay out (reading CRn/DRn is fine).
 */
static bool row_breaks_harness(const struct insn_desc *d, int cpl)
{
	return cpl == 0 && (d->attr & A_PRIV) && d->exec != op_mov_from_cr &&
	       d->exec != op_mov_from_dr;
}

static bool row_usable(const struct fuzz_target *t, const struct insn_desc *d, int cpl)
{
	if (row_breaks_harness(d, cpl))
		return false;
	for (int e = 0; e < CENG_COUNT; e++)
		if (t->engine[e] && gap_find(d, (enum case_engine)e, cpl))
			return false;
	return true;
}

/* ---- values ---- */

static const uint32_t gen_special[] = {
	0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000,
	0xffff, 0x10000, 0x7fffffff, 0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu,
};

static uint32_t gen_value(struct rng *r)
{
	uint32_t pick = rng_below(r, 10);

	if (pick < 4)
		return gen_special[rng_below(r, sizeof(gen_special) / sizeof(gen_special[0]))];
	if (pick < 6)
		return rng_below(r, 256);
	return (uint32_t)rng_next(r);
}

/* ---- the generator's state for one case ---- */

struct gen {
	struct rng r;
	struct fuzz_case *fc;
	const struct fuzz_target *t;
	bool native;
	bool fixed;          /* a memory operand was aimed already */
};

/* An address in a data page, often at its end so operands cross it. */
static uint32_t gen_target(struct gen *g)
{
	const struct fuzz_case *fc = g->fc;
	const struct case_page *p = &fc->page[2 + rng_below(&g->r, fc->n_pages - 2)];
	uint32_t pick = rng_below(&g->r, 10);

	if (pick < 4)
		return p->lin + CASE_PAGE - 1 - rng_below(&g->r, 8);
	if (pick < 5)
		return p->lin + rng_below(&g->r, 8);
	return p->lin + rng_below(&g->r, CASE_PAGE);
}

static void gen_bytes(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned k = 0; k < n; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

/* ---- pages, registers, segments, flags ---- */

static void gen_fill_windows(struct gen *g, struct case_page *p)
{
	for (int w = 0; w < 3; w++) {
		uint32_t at = rng_chance(&g->r, 50) ? CASE_PAGE - 32 : rng_below(&g->r, CASE_PAGE - 32);
		for (int k = 0; k < 32; k++)
			p->data[at + k] = (uint8_t)gen_value(&g->r);
	}
}

static uint8_t gen_perm(struct gen *g)
{
	uint32_t pick = rng_below(&g->r, 20);

	return pick < 14 ? CPERM_U | CPERM_W : pick < 17 ? CPERM_U : CPERM_W;
}

static void gen_pages(struct gen *g)
{
	static const uint32_t data_at[] = { 0x00600000, 0x00601000, 0x00605000, 0x00a00000,
					    0x7ffff000, 0xfffff000 };
	struct fuzz_case *fc = g->fc;
	unsigned n = 1 + rng_below(&g->r, 3);

	case_add_page(fc, GEN_CODE, CPERM_U | CPERM_W);
	/* at CPL 0 the entry frame lives below ESP: the stack stays writable */
	case_add_page(fc, GEN_STACK,
		      rng_chance(&g->r, 95) || !fc->cpl ? CPERM_U | CPERM_W : CPERM_U);
	for (unsigned k = 0; k < n; k++) {
		uint32_t at = data_at[rng_below(&g->r, fc->paging ? 6 : 4)];
		struct case_page *p = case_add_page(fc, at, gen_perm(g));
		if (p)
			gen_fill_windows(g, p);
	}
	if (fc->n_pages == 2)
		case_add_page(fc, data_at[0], CPERM_U | CPERM_W);
}

static void gen_regs(struct gen *g)
{
	struct fuzz_case *fc = g->fc;
	uint32_t pick = rng_below(&g->r, 20);

	for (int r = 0; r < 8; r++)
		fc->gpr[r] = rng_chance(&g->r, 40) ? gen_target(g) : gen_value(&g->r);
	fc->gpr[ESP] = pick == 0 ? GEN_STACK + rng_below(&g->r, 8)
		       : pick == 1 ? GEN_STACK + CASE_PAGE - rng_below(&g->r, 4)
				   : GEN_STACK + CASE_PAGE - 4 * rng_below(&g->r, 32);
	if (fc->cpl == 0 && fc->gpr[ESP] < GEN_STACK + 12)
		fc->gpr[ESP] += 12;
}

static void gen_flags(struct gen *g)
{
	struct fuzz_case *fc = g->fc;
	uint32_t f = F_FIXED1 | F_IF | ((uint32_t)rng_next(&g->r) & (F_ARITH | F_DF));

	if (rng_chance(&g->r, 5))
		f |= F_AC;
	/* de runs neither natively (de_exact); at CPL 0 QEMU's entry would trap */
	if (rng_chance(&g->r, 2) && fc->cpl && !g->native)
		f |= F_TF;
	if (rng_chance(&g->r, 3) && !g->native)
		f |= F_NT;
	if (!g->native && rng_chance(&g->r, 20))
		f = (f & ~(F_IF | F_IOPL)) | ((uint32_t)rng_next(&g->r) & (F_IF | F_IOPL));
	fc->eflags = f;
}

/* A data segment that ends or starts near an operand: limits get tested. */
static void gen_segment(struct gen *g, int s)
{
	static const uint8_t types[] = { 0x3, 0x3, 0x1, 0x7, 0x5, 0xb };
	struct seg *sg = &g->fc->seg[s];
	uint32_t cpl = g->fc->cpl;
	uint8_t type = s == SR_SS ? (rng_chance(&g->r, 70) ? 0x3 : 0x7)
				  : types[rng_below(&g->r, sizeof(types))];
	uint32_t base = rng_chance(&g->r, 50) ? 0 : g->fc->page[2].lin - rng_below(&g->r, 64);

	sg->sel = (uint16_t)((0x40 + 8 * s) | cpl);
	sg->attr = (uint16_t)(0x4000 | 0x80 | (cpl << 5) | 0x10 | type);
	sg->base = base;
	sg->limit = (gen_target(g) - base + rng_below(&g->r, 8) - 4) & 0xfffff;
}

static void gen_segments(struct gen *g)
{
	if (!rng_chance(&g->r, 15))
		return;
	int s = (int)rng_below(&g->r, 5);
	/* CS stays flat; so does SS at CPL 0, where the entry frame is on it */
	gen_segment(g, s == SR_CS || (s == SR_SS && !g->fc->cpl) ? SR_DS : s);
}

/* ---- instructions ---- */

static const uint8_t seg_prefixes[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

/* F2/F3 would make it another instruction on some target engine. */
static bool rep_is_gap(const struct gen *g, const struct insn_desc *d)
{
	for (int e = 0; e < CENG_COUNT; e++)
		if (g->t->engine[e] && gap_find_form(d, (enum case_engine)e, g->fc->cpl, FORM_REP))
			return true;
	return false;
}

static unsigned gen_prefixes(struct gen *g, const struct insn_desc *d, uint8_t *out,
			     bool *op16, bool *ad16)
{
	unsigned n = 0;

	*op16 = !g->fc->code32;
	*ad16 = !g->fc->code32;
	if (rng_chance(&g->r, 12)) {
		out[n++] = 0x66;
		*op16 = !*op16;
	}
	if (rng_chance(&g->r, 8)) {
		out[n++] = 0x67;
		*ad16 = !*ad16;
	}
	if (rng_chance(&g->r, 12))
		out[n++] = seg_prefixes[rng_below(&g->r, 6)];
	if (((d->attr & (A_REP | A_REPCC)) && rng_chance(&g->r, 60)) ||
	    (rng_chance(&g->r, 2) && !rep_is_gap(g, d)))
		out[n++] = rng_chance(&g->r, 50) ? 0xf3 : 0xf2;
	if (((d->attr & A_LOCK) && rng_chance(&g->r, 25)) || rng_chance(&g->r, 2))
		out[n++] = 0xf0;
	return n;
}

static bool row_has_operand(const struct insn_desc *d, enum operand_form f)
{
	return d->operand[0] == f || d->operand[1] == f || d->operand[2] == f;
}

static uint8_t gen_reg_field(struct gen *g, const struct insn_desc *d)
{
	static const uint8_t crs[] = { 0, 2, 3, 4 };

	if (d->ext != EXT_NONE)
		return (uint8_t)((d->ext & 0x40) ? (d->ext >> 3) & 7 : d->ext & 7);
	if (row_has_operand(d, OPF_Sw) && rng_chance(&g->r, 95))
		return (uint8_t)rng_below(&g->r, 6);
	if (row_has_operand(d, OPF_Cd) && rng_chance(&g->r, 95))
		return crs[rng_below(&g->r, 4)];
	return (uint8_t)rng_below(&g->r, 8);
}

static uint8_t gen_mod(struct gen *g, const struct insn_desc *d)
{
	int kind = d->ext == EXT_NONE ? 0 : d->ext & 0x70;

	if (kind == 0x20 || kind == 0x40 || row_has_operand(d, OPF_Rd))
		return 3;
	if (kind == 0x10 || (d->attr & A_MEMONLY))
		return rng_chance(&g->r, 97) ? (uint8_t)rng_below(&g->r, 3) : 3;
	return rng_chance(&g->r, 50) ? 3 : (uint8_t)rng_below(&g->r, 3);
}

/* A displacement: small, or the whole address of a target. */
static uint32_t gen_disp(struct gen *g, bool absolute)
{
	if (absolute)
		return gen_target(g) - g->fc->seg[SR_DS].base;
	return rng_chance(&g->r, 70) ? rng_below(&g->r, 33) - 16u : gen_value(&g->r);
}

static unsigned gen_address(struct gen *g, uint8_t mod, uint8_t *rm, bool ad16, uint8_t *out)
{
	unsigned n = 0, dsize = mod == 1 ? 1 : mod == 2 ? (ad16 ? 2 : 4) : 0;

	*rm = (uint8_t)rng_below(&g->r, 8);
	if (!ad16 && *rm == 4) {
		uint8_t sib = (uint8_t)rng_next(&g->r);
		out[n++] = sib;
		if ((sib & 7) == 5 && mod == 0)
			dsize = 4;
	}
	if (mod == 0 && *rm == (ad16 ? 6 : 5))
		dsize = ad16 ? 2 : 4;
	gen_bytes(out + n, dsize, gen_disp(g, mod == 0));
	return n + dsize;
}

static unsigned gen_modrm(struct gen *g, const struct insn_desc *d, bool ad16, uint8_t *out)
{
	uint8_t reg = gen_reg_field(g, d), mod = gen_mod(g, d), rm;
	unsigned n = 1;

	if (d->ext != EXT_NONE && (d->ext & 0x40))
		rm = d->ext & 7;
	else if (mod == 3)
		rm = (uint8_t)rng_below(&g->r, 8);
	else
		n += gen_address(g, mod, &rm, ad16, out + 1);
	out[0] = (uint8_t)(mod << 6 | reg << 3 | rm);
	return n;
}

static unsigned imm_size(enum operand_form f, bool op16, bool ad16)
{
	switch (f) {
	case OPF_Ib: case OPF_Ibs: case OPF_Jb: return 1;
	case OPF_Iw: return 2;
	case OPF_Iv: case OPF_Jz: return op16 ? 2 : 4;
	case OPF_Ap: return op16 ? 4 : 6;
	case OPF_Ob: case OPF_Ov: return ad16 ? 2 : 4;
	default: return 0;
	}
}

/* Branches only forward: a loop would never end natively. */
static uint32_t gen_imm(struct gen *g, const struct insn_desc *d, enum operand_form f)
{
	static const uint8_t err_vectors[] = { 8, 10, 11, 12, 13, 14, 17 };

	if (f == OPF_Jb || f == OPF_Jz)
		return rng_below(&g->r, 12);
	if (f == OPF_Ob || f == OPF_Ov)
		return gen_target(g) - g->fc->seg[SR_DS].base;
	if (d->exec == op_int && g->fc->cpl == 0) {
		uint32_t v = gen_value(&g->r) & 0xff;
		return memchr(err_vectors, (int)v, sizeof(err_vectors)) ? 0x40 : v;
	}
	return gen_value(&g->r);
}

static unsigned gen_encode(struct gen *g, const struct insn_desc *d, uint8_t *out)
{
	bool op16, ad16;
	unsigned n = gen_prefixes(g, d, out, &op16, &ad16);

	if (d->map)
		out[n++] = 0x0f;
	out[n++] = (uint8_t)(d->opcode + (INSN_IS_ZFORM(d) ? rng_below(&g->r, 8) : 0));
	if (d->modrm)
		n += gen_modrm(g, d, ad16, out + n);
	for (int k = 0; k < 3; k++) {
		enum operand_form f = d->operand[k];
		unsigned sz = imm_size(f, op16, ad16);
		uint64_t v = gen_imm(g, d, f);
		if (f == OPF_Ap) /* the selector after the offset */
			v = (op16 ? v & 0xffff : v) | (uint64_t)(gen_value(&g->r) & 0xffff) << (op16 ? 16 : 32);
		gen_bytes(out + n, sz, v);
		n += sz;
	}
	return n;
}

/* ---- aiming the memory operand ---- */

static const int8_t ea16_base[8] = { EBX, EBX, EBP, EBP, -1, -1, EBP, EBX };
static const int8_t ea16_index[8] = { ESI, EDI, ESI, EDI, ESI, EDI, -1, -1 };

/* The register that decides i's address (and its scale); -1 if none. */
static int ea_register(const struct insn *i, uint32_t *scale)
{
	*scale = 1;
	if (i->adsize == 2)
		return i->mod == 0 && i->rm == 6 ? -1
		       : ea16_base[i->rm] >= 0 ? ea16_base[i->rm] : ea16_index[i->rm];
	if (!i->has_sib)
		return i->mod == 0 && i->rm == 5 ? -1 : i->rm;
	if ((i->sib & 7) != 5 || i->mod != 0)
		return i->sib & 7;
	*scale = 1u << (i->sib >> 6);
	return ((i->sib >> 3) & 7) == 4 ? -1 : (i->sib >> 3) & 7;
}

/* Set the deciding register so the operand lands on a target. */
static void gen_aim(struct gen *g, const struct insn *i)
{
	struct cpu c;
	uint32_t scale, target, ea;
	int r = ea_register(i, &scale);

	if (r < 0 || !rng_chance(&g->r, 85))
		return;
	memset(&c, 0, sizeof(c));
	memcpy(c.gpr, g->fc->gpr, sizeof(c.gpr));
	c.gpr[r] = 0;
	ea = insn_ea(&c, i);
	target = gen_target(g) - g->fc->seg[i->seg].base;
	g->fc->gpr[r] = (target - ea) / scale;
	g->fixed = true;
}

/* String operands and counts. */
static void gen_aim_string(struct gen *g, const struct insn_desc *d)
{
	if (row_has_operand(d, OPF_Xb) || row_has_operand(d, OPF_Xv))
		g->fc->gpr[ESI] = gen_target(g) - g->fc->seg[SR_DS].base;
	if (row_has_operand(d, OPF_Yb) || row_has_operand(d, OPF_Yv))
		g->fc->gpr[EDI] = gen_target(g) - g->fc->seg[SR_ES].base;
	if (d->attr & (A_REP | A_REPCC))
		g->fc->gpr[ECX] = rng_chance(&g->r, 80) ? rng_below(&g->r, 16) : gen_value(&g->r);
}

/* ---- putting a case together ---- */

struct row_list {
	uint16_t row[2048];
	unsigned n;
};

static void rows_collect(const struct fuzz_target *t, int cpl, struct row_list *l)
{
	l->n = 0;
	for (unsigned k = 0; k < insn_table_len && l->n < 2048; k++)
		if (row_usable(t, &insn_table[k], cpl))
			l->row[l->n++] = (uint16_t)k;
}

/* Appends one instruction; false when the code is full or ended in a fault. */
static bool gen_append(struct gen *g, const struct row_list *rows)
{
	const struct insn_desc *d = &insn_table[rows->row[rng_below(&g->r, rows->n)]];
	struct fuzz_case *fc = g->fc;
	uint8_t buf[32];
	unsigned n = gen_encode(g, d, buf);
	struct insn i;

	if (fc->code_len + n >= CASE_CODE_MAX - 1)
		return false;
	memcpy(fc->code + fc->code_len, buf, n);
	fc->code_len += n;
	if (decode_bytes(&i, fc->code32, buf, n, fc->eip + fc->code_len - n) != DECODE_OK)
		return false;
	if (i.len < n)
		fc->code_len -= n - i.len;
	if (i.mem && !g->fixed)
		gen_aim(g, &i);
	gen_aim_string(g, d);
	return true;
}

/*
 * Anything at all: random bytes, wherever they lead (wild jumps, loops,
 * stores into the code, gap instructions). The gaps on the path are
 * judged after the run, by the path interp took (fuzz_case_path_gap).
 */
static void gen_random_code(struct gen *g)
{
	struct fuzz_case *fc = g->fc;

	fc->code_len = 1 + rng_below(&g->r, GEN_BYTES_MAX);
	for (unsigned k = 0; k < fc->code_len; k++)
		fc->code[k] = (uint8_t)rng_next(&g->r);
}

static int gen_pick_cpl(struct gen *g)
{
	if (g->native || g->t->cpl == 3)
		return 3;
	if (g->t->cpl == 0)
		return 0;
	return rng_chance(&g->r, 50) ? 0 : 3;
}

static void gen_code_place(struct gen *g)
{
	struct fuzz_case *fc = g->fc;

	fc->eip = GEN_CODE + (rng_chance(&g->r, 85) ? rng_below(&g->r, 0x200)
						    : CASE_PAGE - 1 - rng_below(&g->r, 12));
	if (fc->eip + CASE_CODE_MAX >= GEN_CODE + CASE_PAGE)
		case_add_page(fc, GEN_CODE + CASE_PAGE,
			      rng_chance(&g->r, 80) ? CPERM_U | CPERM_W : CPERM_W);
	/* 16-bit code: IP is 16 bits, so the segment starts at the code page. */
	if (!fc->code32) {
		fc->seg[SR_CS].attr &= (uint16_t)~0x4000;
		fc->seg[SR_CS].base = GEN_CODE;
		fc->eip -= GEN_CODE;
	}
}

/*
 * Rows with a gap are never picked, but prefixes and the decoder can still
 * spell one (a WAIT before FNSTENV, bytes after a shorter decode, a
 * branch into the middle of an instruction, an instruction that runs
 * into the end marker): the code ends before it.
 */
static void gen_cut_gaps(struct gen *g)
{
	const struct fuzz_gap *gap;
	bool cut;

	/* a cut moves the end marker, which can make a new gap: again until none */
	do {
		cut = false;
		for (int e = 0; e < CENG_COUNT; e++) {
			int at = g->t->engine[e] ? gap_offset(g->fc, (enum case_engine)e, &gap) : -1;
			if (at >= 0) {
				g->fc->code_len = (unsigned)at;
				cut = true;
			}
		}
	} while (cut && g->fc->code_len);
}

void fuzz_gen_case(const struct fuzz_target *t, uint64_t seed, uint64_t index,
		   struct fuzz_case *fc)
{
	static struct row_list rows[2];
	static const struct fuzz_target *rows_for;
	struct gen g = { { seed * 0x100000001b3ull ^ index * 0x9e3779b97f4a7c15ull }, fc, t,
			 t->engine[CENG_NATIVE], false };
	unsigned count = 1 + (rng_chance(&g.r, 40) ? rng_below(&g.r, 4) : 0);

	if (rows_for != t) {
		rows_collect(t, 0, &rows[0]);
		rows_collect(t, 3, &rows[1]);
		rows_for = t;
	}
	case_init(fc, gen_pick_cpl(&g));
	fc->paging = g.native || rng_chance(&g.r, 90);
	fc->code32 = g.native || rng_chance(&g.r, 85);
	gen_pages(&g);
	gen_code_place(&g);
	gen_regs(&g);
	gen_flags(&g);
	gen_segments(&g);
	if (t->bytes) {
		gen_random_code(&g);
	} else {
		for (unsigned k = 0; k < count && gen_append(&g, &rows[fc->cpl == 3]); k++)
			;
		gen_cut_gaps(&g);
	}
	snprintf(fc->note, sizeof(fc->note), "fuzz%s seed %llu case %llu", t->bytes ? " --bytes" : "",
		 (unsigned long long)seed, (unsigned long long)index);
}
