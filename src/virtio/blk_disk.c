/* The image behind a virtio-blk disk: opening and locking it, and serving
 * requests (blk.h's request engine). The virtio device and the "disk"
 * device type are blk.c's. */
#include "virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"
#include "util/le.h"

#define BIT(n) (1ULL << (n))

/* Zero-fill fallback for WRITE_ZEROES when the file system has no
 * ZERO_RANGE: bounded so one request cannot allocate much. */
#define ZERO_CHUNK_BYTES (64u * 1024u)

struct vb_blk_disk {
	int fd;
	bool readonly;
	uint64_t capacity_sectors;
	char id[VB_BLK_ID_BYTES];
	struct iovec iov[VB_BLK_QUEUE_SIZE]; /* the data part of one request */
};

/* ---- the image ---- */

static int image_bytes(int fd, const struct stat *st, uint64_t *bytes)
{
	if (S_ISREG(st->st_mode)) {
		*bytes = (uint64_t)st->st_size;
		return 0;
	}
	if (ioctl(fd, BLKGETSIZE64, bytes) < 0)
		return -errno;
	return 0;
}

static int check_kind(const char *name, const char *path, const struct stat *st,
		      struct vb_err *err)
{
	if (S_ISDIR(st->st_mode))
		return vb_err_set(err, EISDIR,
				  "disk %s: %s is a directory, not a disk image (a directory "
				  "root is served by 9p, not virtio-blk)",
				  name, path);
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		return vb_err_set(err, EINVAL, "disk %s: %s is %s, not a regular file or block device",
				  name, path, vb_file_kind_name(st->st_mode));
	return 0;
}

/* Two VMs must never write one image, whichever VMM each is: vmboot
 * takes two kinds of lock on the open image, and both must be free.
 *
 * flock(2), LOCK_EX for a writable disk and LOCK_SH for a readonly one:
 * what vmboot took before it knew QEMU's scheme, so a vmboot and an older
 * one (or flock(1)) still see each other. QEMU does not look at it.
 *
 * QEMU's image locking (block/file-posix.c, QEMU 2.10 on): what an opener
 * does with the image is written as open file description read locks on
 * single bytes. Byte 100 + P is locked while it holds permission P, byte
 * 200 + P while it will not let anyone else hold P. A newcomer first locks
 * its own bytes, then asks (F_OFD_GETLK, as if for a write lock) whether
 * any other open file holds byte 200 + P for a P it wants, or byte 100 + P
 * for a P it will not share; any holder means refuse. Locking before
 * looking means two newcomers racing both see each other and both give
 * up: never both win. OFD locks belong to the open file, not the process,
 * so one vmboot with two disks on one image refuses itself, and the locks
 * go when the file is closed. */
#define QEMU_LOCK_HELD_BASE 100
#define QEMU_LOCK_UNSHARED_BASE 200

/* QEMU's permission bits (BLK_PERM_* in include/block/block-common.h).
 * Bit 4 (graph-mod) was dropped in QEMU 6.2 and was shared by every guest
 * device before that, so its bytes are left alone. */
enum qemu_perm {
	QEMU_PERM_CONSISTENT_READ,
	QEMU_PERM_WRITE,
	QEMU_PERM_WRITE_UNCHANGED,
	QEMU_PERM_RESIZE,
	QEMU_PERM_COUNT
};

/* The names QEMU prints for them, so both say the same thing. */
static const char *const qemu_perm_names[QEMU_PERM_COUNT] = {
	[QEMU_PERM_CONSISTENT_READ] = "consistent read",
	[QEMU_PERM_WRITE] = "write",
	[QEMU_PERM_WRITE_UNCHANGED] = "write unchanged",
	[QEMU_PERM_RESIZE] = "resize",
};

