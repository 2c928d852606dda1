/*
 * The x87 probes (see fpu_probes.h). Written with inline assembly only, so
 * the host build and the freestanding guest build execute the same
 * instructions on the same operands.
 */
#include "common/fpu_probes.h"

static void put80(uint32_t *out, const uint8_t t[10])
{
	out[0] = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
	out[1] = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	out[2] = (uint32_t)t[8] | (uint32_t)t[9] << 8;
}

static uint16_t fsw(void)
{
	uint16_t s;
	__asm__ volatile("fnstsw %0" : "=&a"(s));
	return s;
}

/* 1/3 at single, double and extended precision control */
void fp_prec(uint32_t out[9])
{
	static const uint16_t cw[3] = { 0x007F, 0x027F, 0x037F };
	static const int32_t three = 3;
	for (int i = 0; i < 3; i++) {
		uint8_t t[10];
		__asm__ volatile("fninit; fldcw %1; fld1; fidivl %2; fstpt %0"
				 : "=m"(t) : "m"(cw[i]), "m"(three));
		put80(out + 3 * i, t);
	}
}

/* FRNDINT and FIST under each rounding mode */
void fp_round(uint32_t out[40])
{
	static const double v[5] = { 2.5, -2.5, 3.5, -0.5, 1.7 };
	for (int rc = 0; rc < 4; rc++) {
		uint16_t cw = (uint16_t)(0x037F | rc << 10);
		for (int k = 0; k < 5; k++) {
			int32_t r1, r2;
			__asm__ volatile("fninit; fldcw %2; fldl %3; fistl %1; frndint; fistpl %0"
					 : "=m"(r1), "=m"(r2) : "m"(cw), "m"(v[k]));
			out[rc * 10 + k * 2] = (uint32_t)r1;
			out[rc * 10 + k * 2 + 1] = (uint32_t)r2;
		}
	}
}

/* basic arithmetic on extended values, each result stored as 80 bits */
void fp_arith(uint32_t out[36])
{
	static const double a = 1.0e10 / 7.0, b = -3.25, c = 1.0e-300;
	uint8_t t[12][10];
	__asm__ volatile("fninit\n"
			 "fldl %12; fldl %13; faddp; fstpt %0\n"
			 "fldl %12; fldl %13; fsubrp; fstpt %1\n"
			 "fldl %12; fldl %13; fmulp; fstpt %2\n"
			 "fldl %12; fldl %13; fdivrp; fstpt %3\n"
			 "fldl %12; fsqrt; fstpt %4\n"
			 "fldl %13; fldl %12; fprem; fstpt %5; fstp %%st(0)\n"
			 "fldl %13; fldl %12; fscale; fstpt %6; fstp %%st(0)\n"
			 "fldl %12; fxtract; fstpt %7; fstpt %8\n"
			 "fldl %13; fabs; fchs; fstpt %9\n"
			 "fldl %14; fldl %14; fmulp; fstpt %10\n"
			 "fldl %12; fldl %13; fprem1; fstpt %11; fstp %%st(0)\n"
			 : "=m"(t[0]), "=m"(t[1]), "=m"(t[2]), "=m"(t[3]), "=m"(t[4]), "=m"(t[5]),
			   "=m"(t[6]), "=m"(t[7]), "=m"(t[8]), "=m"(t[9]), "=m"(t[10]), "=m"(t[11])
			 : "m"(a), "m"(b), "m"(c));
	for (int i = 0; i < 12; i++)
		put80(out + 3 * i, t[i]);
}

