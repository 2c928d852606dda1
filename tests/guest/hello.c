/* The demo guest: greets and describes the CPU it runs on, then exits 0. */
#include "rt.h"

static const char *const edx_names[32] = {
	"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", 0,
	"sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "psn", "clfsh", 0,
	"ds", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "htt", "tm", 0, "pbe",
};

static void print_features(uint32_t edx)
{
	printf("features:");
	for (int i = 0; i < 32; i++)
		if ((edx >> i) & 1)
			printf(" %s", edx_names[i] ? edx_names[i] : "?");
	printf("\n");
}

void test_main(void)
{
	uint32_t r[4];
	char vendor[13];
	printf("Hello from a doppel guest.\n");
	cpuid(0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	printf("cpu vendor: %s, max leaf %u\n", vendor, r[0]);
	cpuid(1, r);
	printf("signature: 0x%08x (family %u model %u stepping %u)\n", r[0],
	       (r[0] >> 8) & 15, (r[0] >> 4) & 15, r[0] & 15);
	print_features(r[3]);
	printf("Goodbye.\n");
	printf("SUMMARY hello: 0 passed, 0 failed\n");
	guest_exit(0);
}