/* What a vmboot disk holds and what it will not share, as bit masks.
 * The same as a QEMU guest disk with share-rw=off (hw/block/block.c): it
 * reads consistently, writes when it is writable, and lets others read
 * and do writes that change nothing. Write-unchanged is not taken: write
 * is the stronger of the two and QEMU's devices take only write. QEMU's
 * virtio-blk also shares resize, since it tells the guest of a new size;
 * vmboot reads the capacity once at open, so it keeps resize to itself
 * (`qemu-img resize` is refused while the VM runs). */
static unsigned qemu_perms_held(bool readonly)
{
	unsigned held = 1u << QEMU_PERM_CONSISTENT_READ;
	return readonly ? held : held | 1u << QEMU_PERM_WRITE;
}

static unsigned qemu_perms_unshared(void)
{
	return 1u << QEMU_PERM_WRITE | 1u << QEMU_PERM_RESIZE;
}

static int ofd_read_lock(int fd, off_t byte)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
	while (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* 1 when another open file holds a lock on byte (with *pid its process
 * when the kernel can tell: -1 for an OFD lock, which belongs to no
 * process), 0 when none does, -errno. */
static int ofd_held_by_other(int fd, off_t byte, pid_t *pid)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	*pid = fl.l_pid;
	return fl.l_type != F_UNLCK;
}

static int qemu_lock_take(int fd, const char *name, const char *path, bool readonly,
			  struct vb_err *err)
{
	const struct {
		int base;
		unsigned perms;
	} sets[] = {
		{ QEMU_LOCK_HELD_BASE, qemu_perms_held(readonly) },
		{ QEMU_LOCK_UNSHARED_BASE, qemu_perms_unshared() },
	};
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
		for (int p = 0; p < QEMU_PERM_COUNT; p++) {
			if (!(sets[s].perms & 1u << p))
				continue;
			int r = ofd_read_lock(fd, sets[s].base + p);
			/* Only a write lock stops a read lock: not QEMU's way,
			 * but someone is in the image. */
			if (r == -EAGAIN || r == -EACCES)
				return vb_err_set(err, EBUSY,
						  "disk %s: %s is in use by another VM or QEMU "
						  "(a write lock on byte %d)",
						  name, path, sets[s].base + p);
			if (r < 0)
				return vb_err_errno(err, -r, "disk %s: lock byte %d of %s", name,
						    sets[s].base + p, path);
		}
	return 0;
}

/* Refuse when another holder's bytes say no: it does not share a
 * permission this disk holds, or holds one this disk does not share.
 * The message names the permission, and the process when the lock is a
 * classic POSIX one (an OFD lock has no process to name). */
static int qemu_lock_check(int fd, const char *name, const char *path, bool readonly,
			   struct vb_err *err)
{
	const struct {
		int base;
		unsigned perms;
		const char *verb;
	} sets[] = {
		{ QEMU_LOCK_UNSHARED_BASE, qemu_perms_held(readonly), "does not share" },
		{ QEMU_LOCK_HELD_BASE, qemu_perms_unshared(), "holds" },
	};
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
		for (int p = 0; p < QEMU_PERM_COUNT; p++) {
			if (!(sets[s].perms & 1u << p))
				continue;
			pid_t pid = -1;
			int r = ofd_held_by_other(fd, sets[s].base + p, &pid);
			if (r < 0)
				return vb_err_errno(err, -r, "disk %s: test byte %d of %s", name,
						    sets[s].base + p, path);
			if (!r)
				continue;
			char who[32] = "it";
			if (pid > 0)
				snprintf(who, sizeof(who), "process %d", (int)pid);
			return vb_err_set(err, EBUSY,
					  "disk %s: %s is in use by another VM or QEMU (%s %s %s)",
					  name, path, who, sets[s].verb, qemu_perm_names[p]);
		}
	return 0;
}

static int flock_image(int fd, const char *name, const char *path, bool readonly,
		       struct vb_err *err)
{
	int op = (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB;
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return vb_err_set(err, EBUSY, "disk %s: %s is in use by another VM (flock)",
					  name, path);
		return vb_err_errno(err, errno, "disk %s: lock %s", name, path);
	}
	return 0;
}

