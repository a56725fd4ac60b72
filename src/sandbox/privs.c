/* Capabilities and the user switch (privs.h), with the plain system calls
 * (capget/capset, prctl, set*id) and the local user database. */
#include "sandbox/privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- capabilities ---- */

vb_caps vb_privs_runtime_caps(bool serves_shares)
{
	if (!serves_shares)
		return 0;
	return VB_CAP(CAP_DAC_OVERRIDE) | VB_CAP(CAP_DAC_READ_SEARCH) | VB_CAP(CAP_FOWNER);
}

/* The calling thread's three sets (capget(2) with pid 0). */
struct cap_sets {
	vb_caps effective, permitted, inheritable;
};

/* Version 3 takes two 32-bit words per set: capabilities 0-31, then
 * 32-63. */
static int caps_get(struct cap_sets *s, struct vb_err *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
	if (syscall(SYS_capget, &hdr, d) < 0)
		return vb_err_errno(err, errno, "capabilities: capget");
	s->effective = d[0].effective | (vb_caps)d[1].effective << 32;
	s->permitted = d[0].permitted | (vb_caps)d[1].permitted << 32;
	s->inheritable = d[0].inheritable | (vb_caps)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct cap_sets *s, struct vb_err *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
		{ (uint32_t)s->effective, (uint32_t)s->permitted, (uint32_t)s->inheritable },
		{ (uint32_t)(s->effective >> 32), (uint32_t)(s->permitted >> 32),
		  (uint32_t)(s->inheritable >> 32) },
	};
	if (syscall(SYS_capset, &hdr, d) < 0)
		return vb_err_errno(err, errno, "capabilities: capset");
	return 0;
}

/* Every capability of the bounding set not in keep: one call each, not
 * a read and a drop (a thread starting is a hot path). PR_CAPBSET_DROP of
 * a capability already out is no error; past the kernel's last one
 * (cap_last_cap) it fails with EINVAL. */
