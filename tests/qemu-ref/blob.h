/*
 * The case blob doppel hands the QEMU reference guest as a multiboot
 * module (harness/qemu_ref.c writes it, tests/qemu-ref/ref.c reads it).
 * Little-endian 32-bit words:
 *
 *   QREF_BLOB_MAGIC, count, the harness GDT page (CASE_H_GDT) and the
 *   IDT+TSS page (CASE_H_IDT) as every engine has them, then count records:
 *   QREF_CASE_MAGIC, index, cpl, cr0, cr3, eax..edi (8), eip, eflags,
 *   es cs ss ds fs gs (6, one word each), n_pages, then n_pages times:
 *   physical address, linear address (QREF_NOT_CASE for harness pages
 *   such as the GDT and page tables), 4096 bytes.
 *
 * The guest answers on COM1, one line each, hex numbers:
 *   R                      booted, blob found
 *   C index                a case starts
 *   S vector err cr2 eip eflags eax ecx edx ebx esp ebp esi edi
 *     es cs ss ds fs gs fcw fsw ftw
 *   X reg 20-hex-digits    x87 register, physical number
 *   M lin 32-hex-digits    16 changed bytes of a case page at lin
 *   E                      the case is done
 *   K text                 the guest itself failed (then it stops)
 */
#ifndef DOPPEL_QREF_BLOB_H
#define DOPPEL_QREF_BLOB_H

#define QREF_BLOB_MAGIC 0x31525144u /* "DQR1" */
#define QREF_CASE_MAGIC 0x45534143u /* "CASE" */
#define QREF_NOT_CASE 0xffffffffu
#define QREF_CASE_WORDS 22u         /* words before the pages */

#endif
