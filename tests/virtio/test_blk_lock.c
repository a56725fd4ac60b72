/* The image locks of a virtio-blk disk (blk.h), without KVM or QEMU:
 * - the bytes a disk holds are QEMU's (block/file-posix.c): read locks on
 *   100 + P for each permission P held and 200 + P for each P not shared
 *   (0 consistent read, 1 write, 3 resize), and they go at close;
 * - two disks on one image: writers exclude everyone, readers share;
 * - against stand-ins for QEMU, which lock the same bytes from another
 *   open file as qemu-io and a QEMU virtio-blk device do (measured in
 *   /proc/locks: qemu-io 100-101, qemu-io -r 100, -device virtio-blk
 *   100-101 and 201): refused with the permission named, or shared;
 * - a classic POSIX lock names its process; a refused open leaves no
 *   lock behind. tests/virtio/test_disk_locks.sh does the same against a
 *   real qemu-io. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "virtio/blk.h"

#define IMAGE_BYTES (64u * 1024u)

/* The lock bytes of QEMU's scheme this test looks at: every permission
 * of QEMU 6.2 on, held (100 + P) and not shared (200 + P). */
static const int lock_bytes[] = { 100, 101, 102, 103, 200, 201, 202, 203 };
#define N_BYTES (sizeof(lock_bytes) / sizeof(lock_bytes[0]))

struct fixture {
	char dir[64];
	char path[96];
	int probe; /* an open file of our own, to look at and take locks */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vb-blk-lock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
	int fd = open(f->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMAGE_BYTES), 0);
	close(fd);
	f->probe = open(f->path, O_RDWR);
	assert_true(f->probe >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->probe);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Whether another open file holds a lock on byte, as QEMU asks it; *pid
 * is what the kernel says about the holder. */
static bool locked_by_other(int fd, int byte, pid_t *pid)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
	assert_int_equal(fcntl(fd, F_OFD_GETLK, &fl), 0);
	if (pid)
		*pid = fl.l_pid;
	return fl.l_type != F_UNLCK;
}

/* The bytes locked by others, as a mask over lock_bytes[]. */
static unsigned locked_mask(struct fixture *f)
{
	unsigned mask = 0;
	for (size_t i = 0; i < N_BYTES; i++)
		if (locked_by_other(f->probe, lock_bytes[i], NULL))
			mask |= 1u << i;
	return mask;
}

static unsigned mask_of(const int *bytes, size_t n)
{
	unsigned mask = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < N_BYTES; j++)
			if (lock_bytes[j] == bytes[i])
				mask |= 1u << j;
	return mask;
}

/* Take read locks on bytes from the probe's open file, the way QEMU
 * does; cmd F_SETLK makes them classic POSIX locks of this process. */
static void hold_bytes(struct fixture *f, int cmd, short type, const int *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct flock fl = {
			.l_type = type, .l_whence = SEEK_SET, .l_start = bytes[i], .l_len = 1,
		};
		assert_int_equal(fcntl(f->probe, cmd, &fl), 0);
	}
}

static void release_bytes(struct fixture *f, int cmd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	assert_int_equal(fcntl(f->probe, cmd, &fl), 0);
}

static void expect_refused(struct fixture *f, bool readonly, const char *why)
{
	struct vb_blk_disk *d = NULL;
	struct vb_err err = { "" };
	assert_int_equal(vb_blk_open("root", f->path, readonly, &d, &err), -EBUSY);
	assert_null(d);
	assert_non_null(strstr(err.msg, "disk root: "));
	assert_non_null(strstr(err.msg, f->path));
	if (!strstr(err.msg, why))
		fail_msg("want \"%s\" in \"%s\"", why, err.msg);
}

static void expect_opens(struct fixture *f, bool readonly)
{
	struct vb_blk_disk *d = NULL;
	struct vb_err err = { "" };
	if (vb_blk_open("root", f->path, readonly, &d, &err) != 0)
		fail_msg("%s open refused: %s", readonly ? "readonly" : "writable", err.msg);
	vb_blk_close(d);
}

static const int vmboot_rw_bytes[] = { 100, 101, 201, 203 };
static const int vmboot_ro_bytes[] = { 100, 201, 203 };
static const int qemu_io_bytes[] = { 100, 101 };
static const int qemu_io_ro_bytes[] = { 100 };
static const int qemu_virtio_blk_bytes[] = { 100, 101, 201 };
#define BYTES(a) (a), (sizeof(a) / sizeof((a)[0]))