/* loads and stores of every memory format */
void fp_ldst(uint32_t out[40])
{
	static const int16_t w = -12345;
	static const int32_t d = 2000000001;
	static const int64_t q = -9000000000000000001ll;
	static const float f = 3.14159265f;
	static const double g = -2.718281828459045;
	static const uint8_t bcd[10] = { 0x21, 0x43, 0x65, 0x87, 0x09, 0, 0, 0, 0, 0x80 };
	uint8_t t[6][10], pk[10], pk2[10];
	int16_t sw, sw_big;
	int32_t sd;
	int64_t sq;
	float sf;
	double sg;
	__asm__ volatile("fninit\n"
			 "filds %11; fstpt %0\n"
			 "fildl %12; fstpt %1\n"
			 "fildq %13; fstpt %2\n"
			 "flds %14; fstpt %3\n"
			 "fldl %15; fstpt %4\n"
			 "fbld %16; fstpt %5\n"
			 "fldl %15; fists %6; fistl %7; fistpq %8\n"
			 "fildl %12; fsts %9; fstpl %10\n"
			 : "=m"(t[0]), "=m"(t[1]), "=m"(t[2]), "=m"(t[3]), "=m"(t[4]), "=m"(t[5]),
			   "=m"(sw), "=m"(sd), "=m"(sq), "=m"(sf), "=m"(sg)
			 : "m"(w), "m"(d), "m"(q), "m"(f), "m"(g), "m"(bcd));
	uint16_t st1, st2;
	__asm__ volatile("fninit; fildq %4; fbstp %0; fnstsw %%ax; mov %%ax, %2;"
			 "fildl %5; fists %1; fnstsw %%ax"
			 : "=m"(pk), "=m"(sw_big), "=m"(st1), "=&a"(st2) : "m"(q), "m"(d));
	const int64_t small = -987654321;
	__asm__ volatile("fninit; fildq %1; fbstp %0" : "=m"(pk2) : "m"(small));
	for (int i = 0; i < 6; i++)
		put80(out + 3 * i, t[i]);
	uint32_t sfw, sgw[2], sqw[2];
	__builtin_memcpy(&sfw, &sf, 4);
	__builtin_memcpy(sgw, &sg, 8);
	__builtin_memcpy(sqw, &sq, 8);
	out[18] = (uint32_t)(uint16_t)sw, out[19] = (uint32_t)sd, out[20] = sqw[0], out[21] = sqw[1];
	out[22] = sfw, out[23] = sgw[0], out[24] = sgw[1];
	put80(out + 25, pk);
	out[28] = (uint32_t)(uint16_t)sw_big;
	out[29] = st1, out[30] = st2;
	put80(out + 31, pk2);
	out[34] = out[35] = out[36] = out[37] = out[38] = out[39] = 0;
}

/* FCOM/FUCOM + FSTSW, FCOMI/FUCOMI + EFLAGS, FTST, FXAM */
void fp_cmp(uint32_t out[24])
{
	static const double v[4] = { 1.0, 2.0, -0.0, 0.0 };
	uint32_t k = 0;
	for (int i = 0; i < 3; i++) {
		uint16_t s;
		uint32_t fl;
		__asm__ volatile("fninit; fldl %2; fldl %3; fcom %%st(1); fnstsw %%ax;"
				 "fcomi %%st(1), %%st; pushf; pop %1; fstp %%st(0); fstp %%st(0)"
				 : "=&a"(s), "=r"(fl) : "m"(v[i + 1]), "m"(v[i]) : "cc");
		out[k++] = s & 0x4700u;
		out[k++] = fl & 0x8D5u;
	}
	uint16_t s;
	uint32_t fl;
	__asm__ volatile("fninit; fldz; fldz; fdiv %%st(1), %%st; fld1; fucom %%st(1); fnstsw %%ax;"
			 "fucomi %%st(1), %%st; pushf; pop %1"
			 : "=&a"(s), "=r"(fl)::"cc");
	out[k++] = s & 0x4700u;
	out[k++] = fl & 0x8D5u;
	__asm__ volatile("fninit; fldz; fldz; fdiv %%st(1), %%st; fld1; fcomi %%st(1), %%st;"
			 "pushf; pop %1; fnstsw %%ax"
			 : "=&a"(s), "=r"(fl)::"cc");
	out[k++] = s & 0x47FFu;
	out[k++] = fl & 0x8D5u;
	static const double xs[4] = { 1.5, -0.0, 1e-310, -2.0 };
	for (int i = 0; i < 4; i++) {
		__asm__ volatile("fninit; fldl %1; fxam; fnstsw %%ax; ftst; fstp %%st(0)"
				 : "=&a"(s) : "m"(xs[i]));
		out[k++] = s & 0x4700u;
		__asm__ volatile("fninit; fldl %1; ftst; fnstsw %%ax; fstp %%st(0)" : "=&a"(s) : "m"(xs[i]));
		out[k++] = s & 0x4700u;
	}
	__asm__ volatile("fninit; fxam; fnstsw %%ax" : "=&a"(s));
	out[k++] = s & 0x4700u;
	__asm__ volatile("fninit; fld1; fldz; fdivrp; fxam; fnstsw %%ax; fstp %%st(0)" : "=&a"(s));
	out[k++] = s & 0x4700u;
	while (k < 24)
		out[k++] = 0;
}

