/*
 * Specifications of the command-line value parsers (harness/opts.c) that
 * take QEMU's spellings: -rtc base=...
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "harness/harness.h"

static void rtc_base_takes_a_utc_date_and_time(void **state)
{
	int64_t t = 0;
	(void)state;
	assert_int_equal(parse_rtc_base("base=2030-05-06T07:08:09", &t), 0);
	assert_int_equal(t, 1904281689);
	assert_int_equal(parse_rtc_base("base=1970-01-01T00:00:00", &t), 0);
	assert_int_equal(t, 0);
}

static void rtc_base_takes_a_date_at_midnight(void **state)
{
	int64_t t = 0;
	(void)state;
	assert_int_equal(parse_rtc_base("base=2026-01-01", &t), 0);
	assert_int_equal(t, 1767225600);
}

static void rtc_base_utc_is_the_host_time_now(void **state)
{
	int64_t t = 0;
	int64_t before = (int64_t)time(NULL);
	(void)state;
	assert_int_equal(parse_rtc_base("base=utc", &t), 0);
	assert_true(t >= before && t <= (int64_t)time(NULL));
	assert_int_equal(parse_rtc_base("base=localtime", &t), 0);
}

static void rtc_rejects_other_forms(void **state)
{
	int64_t t = 7;
	(void)state;
	assert_int_equal(parse_rtc_base("2030-05-06T07:08:09", &t), -1);
	assert_int_equal(parse_rtc_base("base=2030-05-06T07:08", &t), -1);
	assert_int_equal(parse_rtc_base("base=2030-05-06 junk", &t), -1);
	assert_int_equal(parse_rtc_base("clock=vm", &t), -1);
	assert_int_equal(parse_rtc_base("base=", &t), -1);
	assert_int_equal(t, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rtc_base_takes_a_utc_date_and_time),
		cmocka_unit_test(rtc_base_takes_a_date_at_midnight),
		cmocka_unit_test(rtc_base_utc_is_the_host_time_now),
		cmocka_unit_test(rtc_rejects_other_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
