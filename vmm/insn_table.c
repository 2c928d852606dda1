/*
 * The instruction table built from insn.def and insn_x87.def, and the
 * index the decoder uses to go from an opcode (and its ModRM byte) to a
 * row in a few loads: one list of candidate rows per map, opcode and
 * ModRM.reg, the most specific rows first.
 */
#include <assert.h>
#include <pthread.h>

#include "cpu.h"
#include "insn.h"
#include "interp.h"
#if __has_include("fpu.h")
#include "fpu.h"
#endif

/*
 * Handlers are referenced weakly: a handler nobody has written yet is a
 * NULL exec, reported by name at run time, instead of a link failure.
 */
#define INSN_PRAGMA(x) _Pragma(#x)
#define INSN_WEAK(name) INSN_PRAGMA(weak op_##name)
INTERP_HANDLERS(INSN_WEAK)
#ifdef FPU_HANDLERS
FPU_HANDLERS(INSN_WEAK)
#endif
#undef INSN_WEAK

#define INSN(mn, h, map_, op, ext_, modrm_, o1, o2, o3, fr, fw, fu, attr_) \
	{ .mnemonic = #mn, .exec = op_##h, .map = map_, .opcode = op, .ext = ext_, \
	  .modrm = modrm_, .operand = { OPF_##o1, OPF_##o2, OPF_##o3 }, \
	  .flags_read = (fr), .flags_written = (fw), .flags_undefined = (fu), .attr = (attr_) },

const struct insn_desc insn_table[] = {
#include "insn.def"
#include "insn_x87.def"
};
#undef INSN

#define TABLE_LEN (sizeof(insn_table) / sizeof(insn_table[0]))
const unsigned insn_table_len = TABLE_LEN;

/*
 * The index: every (map, opcode, ModRM.reg, rank) key owns a run of
 * index_rows, laid out in key order, so the rows of one map/opcode/reg
 * are contiguous with the most specific rank first. Rows without a ModRM
 * use reg 0. Built once by a counting sort over the table.
 */
enum { RANKS = 3, KEYS = 2 * 256 * 8 * RANKS };

/* A row lands in at most 8 opcodes (Z forms) or 8 reg values (EXT_NONE). */
static uint16_t index_rows[8 * TABLE_LEN];
static uint16_t index_start[KEYS + 1];
static uint8_t kinds[2][256];
static bool exact[2][256];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* 0 for the most specific (one ModRM value) .. 2 for any ModRM. */
static unsigned ext_rank(int ext)
{
	if (ext == EXT_NONE || ext < 8)
		return 2;
	return (ext & 0x40) ? 0 : 1;
}

static unsigned ext_reg(int ext)
{
	return (ext & 0x40) ? (ext >> 3) & 7 : ext & 7;
}

static unsigned index_key(unsigned map, unsigned op, unsigned reg, unsigned rank)
{
	return ((map * 256 + op) * 8 + reg) * RANKS + rank;
}

typedef void index_visit_fn(unsigned key, unsigned row);

/* Call fn for every key row r belongs to. */
static void index_row_keys(unsigned r, index_visit_fn *fn)
{
	const struct insn_desc *d = &insn_table[r];
	unsigned span = INSN_IS_ZFORM(d) ? 8 : 1, rank = ext_rank(d->ext);

	for (unsigned op = d->opcode; op < d->opcode + span; op++) {
		if (op != d->opcode && exact[d->map][op])
			continue;
		if (!d->modrm)
			fn(index_key(d->map, op, 0, rank), r);
		else if (d->ext != EXT_NONE)
			fn(index_key(d->map, op, ext_reg(d->ext), rank), r);
		else
			for (unsigned reg = 0; reg < 8; reg++)
				fn(index_key(d->map, op, reg, rank), r);
	}
}

static void index_count(unsigned key, unsigned row)
{
	const struct insn_desc *d = &insn_table[row];
	unsigned op = key / (8 * RANKS) % 256;
	uint8_t kind = d->modrm ? OPK_MODRM : OPK_PLAIN;

	/* All rows of one opcode agree on having a ModRM. */
	assert(kinds[d->map][op] == OPK_INVALID || kinds[d->map][op] == kind);
	kinds[d->map][op] = kind;
	index_start[key + 1]++;
}

static void index_place(unsigned key, unsigned row)
{
	static uint16_t filled[KEYS];

	index_rows[index_start[key] + filled[key]++] = row;
}

static void index_build(void)
{
	for (unsigned r = 0; r < TABLE_LEN; r++)
		exact[insn_table[r].map][insn_table[r].opcode] = true;
	for (unsigned r = 0; r < TABLE_LEN; r++)
		index_row_keys(r, index_count);
	for (unsigned k = 0; k < KEYS; k++)
		index_start[k + 1] += index_start[k];
	for (unsigned r = 0; r < TABLE_LEN; r++)
		index_row_keys(r, index_place);
}

enum insn_opcode_kind insn_table_kind(unsigned map, uint8_t op)
{
	pthread_once(&index_once, index_build);
	return kinds[map & 1][op];
}

/* Does the row's extension accept this ModRM (reg already matched)? */
static bool ext_accepts(int ext, uint8_t modrm)
{
	bool reg_form = (modrm >> 6) == 3;

	if (ext == EXT_NONE || ext < 8)
		return true;
	if (ext & 0x40)
		return reg_form && (modrm & 7) == (ext & 7);
	return (ext & 0x20) ? reg_form : !reg_form;
}

const struct insn_desc *insn_table_match(unsigned map, uint8_t op, uint8_t modrm)
{
	unsigned reg, key;

	pthread_once(&index_once, index_build);
	reg = kinds[map & 1][op] == OPK_MODRM ? (modrm >> 3) & 7 : 0;
	key = index_key(map & 1, op, reg, 0);
	for (unsigned n = index_start[key]; n < index_start[key + RANKS]; n++) {
		const struct insn_desc *d = &insn_table[index_rows[n]];
		if (ext_accepts(d->ext, modrm))
			return d;
	}
	return NULL;
}
