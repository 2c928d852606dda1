/*
 * Specifications of test cases: the text format reads back what it
 * writes and names the line of bad input; a case runs to its first
 * exception on interp; two runs agree and a corrupted state does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/case.h"
#include "harness/case_run.h"

static struct fuzz_case fc, back;
static struct case_state s1, s2;
static struct case_runner *runner;

/* A CPL 3 case with a code page, a stack page and a data page. */
static void make_case(const char *code_hex)
{
	uint8_t *b = fc.code;

	case_init(&fc, 3);
	case_add_page(&fc, fc.eip, CPERM_U | CPERM_W);
	case_add_page(&fc, 0x00402000, CPERM_U | CPERM_W);
	case_add_page(&fc, 0x00500000, CPERM_U);
	fc.page[2].data[0x10] = 0x5a;
	fc.code_len = 0;
	for (const char *p = code_hex; *p; p += 2)
		*b++ = (uint8_t)strtoul((char[3]){ p[0], p[1], 0 }, NULL, 16), fc.code_len++;
}

static int read_text(const char *text, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = case_read(f, "t.case", &back, err, errlen);

	fclose(f);
	return rc;
}

static void test_format_reads_back_what_it_writes(void **state)
{
	char *buf = NULL, err[200];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	make_case("01d8");
	fc.gpr[EBX] = 0xdeadbeef;
	snprintf(fc.note, sizeof(fc.note), "add eax, ebx");
	assert_int_equal(case_write(f, &fc), 0);
	fclose(f);
	assert_int_equal(read_text(buf, err, sizeof(err)), 0);
	assert_memory_equal(&fc, &back, sizeof(fc));
	free(buf);
}

static void test_format_names_the_bad_line(void **state)
{
	char err[200];

	(void)state;
	assert_int_equal(read_text("cpl 3\n\nfrobnicate 1\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.case:3: unknown key 'frobnicate'"));
	assert_int_equal(read_text("eax 0x1zz\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.case:1: bad number"));
	assert_int_equal(read_text("page 0x1000 urw\ndata 0x3000 00\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.case:2: data at 0x00003000: no page"));
	assert_int_equal(read_text("code 90\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "declared pages"));
}

static void test_case_ends_at_the_end_marker_with_gp0(void **state)
{
	(void)state;
	make_case("01d8"); /* add eax, ebx */
	fc.gpr[EAX] = 5;
	fc.gpr[EBX] = 7;
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.end, CEND_EXCEPTION);
	assert_int_equal(s1.vector, EXC_GP);
	assert_int_equal(s1.err, 0);
	assert_int_equal(s1.eip, fc.eip + 2);
	assert_int_equal(s1.gpr[EAX], 12);
	assert_int_equal(s1.gpr[ESP], fc.gpr[ESP]);
	assert_int_equal(s1.sel[SR_CS], fc.seg[SR_CS].sel);
	assert_int_equal(s1.eflags & (F_ARITH | F_IF), F_PF | F_IF);
}

static void test_page_fault_reports_vector_error_code_and_cr2(void **state)
{
	(void)state;
	make_case("a110005000"); /* mov eax, [0x500010]: fine */
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.gpr[EAX], 0x5a);
	make_case("a310005000"); /* mov [0x500010], eax: read-only page */
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.vector, EXC_PF);
	assert_int_equal(s1.err, PF_P | PF_W | PF_U);
	assert_int_equal(s1.cr2, 0x500010);
	assert_int_equal(s1.eip, fc.eip);
}

static void test_stores_show_in_the_final_memory(void **state)
{
	(void)state;
	make_case("50"); /* push eax */
	fc.gpr[EAX] = 0x11223344;
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.gpr[ESP], fc.gpr[ESP] - 4);
	assert_int_equal(s1.mem[1][0xffc], 0x44);
	assert_int_equal(s1.mem[1][0xfff], 0x11);
}

