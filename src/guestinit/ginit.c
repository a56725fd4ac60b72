#include "guestinit/ginit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int vb_ginit_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size,
			   size_t *out_len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0, pad = 0;
	for (size_t i = 0; i < in_len; i++) {
		if (in[i] == '=') {
			pad++;
			continue;
		}
		int v = b64_value(in[i]);
		if (v < 0 || pad)
			return -EINVAL; /* not base64, or data after padding */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == out_size)
				return -E2BIG;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* A lone 6-bit group cannot encode a byte; padding only completes a quantum. */
	if (bits >= 6 || pad > 2 || (pad && ((in_len - pad) % 4) + pad != 4))
		return -EINVAL;
	*out_len = n;
	return 0;
}

/* The value of vmboot.cmd= as a whole word of cmdline, or NULL. */
static const char *find_param(const char *cmdline, size_t *len)
{
	const size_t plen = strlen(VB_GINIT_CMD_PARAM);
	for (const char *p = cmdline; p && (p = strstr(p, VB_GINIT_CMD_PARAM)); p += plen) {
		if (p != cmdline && p[-1] != ' ' && p[-1] != '\t')
			continue;
		const char *v = p + plen;
		*len = strcspn(v, " \t\n");
		return v;
	}
	return NULL;
}

static int split_args(struct vb_ginit_cmd *cmd, size_t len)
{
	if (len && cmd->storage[len - 1] != 0)
		return -EINVAL;
	cmd->argc = 0;
	for (size_t at = 0; at < len;) {
		if (cmd->argc == VB_GINIT_MAX_ARGS)
			return -E2BIG;
		cmd->argv[cmd->argc++] = cmd->storage + at;
		at += strlen(cmd->storage + at) + 1;
	}
	cmd->argv[cmd->argc] = NULL;
	return 0;
}

int vb_ginit_parse_cmd(const char *cmdline, int argc, char *const *argv,
		       struct vb_ginit_cmd *cmd)
{
	size_t len = 0, vlen;
	memset(cmd, 0, sizeof(*cmd));
	const char *value = find_param(cmdline, &vlen);
	if (value) {
		int rc = vb_ginit_base64_decode(value, vlen, (uint8_t *)cmd->storage,
						sizeof(cmd->storage), &len);
		if (rc)
			return rc;
		return split_args(cmd, len);
	}
	for (int i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (n > sizeof(cmd->storage) - len)
			return -E2BIG;
		memcpy(cmd->storage + len, argv[i], n);
		len += n;
	}
	return split_args(cmd, len);
}

int vb_ginit_format_status(int wait_status, char *buf, size_t size)
{
	if (WIFSIGNALED(wait_status))
		return snprintf(buf, size, VB_GINIT_STATUS_PREFIX "signal=%d\n",
				WTERMSIG(wait_status));
	return snprintf(buf, size, VB_GINIT_STATUS_PREFIX "exit=%d\n", WEXITSTATUS(wait_status));
}

int vb_ginit_console_device(const char *active, char *buf, size_t size)
{
	const char *last = NULL;
	size_t last_len = 0;
	for (const char *p = active; p && *p;) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		if (n) {
			last = p;
			last_len = n;
		}
		p += n;
	}
	/* A device name is a plain file name under /dev. */
	if (!last || memchr(last, '/', last_len) || (last_len <= 2 && last[0] == '.'))
		return -ENOENT;
	int w = snprintf(buf, size, "/dev/%.*s", (int)last_len, last);
	return w > 0 && (size_t)w < size ? 0 : -ENOENT;
}

unsigned vb_ginit_module_flags(const char *path)
{
	static const char *const suffixes[] = { ".gz", ".xz", ".zst" };
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t s = strlen(suffixes[i]);
		if (n > s && !strcmp(path + n - s, suffixes[i]))
			return 4; /* MODULE_INIT_COMPRESSED_FILE */
	}
	return 0;
}