static int drop_bounding(vb_caps keep, struct vb_err *err)
{
	for (unsigned long cap = 0; cap < 64; cap++) {
		if (keep & VB_CAP(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			return 0;
		return vb_err_errno(err, errno, "capabilities: dropping %lu from the bounding set",
				    cap);
	}
	return 0;
}

/* Dropping from the bounding set needs CAP_SETPCAP in the effective set,
 * so it comes before capset takes that away; a thread whose effective
 * set was lowered (vb_privs_assume_user) raises it again from the
 * permitted one first. Without CAP_SETPCAP at all (a container that took
 * it) the bounding set stays: under no_new_privs (sandbox.h) nothing
 * vmboot runs can gain a capability from it anyway. */
static int drop_bounding_if_allowed(const struct cap_sets *now, vb_caps keep,
				    struct vb_err *err)
{
	const vb_caps setpcap = VB_CAP(CAP_SETPCAP);
	if (!(now->permitted & setpcap))
		return 0;
	if (!(now->effective & setpcap)) {
		const struct cap_sets raised = { now->effective | setpcap, now->permitted,
						 now->inheritable };
		int rc = caps_set(&raised, err);
		if (rc)
			return rc;
	}
	return drop_bounding(keep, err);
}

int vb_privs_drop_caps(vb_caps keep, struct vb_err *err)
{
	struct cap_sets now = { 0 };
	int rc = caps_get(&now, err);
	if (rc)
		return rc;
	/* An ordinary user's thread: nothing to give up, and no right to
	 * touch the bounding set anyway. (Ambient capabilities are always a
	 * subset of the permitted ones.) */
	if (!now.effective && !now.permitted && !now.inheritable)
		return 0;
	rc = drop_bounding_if_allowed(&now, keep, err);
	if (rc)
		return rc;
	const struct cap_sets kept = {
		.effective = now.effective & keep,
		.permitted = now.permitted & keep,
		.inheritable = now.inheritable & keep,
	};
	rc = caps_set(&kept, err);
	if (rc)
		return rc;
	/* Lowering the permitted and inheritable sets already took away every
	 * ambient capability outside keep; the rest must not reach a program
	 * vmboot runs either. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return vb_err_errno(err, errno, "capabilities: clearing the ambient set");
	return 0;
}

/* ---- the user ---- */

/* The local user and group files, read directly rather than through
 * getpwnam_r and getgrouplist: vmboot is linked statically (configure.ac)
 * and glibc's NSS then loads the shared modules nsswitch.conf names
 * (libnss_systemd), which crash a static program. So `user` is a user of
 * /etc/passwd. */
#define PASSWD_FILE "/etc/passwd"
#define GROUP_FILE "/etc/group"

/* A line longer than this is no entry anyone wrote by hand. */
#define ENTRY_MAX_BYTES (1u << 20)

/* One entry of a file into buf: fgetpwent_r or fgetgrent_r, then what the
 * scan does with it; *done stops the scan. 0, ENOENT at the end of the
 * file, ERANGE when buf is too small (the stream stays at the entry), or
 * another errno. */
typedef int entry_fn(FILE *f, char *buf, size_t size, void *ctx, bool *done);

static int scan_file(const char *path, entry_fn *next, void *ctx, const char *name,
		     struct vb_err *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return vb_err_errno(err, errno, "user \"%s\": %s", name, path);
	size_t size = 1024;
	char *buf = malloc(size);
	bool done = false;
	int e = buf ? 0 : ENOMEM;
	while (!e && !done) {
		e = next(f, buf, size, ctx, &done);
		if (e == ERANGE && size < ENTRY_MAX_BYTES) {
			char *bigger = realloc(buf, size * 2);
			e = bigger ? 0 : ENOMEM;
			buf = bigger ? bigger : buf;
			size *= 2;
		}
	}
	free(buf);
	fclose(f);
	if (e && e != ENOENT)
		return vb_err_errno(err, e, "user \"%s\": reading %s", name, path);
	return 0;
}

static int passwd_entry(FILE *f, char *buf, size_t size, void *ctx, bool *done)
{
	struct vb_user *u = ctx;
	struct passwd pw, *entry;
	int e = fgetpwent_r(f, &pw, buf, size, &entry);
	if (!e && !strcmp(pw.pw_name, u->name)) {
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
		*done = true;
	}
	return e;
}

static bool has_group(const struct vb_user *u, gid_t gid)
{
	for (int i = 0; i < u->n_groups; i++)
		if (u->groups[i] == gid)
			return true;
	return false;
}

static bool is_member(char *const *members, const char *name)
{
	for (size_t i = 0; members && members[i]; i++)
		if (!strcmp(members[i], name))
			return true;
	return false;
}

#define MAX_GROUPS (int)(sizeof(((struct vb_user *)0)->groups) / sizeof(gid_t))

/* Every group that lists the user, after its primary one; E2BIG past
 * MAX_GROUPS. */
static int group_entry(FILE *f, char *buf, size_t size, void *ctx, bool *done)
{
	struct vb_user *u = ctx;
	struct group gr, *entry;
	int e = fgetgrent_r(f, &gr, buf, size, &entry);
	if (e || has_group(u, gr.gr_gid) || !is_member(gr.gr_mem, u->name))
		return e;
	if (u->n_groups == MAX_GROUPS) {
		*done = true;
		return E2BIG;
	}
	u->groups[u->n_groups++] = gr.gr_gid;
	return 0;
}

int vb_privs_lookup_user(const char *name, struct vb_user *u, struct vb_err *err)
{
	memset(u, 0, sizeof(*u));
	if (!name || !name[0])
		return vb_err_set(err, EINVAL, "user: empty name");
	if (strlen(name) >= sizeof(u->name))
		return vb_err_set(err, ENAMETOOLONG, "user \"%.16s...\": longer than %zu bytes", name,
				  sizeof(u->name) - 1);
	strcpy(u->name, name);
	u->uid = (uid_t)-1;
	int rc = scan_file(PASSWD_FILE, passwd_entry, u, name, err);
	if (rc)
		return rc;
	if (u->uid == (uid_t)-1)
		return vb_err_set(err, ENOENT, "user \"%s\": no such user in %s", name, PASSWD_FILE);
	if (u->uid == 0)
		return vb_err_set(err, EINVAL,
				  "user \"%s\": has uid 0, so running as it gives up nothing; name an ordinary user",
				  name);
	u->groups[u->n_groups++] = u->gid;
	rc = scan_file(GROUP_FILE, group_entry, u, name, err);
	if (rc == -E2BIG)
		return vb_err_set(err, E2BIG, "user \"%s\": in more than the %d groups vmboot takes",
				  name, MAX_GROUPS);
	return rc;
}

/* vmboot run by u itself: already where a switch would take it. */
static bool is_already(const struct vb_user *u)
{
	return getuid() == u->uid && geteuid() == u->uid;
}

static int need_root(const struct vb_user *u, struct vb_err *err)
{
	if (geteuid() != 0)
		return vb_err_set(err, EPERM,
				  "user = %s: switching user needs vmboot started as root", u->name);
	return 0;
}

int vb_privs_switch_user(const struct vb_user *u, struct vb_err *err)
{
	if (is_already(u))
		return 0;
	int rc = need_root(u, err);
	if (rc)
		return rc;
	if (setgroups((size_t)u->n_groups, u->groups) < 0)
		return vb_err_errno(err, errno, "user = %s: setgroups", u->name);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return vb_err_errno(err, errno, "user = %s: setresgid %u", u->name,
				    (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return vb_err_errno(err, errno, "user = %s: setresuid %u", u->name,
				    (unsigned)u->uid);
	/* With every uid non-zero the kernel has cleared the capabilities and
	 * made the process non-dumpable (so the user cannot ptrace it and
	 * reach what root opened). Make sure there is no way back. */
	if (setresuid(0, 0, 0) == 0 || geteuid() != u->uid || getegid() != u->gid)
		return vb_err_set(err, EPERM, "user = %s: root could be regained after the switch",
				  u->name);
	return 0;
}

int vb_privs_assume_user(const struct vb_user *u, struct vb_privs_ids *saved,
			 struct vb_err *err)
{
	saved->euid = geteuid();
	saved->egid = getegid();
	if (is_already(u))
		return 0;
	int rc = need_root(u, err);
	if (rc)
		return rc;
	/* The gid first: changing it needs the root the uid gives up. */
	if (setegid(u->gid) < 0)
		return vb_err_errno(err, errno, "user = %s: setegid %u", u->name, (unsigned)u->gid);
	if (seteuid(u->uid) < 0) {
		rc = vb_err_errno(err, errno, "user = %s: seteuid %u", u->name, (unsigned)u->uid);
		(void)setegid(saved->egid);
	}
	return rc;
}

int vb_privs_end_assume(const struct vb_privs_ids *saved, struct vb_err *err)
{
	if (geteuid() != saved->euid && seteuid(saved->euid) < 0)
		return vb_err_errno(err, errno, "seteuid %u", (unsigned)saved->euid);
	if (getegid() != saved->egid && setegid(saved->egid) < 0)
		return vb_err_errno(err, errno, "setegid %u", (unsigned)saved->egid);
	return 0;
}