/* masked exceptions: results and status words */
void fp_masked(uint32_t out[24])
{
	uint8_t t[5][10];
	uint16_t s[5];
	static const double m1 = -1.0, big = 1e308;
	__asm__ volatile("fninit; fldz; fldz; fdivrp; fnstsw %%ax; fstpt %1" : "=&a"(s[0]), "=m"(t[0]));
	__asm__ volatile("fninit; fld1; fldz; fdivrp; fnstsw %%ax; fstpt %1" : "=&a"(s[1]), "=m"(t[1]));
	__asm__ volatile("fninit; fldl %2; fsqrt; fnstsw %%ax; fstpt %1" : "=&a"(s[2]), "=m"(t[2]) : "m"(m1));
	double o;
	__asm__ volatile("fninit; fldl %2; fldl %2; fmulp; fstpl %1; fnstsw %%ax"
			 : "=&a"(s[3]), "=m"(o) : "m"(big));
	__asm__ volatile("fninit; fld1; fchs; fstpt %0" : "=m"(t[3]));
	s[4] = 0;
	for (int i = 0; i < 4; i++)
		put80(out + 3 * i, t[i]);
	uint32_t ow[2];
	__builtin_memcpy(ow, &o, 8);
	out[12] = ow[0], out[13] = ow[1];
	/* C0 C2 C3 are undefined after these; C1 is in fp_stackflt */
	for (int i = 0; i < 5; i++)
		out[14 + i] = s[i] & ~0x4700u;
	int32_t ind;
	__asm__ volatile("fninit; fldz; fldz; fdivrp; fistpl %0" : "=m"(ind));
	out[19] = (uint32_t)ind;
	int16_t ind16;
	static const double huge = 1e10;
	__asm__ volatile("fninit; fldl %1; fistps %0" : "=m"(ind16) : "m"(huge));
	out[20] = (uint16_t)ind16;
	out[21] = fsw();
	out[22] = out[23] = 0;
}

