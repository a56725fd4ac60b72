/* The vhost backend (virtio/vhost.h) on the host's real /dev/vhost-vsock:
 * open it, VHOST_SET_OWNER, VHOST_GET_FEATURES (the ring features vmboot
 * needs are there), a memory table of real guest RAM, and a second owner
 * refused. Exits 77 (SKIP) where the node is missing or not ours to open
 * (load vhost_vsock, as root): the rest of vhost.h runs in test_vhost
 * against a fake kernel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "machine/ram.h"
#include "virtio/vhost.h"

#define NODE "/dev/vhost-vsock"
#define SKIP 77

static int failed(const char *what, const char *msg)
{
	fprintf(stderr, "FAIL: %s: %s\n", what, msg);
	return 1;
}

int main(void)
{
	if (access(NODE, R_OK | W_OK) != 0) {
		printf("SKIP: %s: %s (load vhost_vsock, as root)\n", NODE, strerror(errno));
		return SKIP;
	}
	struct vb_err err;
	struct vb_vhost h;
	if (vb_vhost_open(&h, NULL, NODE, "vhost_vsock", "vsock", 2, &err) < 0)
		return failed("open", err.msg);
	int rc = 0;
	const uint64_t need = (1ULL << VB_VIRTIO_F_VERSION_1) | (1ULL << VB_VIRTIO_F_EVENT_IDX) |
			      (1ULL << VB_VIRTIO_F_INDIRECT_DESC);
	if ((h.features & need) != need)
		rc = failed("features", "no virtio 1.0 rings");
	printf("%s: features 0x%llx\n", NODE, (unsigned long long)h.features);
	/* The owner is set: a second VHOST_SET_OWNER is refused (EBUSY). */
	if (!rc && ioctl(h.fd, VHOST_SET_OWNER, NULL) == 0)
		rc = failed("second owner", "accepted");
	/* A memory table of real guest RAM, both sides of the gap. */
	struct vb_memmap map;
	vb_memmap_compute(VB_GAP_START_BYTES + (2ULL << 20), &map);
	struct vb_ram ram = { 0 };
	if (!rc && vb_ram_map(&ram, &map, VB_RAM_SMALL_PAGES, &err) == 0) {
		struct vb_guest_mem mem = vb_ram_view(&ram, &map);
		if (vb_vhost_set_mem(&h, &mem, &err) < 0)
			rc = failed("memory table", err.msg);
		vb_ram_unmap(&ram);
	}
	vb_vhost_close(&h);
	if (!rc)
		printf("PASS: %s opened, owned, features read, memory table set\n", NODE);
	return rc;
}
