#include "control/sockdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* snprintf's result n into a buffer of size: 0, or the path was too long. */
static int fits(int n, size_t size, struct vb_err *err)
{
	if (n < 0 || (size_t)n >= size)
		return vb_err_set(err, ENAMETOOLONG, "control socket directory: path too long");
	return 0;
}

/* /run/vmboot for root; else, when look_for_session, /run/user/UID/vmboot
 * if /run/user/UID is uid's; else /tmp/vmboot-UID. */
static int default_dir(uid_t uid, bool look_for_session, char *buf, size_t size,
		       struct vb_err *err)
{
	char session[64];
	struct stat st;
	int n;
	snprintf(session, sizeof(session), "/run/user/%u", (unsigned)uid);
	if (uid == 0)
		n = snprintf(buf, size, "/run/vmboot");
	else if (look_for_session && lstat(session, &st) == 0 && S_ISDIR(st.st_mode) &&
		 st.st_uid == uid)
		n = snprintf(buf, size, "%s/vmboot", session);
	else
		n = snprintf(buf, size, "/tmp/vmboot-%u", (unsigned)uid);
	return fits(n, size, err);
}

int vb_ctl_user_dir(uid_t uid, char *buf, size_t size, struct vb_err *err)
{
	return default_dir(uid, true, buf, size, err);
}

/* XDG_RUNTIME_DIR names a directory that exists and is not ours: the
 * environment came from another user. */
static bool someone_elses(const char *dir)
{
	struct stat st;
	return stat(dir, &st) == 0 && st.st_uid != geteuid();
}

int vb_ctl_dir(char *buf, size_t size, struct vb_err *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	/* The XDG base directory spec wants an absolute path; ignore others. */
	bool has_xdg = xdg && xdg[0] == '/';
	if (geteuid() != getuid() || (has_xdg && someone_elses(xdg)))
		return vb_ctl_user_dir(geteuid(), buf, size, err);
	if (has_xdg)
		return fits(snprintf(buf, size, "%s/vmboot", xdg), size, err);
	/* The user's own vmboot with no session to go by: as always. */
	return default_dir(geteuid(), false, buf, size, err);
}

static int mkdir_parents(const char *dir, struct vb_err *err)
{
	char path[VB_CTL_PATH_MAX];
	if (strlen(dir) >= sizeof(path))
		return vb_err_set(err, ENAMETOOLONG, "%s: path too long", dir);
	strcpy(path, dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return vb_err_errno(err, errno, "mkdir %s", path);
		*p = '/';
	}
	return 0;
}

int vb_ctl_dir_prepare(const char *dir, struct vb_err *err)
{
	if (mkdir(dir, 0700) < 0) {
		if (errno == ENOENT) {
			int rc = mkdir_parents(dir, err);
			if (rc)
				return rc;
			if (mkdir(dir, 0700) < 0 && errno != EEXIST)
				return vb_err_errno(err, errno, "mkdir %s", dir);
		} else if (errno != EEXIST) {
			return vb_err_errno(err, errno, "mkdir %s", dir);
		}
	}
	struct stat st;
	if (lstat(dir, &st) < 0)
		return vb_err_errno(err, errno, "%s", dir);
	if (!S_ISDIR(st.st_mode))
		return vb_err_set(err, ENOTDIR, "%s: not a directory", dir);
	if (st.st_uid != geteuid())
		return vb_err_set(err, EPERM,
				  "%s: owned by uid %u, not by us (uid %u): refusing to put control sockets there",
				  dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) && chmod(dir, 0700) < 0)
		return vb_err_errno(err, errno, "chmod 0700 %s", dir);
	return 0;
}

int vb_ctl_name_check(const char *name, struct vb_err *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > VB_CTL_NAME_MAX)
		return vb_err_set(err, EINVAL, "VM name: expected 1 to %d characters",
				  VB_CTL_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return vb_err_set(err, EINVAL, "VM name \"%s\": must not start with '%c'", name,
				  name[0]);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return vb_err_set(err, EINVAL,
					  "VM name \"%s\": only letters, digits, '.', '_' and '-'",
					  name);
	}
	return 0;
}

