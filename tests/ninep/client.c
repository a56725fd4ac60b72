#include "client.h"

#include <string.h>

static void put_s(struct vb_9p_out *o, const char *s)
{
	vb_9p_put_str(o, s, strlen(s));
}

void client_begin(struct client *c)
{
	vb_9p_out_init(&c->o, c->req, sizeof(c->req));
}

int client_send_raw(struct client *c, const uint8_t *msg, size_t len,
		    uint8_t type)
{
	size_t rlen = 0;
	if (vb_9p_server_handle(c->srv, msg, len, c->resp, sizeof(c->resp),
				&rlen))
		return -2000;
	struct vb_9p_header h;
	if (vb_9p_header_parse(c->resp, rlen, (uint32_t)rlen, &h, &c->r))
		return -3000;
	c->rtype = h.type;
	c->rtag = h.tag;
	if (h.type == VB_9P_RLERROR)
		return -(int)vb_9p_get_u32(&c->r);
	return h.type == type + 1 ? 0 : -1000;
}

int client_send(struct client *c, uint8_t type)
{
	int len = vb_9p_out_finish(&c->o, type, 1);
	if (len < 0)
		return -4000;
	return client_send_raw(c, c->req, (size_t)len, type);
}

int c_version(struct client *c, uint32_t msize, const char *version)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, msize);
	put_s(&c->o, version);
	return client_send(c, VB_9P_TVERSION);
}

int c_attach(struct client *c, uint32_t fid)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u32(&c->o, VB_9P_NOFID);
	put_s(&c->o, "root");
	put_s(&c->o, "");
	vb_9p_put_u32(&c->o, 0);
	return client_send(c, VB_9P_TATTACH);
}

int c_walk(struct client *c, uint32_t fid, uint32_t newfid,
	   const char *const *names, uint16_t *nwqid)
{
	uint16_t n = 0;
	while (names && names[n])
		n++;
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u32(&c->o, newfid);
	vb_9p_put_u16(&c->o, n);
	for (uint16_t i = 0; i < n; i++)
		put_s(&c->o, names[i]);
	int rc = client_send(c, VB_9P_TWALK);
	if (rc == 0 && nwqid)
		*nwqid = vb_9p_get_u16(&c->r);
	return rc;
}

int c_walk1(struct client *c, uint32_t fid, uint32_t newfid, const char *name)
{
	const char *names[] = { name, NULL };
	uint16_t n = 0;
	int rc = c_walk(c, fid, newfid, names, &n);
	return rc ? rc : n == 1 ? 0 : -5000;
}

static int fid_op(struct client *c, uint8_t type, uint32_t fid)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	return client_send(c, type);
}

int c_clunk(struct client *c, uint32_t fid)
{
	return fid_op(c, VB_9P_TCLUNK, fid);
}

int c_remove(struct client *c, uint32_t fid)
{
	return fid_op(c, VB_9P_TREMOVE, fid);
}

int c_lopen(struct client *c, uint32_t fid, uint32_t flags)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u32(&c->o, flags);
	return client_send(c, VB_9P_TLOPEN);
}

int c_lcreate(struct client *c, uint32_t fid, const char *name,
	      uint32_t flags, uint32_t mode)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	put_s(&c->o, name);
	vb_9p_put_u32(&c->o, flags);
	vb_9p_put_u32(&c->o, mode);
	vb_9p_put_u32(&c->o, 0);
	return client_send(c, VB_9P_TLCREATE);
}

int c_write(struct client *c, uint32_t fid, uint64_t off, const void *data,
	    uint32_t len)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u64(&c->o, off);
	vb_9p_put_u32(&c->o, len);
	uint8_t *p = vb_9p_put_reserve(&c->o, len);
	if (p && len)
		memcpy(p, data, len);
	int rc = client_send(c, VB_9P_TWRITE);
	return rc ? rc : (int)vb_9p_get_u32(&c->r);
}

int c_read(struct client *c, uint32_t fid, uint64_t off, void *buf,
	   uint32_t count)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u64(&c->o, off);
	vb_9p_put_u32(&c->o, count);
	int rc = client_send(c, VB_9P_TREAD);
	if (rc)
		return rc;
	uint32_t n = vb_9p_get_u32(&c->r);
	const uint8_t *p = vb_9p_get_bytes(&c->r, n);
	if (!p || n > count)
		return -6000;
	memcpy(buf, p, n);
	return (int)n;
}

int c_readdir_all(struct client *c, uint32_t fid, char *list, size_t bytes)
{
	uint64_t off = 0;
	size_t used = 0;
	list[0] = '\0';
	for (;;) {
		client_begin(c);
		vb_9p_put_u32(&c->o, fid);
		vb_9p_put_u64(&c->o, off);
		/* Small count: forces several requests per directory. */
		vb_9p_put_u32(&c->o, 300);
		int rc = client_send(c, VB_9P_TREADDIR);
		if (rc)
			return rc;
		uint32_t n = vb_9p_get_u32(&c->r);
		if (n == 0)
			return 0;
		size_t end = c->r.pos + n;
		while (c->r.pos < end && !c->r.err) {
			struct vb_9p_str s;
			for (int i = 0; i < VB_9P_QID_BYTES; i++)
				vb_9p_get_u8(&c->r);
			off = vb_9p_get_u64(&c->r);
			vb_9p_get_u8(&c->r);
			vb_9p_get_str(&c->r, &s);
			if ((size_t)s.len + 2 > bytes - used)
				return -7000;
			memcpy(list + used, s.p, s.len);
			used += s.len;
			list[used++] = ' ';
			list[used] = '\0';
		}
		if (c->r.err)
			return -8000;
	}
}