/* flock first: another vmboot, new or old, is named as before. On
 * failure the caller's close drops whatever was taken. */
static int lock_image(int fd, const char *name, const char *path, bool readonly,
		      struct vb_err *err)
{
	int r = flock_image(fd, name, path, readonly, err);
	if (!r)
		r = qemu_lock_take(fd, name, path, readonly, err);
	if (!r)
		r = qemu_lock_check(fd, name, path, readonly, err);
	return r;
}

int vb_blk_open(const char *name, const char *path, bool readonly, struct vb_blk_disk **out,
		struct vb_err *err)
{
	if (!path)
		return vb_err_set(err, EINVAL, "disk %s: no image path", name);
	/* O_RDWR on a directory fails with EISDIR before we could say why:
	 * look first (a race only changes which error is reported). */
	struct stat st;
	if (stat(path, &st) < 0)
		return vb_err_errno(err, errno, "disk %s: %s", name, path);
	int r = check_kind(name, path, &st, err);
	if (r < 0)
		return r;
	/* The kind checked again on what is opened, which never waits. */
	int fd = vb_open_expect(path, readonly ? O_RDONLY : O_RDWR,
				VB_FILE_REGULAR | VB_FILE_BLOCK, &st, err);
	if (fd < 0) {
		vb_err_prefix(err, "disk %s: open%s", name, readonly ? "" : " for writing");
		return fd;
	}
	uint64_t bytes = 0;
	r = image_bytes(fd, &st, &bytes);
	if (r < 0)
		vb_err_errno(err, -r, "disk %s: size of %s", name, path);
	if (!r)
		r = lock_image(fd, name, path, readonly, err);
	struct vb_blk_disk *d = r ? NULL : calloc(1, sizeof(*d));
	if (!r && !d)
		r = vb_err_errno(err, ENOMEM, "disk %s", name);
	if (r) {
		close(fd);
		return r;
	}
	d->fd = fd;
	d->readonly = readonly;
	d->capacity_sectors = bytes / VB_BLK_SECTOR_BYTES;
	/* 5.2.6: a 20-byte string, NUL-padded when shorter. */
	size_t id_len = strlen(name);
	memcpy(d->id, name, id_len < sizeof(d->id) ? id_len : sizeof(d->id));
	*out = d;
	return 0;
}

void vb_blk_close(struct vb_blk_disk *d)
{
	if (!d)
		return;
	close(d->fd); /* drops the flock and the OFD locks */
	free(d);
}

uint64_t vb_blk_capacity_sectors(const struct vb_blk_disk *d)
{
	return d->capacity_sectors;
}

uint64_t vb_blk_features(const struct vb_blk_disk *d)
{
	return d->readonly ? VB_BLK_FEATURES_RO : VB_BLK_FEATURES_RW;
}

void vb_blk_config(const struct vb_blk_disk *d, uint8_t cfg[VB_BLK_CONFIG_BYTES])
{
	memset(cfg, 0, VB_BLK_CONFIG_BYTES);
	vb_le_put(cfg + VB_BLK_CFG_CAPACITY, d->capacity_sectors, 8);
	vb_le_put(cfg + VB_BLK_CFG_SIZE_MAX, VB_BLK_SIZE_MAX_BYTES, 4);
	vb_le_put(cfg + VB_BLK_CFG_SEG_MAX, VB_BLK_SEG_MAX, 4);
	vb_le_put(cfg + VB_BLK_CFG_BLK_SIZE, VB_BLK_SECTOR_BYTES, 4);
	vb_le_put(cfg + VB_BLK_CFG_MAX_DISCARD_SECTORS, VB_BLK_MAX_DISCARD_SECTORS, 4);
	vb_le_put(cfg + VB_BLK_CFG_MAX_DISCARD_SEG, VB_BLK_MAX_DISCARD_SEGS, 4);
	vb_le_put(cfg + VB_BLK_CFG_DISCARD_ALIGN, VB_BLK_DISCARD_ALIGN_SECTORS, 4);
	vb_le_put(cfg + VB_BLK_CFG_MAX_WZ_SECTORS, VB_BLK_MAX_DISCARD_SECTORS, 4);
	vb_le_put(cfg + VB_BLK_CFG_MAX_WZ_SEG, VB_BLK_MAX_DISCARD_SEGS, 4);
	/* A write-zeroes with UNMAP may punch a hole: reads still give 0. */
	cfg[VB_BLK_CFG_WZ_MAY_UNMAP] = 1;
}

