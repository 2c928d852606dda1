/*
 * Single-step traps (SDM vol. 3 17.3.1.4): with EFLAGS.TF=1 a #DB trap
 * follows each instruction, with EIP at the next instruction and DR6.BS
 * (bit 14) set; POPF that sets TF does not trap after itself but after the
 * next instruction; the event's delivery clears TF so the handler is not
 * stepped; an instruction that faults takes the fault and no #DB.
 */
#include "rt.h"

static uint32_t steps[8], n_steps, dr6_seen, stop_at;

static int on_db(struct frame *fr)
{
	uint32_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	dr6_seen |= dr6;
	if (n_steps < 8)
		steps[n_steps] = fr->eip;
	n_steps++;
	if (fr->eip == stop_at)
		fr->eflags &= ~EFL_TF;
	return 1;
}

extern char ss_i1[], ss_i2[], ss_i3[], ss_end[], ss2_fault[];

void test_main(void)
{
	__asm__ volatile("mov %0, %%dr6" ::"r"(0));
	set_handler(1, on_db);
	stop_at = (uint32_t)ss_end;
	__asm__ volatile("pushf; orl $0x100, (%%esp); popf\n"
			 ".globl ss_i1\nss_i1: mov $1, %%eax\n"
			 ".globl ss_i2\nss_i2: add %%eax, %%eax\n"
			 ".globl ss_i3\nss_i3: nop\n"
			 ".globl ss_end\nss_end:" ::: "eax", "cc");
	check_eq("tf.trap_count", n_steps, 3);
	check(steps[0] == (uint32_t)ss_i2 && steps[1] == (uint32_t)ss_i3 &&
	      steps[2] == (uint32_t)ss_end, "tf.eips_after_each", "%x %x %x", steps[0], steps[1],
	      steps[2]);
	check_eq("tf.dr6_bs", dr6_seen & 0x4000, 0x4000);
	check_eq("tf.cleared_after", read_eflags() & EFL_TF, 0);

	/* a faulting instruction under TF: the fault, no trap */
	struct fault f;
	n_steps = 0;
	stop_at = 0;
	set_handler(1, 0);
	if (catch_fault(&f) == 0) {
		__asm__ volatile("pushf; orl $0x100, (%%esp); popf; nop\n"
				 ".globl ss2_fault\nss2_fault: ud2" ::: "memory");
		catch_end();
	}
	check(f.vector == 1 && f.eip == (uint32_t)ss2_fault, "tf.trap_before_fault",
	      "vector %d eip %x", f.vector, f.eip);
	write_eflags(read_eflags() & ~EFL_TF);
	set_handler(1, on_db);
	stop_at = 0xFFFFFFFF;
	if (catch_fault(&f) == 0) {
		__asm__ volatile("pushf; orl $0x100, (%%esp); popf; ud2" ::: "memory");
		catch_end();
	}
	set_handler(1, 0);
	check(f.vector == 6 && n_steps == 0, "tf.faulting_insn_no_db", "vector %d steps %u",
	      f.vector, n_steps);
	check_eq("tf.fault_frame_keeps_tf", f.eflags & EFL_TF, EFL_TF);
}
