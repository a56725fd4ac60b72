/* libFuzzer target for the 9P2000.L server.
 *
 * An input is a sequence of T-messages, each framed by its own size field
 * (a final message whose size field runs past the input is handed over
 * as is, so truncation is exercised too). Each input starts from a fresh
 * session (Tversion + Tattach of fid 0 on the share root) and a freshly
 * populated share: a file, a directory, a symlink pointing outside and a
 * FIFO. After each input the harness checks that nothing outside the
 * share changed; a violation aborts, which libFuzzer reports. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ninep/server.h"
#include "ninep/wire.h"

#define MSIZE 8192u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct harness {
	char base[64];
	char share[96];
	char outside[96];
	char secret[128];
	struct vb_9p_server *srv;
	uint8_t resp[MSIZE];
};

/* libFuzzer calls a plain function, so the harness state lives here; the
 * server itself keeps none. */
static struct harness *h;

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level == 0)
		return 0; /* keep the share directory itself */
	return remove(path);
}

static void populate(void)
{
	nftw(h->share, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	chmod(h->share, 0755);
	char p[160];
	snprintf(p, sizeof(p), "%s/file", h->share);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, "0123456789abcdef", 16) < 0)
			abort();
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/dir", h->share);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir/inner", h->share);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/out", h->share);
	if (symlink(h->outside, p) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/rel", h->share);
	if (symlink("../outside/secret", p) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/fifo", h->share);
	mkfifo(p, 0644);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void check_outside(void)
{
	struct stat st;
	if (lstat(h->secret, &st) < 0 || st.st_nlink != 1 || st.st_size != 7 ||
	    (st.st_mode & 07777) != 0600)
		abort();
	if (lstat(h->outside, &st) < 0 || (st.st_mode & 07777) != 0755)
		abort();
	/* Nothing may appear next to share/ and outside/, nor in outside/. */
	if (count_entries(h->base) != 2 || count_entries(h->outside) != 1)
		abort();
}

static int rm_all(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	vb_9p_server_destroy(h->srv);
	nftw(h->base, rm_all, 16, FTW_DEPTH | FTW_PHYS);
	free(h);
	h = NULL;
}

static int init(void)
{
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	/* tmpfs when there is one: the share is rebuilt for every input. */
	snprintf(h->base, sizeof(h->base), "/dev/shm/vb-fuzz9p.XXXXXX");
	if (!mkdtemp(h->base)) {
		snprintf(h->base, sizeof(h->base), "/tmp/vb-fuzz9p.XXXXXX");
		if (!mkdtemp(h->base))
			return -1;
	}
	snprintf(h->share, sizeof(h->share), "%s/share", h->base);
	snprintf(h->outside, sizeof(h->outside), "%s/outside", h->base);
	snprintf(h->secret, sizeof(h->secret), "%s/secret", h->outside);
	if (mkdir(h->share, 0755) || mkdir(h->outside, 0755))
		return -1;
	int fd = open(h->secret, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || write(fd, "secret\n", 7) != 7)
		return -1;
	close(fd);
	struct vb_9p_config cfg = { .root_path = h->share,
				    .max_msize = MSIZE,
				    .max_fids = 64 };
	struct vb_err err;
	if (vb_9p_server_create(&cfg, &h->srv, &err))
		return -1;
	atexit(cleanup);
	return 0;
}

static void send(const uint8_t *msg, size_t len)
{
	size_t rlen = 0;
	if (vb_9p_server_handle(h->srv, msg, len, h->resp, sizeof(h->resp),
				&rlen) ||
	    rlen < VB_9P_HEADER_BYTES || rlen > sizeof(h->resp))
		abort();
	struct vb_9p_header hdr;
	struct vb_9p_in in;
	/* The reply must itself be a well-formed message. */
	if (vb_9p_header_parse(h->resp, rlen, MSIZE, &hdr, &in) ||
	    hdr.size != rlen)
		abort();
}

static void start_session(void)
{
	uint8_t m[64];
	struct vb_9p_out o;
	vb_9p_out_init(&o, m, sizeof(m));
	vb_9p_put_u32(&o, MSIZE);
	vb_9p_put_str(&o, "9P2000.L", 8);
	send(m, (size_t)vb_9p_out_finish(&o, VB_9P_TVERSION, VB_9P_NOTAG));
	vb_9p_out_init(&o, m, sizeof(m));
	vb_9p_put_u32(&o, 0);
	vb_9p_put_u32(&o, VB_9P_NOFID);
	vb_9p_put_str(&o, "", 0);
	vb_9p_put_str(&o, "", 0);
	vb_9p_put_u32(&o, 0);
	send(m, (size_t)vb_9p_out_finish(&o, VB_9P_TATTACH, 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!h && init())
		abort();
	populate();
	start_session();
	while (size > 0) {
		size_t len = size;
		if (size >= 4) {
			uint32_t declared = data[0] | data[1] << 8 |
					    data[2] << 16 | (uint32_t)data[3] << 24;
			if (declared >= VB_9P_HEADER_BYTES && declared < size)
				len = declared;
		}
		send(data, len);
		data += len;
		size -= len;
	}
	check_outside();
	return 0;
}
