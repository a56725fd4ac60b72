/* The Linux kernel command line vmboot passes to the guest.
 *
 * Assembled as: base parameters, the console= for the chosen console, then
 * the user's params, so a user value given later overrides ours (Linux lets
 * the last occurrence of most parameters win, and every console= adds a
 * console). Pure; the caller owns the buffer.
 *
 * Base parameters and why:
 *   reboot=k      no ACPI or EFI to reboot through; the keyboard-controller
 *                 reset is one port write (0x64 <- 0xFE) the VMM can catch
 *   panic=1       a panicking guest reboots after 1 s, so vmboot exits
 *                 instead of leaving a hung VM behind
 *   i8042.noaux i8042.nomux
 *                 there is no PS/2 mouse or multiplexer; skip probing them
 * Without ACPI (acpi = false) two more:
 *   pci=lastbus=0 vmboot has one PCI bus; don't scan the other 255 (with
 *                 ACPI the host bridge's _CRS says bus 0 only)
 *   acpi=off      the MP table describes the machine and there are no
 *                 ACPI tables: without this the kernel searches for an
 *                 RSDP, prints an "ACPI BIOS Error" and wastes boot time
 * Console: serial -> console=ttyS0, virtio -> console=hvc0, none -> none. */
#ifndef VB_ARCH_X86_CMDLINE_H
#define VB_ARCH_X86_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "parse/desc.h"
#include "util/err.h"

/* x86 COMMAND_LINE_SIZE: the kernel's buffer is 2048 bytes including the
 * terminating NUL; boot protocol 2.06+ kernels report cmdline_size = 2047,
 * the length without the NUL (boot.rst, "cmdline_size"). */
#define VB_X86_CMDLINE_MAX 2048u
#define VB_X86_CMDLINE_MAX_LEN (VB_X86_CMDLINE_MAX - 1u)

#define VB_X86_CMDLINE_BASE "reboot=k panic=1 i8042.noaux i8042.nomux"
#define VB_X86_CMDLINE_NO_ACPI " pci=lastbus=0 acpi=off"

/* Write the command line for console and params (NULL or "" for none) into
 * buf. max_len is the longest line the kernel accepts, without the NUL:
 * VB_X86_CMDLINE_MAX_LEN when the kernel is not known yet (--check), or the
 * kernel's own cmdline_size. Returns 0, -E2BIG if the line is longer than
 * max_len, -ENOSPC if buf is too small, -EINVAL for an unknown console;
 * fills err on failure. */
int vb_x86_cmdline_build(enum vb_console_kind console, bool acpi, const char *params,
			 size_t max_len, char *buf, size_t buf_bytes,
			 struct vb_err *err);

#endif
