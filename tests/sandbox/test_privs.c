/* Capabilities and the user switch (src/sandbox/privs.c), each in a
 * forked child whose credentials the test can spoil: a drop keeps exactly
 * the kept set (also after a moment as another user), an ordinary user's
 * drop changes nothing, the switch to nobody is for good, a switch
 * without root is refused, and lookups fail with a clear message. Most
 * need root: they skip, saying so, when the test runs as anyone else. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/privs.h"

/* What a child saw after it did what the test asked, sent up a pipe. */
struct seen {
	int rc;
	char msg[VB_ERR_MSG_BYTES];
	vb_caps inh, prm, eff, bnd, amb;
	uid_t uid, euid;
	gid_t gid, egid;
	int n_groups;
	gid_t groups[64];
	int setuid_0_errno;   /* setuid(0) afterwards: 0 when it worked */
	uid_t created_owner;  /* owner of a file the child created */
};

/* One "CapXxx:\t<hex>" line of /proc/thread-self/status. */
static vb_caps status_caps(const char *status, const char *key)
{
	const char *at = strstr(status, key);
	return at ? strtoull(at + strlen(key), NULL, 16) : ~(vb_caps)0;
}

static void look(struct seen *s)
{
	char status[8192] = "";
	int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;
	status[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	s->inh = status_caps(status, "CapInh:\t");
	s->prm = status_caps(status, "CapPrm:\t");
	s->eff = status_caps(status, "CapEff:\t");
	s->bnd = status_caps(status, "CapBnd:\t");
	s->amb = status_caps(status, "CapAmb:\t");
	uid_t suid;
	gid_t sgid;
	getresuid(&s->uid, &s->euid, &suid);
	getresgid(&s->gid, &s->egid, &sgid);
	s->n_groups = getgroups(64, s->groups);
}

typedef void child_fn(struct seen *s, struct vb_err *err);

/* Runs fn in a child; what it saw comes back in *s. */
static void in_child(child_fn *fn, struct seen *s)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct seen mine = { .rc = 0 };
		struct vb_err err = { "" };
		close(fds[0]);
		fn(&mine, &err);
		snprintf(mine.msg, sizeof(mine.msg), "%s", err.msg);
		_exit(write(fds[1], &mine, sizeof(mine)) == (ssize_t)sizeof(mine) ? 0 : 1);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], s, sizeof(*s));
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, (ssize_t)sizeof(*s));
	if (s->msg[0])
		print_message("child: rc %d: %s\n", s->rc, s->msg);
}

/* in_child when the test runs as root; else the test skips, saying why,
 * and this returns false. */
static bool ran_as_root(child_fn *fn, struct seen *s)
{
	if (geteuid() != 0) {
		print_message("SKIP: needs root (capabilities and set*id), run as uid %u\n",
			      (unsigned)geteuid());
		skip();
		return false;
	}
	in_child(fn, s);
	return true;
}

/* Looks nobody up and becomes it for good, or for a moment (*before then
 * holds the ids to go back to); s->rc says how it went. */
static void become_nobody(struct seen *s, struct vb_err *err)
{
	struct vb_user nobody;
	s->rc = vb_privs_lookup_user("nobody", &nobody, err);
	if (!s->rc)
		s->rc = vb_privs_switch_user(&nobody, err);
}

static void assume_nobody(struct seen *s, struct vb_privs_ids *before, struct vb_err *err)
{
	struct vb_user nobody;
	s->rc = vb_privs_lookup_user("nobody", &nobody, err);
	if (!s->rc)
		s->rc = vb_privs_assume_user(&nobody, before, err);
}

/* The owner of a file created now (unnamed, in /tmp), or -1. */
static uid_t new_file_owner(void)
{
	struct stat st;
	int fd = open("/tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	uid_t owner = fd >= 0 && fstat(fd, &st) == 0 ? st.st_uid : (uid_t)-1;
	if (fd >= 0)
		close(fd);
	return owner;
}

/* Some of root's capabilities, as a 9P share keeps them. */
#define KEEP vb_privs_runtime_caps(true)

static void drop_keep(struct seen *s, struct vb_err *err)
{
	s->rc = vb_privs_drop_caps(KEEP, err);
	look(s);
}

static void drop_keeps_exactly_the_kept_set(void **state)
{
	(void)state;
	struct seen s;
	if (!ran_as_root(drop_keep, &s))
		return;
	assert_int_equal(s.rc, 0);
	assert_true(KEEP != 0);
	assert_true(s.eff == KEEP);
	assert_true(s.prm == KEEP);
	assert_true(s.bnd == KEEP);
	assert_true(s.inh == 0);
	assert_true(s.amb == 0);
}

static void nothing_kept(void)
{
	assert_int_equal(vb_privs_runtime_caps(false), 0);
}

/* A thread that is another user for the moment (its effective set empty,
 * as the control server started during the claim) still gives up its
 * permitted and bounding sets, and has only the kept ones once root
 * again. */
static void drop_while_assumed(struct seen *s, struct vb_err *err)
{
	struct vb_privs_ids before;
	assume_nobody(s, &before, err);
	if (!s->rc)
		s->rc = vb_privs_drop_caps(KEEP, err);
	if (!s->rc)
		s->rc = vb_privs_end_assume(&before, err);
	look(s);
}

static void drop_as_another_user_for_a_moment(void **state)
{
	(void)state;
	nothing_kept();
	struct seen s;
	if (!ran_as_root(drop_while_assumed, &s))
		return;
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.euid, 0);
	assert_true(s.prm == KEEP);
	assert_true(s.bnd == KEEP);
	assert_true(s.eff == KEEP);
}

