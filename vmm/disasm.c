/*
 * Disassembly for people, through Capstone: one handle per code size,
 * opened on first use and kept for the life of the process.
 */
#include <capstone/capstone.h>
#include <pthread.h>
#include <stdio.h>

#include "disasm.h"

static csh handles[2];
static bool opened[2];
static pthread_once_t disasm_once = PTHREAD_ONCE_INIT;

static void disasm_open(void)
{
	opened[0] = cs_open(CS_ARCH_X86, CS_MODE_16, &handles[0]) == CS_ERR_OK;
	opened[1] = cs_open(CS_ARCH_X86, CS_MODE_32, &handles[1]) == CS_ERR_OK;
}

int disasm_format(const uint8_t *bytes, unsigned len, uint32_t eip, bool code32,
		  char *out, size_t outlen)
{
	cs_insn *insn = NULL;
	int n = 0;

	pthread_once(&disasm_once, disasm_open);
	if (opened[code32] && cs_disasm(handles[code32], bytes, len, eip, 1, &insn) == 1) {
		if (insn->op_str[0])
			snprintf(out, outlen, "%s %s", insn->mnemonic, insn->op_str);
		else
			snprintf(out, outlen, "%s", insn->mnemonic);
		n = insn->size;
		cs_free(insn, 1);
		return n;
	}
	snprintf(out, outlen, "(bad)");
	return 0;
}