/* ---- buffers of one request ---- */

/* Copy [off, off + n) of the buffers src[0, cnt) into out. false when
 * they hold fewer bytes. */
static bool iov_copy_out(const struct iovec *src, unsigned cnt, uint64_t off, void *out,
			 size_t n)
{
	uint8_t *o = out;
	for (unsigned i = 0; i < cnt && n; i++) {
		size_t len = src[i].iov_len;
		if (off >= len) {
			off -= len;
			continue;
		}
		size_t take = len - off < n ? len - (size_t)off : n;
		memcpy(o, (uint8_t *)src[i].iov_base + off, take);
		o += take;
		n -= take;
		off = 0;
	}
	return n == 0;
}

/* Describe [off, off + n) of src[0, cnt) in dst (at most cap entries,
 * empty pieces dropped). Returns the entry count, or -1 if it does not
 * fit. */
static int iov_slice(const struct iovec *src, unsigned cnt, uint64_t off, uint64_t n,
		     struct iovec *dst, unsigned cap)
{
	unsigned k = 0;
	for (unsigned i = 0; i < cnt && n; i++) {
		uint64_t len = src[i].iov_len;
		if (off >= len) {
			off -= len;
			continue;
		}
		uint64_t take = len - off < n ? len - off : n;
		if (k == cap)
			return -1;
		dst[k].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[k].iov_len = (size_t)take;
		k++;
		n -= take;
		off = 0;
	}
	return n ? -1 : (int)k;
}

static uint64_t iov_bytes(const struct iovec *iov, unsigned cnt)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

/* [sector, sector + count) inside the disk, without overflow. */
static bool range_ok(const struct vb_blk_disk *d, uint64_t sector, uint64_t count)
{
	return sector <= d->capacity_sectors && count <= d->capacity_sectors - sector;
}

/* ---- file I/O ---- */

/* Skip n bytes of an iovec array in place (after a short transfer), and
 * the empty entries after them. */