/* Bounding set before and after a drop by a thread with no capabilities. */
static void drop_as_ordinary_user(struct seen *s, struct vb_err *err)
{
	if (geteuid() == 0)
		become_nobody(s, err);
	if (s->rc)
		return;
	look(s);
	vb_caps bnd_before = s->bnd;
	s->rc = vb_privs_drop_caps(0, err);
	look(s);
	if (s->bnd != bnd_before)
		snprintf(err->msg, sizeof(err->msg), "bounding set changed: %llx -> %llx",
			 (unsigned long long)bnd_before, (unsigned long long)s->bnd);
}

static void ordinary_user_drop_is_a_no_op(void **state)
{
	(void)state;
	struct seen s;
	in_child(drop_as_ordinary_user, &s);
	assert_int_equal(s.rc, 0);
	assert_string_equal(s.msg, "");
	assert_true(s.eff == 0 && s.prm == 0);
	assert_true(s.bnd != 0); /* an ordinary user's bounding set stays full */
}

static void switch_to_nobody(struct seen *s, struct vb_err *err)
{
	become_nobody(s, err);
	look(s);
	errno = 0;
	s->setuid_0_errno = setuid(0) == 0 ? 0 : errno;
	s->created_owner = new_file_owner();
}

static void switch_to_nobody_is_for_good(void **state)
{
	(void)state;
	const struct passwd *pw = getpwnam("nobody");
	assert_non_null(pw);
	struct seen s;
	if (!ran_as_root(switch_to_nobody, &s))
		return;
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.uid, pw->pw_uid);
	assert_int_equal(s.euid, pw->pw_uid);
	assert_int_equal(s.gid, pw->pw_gid);
	assert_int_equal(s.egid, pw->pw_gid);
	assert_int_equal(s.setuid_0_errno, EPERM);
	assert_int_equal(s.created_owner, pw->pw_uid);
	assert_true(s.eff == 0 && s.prm == 0 && s.amb == 0);
	/* root's groups are gone: only nobody's own. */
	for (int i = 0; i < s.n_groups; i++)
		if (s.groups[i] == 0)
			fail_msg("group 0 still in the supplementary groups");
}

static void switch_twice(struct seen *s, struct vb_err *err)
{
	const struct vb_user other = { .name = "other", .uid = 4242, .gid = 4242 };
	become_nobody(s, err);
	if (!s->rc)
		become_nobody(s, err); /* already nobody: nothing to do */
	if (!s->rc)
		s->rc = vb_privs_switch_user(&other, err);
	look(s);
}

static void switch_without_root_is_refused(void **state)
{
	(void)state;
	struct seen s;
	if (!ran_as_root(switch_twice, &s))
		return;
	assert_int_equal(s.rc, -EPERM);
	assert_string_equal(s.msg, "user = other: switching user needs vmboot started as root");
	assert_int_equal(s.euid, getpwnam("nobody")->pw_uid);
}

/* Created while assumed: the new file is the user's; afterwards root is
 * back, real uid and all. */
static void assume_and_create(struct seen *s, struct vb_err *err)
{
	struct vb_privs_ids before;
	assume_nobody(s, &before, err);
	s->created_owner = new_file_owner();
	if (!s->rc)
		s->rc = vb_privs_end_assume(&before, err);
	look(s);
}

static void assumed_user_owns_what_is_created(void **state)
{
	(void)state;
	struct seen s;
	if (!ran_as_root(assume_and_create, &s))
		return;
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.created_owner, getpwnam("nobody")->pw_uid);
	assert_int_equal(s.uid, 0);
	assert_int_equal(s.euid, 0);
	assert_int_equal(s.egid, getegid());
	assert_true(s.eff != 0);
}

static void lookup_refusals_say_why(void **state)
{
	(void)state;
	struct vb_user u;
	struct vb_err err = { "" };
	assert_int_equal(vb_privs_lookup_user("nosuchuser-vmboot", &u, &err), -ENOENT);
	assert_string_equal(err.msg, "user \"nosuchuser-vmboot\": no such user in /etc/passwd");
	assert_int_equal(vb_privs_lookup_user("root", &u, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "user \"root\": has uid 0"));
	assert_int_equal(vb_privs_lookup_user("", &u, &err), -EINVAL);
	assert_string_equal(err.msg, "user: empty name");
}

static void lookup_finds_nobody_and_its_groups(void **state)
{
	(void)state;
	struct vb_user u;
	struct vb_err err = { "" };
	const struct passwd *pw = getpwnam("nobody");
	assert_non_null(pw);
	assert_int_equal(vb_privs_lookup_user("nobody", &u, &err), 0);
	assert_string_equal(u.name, "nobody");
	assert_int_equal(u.uid, pw->pw_uid);
	assert_int_equal(u.gid, pw->pw_gid);
	assert_true(u.n_groups >= 1);
	assert_int_equal(u.groups[0], pw->pw_gid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drop_keeps_exactly_the_kept_set),
		cmocka_unit_test(drop_as_another_user_for_a_moment),
		cmocka_unit_test(ordinary_user_drop_is_a_no_op),
		cmocka_unit_test(switch_to_nobody_is_for_good),
		cmocka_unit_test(switch_without_root_is_refused),
		cmocka_unit_test(assumed_user_owns_what_is_created),
		cmocka_unit_test(lookup_refusals_say_why),
		cmocka_unit_test(lookup_finds_nobody_and_its_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