static void test_bytes_held(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	struct vb_blk_disk *d = NULL;
	assert_int_equal(locked_mask(f), 0);

	assert_int_equal(vb_blk_open("rw", f->path, false, &d, &err), 0);
	assert_int_equal(locked_mask(f), mask_of(BYTES(vmboot_rw_bytes)));
	/* OFD locks belong to no process: the kernel cannot name one. */
	pid_t pid = 0;
	assert_true(locked_by_other(f->probe, 101, &pid));
	assert_int_equal(pid, -1);
	vb_blk_close(d);
	assert_int_equal(locked_mask(f), 0);

	assert_int_equal(vb_blk_open("ro", f->path, true, &d, &err), 0);
	assert_int_equal(locked_mask(f), mask_of(BYTES(vmboot_ro_bytes)));
	vb_blk_close(d);
	assert_int_equal(locked_mask(f), 0);
}

/* Two vmboot disks on one image (flock and the bytes together). */
static void test_two_disks(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	struct vb_blk_disk *a = NULL, *b = NULL;

	assert_int_equal(vb_blk_open("a", f->path, false, &a, &err), 0);
	expect_refused(f, false, "is in use by another VM (flock)");
	expect_refused(f, true, "is in use by another VM (flock)");
	vb_blk_close(a);

	assert_int_equal(vb_blk_open("a", f->path, true, &a, &err), 0);
	assert_int_equal(vb_blk_open("b", f->path, true, &b, &err), 0);
	expect_refused(f, false, "is in use by another VM");
	vb_blk_close(a);
	vb_blk_close(b);
	assert_int_equal(locked_mask(f), 0);
	expect_opens(f, false);
}

/* The bytes alone refuse a second vmboot, whatever flock says (on a file
 * system where flock means nothing, or a vmboot that one day drops it). */
static void test_bytes_of_vmboot(void **state)
{
	struct fixture *f = *state;
	hold_bytes(f, F_OFD_SETLK, F_RDLCK, BYTES(vmboot_rw_bytes));
	expect_refused(f, false, "(it does not share write)");
	expect_refused(f, true, "(it holds write)");
	release_bytes(f, F_OFD_SETLK);

	hold_bytes(f, F_OFD_SETLK, F_RDLCK, BYTES(vmboot_ro_bytes));
	expect_refused(f, false, "(it does not share write)");
	expect_opens(f, true);
	release_bytes(f, F_OFD_SETLK);
}

static void test_bytes_of_qemu(void **state)
{
	struct fixture *f = *state;
	/* qemu-io IMAGE: holds consistent read and write, shares all. */
	hold_bytes(f, F_OFD_SETLK, F_RDLCK, BYTES(qemu_io_bytes));
	expect_refused(f, false, "is in use by another VM or QEMU (it holds write)");
	expect_refused(f, true, "(it holds write)");
	release_bytes(f, F_OFD_SETLK);

	/* qemu-io -r IMAGE: consistent read only, shares all, as QEMU
	 * itself lets a reader in beside a writer. */
	hold_bytes(f, F_OFD_SETLK, F_RDLCK, BYTES(qemu_io_ro_bytes));
	expect_opens(f, true);
	expect_opens(f, false);
	release_bytes(f, F_OFD_SETLK);

	/* A QEMU guest disk (virtio-blk, share-rw=off) does not share
	 * write: it keeps even a readonly vmboot out, since it holds write. */
	hold_bytes(f, F_OFD_SETLK, F_RDLCK, BYTES(qemu_virtio_blk_bytes));
	expect_refused(f, false, "(it does not share write)");
	expect_refused(f, true, "(it holds write)");
	release_bytes(f, F_OFD_SETLK);

	/* QEMU without OFD locks falls back to classic POSIX locks: those
	 * belong to a process, which the message names. */
	hold_bytes(f, F_SETLK, F_RDLCK, BYTES(qemu_io_bytes));
	char want[64];
	snprintf(want, sizeof(want), "(process %d holds write)", (int)getpid());
	expect_refused(f, true, want);
	release_bytes(f, F_SETLK);

	/* Nobody in QEMU's scheme takes a write lock, but one there means
	 * the image is in use. */
	const int first[] = { 100 };
	hold_bytes(f, F_OFD_SETLK, F_WRLCK, BYTES(first));
	expect_refused(f, true, "(a write lock on byte 100)");
	release_bytes(f, F_OFD_SETLK);
	expect_opens(f, false);
}

/* A refused open leaves nothing locked: after it, the holder's bytes
 * are the only ones held. */
static void test_refusal_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	struct vb_blk_disk *d = NULL;
	hold_bytes(f, F_OFD_SETLK, F_RDLCK, BYTES(qemu_virtio_blk_bytes));
	expect_refused(f, false, "(it does not share write)");
	release_bytes(f, F_OFD_SETLK);
	assert_int_equal(locked_mask(f), 0);
	assert_int_equal(vb_blk_open("root", f->path, false, &d, &err), 0);
	vb_blk_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bytes_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_disks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_of_vmboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_of_qemu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_leaves_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
