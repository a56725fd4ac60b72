/* blk_hold [-r] IMAGE: open IMAGE as a vmboot disk does (vb_blk_open,
 * its locks included), readonly with -r, and hold it until stdin ends;
 * for tests/virtio/test_disk_locks.sh, which has no KVM to run a VM.
 * Prints "held" once it holds the image; a refused open prints vmboot's
 * message and exits 1; a usage error exits 2. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "virtio/blk.h"

int main(int argc, char **argv)
{
	bool readonly = argc == 3 && strcmp(argv[1], "-r") == 0;
	if (argc != 2 + readonly) {
		fprintf(stderr, "usage: blk_hold [-r] IMAGE\n");
		return 2;
	}
	struct vb_blk_disk *d = NULL;
	struct vb_err err = { "" };
	if (vb_blk_open("held", argv[argc - 1], readonly, &d, &err) < 0) {
		fprintf(stderr, "blk_hold: %s\n", err.msg);
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	char buf[64];
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	vb_blk_close(d);
	return 0;
}
