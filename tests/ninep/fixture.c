#include "fixture.h"

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

struct vb_9p_server *make_server_cfg(struct vb_9p_config cfg)
{
	cfg.max_msize = CLIENT_BUF_BYTES;
	struct vb_err err = { { 0 } };
	struct vb_9p_server *srv = NULL;
	assert_int_equal(vb_9p_server_create(&cfg, &srv, &err), 0);
	return srv;
}

struct vb_9p_server *make_server(const char *dir, bool readonly,
				 uint32_t max_fids)
{
	struct vb_9p_config cfg = { .root_path = dir, .readonly = readonly,
				    .max_fids = max_fids };
	return make_server_cfg(cfg);
}

void host_path(const struct env *e, const char *rel, char *out, size_t bytes)
{
	snprintf(out, bytes, "%s/%s", e->share, rel);
}

int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->c = calloc(1, sizeof(*e->c));
	snprintf(e->base, sizeof(e->base), "/tmp/vb9p-test.XXXXXX");
	if (!mkdtemp(e->base))
		return -1;
	snprintf(e->share, sizeof(e->share), "%s/share", e->base);
	snprintf(e->outside, sizeof(e->outside), "%s/outside", e->base);
	if (mkdir(e->share, 0755) || mkdir(e->outside, 0755))
		return -1;
	char secret[160];
	snprintf(secret, sizeof(secret), "%s/secret", e->outside);
	write_file(secret, "host secret\n");
	e->c->srv = make_server(e->share, false, 0);
	assert_int_equal(c_version(e->c, CLIENT_BUF_BYTES, "9P2000.L"), 0);
	assert_int_equal(c_attach(e->c, ROOT), 0);
	*state = e;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int teardown(void **state)
{
	struct env *e = *state;
	vb_9p_server_destroy(e->c->srv);
	while (e->nmounts > 0)
		umount2(e->mounts[--e->nmounts], MNT_DETACH);
	/* FTW_MOUNT: should a mount be left, never empty what it shows. */
	nftw(e->base, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(e->c);
	free(e);
	return 0;
}
