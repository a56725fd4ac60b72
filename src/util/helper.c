#include "util/helper.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"
#include "vb-paths.h"

/* Steps 2 to 4 of the search (helper.h). */
#define MAX_CANDIDATES 3
#define NOT_A_FILE 1

/* 0 when path is a regular file (and executable if the helper must be),
 * NOT_A_FILE when it exists as something else, else -errno. */
static int usable(const struct vb_helper *h, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return NOT_A_FILE;
	if (h->executable && access(path, X_OK) < 0)
		return -errno;
	return 0;
}

static int copy_path(char *path, size_t size, const char *from)
{
	int n = snprintf(path, size, "%s", from);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int from_env(const struct vb_helper *h, const char *value, char *path, size_t size,
		    struct vb_err *err)
{
	int rc = usable(h, value);
	if (rc == NOT_A_FILE)
		return vb_err_set(err, ENOENT, "%s=%s: not a regular file", h->env, value);
	if (rc)
		return vb_err_errno(err, -rc, "%s=%s", h->env, value);
	if (copy_path(path, size, value))
		return vb_err_set(err, ENAMETOOLONG, "%s: path too long", h->env);
	return 0;
}

/* The directory above dir, lexically: dir is canonical (/proc/self/exe),
 * so no symlink or ".." can make that wrong. "" for "/" and "/bin". */
static void parent_dir(const char *dir, char *out, size_t size)
{
	const char *slash = strrchr(dir, '/');
	size_t len = slash ? (size_t)(slash - dir) : 0;
	if (len >= size)
		len = 0;
	memcpy(out, dir, len);
	out[len] = '\0';
}

/* The paths of steps 2 to 4, without duplicates (an installed vmboot finds
 * the configured directory by both 3 and 4). Returns how many. */
static size_t candidates(const struct vb_helper *h, const char *exe_dir, const char *libexec_dir,
			 char out[MAX_CANDIDATES][PATH_MAX])
{
	size_t n = 0;
	if (exe_dir) {
		char up[PATH_MAX];
		parent_dir(exe_dir, up, sizeof(up));
		int w = snprintf(out[n], PATH_MAX, "%s/%s", exe_dir, h->build_rel);
		if (w > 0 && w < PATH_MAX)
			n++;
		w = snprintf(out[n], PATH_MAX, "%s/libexec/vmboot/%s", up, h->name);
		if (w > 0 && w < PATH_MAX)
			n++;
	}
	if (libexec_dir && libexec_dir[0]) {
		int w = snprintf(out[n], PATH_MAX, "%s/%s", libexec_dir, h->name);
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen = seen || !strcmp(out[i], out[n]);
		if (w > 0 && w < PATH_MAX && !seen)
			n++;
	}
	return n;
}

/* "A", "A or B", "A, B or C". */
static void list_paths(char *buf, size_t size, char paths[][PATH_MAX], size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + used, size - used, "%s%s", sep, paths[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

int vb_helper_find_in(const struct vb_helper *h, const char *exe_dir, const char *libexec_dir,
		      char *path, size_t size, struct vb_err *err)
{
	const char *env = getenv(h->env);
	if (env && env[0])
		return from_env(h, env, path, size, err);
	char paths[MAX_CANDIDATES][PATH_MAX];
	size_t n = candidates(h, exe_dir, libexec_dir, paths);
	for (size_t i = 0; i < n; i++)
		if (usable(h, paths[i]) == 0)
			return copy_path(path, size, paths[i])
				       ? vb_err_set(err, ENAMETOOLONG, "%s: path too long", h->name)
				       : 0;
	char tried[VB_ERR_MSG_BYTES];
	list_paths(tried, sizeof(tried), paths, n);
	return vb_err_set(err, ENOENT, "no %s at %s (set %s to its path)", h->name,
			  n ? tried : "any known place", h->env);
}

int vb_helper_find(const struct vb_helper *h, char *path, size_t size, struct vb_err *err)
{
	char exe_dir[PATH_MAX];
	bool have_dir = vb_self_dir(exe_dir, sizeof(exe_dir)) == 0;
	return vb_helper_find_in(h, have_dir ? exe_dir : NULL, VB_PKGLIBEXECDIR, path, size, err);
}
