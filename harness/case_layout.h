/*
 * Where a test case's harness lives in guest memory: the same physical
 * and linear addresses on every engine, so the host-side runner and the
 * QEMU guest (tests/qemu-ref/) build the very same machine. Identity-
 * mapped and supervisor-only in every paging case; cases may not use
 * linear [CASE_HARNESS, CASE_HARNESS_END), and with paging off their
 * pages must lie below CASE_HARNESS.
 */
#ifndef DOPPEL_CASE_LAYOUT_H
#define DOPPEL_CASE_LAYOUT_H

#define CASE_HARNESS 0x01000000u
#define CASE_HARNESS_END 0x01100000u
#define CASE_H_GDT (CASE_HARNESS + 0x0000)
#define CASE_H_IDT (CASE_HARNESS + 0x1000)
#define CASE_H_TSS (CASE_HARNESS + 0x1800)
#define CASE_H_STUBS (CASE_HARNESS + 0x2000) /* vector v's handler at +16*v */
#define CASE_H_PD (CASE_HARNESS + 0x3000)
#define CASE_H_STACK_TOP (CASE_HARNESS + 0x5000) /* ring-0 stack page below */
#define CASE_H_PT (CASE_HARNESS + 0x5000)      /* page tables, one page each */
#define CASE_H_FRAMES (CASE_HARNESS + 0x20000) /* the case's pages when paging */
#define CASE_H_KERNEL (CASE_HARNESS + 0x40000) /* QEMU's guest program */
#define CASE_H_STUB_SIZE 16u
#define CASE_SEL_CODE0 0x08 /* harness selectors: ring-0 code, data, TSS */
#define CASE_SEL_DATA0 0x10
#define CASE_SEL_TSS 0x18
#define CASE_SEL_FIRST 0x20 /* case selectors start here */

/* The CR0 every engine gives a case: what this host's Linux keeps while
 * user code runs, so x87 and alignment checks behave alike natively. */
#define CASE_CR0 0x00050033u /* PE MP ET NE WP AM */

#endif
