/* What the tiny test guests in tests/guests expect from the host.
 *
 * Every guest is a flat 16-bit real-mode binary loaded at guest physical
 * 0x10000 and entered at CS:IP = 0x1000:0000 with DS = CS and a stack
 * below the binary (arch/x86/layout.h: VB_X86_FLAT_ADDR, the register
 * state of a flat boot). Output goes to COM1 (port 0x3f8, polling LSR
 * bit 5 at 0x3fd); a guest ends by writing 0xFE to port 0x64 (the i8042
 * "pulse reset line" command), which the host treats as a reset.
 *
 * smp.bin: every vCPU starts at the entry. The guests share the mailbox
 * below; the host writes the vCPU count before the run (0 reads as 1, so
 * the binary still terminates when booted without a mailbox). Each vCPU
 * takes 256 bytes of stack below the incoming SP, by APIC id.
 *
 * bootinfo.bin: prints the e820 table of the zero page at
 * VB_X86_ZERO_PAGE_ADDR (e820_entries at 0x1E8, entries at 0x2D0, see
 * arch/x86/bootparam.h) as "e820 NN\n" and one
 * "AAAAAAAAAAAAAAAA SSSSSSSSSSSSSSSS TTTTTTTT\n" line per entry, in hex.
 *
 * The .S files repeat these constants; keep them in step. */
#ifndef VB_TESTS_GUESTS_H
#define VB_TESTS_GUESTS_H

#define VB_TEST_GUEST_LOAD_GPA 0x10000ULL
#define VB_TEST_GUEST_SEGMENT 0x1000u

/* In the page-table area of arch/x86/layout.h, unused by flat boots. */
#define VB_TEST_MAILBOX_GPA 0x6000ULL
#define VB_TEST_MAILBOX_NCPUS 0x0 /* uint16_t, written by the host */
#define VB_TEST_MAILBOX_LOCK 0x4  /* uint8_t spin lock, 0 = free */
#define VB_TEST_MAILBOX_COUNT 0x8 /* uint16_t vCPUs that printed */

#define VB_TEST_COM1_PORT 0x3f8u
#define VB_TEST_RESET_PORT 0x64u
#define VB_TEST_RESET_CMD 0xfeu

#endif
