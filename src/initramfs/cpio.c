#include "initramfs/cpio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/grow.h"

#define MAGIC "070701"
#define MAGIC_LEN 6
#define FIELDS 13
#define HEADER_LEN (MAGIC_LEN + FIELDS * 8)
#define TRAILER "TRAILER!!!"

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR, F_DEVMINOR,
       F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK };

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void vb_cpio_init(struct vb_cpio *c)
{
	memset(c, 0, sizeof(*c));
	/* Inode 0 is avoided: some extractors treat it specially. */
	c->next_ino = 1;
}

void vb_cpio_free(struct vb_cpio *c)
{
	free(c->buf);
	vb_cpio_init(c);
}

static int reserve(struct vb_cpio *c, size_t more)
{
	if (more > SIZE_MAX - c->len)
		return -ENOMEM;
	if (c->len + more <= c->cap)
		return 0;
	uint8_t *p = vb_grow(c->buf, &c->cap, c->len + more, 4096);
	if (!p)
		return -ENOMEM;
	c->buf = p;
	return 0;
}

static bool name_ok(const char *name)
{
	if (!name || !name[0] || name[0] == '/')
		return false;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 2 && !strncmp(p, "..", 2)) || n == 0)
			return false;
		p += n;
		if (*p == '/' && !*++p)
			return false; /* trailing '/' */
	}
	return true;
}

static void put_entry(struct vb_cpio *c, const char *name, const uint32_t fields[FIELDS],
		      const uint8_t *data, size_t size)
{
	char header[HEADER_LEN + 1];
	size_t namesize = strlen(name) + 1;
	int n = snprintf(header, sizeof(header), MAGIC);
	for (int i = 0; i < FIELDS; i++)
		n += snprintf(header + n, sizeof(header) - (size_t)n, "%08X", (unsigned)fields[i]);
	memcpy(c->buf + c->len, header, HEADER_LEN);
	c->len += HEADER_LEN;
	memcpy(c->buf + c->len, name, namesize);
	c->len += namesize;
	memset(c->buf + c->len, 0, pad4(HEADER_LEN + namesize));
	c->len += pad4(HEADER_LEN + namesize);
	if (size)
		memcpy(c->buf + c->len, data, size);
	c->len += size;
	memset(c->buf + c->len, 0, pad4(size));
	c->len += pad4(size);
}

static size_t entry_bytes(size_t namesize, size_t size)
{
	return HEADER_LEN + namesize + pad4(HEADER_LEN + namesize) + size + pad4(size);
}

int vb_cpio_add(struct vb_cpio *c, const struct vb_cpio_entry *e, struct vb_err *err)
{
	if (!name_ok(e->name) || !strcmp(e->name, TRAILER))
		return vb_err_set(err, EINVAL, "cpio: bad entry name \"%s\"",
				  e->name ? e->name : "(null)");
	if (e->size > UINT32_MAX)
		return vb_err_set(err, EINVAL, "cpio: %s: %llu bytes do not fit the newc format",
				  e->name, (unsigned long long)e->size);
	if (e->size && !e->data)
		return vb_err_set(err, EINVAL, "cpio: %s: no data", e->name);
	size_t namesize = strlen(e->name) + 1;
	if (namesize > UINT32_MAX || reserve(c, entry_bytes(namesize, (size_t)e->size)))
		return vb_err_set(err, ENOMEM, "cpio: out of memory");
	uint32_t fields[FIELDS] = { 0 };
	fields[F_INO] = c->next_ino++;
	fields[F_MODE] = e->mode;
	fields[F_NLINK] = S_ISDIR(e->mode) ? 2 : 1;
	fields[F_FILESIZE] = (uint32_t)e->size;
	fields[F_RDEVMAJOR] = e->rdev_major;
	fields[F_RDEVMINOR] = e->rdev_minor;
	fields[F_NAMESIZE] = (uint32_t)namesize;
	put_entry(c, e->name, fields, e->data, (size_t)e->size);
	return 0;
}

int vb_cpio_add_dir(struct vb_cpio *c, const char *name, uint32_t perm, struct vb_err *err)
{
	struct vb_cpio_entry e = { name, S_IFDIR | (perm & 07777), NULL, 0, 0, 0 };
	return vb_cpio_add(c, &e, err);
}

int vb_cpio_add_file(struct vb_cpio *c, const char *name, uint32_t perm, const uint8_t *data,
		     uint64_t size, struct vb_err *err)
{
	struct vb_cpio_entry e = { name, S_IFREG | (perm & 07777), data, size, 0, 0 };
	return vb_cpio_add(c, &e, err);
}

int vb_cpio_finish(struct vb_cpio *c, uint8_t **buf, size_t *len, struct vb_err *err)
{
	size_t namesize = sizeof(TRAILER);
	if (reserve(c, entry_bytes(namesize, 0)))
		return vb_err_set(err, ENOMEM, "cpio: out of memory");
	uint32_t fields[FIELDS] = { 0 };
	fields[F_NLINK] = 1;
	fields[F_NAMESIZE] = (uint32_t)namesize;
	put_entry(c, TRAILER, fields, NULL, 0);
	*buf = c->buf;
	*len = c->len;
	c->buf = NULL;
	vb_cpio_init(c);
	return 0;
}

static int hex8(const uint8_t *p, uint32_t *v)
{
	uint32_t x = 0;
	for (int i = 0; i < 8; i++) {
		uint8_t ch = p[i];
		uint32_t d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else
			return -EINVAL;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

int vb_cpio_next(const uint8_t *buf, size_t len, size_t *offset, struct vb_cpio_entry *e)
{
	size_t at = *offset;
	uint32_t f[FIELDS];
	if (at > len || len - at < HEADER_LEN || memcmp(buf + at, MAGIC, MAGIC_LEN))
		return -EINVAL;
	for (int i = 0; i < FIELDS; i++)
		if (hex8(buf + at + MAGIC_LEN + 8 * i, &f[i]))
			return -EINVAL;
	size_t name_at = at + HEADER_LEN, namesize = f[F_NAMESIZE];
	if (!namesize || namesize > len - name_at || buf[name_at + namesize - 1] != 0 ||
	    memchr(buf + name_at, 0, namesize) != buf + name_at + namesize - 1)
		return -EINVAL;
	size_t data_at = name_at + namesize + pad4(HEADER_LEN + namesize);
	size_t size = f[F_FILESIZE];
	if (data_at > len || size > len - data_at || pad4(size) > len - data_at - size)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->name = (const char *)(buf + name_at);
	e->mode = f[F_MODE];
	e->data = size ? buf + data_at : NULL;
	e->size = size;
	e->rdev_major = f[F_RDEVMAJOR];
	e->rdev_minor = f[F_RDEVMINOR];
	*offset = data_at + size + pad4(size);
	return strcmp(e->name, TRAILER) ? 1 : 0;
}
