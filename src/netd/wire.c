/* What both ends of the vmboot <-> vmboot-net socket share. */
#include "netd/netd.h"

#include <sys/socket.h>

void vb_netd_grow_sndbuf(int fd)
{
	int v = (int)VB_NETD_SNDBUF_BYTES;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}
