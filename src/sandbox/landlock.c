/* vb_sandbox_restrict_files (sandbox.h) with Landlock: a ruleset that
 * handles every file system access right the kernel knows, and grants
 * back only reading the files named. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The rights of later ABI versions, by their stable numbers, for headers
 * older than the running kernel. */
#define FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define FS_REFER (1ULL << 13)      /* ABI 2 */

static uint64_t handled_rights(long abi)
{
	uint64_t rights = FS_ABI1;
	if (abi >= 2)
		rights |= FS_REFER;
	if (abi >= 3)
		rights |= FS_TRUNCATE;
	if (abi >= 5)
		rights |= FS_IOCTL_DEV;
	return rights;
}

static int allow_read(int ruleset, const char *path)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* nothing there to read */
	struct landlock_path_beneath_attr rule = {
		.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE,
		.parent_fd = fd,
	};
	long r = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	int e = errno;
	close(fd);
	return r < 0 ? -e : 0;
}

int vb_sandbox_restrict_files(const char *const *readable, size_t n, bool *enforced,
			      struct vb_err *err)
{
	*enforced = false;
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return 0; /* no Landlock in this kernel: seccomp still holds */
	struct landlock_ruleset_attr attr = { .handled_access_fs = handled_rights(abi) };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return vb_err_errno(err, errno, "landlock: ruleset");
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		r = allow_read(ruleset, readable[i]);
		if (r)
			vb_err_errno(err, -r, "landlock: %s", readable[i]);
	}
	if (!r && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		r = vb_err_errno(err, errno, "landlock: restrict");
	close(ruleset);
	*enforced = r == 0;
	return r;
}
