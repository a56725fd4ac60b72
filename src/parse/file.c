/* Reads a machine file and hands it to the front end its name asks for. */
#include "parse/node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A machine file is a few hundred bytes; the cap keeps a mistaken path
 * (a disk image, /dev/zero) from being slurped into memory. */
#define VB_MACHINE_FILE_MAX_BYTES (1u << 20)

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum vb_format format_of(const char *path)
{
	if (has_suffix(path, ".conf"))
		return VB_FORMAT_CONF;
	if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
		return VB_FORMAT_YAML;
	return VB_FORMAT_AUTO;
}

static void file_error(struct vb_diags *diags, const char *path, const char *why)
{
	vb_diag_error(diags, (struct vb_loc){ path, 0, 0 }, "cannot read: %s", why);
}

/* Returns the file's bytes (malloc'd, *len set) or NULL after adding a
 * diagnostic. */
static char *read_machine_file(const char *path, size_t *len, struct vb_diags *diags)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	/* O_NONBLOCK: opening a FIFO must not hang before fstat rejects it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		file_error(diags, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		file_error(diags, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		file_error(diags, path, "not a regular file");
		goto fail;
	}
	if (st.st_size > VB_MACHINE_FILE_MAX_BYTES) {
		file_error(diags, path, "file is larger than 1 MiB");
		goto fail;
	}
	/* One byte of slack detects a file that grew after fstat. */
	buf = malloc(VB_MACHINE_FILE_MAX_BYTES + 1);
	if (!buf) {
		file_error(diags, path, strerror(ENOMEM));
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + used, VB_MACHINE_FILE_MAX_BYTES + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			file_error(diags, path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > VB_MACHINE_FILE_MAX_BYTES) {
			file_error(diags, path, "file is larger than 1 MiB");
			goto fail;
		}
	}
	close(fd);
	*len = used;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

struct vb_node *vb_parse_file(const char *path, enum vb_format format, struct vb_diags *diags)
{
	struct vb_node *tree;
	size_t len = 0;
	char *text;

	if (format == VB_FORMAT_AUTO)
		format = format_of(path);
	if (format == VB_FORMAT_AUTO) {
		vb_diag_error(diags, (struct vb_loc){ path, 0, 0 },
			      "cannot tell the file format from the name: use a .conf, .yaml or "
			      ".yml extension, or pass --format=conf or --format=yaml");
		return NULL;
	}
	text = read_machine_file(path, &len, diags);
	if (!text)
		return NULL;
	/* The text stays with the diagnostics, which show the lines they
	 * point at; without the memory for it they print without them. */
	(void)vb_diags_add_source(diags, path, text, len);
	if (format == VB_FORMAT_CONF)
		tree = vb_parse_conf_buffer(path, text, len, diags);
	else
		tree = vb_parse_yaml_buffer(path, text, len, diags);
	free(text);
	return tree;
}