/* FSAVE/FRSTOR and FNSTENV/FLDENV: control, status, tags, registers */
void fp_env(uint32_t out[36])
{
	uint8_t img[108], env[28];
	static const double x = 6.5;
	__asm__ volatile("fninit; fld1; fldpi; fldl %1; fnsave %0" : "=m"(img) : "m"(x));
	uint16_t cw_after, sw_after;
	__asm__ volatile("fnstcw %0; fnstsw %1" : "=m"(cw_after), "=m"(sw_after));
	out[0] = img[0] | img[1] << 8, out[1] = img[4] | img[5] << 8, out[2] = img[8] | img[9] << 8;
	for (int i = 0; i < 3; i++)
		put80(out + 3 + 3 * i, img + 28 + 10 * i);
	out[12] = cw_after, out[13] = sw_after;
	uint8_t t[10];
	__asm__ volatile("frstor %1; fstpt %0" : "=m"(t) : "m"(img));
	put80(out + 14, t);
	uint16_t sw2;
	__asm__ volatile("fnstsw %0" : "=m"(sw2));
	out[17] = sw2;
	static const uint16_t cw = 0x0C7F;
	__asm__ volatile("fninit; fldcw %1; fld1; fnstenv %0" : "=m"(env) : "m"(cw));
	out[18] = env[0] | env[4] << 16, out[19] = env[1] | env[5] << 16;
	out[20] = env[8] | env[9] << 8;
	uint16_t cw3;
	__asm__ volatile("fninit; fldenv %1; fnstcw %0" : "=m"(cw3) : "m"(env));
	out[21] = cw3;
	uint16_t tags;
	__asm__ volatile("fninit; fldz; fld1; fldz; fdiv %%st(0), %%st; fldl %1; fnstenv %0"
			 : "=m"(env) : "m"(x));
	tags = (uint16_t)(env[8] | env[9] << 8);
	out[22] = tags;
	__asm__ volatile("fninit");
	for (int i = 23; i < 36; i++)
		out[i] = 0;
}

/* the constant loads */
void fp_consts(uint32_t out[21])
{
	uint8_t t[7][10];
	__asm__ volatile("fninit; fld1; fstpt %0; fldl2t; fstpt %1; fldl2e; fstpt %2; fldpi; fstpt %3;"
			 "fldlg2; fstpt %4; fldln2; fstpt %5; fldz; fstpt %6"
			 : "=m"(t[0]), "=m"(t[1]), "=m"(t[2]), "=m"(t[3]), "=m"(t[4]), "=m"(t[5]),
			   "=m"(t[6]));
	for (int i = 0; i < 7; i++)
		put80(out + 3 * i, t[i]);
}

/* a few transcendental instructions on exactly representable inputs */
void fp_transc(uint32_t out[15])
{
	uint8_t t[5][10];
	static const double half = 0.5, two = 2.0, eight = 8.0, quarter = 0.25;
	__asm__ volatile("fninit\n"
			 "fldl %5; f2xm1; fstpt %0\n"
			 "fld1; fldl %7; fyl2x; fstpt %1\n"
			 "fldl %6; fld1; fpatan; fstpt %2\n"
			 "fldz; fptan; fstp %%st(0); fstpt %3\n"
			 "fld1; fldl %8; fyl2xp1; fstpt %4\n"
			 : "=m"(t[0]), "=m"(t[1]), "=m"(t[2]), "=m"(t[3]), "=m"(t[4])
			 : "m"(half), "m"(two), "m"(eight), "m"(quarter));
	for (int i = 0; i < 5; i++)
		put80(out + 3 * i, t[i]);
}

/* stack faults and C1: underflow (IE SF, C1=0), overflow (IE SF C1=1, the
 * pushed register holds the QNaN indefinite), C1 = rounded up */
void fp_stackflt(uint32_t out[8])
{
	uint16_t s;
	uint8_t t[10];
	__asm__ volatile("fninit; fstp %%st(0); fnstsw %%ax" : "=&a"(s));
	out[0] = s;
	__asm__ volatile("fninit; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fnstsw %%ax;"
			 "fstpt %1; fninit" : "=&a"(s), "=m"(t));
	out[1] = s;
	put80(out + 2, t);
	static const double big = 1e308;
	double o;
	__asm__ volatile("fninit; fldl %2; fldl %2; fmulp; fstpl %1; fnstsw %%ax"
			 : "=&a"(s), "=m"(o) : "m"(big));
	out[5] = s;
	static const double third = 1.0 / 3.0;
	float fo;
	__asm__ volatile("fninit; fldl %2; fsts %1; fnstsw %%ax; fstp %%st(0)"
			 : "=&a"(s), "=m"(fo) : "m"(third));
	out[6] = s;
	__asm__ volatile("fninit; fld1; fstp %%st(0); fnstsw %%ax" : "=&a"(s));
	out[7] = s;
}
