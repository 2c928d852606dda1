/*
 * QEMU as the outside reference. Cases are packed into a blob (each one's
 * guest image and registers) that QEMU loads as a multiboot module for
 * the guest in tests/qemu-ref/; the guest runs them one after another and
 * prints each final state on the serial port, which is read back here.
 * A case that never ends (QEMU has no instruction budget) is cut off by a
 * timeout and the run resumes with the next case.
 */
#include "harness/qemu_ref.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/qemu-ref/blob.h"

#define QEMU_TIMEOUT_MS 5000
/* doppel's CPUID model (vmm/cpuid.c): a Pentium III without what it does
 * not offer, so MMX/SSE are #UD in QEMU too. */
#define QEMU_CPU "pentium3,-de,-pae,-mce,-apic,-sep,-mtrr,-mca,-pat,-pse36,-mmx,-fxsr,-sse"
#define QEMU_LINE 256

/* $DOPPEL_QEMU_REF, else beside the running doppel (build/MODE/doppel ->
 * build/guest/qemu-ref.elf), else relative to the current directory. */
static const char *qemu_kernel(void)
{
	static char path[4096];
	const char *env = getenv("DOPPEL_QEMU_REF");
	ssize_t n;

	if (env)
		return env;
	n = readlink("/proc/self/exe", path, sizeof(path) - 40);
	if (n > 0) {
		path[n] = 0;
		char *slash = strrchr(path, '/');
		snprintf(slash ? slash : path, 40, "/../guest/qemu-ref.elf");
		if (access(path, R_OK) == 0)
			return path;
	}
	return QEMU_REF_KERNEL;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void blob_case(FILE *f, const struct fuzz_case *fc, const struct case_image *img,
		      uint32_t index)
{
	put32(f, QREF_CASE_MAGIC);
	put32(f, index);
	put32(f, fc->cpl);
	put32(f, CASE_CR0 | (fc->paging ? CR0_PG : 0));
	put32(f, fc->paging ? CASE_H_PD : 0);
	for (int r = 0; r < 8; r++)
		put32(f, fc->gpr[r]);
	put32(f, fc->eip);
	put32(f, fc->eflags);
	for (int s = 0; s < 6; s++)
		put32(f, fc->seg[s].sel);
	put32(f, img->n);
	for (unsigned k = 0; k < img->n; k++) {
		uint32_t lin = QREF_NOT_CASE;
		for (unsigned p = 0; p < fc->n_pages; p++)
			if (img->frame[p] == img->page[k].pa && img->page[k].data == img->code_page[p])
				lin = fc->page[p].lin;
		put32(f, img->page[k].pa);
		put32(f, lin);
		fwrite(img->page[k].data, CASE_PAGE, 1, f);
	}
}

/* Write cases [first, n) that can be laid out; the rest get their error now. */
static int blob_write(const char *path, const struct fuzz_case *cases, unsigned first,
		      unsigned n, struct case_state *out, struct case_image *img)
{
	FILE *f = fopen(path, "wb");
	long count_at;
	uint32_t count = 0;

	if (!f)
		return -1;
	put32(f, QREF_BLOB_MAGIC);
	count_at = ftell(f);
	put32(f, 0);
	case_harness_gdt(img->gdt);
	fwrite(img->gdt, CASE_PAGE, 1, f);
	case_harness_idt_page(img->pd);
	fwrite(img->pd, CASE_PAGE, 1, f);
	for (unsigned k = first; k < n; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		out[k].end = CEND_ERROR;
		snprintf(out[k].error, sizeof(out[k].error), "qemu: no result");
		if (case_image_build(&cases[k], img, out[k].error, sizeof(out[k].error)) < 0)
			continue;
		blob_case(f, &cases[k], img, k);
		count++;
	}
	fseek(f, count_at, SEEK_SET);
	put32(f, count);
	return fclose(f) ? -1 : 0;
}

/* ---- reading the guest's report ---- */

struct reader {
	const struct fuzz_case *cases;
	struct case_state *out;
	unsigned n;
	int cur;            /* case being reported, -1 between cases */
	int last_done;      /* highest case index completed */
	struct case_image *img;
	bool ready;         /* the guest booted and read the blob */
};

static void rd_begin(struct reader *rd, unsigned k)
{
	struct case_state *s = &rd->out[k];
	const struct fuzz_case *fc = &rd->cases[k];
	char err[200];

	rd->cur = k < rd->n ? (int)k : -1;
	if (rd->cur < 0 || case_image_build(fc, rd->img, err, sizeof(err)) < 0) {
		rd->cur = -1;
		return;
	}
	memset(s, 0, sizeof(*s));
	s->n_pages = fc->n_pages;
	for (unsigned p = 0; p < fc->n_pages; p++) {
		s->lin[p] = fc->page[p].lin;
		memcpy(s->mem[p], rd->img->code_page[p], CASE_PAGE);
	}
}

static void rd_state(struct case_state *s, const char *line)
{
	unsigned v[22];
	int n = sscanf(line, "S %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x",
		       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
		       &v[10], &v[11], &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18],
		       &v[19], &v[20], &v[21]);

	if (n != 22)
		return;
	s->end = CEND_EXCEPTION;
	s->vector = (int)v[0];
	s->err = v[1];
	s->cr2 = v[2];
	s->eip = v[3];
	s->eflags = v[4] & ~F_RF;
	for (int r = 0; r < 8; r++)
		s->gpr[r] = v[5 + r];
	for (int k = 0; k < 6; k++)
		s->sel[k] = (uint16_t)v[13 + k];
	s->fcw = (uint16_t)v[19];
	s->fsw = (uint16_t)v[20];
	s->ftw = (uint16_t)v[21];
}