int vb_ctl_sock_path(const char *dir, const char *name, char *buf, size_t size,
		     struct vb_err *err)
{
	int rc = vb_ctl_name_check(name, err);
	if (rc)
		return rc;
	int n = snprintf(buf, size, "%s/%s.sock", dir, name);
	if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return vb_err_set(err, ENAMETOOLONG,
				  "%s/%s.sock: longer than a socket path may be (%zu bytes)", dir,
				  name, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	return 0;
}

static int make_addr(const char *path, struct sockaddr_un *sa, struct vb_err *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return vb_err_set(err, ENAMETOOLONG, "%s: socket path too long", path);
	strcpy(sa->sun_path, path);
	return 0;
}

int vb_ctl_probe(const char *path, struct vb_err *err)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return VB_CTL_ABSENT;
		return vb_err_errno(err, errno, "%s", path);
	}
	if (!S_ISSOCK(st.st_mode))
		return vb_err_set(err, ENOTSOCK, "%s: exists and is not a socket", path);
	struct sockaddr_un sa;
	int rc = make_addr(path, &sa, err);
	if (rc)
		return rc;
	/* Non-blocking: connecting to a listener with a full backlog (a VM
	 * that stopped accepting) fails with EAGAIN instead of waiting. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vb_err_errno(err, errno, "socket");
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (rc == 0)
		return VB_CTL_LIVE;
	if (e == EAGAIN)
		return VB_CTL_LIVE; /* listening, backlog full: someone is there */
	if (e == ECONNREFUSED) {
		/* Nobody listens: the VM that bound it is gone. */
		if (unlink(path) < 0 && errno != ENOENT)
			return vb_err_errno(err, errno, "removing stale socket %s", path);
		return VB_CTL_STALE;
	}
	if (e == ENOENT)
		return VB_CTL_ABSENT;
	return vb_err_errno(err, e, "connect %s", path);
}

int vb_ctl_listen(const char *dir, const char *name, int *fd, char *path, size_t size,
		  struct vb_err *err)
{
	*fd = -1;
	int rc = vb_ctl_sock_path(dir, name, path, size, err);
	if (!rc)
		rc = vb_ctl_dir_prepare(dir, err);
	if (rc)
		return rc;
	rc = vb_ctl_probe(path, err);
	if (rc < 0)
		return rc;
	if (rc == VB_CTL_LIVE)
		return vb_err_set(err, EADDRINUSE,
				  "a VM named \"%s\" is already running (%s); choose another --name or stop it with: vmboot stop %s",
				  name, path, name);
	struct sockaddr_un sa;
	rc = make_addr(path, &sa, err);
	if (rc)
		return rc;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return vb_err_errno(err, errno, "socket");
	/* The directory is already private; the umask makes the socket 0600
	 * from the moment it exists, with no window before a chmod. umask is
	 * per process, but this runs before any other thread of vmboot. */
	mode_t old = umask(0177);
	rc = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (rc < 0) {
		close(s);
		if (e == EADDRINUSE)
			return vb_err_set(err, EADDRINUSE,
					  "a VM named \"%s\" is already running (%s appeared meanwhile)",
					  name, path);
		return vb_err_errno(err, e, "bind %s", path);
	}
	if (listen(s, 8) < 0) {
		e = errno;
		close(s);
		unlink(path);
		return vb_err_errno(err, e, "listen %s", path);
	}
	*fd = s;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int vb_ctl_dir_scan(const char *dir, int (*fn)(void *ctx, const char *name, const char *path),
		    void *ctx, struct vb_err *err)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, by_name);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return vb_err_errno(err, errno, "%s", dir);
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *d = list[i]->d_name;
		size_t len = strlen(d);
		char name[VB_CTL_NAME_MAX + 1], path[VB_CTL_PATH_MAX];
		if (rc || len <= 5 || strcmp(d + len - 5, ".sock") || len - 5 > VB_CTL_NAME_MAX)
			continue;
		memcpy(name, d, len - 5);
		name[len - 5] = 0;
		struct vb_err ignored;
		if (vb_ctl_sock_path(dir, name, path, sizeof(path), &ignored))
			continue;
		if (vb_ctl_probe(path, &ignored) == VB_CTL_LIVE)
			rc = fn(ctx, name, path);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}
