/* A tiny 9P2000.L client for the server tests: builds T-messages with the
 * wire writer, hands them to vb_9p_server_handle and decodes the header of
 * the reply. */
#ifndef VB_TESTS_NINEP_CLIENT_H
#define VB_TESTS_NINEP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ninep/server.h"
#include "ninep/wire.h"

#define CLIENT_BUF_BYTES (64u * 1024u)

struct client {
	struct vb_9p_server *srv;
	uint8_t req[CLIENT_BUF_BYTES];
	uint8_t resp[CLIENT_BUF_BYTES];
	struct vb_9p_out o; /* the request being built */
	struct vb_9p_in r;  /* the body of the last reply */
	uint8_t rtype;
	uint16_t rtag;
};

/* Start a request; put fields with vb_9p_put_* on c->o. */
void client_begin(struct client *c);
/* Send it; returns 0 when the reply is type + 1 (body in c->r), -ecode for
 * an Rlerror, -1000 for any other reply type. */
int client_send(struct client *c, uint8_t type);
/* Send raw bytes; same return convention (type is the expected T). */
int client_send_raw(struct client *c, const uint8_t *msg, size_t len,
		    uint8_t type);

int c_version(struct client *c, uint32_t msize, const char *version);
int c_attach(struct client *c, uint32_t fid);
/* Walk names (NULL-terminated); *nwqid gets the qid count when non-NULL. */
int c_walk(struct client *c, uint32_t fid, uint32_t newfid,
	   const char *const *names, uint16_t *nwqid);
int c_walk1(struct client *c, uint32_t fid, uint32_t newfid, const char *name);
int c_clunk(struct client *c, uint32_t fid);
int c_lopen(struct client *c, uint32_t fid, uint32_t flags);
int c_lcreate(struct client *c, uint32_t fid, const char *name,
	      uint32_t flags, uint32_t mode);
int c_write(struct client *c, uint32_t fid, uint64_t off, const void *data,
	    uint32_t len);
/* Returns bytes read (>= 0) or -ecode; data copied into buf. */
int c_read(struct client *c, uint32_t fid, uint64_t off, void *buf,
	   uint32_t count);
/* Lists the directory (opened fid) into "name name name " order as read. */
int c_readdir_all(struct client *c, uint32_t fid, char *list, size_t bytes);
int c_getattr(struct client *c, uint32_t fid, uint32_t *mode, uint64_t *size,
	      uint64_t *nlink);
int c_setattr(struct client *c, uint32_t fid, uint32_t valid, uint32_t mode,
	      uint64_t size);
/* With the uid and gid fields (c_setattr sends 0 for both). */
int c_setattr_owner(struct client *c, uint32_t fid, uint32_t valid,
		    uint32_t mode, uint32_t uid, uint32_t gid, uint64_t size);
int c_mkdir(struct client *c, uint32_t dfid, const char *name, uint32_t mode);
int c_symlink(struct client *c, uint32_t dfid, const char *name,
	      const char *target);
int c_readlink(struct client *c, uint32_t fid, char *buf, size_t bytes);
int c_link(struct client *c, uint32_t dfid, uint32_t fid, const char *name);
int c_rename(struct client *c, uint32_t fid, uint32_t dfid, const char *name);
int c_renameat(struct client *c, uint32_t odfid, const char *oname,
	       uint32_t ndfid, const char *nname);
int c_unlinkat(struct client *c, uint32_t dfid, const char *name,
	       uint32_t flags);
int c_remove(struct client *c, uint32_t fid);
int c_statfs(struct client *c, uint32_t fid, uint32_t *namelen);
int c_fsync(struct client *c, uint32_t fid);
int c_mknod(struct client *c, uint32_t dfid, const char *name, uint32_t mode);

#endif