static void iov_advance(struct iovec **iov, int *cnt, size_t n)
{
	while (n && *cnt > 0) {
		if (n < (*iov)->iov_len) {
			(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
			(*iov)->iov_len -= n;
			return;
		}
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	while (*cnt > 0 && (*iov)->iov_len == 0) {
		(*iov)++;
		(*cnt)--;
	}
}

/* The whole transfer, in one syscall unless the kernel splits it
 * (a request of many buffers is one preadv/pwritev). */
static int rw_all(int fd, bool write, struct iovec *iov, int cnt, uint64_t pos)
{
	while (cnt > 0) {
		ssize_t got;
		/* One buffer (the usual 4 KiB request): pread/pwrite skip the
		 * kernel's iovec import, measurably cheaper per request. */
		if (cnt == 1)
			got = write ? pwrite(fd, iov->iov_base, iov->iov_len, (off_t)pos)
				    : pread(fd, iov->iov_base, iov->iov_len, (off_t)pos);
		else
			got = write ? pwritev(fd, iov, cnt, (off_t)pos) : preadv(fd, iov, cnt, (off_t)pos);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return -EIO; /* the image shrank under us */
		pos += (uint64_t)got;
		iov_advance(&iov, &cnt, (size_t)got);
	}
	return 0;
}

static int sync_data(int fd)
{
	while (fdatasync(fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static int write_zeroes_slow(int fd, uint64_t pos, uint64_t bytes)
{
	static const uint8_t zeroes[ZERO_CHUNK_BYTES];
	while (bytes) {
		size_t n = bytes < sizeof(zeroes) ? (size_t)bytes : sizeof(zeroes);
		struct iovec one = { (void *)zeroes, n };
		int r = rw_all(fd, true, &one, 1, pos);
		if (r < 0)
			return r;
		pos += n;
		bytes -= n;
	}
	return 0;
}

/* DISCARD: a hint (5.2.6.2: discarded sectors may read back anything),
 * so a file system without hole punching just ignores it. WRITE_ZEROES:
 * the sectors must read back as zeroes, whatever the file system. */
static int zero_range(int fd, bool discard, bool unmap, uint64_t pos, uint64_t bytes)
{
	int mode = FALLOC_FL_KEEP_SIZE | (discard || unmap ? FALLOC_FL_PUNCH_HOLE
							    : FALLOC_FL_ZERO_RANGE);
	if (fallocate(fd, mode, (off_t)pos, (off_t)bytes) == 0)
		return 0;
	int e = errno;
	if (e != EOPNOTSUPP && e != ENOSYS && e != EINVAL)
		return -e;
	if (discard)
		return 0;
	return write_zeroes_slow(fd, pos, bytes);
}

/* ---- requests ---- */

struct req {
	struct vb_blk_disk *d;
	uint64_t features;
	const struct iovec *rd; /* device-readable */
	unsigned n_rd;
	const struct iovec *wr; /* device-writable */
	unsigned n_wr;
	uint64_t rd_bytes;      /* after the header */
	uint64_t wr_bytes;      /* before the status byte */
	uint32_t type;
	uint64_t sector;
	struct vb_blk_io *io;   /* what is left to do, for a transfer or flush */
	struct iovec *data;     /* the caller's array for io->iov */
	unsigned data_cap;
};

/* A transfer of [off, off + bytes) of the given buffers at q->sector, left
 * to whoever moves the data. */
static uint8_t transfer(struct req *q, enum vb_blk_io_kind kind, const struct iovec *bufs,
			unsigned n_bufs, uint64_t off, uint64_t bytes)
{
	if (!range_ok(q->d, q->sector, bytes / VB_BLK_SECTOR_BYTES))
		return VB_BLK_S_IOERR;
	int n = iov_slice(bufs, n_bufs, off, bytes, q->data, q->data_cap);
	if (n < 0)
		return VB_BLK_S_IOERR;
	q->io->kind = kind;
	q->io->iov = q->data;
	q->io->n_iov = (unsigned)n;
	q->io->pos = q->sector * VB_BLK_SECTOR_BYTES;
	return VB_BLK_S_OK;
}

static uint8_t do_in(struct req *q)
{
	/* A read carries no data for the device (5.2.6: only the header is
	 * device-readable) and whole sectors. */
	if (q->rd_bytes || q->wr_bytes % VB_BLK_SECTOR_BYTES || q->wr_bytes > UINT32_MAX - 1)
		return VB_BLK_S_IOERR;
	q->io->data_len = (uint32_t)q->wr_bytes;
	return transfer(q, VB_BLK_IO_READ, q->wr, q->n_wr, 0, q->wr_bytes);
}

static uint8_t do_out(struct req *q)
{
	if (q->d->readonly)
		return VB_BLK_S_IOERR; /* 5.2.6.2 with VIRTIO_BLK_F_RO */
	if (q->wr_bytes || q->rd_bytes % VB_BLK_SECTOR_BYTES)
		return VB_BLK_S_IOERR;
	q->io->sync_after = !(q->features & BIT(VB_BLK_F_FLUSH));
	return transfer(q, VB_BLK_IO_WRITE, q->rd, q->n_rd, VB_BLK_HDR_BYTES, q->rd_bytes);
}

static uint8_t do_flush(struct req *q)
{
	q->io->kind = VB_BLK_IO_FLUSH;
	return VB_BLK_S_OK;
}

static uint8_t do_get_id(struct req *q)
{
	if (q->rd_bytes || q->wr_bytes == 0)
		return VB_BLK_S_IOERR;
	size_t n = q->wr_bytes < VB_BLK_ID_BYTES ? (size_t)q->wr_bytes : VB_BLK_ID_BYTES;
	size_t done = 0;
	for (unsigned i = 0; i < q->n_wr && done < n; i++) {
		size_t take = q->wr[i].iov_len < n - done ? q->wr[i].iov_len : n - done;
		memcpy(q->wr[i].iov_base, q->d->id + done, take);
		done += take;
	}
	q->io->data_len = (uint32_t)n;
	return VB_BLK_S_OK;
}

/* DISCARD and WRITE_ZEROES: a list of {le64 sector, le32 num_sectors,
 * le32 flags} segments (5.2.6). All are checked before any is applied. */
static uint8_t do_zero(struct req *q, bool discard)
{
	unsigned bit = discard ? VB_BLK_F_DISCARD : VB_BLK_F_WRITE_ZEROES;
	if (!(q->features & BIT(bit)))
		return VB_BLK_S_UNSUPP;
	if (q->d->readonly)
		return VB_BLK_S_IOERR;
	uint64_t nseg = q->rd_bytes / VB_BLK_SEG_BYTES;
	if (q->wr_bytes || q->rd_bytes % VB_BLK_SEG_BYTES || nseg == 0 ||
	    nseg > VB_BLK_MAX_DISCARD_SEGS)
		return VB_BLK_S_IOERR;
	uint64_t sector[VB_BLK_MAX_DISCARD_SEGS];
	uint32_t count[VB_BLK_MAX_DISCARD_SEGS], flags[VB_BLK_MAX_DISCARD_SEGS];
	for (unsigned i = 0; i < nseg; i++) {
		uint8_t s[VB_BLK_SEG_BYTES];
		if (!iov_copy_out(q->rd, q->n_rd, VB_BLK_HDR_BYTES + (uint64_t)i * sizeof(s), s,
				  sizeof(s)))
			return VB_BLK_S_IOERR;
		sector[i] = vb_le_get(s, 8);
		count[i] = (uint32_t)vb_le_get(s + 8, 4);
		flags[i] = (uint32_t)vb_le_get(s + 12, 4);
		/* 5.2.6.2: unmap is only for WRITE_ZEROES; other bits are
		 * reserved. */
		if (flags[i] & ~(discard ? 0u : VB_BLK_WZ_F_UNMAP))
			return VB_BLK_S_UNSUPP;
		if (count[i] > VB_BLK_MAX_DISCARD_SECTORS || !range_ok(q->d, sector[i], count[i]))
			return VB_BLK_S_IOERR;
	}
	for (unsigned i = 0; i < nseg; i++) {
		if (count[i] == 0)
			continue;
		int r = zero_range(q->d->fd, discard, flags[i] & VB_BLK_WZ_F_UNMAP,
				   sector[i] * VB_BLK_SECTOR_BYTES,
				   (uint64_t)count[i] * VB_BLK_SECTOR_BYTES);
		if (r < 0)
			return VB_BLK_S_IOERR;
	}
	if (!(q->features & BIT(VB_BLK_F_FLUSH)) && sync_data(q->d->fd) < 0)
		return VB_BLK_S_IOERR;
	return VB_BLK_S_OK;
}

static uint8_t dispatch(struct req *q)
{
	switch (q->type) {
	case VB_BLK_T_IN:
		return do_in(q);
	case VB_BLK_T_OUT:
		return do_out(q);
	case VB_BLK_T_FLUSH:
		return do_flush(q);
	case VB_BLK_T_GET_ID:
		return do_get_id(q);
	case VB_BLK_T_DISCARD:
		return do_zero(q, true);
	case VB_BLK_T_WRITE_ZEROES:
		return do_zero(q, false);
	default:
		return VB_BLK_S_UNSUPP;
	}
}

int vb_blk_begin(struct vb_blk_disk *d, uint64_t features, const struct iovec *iov,
		 unsigned n_readable, unsigned n_writable, struct iovec *data, unsigned data_cap,
		 struct vb_blk_io *io, struct vb_err *err)
{
	memset(io, 0, sizeof(*io));
	/* 5.2.6: the status byte is the last device-writable byte; with
	 * none there is nowhere to report anything. */
	const struct iovec *wr = iov + n_readable;
	unsigned last = n_writable;
	while (last > 0 && wr[last - 1].iov_len == 0)
		last--;
	if (last == 0)
		return vb_err_set(err, EINVAL, "block request without a writable status byte");
	const struct iovec *st = &wr[last - 1];
	io->status = (uint8_t *)st->iov_base + st->iov_len - 1;

	struct req q = {
		.d = d, .features = features,
		.rd = iov, .n_rd = n_readable, .wr = wr, .n_wr = last,
		.io = io, .data = data, .data_cap = data_cap,
	};
	q.wr_bytes = iov_bytes(wr, last) - 1;
	uint64_t rd_total = iov_bytes(iov, n_readable);
	uint8_t hdr[VB_BLK_HDR_BYTES];
	/* The header is copied out once so the guest cannot change it
	 * between the checks and the I/O. */
	uint8_t s;
	if (!iov_copy_out(iov, n_readable, 0, hdr, sizeof(hdr))) {
		s = VB_BLK_S_IOERR;
	} else {
		q.rd_bytes = rd_total - VB_BLK_HDR_BYTES;
		q.type = (uint32_t)vb_le_get(hdr, 4);
		q.sector = vb_le_get(hdr + 8, 8);
		s = dispatch(&q);
	}
	if (s != VB_BLK_S_OK)
		io->kind = VB_BLK_IO_DONE;
	io->result = s;
	return 0;
}

uint8_t vb_blk_run(struct vb_blk_disk *d, struct vb_blk_io *io)
{
	bool write = io->kind == VB_BLK_IO_WRITE;
	switch (io->kind) {
	case VB_BLK_IO_DONE:
		return io->result;
	case VB_BLK_IO_FLUSH:
		return sync_data(d->fd) < 0 ? VB_BLK_S_IOERR : VB_BLK_S_OK;
	case VB_BLK_IO_READ:
	case VB_BLK_IO_WRITE:
		if (rw_all(d->fd, write, io->iov, (int)io->n_iov, io->pos) < 0)
			return VB_BLK_S_IOERR;
		if (write && io->sync_after && sync_data(d->fd) < 0)
			return VB_BLK_S_IOERR;
		return VB_BLK_S_OK;
	}
	return VB_BLK_S_IOERR;
}

uint32_t vb_blk_end(const struct vb_blk_io *io, uint8_t status)
{
	*io->status = status;
	return (status == VB_BLK_S_OK ? io->data_len : 0) + 1;
}

void vb_blk_io_advance(struct vb_blk_io *io, size_t n)
{
	int cnt = (int)io->n_iov;
	iov_advance(&io->iov, &cnt, n);
	io->n_iov = (unsigned)cnt;
	io->pos += n;
}

int vb_blk_fd(const struct vb_blk_disk *d)
{
	return d->fd;
}

int vb_blk_request(struct vb_blk_disk *d, uint64_t features, const struct iovec *iov,
		   unsigned n_readable, unsigned n_writable, uint32_t *used_len,
		   struct vb_err *err)
{
	*used_len = 0;
	struct vb_blk_io io;
	int r = vb_blk_begin(d, features, iov, n_readable, n_writable, d->iov, VB_BLK_QUEUE_SIZE,
			     &io, err);
	if (r < 0)
		return r;
	*used_len = vb_blk_end(&io, vb_blk_run(d, &io));
	return 0;
}