static void rd_hex(const char *hex, uint8_t *dst, unsigned n)
{
	for (unsigned k = 0; k < n && hex[2 * k] && hex[2 * k + 1]; k++) {
		char b[3] = { hex[2 * k], hex[2 * k + 1], 0 };
		dst[k] = (uint8_t)strtoul(b, NULL, 16);
	}
}

static void rd_mem(struct case_state *s, const char *line)
{
	unsigned lin;
	char hex[64];

	if (sscanf(line, "M %x %40s", &lin, hex) != 2)
		return;
	for (unsigned p = 0; p < s->n_pages; p++)
		if (s->lin[p] == (lin & ~(CASE_PAGE - 1)))
			rd_hex(hex, s->mem[p] + (lin & (CASE_PAGE - 1) & ~15u), 16);
}

static void rd_fpu(struct case_state *s, const char *line)
{
	unsigned r;
	char hex[32];

	if (sscanf(line, "X %u %20s", &r, hex) == 2 && r < 8)
		rd_hex(hex, s->st[r], 10);
}

static void rd_line(struct reader *rd, const char *line)
{
	unsigned k;

	if (line[0] == 'R')
		rd->ready = true;
	if (sscanf(line, "C %x", &k) == 1) {
		rd_begin(rd, k);
		return;
	}
	if (rd->cur < 0)
		return;
	if (line[0] == 'S')
		rd_state(&rd->out[rd->cur], line);
	else if (line[0] == 'M')
		rd_mem(&rd->out[rd->cur], line);
	else if (line[0] == 'X')
		rd_fpu(&rd->out[rd->cur], line);
	else if (line[0] == 'E') {
		rd->last_done = rd->cur;
		rd->cur = -1;
	}
}

/* ---- running QEMU ---- */

static pid_t qemu_start(const char *blob, int *out_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(fds[1], 1);
		dup2(null, 2); /* a crash is reported per case, not as QEMU's noise */
		close(fds[0]);
		execlp("qemu-system-i386", "qemu-system-i386", "-display", "none", "-no-reboot",
		       "-monitor", "none", "-serial", "stdio", "-cpu", QEMU_CPU, "-m", "128",
		       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel",
		       qemu_kernel(), "-initrd", blob, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return pid;
}

/* Read lines until QEMU exits or stays silent too long; false on timeout. */
static bool qemu_read(struct reader *rd, int fd)
{
	char buf[QEMU_LINE * 4], line[QEMU_LINE];
	size_t len = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, QEMU_TIMEOUT_MS) <= 0)
			return false;
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got <= 0)
			return true;
		for (ssize_t k = 0; k < got; k++) {
			if (buf[k] == '\n' || len == sizeof(line) - 1) {
				line[len] = 0;
				rd_line(rd, line);
				len = 0;
			} else if (buf[k] != '\r') {
				line[len++] = buf[k];
			}
		}
	}
}

static int qemu_check_kernel(char *err, size_t errlen)
{
	if (access(qemu_kernel(), R_OK) == 0)
		return 0;
	snprintf(err, errlen, "the QEMU reference guest %s is not built (make qemu-ref)",
		 qemu_kernel());
	return -1;
}

/*
 * One QEMU run over cases [first, n). Returns where the next run starts:
 * n when all ended; past a case that QEMU did not finish otherwise (it
 * stopped -- a triple fault, with -no-reboot -- or went silent).
 */
static int qemu_batch(struct reader *rd, const char *blob, unsigned first, char *err,
		      size_t errlen)
{
	struct case_state *out = rd->out;
	int out_fd, status;
	pid_t pid;

	if (blob_write(blob, rd->cases, first, rd->n, out, rd->img) < 0 ||
	    (pid = qemu_start(blob, &out_fd)) < 0) {
		snprintf(err, errlen, "cannot start qemu-system-i386: %s", strerror(errno));
		return -1;
	}
	rd->ready = false;
	rd->cur = -1;
	bool exited = qemu_read(rd, out_fd);
	if (!exited)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(out_fd);
	bool crashed = exited && WIFSIGNALED(status);
	if (!rd->ready) {
		snprintf(err, errlen, "QEMU did not start the reference guest %s", qemu_kernel());
		return -1;
	}
	unsigned next = rd->last_done + 1 > (int)first ? (unsigned)rd->last_done + 1 : first;
	if (next >= rd->n)
		return (int)rd->n;
	out[next].end = exited && !crashed ? CEND_SHUTDOWN : CEND_ERROR;
	snprintf(out[next].error, sizeof(out[next].error), "%s",
		 crashed ? "qemu: QEMU itself crashed on the case"
		 : exited ? "qemu: QEMU stopped during the case (a triple fault)"
			  : "qemu: the case did not end in time (an endless loop?)");
	return (int)next + 1;
}

int qemu_ref_run(const struct fuzz_case *cases, unsigned n, struct case_state *out,
		 char *err, size_t errlen)
{
	static struct case_image img;
	char blob[] = "/tmp/doppel-qemu-ref-XXXXXX";
	int fd = mkstemp(blob);
	struct reader rd = { cases, out, n, -1, -1, &img, false };

	if (fd < 0 || qemu_check_kernel(err, errlen) < 0) {
		if (fd < 0)
			snprintf(err, errlen, "cannot create a blob file: %s", strerror(errno));
		return -1;
	}
	close(fd);
	for (unsigned first = 0; first < n;) {
		int rc = qemu_batch(&rd, blob, first, err, errlen);
		if (rc < 0) {
			unlink(blob);
			return -1;
		}
		first = (unsigned)rc;
	}
	unlink(blob);
	return 0;
}