static void test_two_interp_runs_agree_and_corruption_is_seen(void **state)
{
	struct case_mask mask = { 0 };
	struct case_diff d;

	(void)state;
	make_case("0fafc3f7f3"); /* imul eax, ebx; div ebx */
	fc.gpr[EAX] = 0x12345;
	fc.gpr[EBX] = 0x777;
	case_run(runner, CENG_INTERP, &fc, &s1);
	case_run(runner, CENG_INTERP, &fc, &s2);
	assert_int_equal(case_compare(&s1, &s2, &mask, &d), 0);
	s2.eflags ^= F_OF;
	assert_int_equal(case_compare(&s1, &s2, &mask, &d), 1);
	assert_string_equal(d.what, "eflags.OF");
	s2.eflags ^= F_OF;
	s2.mem[1][7] ^= 1;
	assert_int_equal(case_compare(&s1, &s2, &mask, &d), 1);
	assert_string_equal(d.what, "mem 0x00402007");
}

static void test_int_n_from_ring3(void **state)
{
	(void)state;
	make_case("cd80"); /* int 0x80: gate DPL 3 */
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.vector, 0x80);
	assert_int_equal(s1.eip, fc.eip + 2);
	make_case("cd0e"); /* int 0x0e: gate DPL 0, #GP(0x0e*8+2) */
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.vector, EXC_GP);
	assert_int_equal(s1.err, 0x0e * 8 + 2);
}

static void test_ring0_case_ends_with_ud_at_the_end_marker(void **state)
{
	(void)state;
	case_init(&fc, 0);
	case_add_page(&fc, fc.eip, CPERM_W);
	case_add_page(&fc, 0x00402000, CPERM_W);
	fc.code[0] = 0x40; /* inc eax */
	fc.code_len = 1;
	fc.eflags = 0x2;
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.vector, EXC_UD);
	assert_int_equal(s1.eip, fc.eip + 1);
	assert_int_equal(s1.gpr[EAX], 1);
	/* the #UD frame on the case's stack, over the entry frame */
	assert_int_equal(s1.mem[1][0xff4], 0x01);
	assert_int_equal(s1.mem[1][0xff5], 0x10);
	fc.code[0] = 0xcc; /* int3: frame on the case's own stack */
	case_run(runner, CENG_INTERP, &fc, &s1);
	assert_int_equal(s1.vector, EXC_BP);
	assert_int_equal(s1.eip, fc.eip + 1);
	assert_int_equal(s1.gpr[ESP], fc.gpr[ESP]);
}

/* The host CPU as the reference: where direct execution is linked in. */
static void test_native_agrees_with_interp_on_plain_cases(void **state)
{
	static const char *const codes[] = { "01d8", "50", "a310005000", "0fafc3f7f3", "cd80" };
	struct case_mask mask = { 0 };
	struct case_diff d;
	char why[320];

	(void)state;
	if (!case_engine_available(runner, CENG_NATIVE, why, sizeof(why)))
		skip();
	for (unsigned k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		make_case(codes[k]);
		fc.gpr[EAX] = 0x12345;
		fc.gpr[EBX] = 0x777;
		case_run(runner, CENG_INTERP, &fc, &s1);
		case_run(runner, CENG_NATIVE, &fc, &s2);
		if (case_compare(&s1, &s2, &mask, &d))
			fail_msg("code %s: %s differs (interp 0x%x, native 0x%x)", codes[k], d.what,
				 d.a, d.b);
	}
}

static int setup(void **state)
{
	char err[200];

	(void)state;
	runner = case_runner_new(err, sizeof(err));
	return runner ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	case_runner_free(runner);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_reads_back_what_it_writes),
		cmocka_unit_test(test_format_names_the_bad_line),
		cmocka_unit_test(test_case_ends_at_the_end_marker_with_gp0),
		cmocka_unit_test(test_page_fault_reports_vector_error_code_and_cr2),
		cmocka_unit_test(test_stores_show_in_the_final_memory),
		cmocka_unit_test(test_two_interp_runs_agree_and_corruption_is_seen),
		cmocka_unit_test(test_int_n_from_ring3),
		cmocka_unit_test(test_ring0_case_ends_with_ud_at_the_end_marker),
		cmocka_unit_test(test_native_agrees_with_interp_on_plain_cases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
