/* The 9P server tests' fixture: a fresh temporary directory per test,
 * base/share (what the server shares, attached as fid ROOT) beside
 * base/outside (holding "secret", what the guest must never reach), and
 * the mounts a test made below the share, undone at teardown. */
#ifndef VB_TESTS_NINEP_FIXTURE_H
#define VB_TESTS_NINEP_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

#define ROOT 1u
#define O_RDONLY_ 0u
#define O_WRONLY_ 1u
#define O_RDWR_ 2u
#define O_EXCL_ 0200u

#define ENV_MAX_MOUNTS 8

struct env {
	char base[64];
	char share[96];
	char outside[96];
	struct client *c;
	char mounts[ENV_MAX_MOUNTS][256]; /* unmounted at teardown, last first */
	int nmounts;
};

void write_file(const char *path, const char *text);
/* A server on cfg, whose max_msize is set to the client's buffer. */
struct vb_9p_server *make_server_cfg(struct vb_9p_config cfg);
struct vb_9p_server *make_server(const char *dir, bool readonly,
				 uint32_t max_fids);
/* out = share/rel. */
void host_path(const struct env *e, const char *rel, char *out, size_t bytes);

/* cmocka group setup and teardown: the directories, a server on share
 * and a session with ROOT attached. */
int setup(void **state);
int teardown(void **state);

#endif