int c_getattr(struct client *c, uint32_t fid, uint32_t *mode, uint64_t *size,
	      uint64_t *nlink)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u64(&c->o, 0x3fff);
	int rc = client_send(c, VB_9P_TGETATTR);
	if (rc)
		return rc;
	vb_9p_get_u64(&c->r); /* valid */
	for (int i = 0; i < VB_9P_QID_BYTES; i++)
		vb_9p_get_u8(&c->r);
	*mode = vb_9p_get_u32(&c->r);
	vb_9p_get_u32(&c->r);
	vb_9p_get_u32(&c->r);
	*nlink = vb_9p_get_u64(&c->r);
	vb_9p_get_u64(&c->r);
	*size = vb_9p_get_u64(&c->r);
	for (int i = 0; i < 12; i++)
		vb_9p_get_u64(&c->r);
	return vb_9p_in_done(&c->r) ? -9000 : 0;
}

int c_setattr(struct client *c, uint32_t fid, uint32_t valid, uint32_t mode,
	      uint64_t size)
{
	return c_setattr_owner(c, fid, valid, mode, 0, 0, size);
}

int c_setattr_owner(struct client *c, uint32_t fid, uint32_t valid,
		    uint32_t mode, uint32_t uid, uint32_t gid, uint64_t size)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u32(&c->o, valid);
	vb_9p_put_u32(&c->o, mode);
	vb_9p_put_u32(&c->o, uid);
	vb_9p_put_u32(&c->o, gid);
	vb_9p_put_u64(&c->o, size);
	for (int i = 0; i < 4; i++)
		vb_9p_put_u64(&c->o, 0);
	return client_send(c, VB_9P_TSETATTR);
}

int c_mkdir(struct client *c, uint32_t dfid, const char *name, uint32_t mode)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, dfid);
	put_s(&c->o, name);
	vb_9p_put_u32(&c->o, mode);
	vb_9p_put_u32(&c->o, 0);
	return client_send(c, VB_9P_TMKDIR);
}

int c_mknod(struct client *c, uint32_t dfid, const char *name, uint32_t mode)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, dfid);
	put_s(&c->o, name);
	vb_9p_put_u32(&c->o, mode);
	vb_9p_put_u32(&c->o, 1);
	vb_9p_put_u32(&c->o, 3);
	vb_9p_put_u32(&c->o, 0);
	return client_send(c, VB_9P_TMKNOD);
}

int c_symlink(struct client *c, uint32_t dfid, const char *name,
	      const char *target)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, dfid);
	put_s(&c->o, name);
	put_s(&c->o, target);
	vb_9p_put_u32(&c->o, 0);
	return client_send(c, VB_9P_TSYMLINK);
}

int c_readlink(struct client *c, uint32_t fid, char *buf, size_t bytes)
{
	int rc = fid_op(c, VB_9P_TREADLINK, fid);
	if (rc)
		return rc;
	struct vb_9p_str s;
	vb_9p_get_str(&c->r, &s);
	return vb_9p_str_copy(&s, buf, bytes) ? -10000 : 0;
}

int c_link(struct client *c, uint32_t dfid, uint32_t fid, const char *name)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, dfid);
	vb_9p_put_u32(&c->o, fid);
	put_s(&c->o, name);
	return client_send(c, VB_9P_TLINK);
}

int c_rename(struct client *c, uint32_t fid, uint32_t dfid, const char *name)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u32(&c->o, dfid);
	put_s(&c->o, name);
	return client_send(c, VB_9P_TRENAME);
}

int c_renameat(struct client *c, uint32_t odfid, const char *oname,
	       uint32_t ndfid, const char *nname)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, odfid);
	put_s(&c->o, oname);
	vb_9p_put_u32(&c->o, ndfid);
	put_s(&c->o, nname);
	return client_send(c, VB_9P_TRENAMEAT);
}

int c_unlinkat(struct client *c, uint32_t dfid, const char *name,
	       uint32_t flags)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, dfid);
	put_s(&c->o, name);
	vb_9p_put_u32(&c->o, flags);
	return client_send(c, VB_9P_TUNLINKAT);
}

int c_statfs(struct client *c, uint32_t fid, uint32_t *namelen)
{
	int rc = fid_op(c, VB_9P_TSTATFS, fid);
	if (rc)
		return rc;
	for (int i = 0; i < 2; i++)
		vb_9p_get_u32(&c->r);
	for (int i = 0; i < 6; i++)
		vb_9p_get_u64(&c->r);
	*namelen = vb_9p_get_u32(&c->r);
	return vb_9p_in_done(&c->r) ? -9000 : 0;
}

int c_fsync(struct client *c, uint32_t fid)
{
	client_begin(c);
	vb_9p_put_u32(&c->o, fid);
	vb_9p_put_u32(&c->o, 0);
	return client_send(c, VB_9P_TFSYNC);
}
