/* The guest side of the zero-config default: the pure parts of the static
 * init (init.c) that runs as PID 1 in vmboot's in-memory initramfs.
 *
 * Contract with the host (src/initramfs/, and the command line vmboot will
 * build):
 *   - /etc/vmboot/modules lists module files in load order, one absolute
 *     path per line; a path ending in .gz/.xz/.zst is loaded with
 *     MODULE_INIT_COMPRESSED_FILE (the kernel decompresses it).
 *   - The command to run is "vmboot.cmd=B64" on the kernel command line: the
 *     base64 (RFC 4648, standard alphabet, padding optional) of the
 *     arguments, each terminated by a NUL byte. Any bytes survive that way.
 *     Without it, the words Linux passes to init as arguments (those after
 *     "--" on the command line) are the command. Neither: a shell.
 *     The dotted name matters: Linux hands "x.y=z" words to no one (they are
 *     module parameters), so the command stays out of init's environment.
 *   - When the command ends, init prints one line on the console,
 *     "VMBOOT-STATUS: exit=N" or "VMBOOT-STATUS: signal=N", then reboots,
 *     which makes vmboot exit.
 * Nothing here allocates or does I/O, so the tests run it in-process. */
#ifndef VB_GUESTINIT_GINIT_H
#define VB_GUESTINIT_GINIT_H

#include <stddef.h>
#include <stdint.h>

#define VB_GINIT_CMD_PARAM "vmboot.cmd="
#define VB_GINIT_STATUS_PREFIX "VMBOOT-STATUS: "
#define VB_GINIT_MAX_ARGS 64
#define VB_GINIT_MAX_CMD_BYTES 4096

struct vb_ginit_cmd {
	char storage[VB_GINIT_MAX_CMD_BYTES];
	char *argv[VB_GINIT_MAX_ARGS + 1]; /* NULL-terminated */
	int argc;                          /* 0: no command, start a shell */
};

/* Decodes base64 into out. Returns 0 and sets *out_len, or -EINVAL for a
 * character outside the alphabet or misplaced padding, -E2BIG if out is too
 * small. */
int vb_ginit_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size,
			   size_t *out_len);

/* The command from the kernel command line (the text of /proc/cmdline, may
 * be NULL) or else from init's own arguments (argv[1..argc-1]). Returns 0,
 * -EINVAL for bad base64 or an argument that is not NUL-terminated, -E2BIG
 * for more than VB_GINIT_MAX_ARGS arguments or bytes. */
int vb_ginit_parse_cmd(const char *cmdline, int argc, char *const *argv,
		       struct vb_ginit_cmd *cmd);

/* "VMBOOT-STATUS: exit=3\n" or "...signal=9\n" for a wait() status. Returns
 * the length, as snprintf does. */
int vb_ginit_format_status(int wait_status, char *buf, size_t size);

/* The device behind /dev/console from the text of
 * /sys/class/tty/console/active ("tty0 ttyS0\n": the last entry is the
 * one /dev/console is connected to), as "/dev/ttyS0". Returns 0, or
 * -ENOENT when the text names no device. */
int vb_ginit_console_device(const char *active, char *buf, size_t size);

/* finit_module flags for a module file: MODULE_INIT_COMPRESSED_FILE (4,
 * include/uapi/linux/module.h) when the name has a compression suffix. */
unsigned vb_ginit_module_flags(const char *path);

#endif
