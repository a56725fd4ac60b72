#include "net/backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool vb_net_read_frames(int fd, bool is_socket, uint8_t *buf, unsigned max,
			const struct vb_net_sink *sink)
{
	for (unsigned i = 0; i < max && (!sink->ready || sink->ready(sink->ctx)); i++) {
		ssize_t n = is_socket ? recv(fd, buf, VB_NET_FRAME_MAX_BYTES, MSG_DONTWAIT) :
					read(fd, buf, VB_NET_FRAME_MAX_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return false;
		if (n < 0)
			return true;
		sink->deliver(sink->ctx, buf, (size_t)n);
	}
	return true;
}

int vb_net_pollset_add(struct vb_net_pollset *set, int fd, short events)
{
	if (set->n == set->cap) {
		unsigned cap = set->cap ? set->cap * 2 : 8;
		struct pollfd *fds = realloc(set->fds, cap * sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		set->fds = fds;
		set->cap = cap;
	}
	set->fds[set->n] = (struct pollfd){ .fd = fd, .events = events };
	return (int)set->n++;
}

void vb_net_pollset_free(struct vb_net_pollset *set)
{
	free(set->fds);
	*set = (struct vb_net_pollset){ 0 };
}

void vb_net_backend_destroy(struct vb_net_backend *b)
{
	if (b)
		b->ops->destroy(b);
}

/* "ADDR:PORT" where ADDR may be empty; dflt is used for an empty ADDR. */
static int parse_endpoint(const char *s, size_t len, uint32_t dflt, uint32_t *addr,
			  uint16_t *port)
{
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *colon = strrchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	const char *p = colon + 1;
	if (!*p)
		return -EINVAL;
	unsigned long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*port = (uint16_t)v;
	if (!buf[0]) {
		*addr = dflt;
		return 0;
	}
	struct in_addr in;
	if (inet_pton(AF_INET, buf, &in) != 1)
		return -EINVAL;
	*addr = in.s_addr;
	return 0;
}

int vb_net_forward_parse(const char *spec, struct vb_net_forward *fwd, struct vb_err *err)
{
	memset(fwd, 0, sizeof(*fwd));
	const char *rest;
	if (strncmp(spec, "tcp:", 4) == 0) {
		rest = spec + 4;
	} else if (strncmp(spec, "udp:", 4) == 0) {
		fwd->udp = true;
		rest = spec + 4;
	} else {
		goto bad;
	}
	const char *dash = strchr(rest, '-');
	if (!dash)
		goto bad;
	/* An empty host address means loopback: a forward opened to every
	 * interface would expose the guest to the network unasked. */
	if (parse_endpoint(rest, (size_t)(dash - rest), htonl(INADDR_LOOPBACK), &fwd->host_addr,
			   &fwd->host_port))
		goto bad;
	/* slirp's first DHCP address (10.0.2.15). */
	if (parse_endpoint(dash + 1, strlen(dash + 1), htonl(0x0a00020fu), &fwd->guest_addr,
			   &fwd->guest_port))
		goto bad;
	return 0;
bad:
	return vb_err_set(err, EINVAL,
			  "forward \"%s\": expected tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
			  spec);
}
