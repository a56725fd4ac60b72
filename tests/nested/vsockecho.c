/* vsockecho: both ends of the nested vsock test (test_vsock.sh), built
 * with the host cc (static: the inner guest's initramfs has no libc).
 *
 *   vsockecho listen PORT          in the outer VM (the host of vmboot's
 *                                  guest): accept one AF_VSOCK connection
 *                                  on PORT, read one line, answer
 *                                  "ack:LINE", print what it got and from
 *                                  which CID.
 *   vsockecho connect CID PORT MSG in the inner guest: connect to CID
 *                                  (2: the host), send MSG and a newline,
 *                                  print the line that comes back and the
 *                                  guest's own CID.
 *   vsockecho hold CID SECONDS     in the outer VM: hold CID on
 *                                  /dev/vhost-vsock as another VM would,
 *                                  so vmboot must refuse it.
 *
 * Every wait is bounded (alarm), so a broken device fails the test
 * instead of hanging it. Output lines start with "vsockecho: ". */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_BYTES 256
#define TIMEOUT_S 120

static int die(const char *what)
{
	printf("vsockecho: %s: %s\n", what, strerror(errno));
	return 1;
}

/* One line (without its newline) into buf; 0, or -1 on EOF before any. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return n ? 0 : -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int listen_once(unsigned port)
{
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return die("socket(AF_VSOCK)");
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				    .svm_port = port };
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return die("bind");
	if (listen(s, 1) < 0)
		return die("listen");
	printf("vsockecho: listening on port %u\n", port);
	fflush(stdout);
	struct sockaddr_vm peer;
	socklen_t len = sizeof(peer);
	int c = accept(s, (struct sockaddr *)&peer, &len);
	if (c < 0)
		return die("accept");
	char line[LINE_MAX_BYTES], reply[LINE_MAX_BYTES + 8];
	if (read_line(c, line, sizeof(line)) < 0) {
		printf("vsockecho: connection from cid %u closed without a line\n", peer.svm_cid);
		return 1;
	}
	printf("vsockecho: got \"%s\" from cid %u\n", line, peer.svm_cid);
	snprintf(reply, sizeof(reply), "ack:%s\n", line);
	if (write_all(c, reply, strlen(reply)) < 0)
		return die("write");
	close(c);
	close(s);
	return 0;
}

static int connect_once(unsigned cid, unsigned port, const char *msg)
{
	int dev = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
	unsigned local = VMADDR_CID_ANY;
	if (dev >= 0 && ioctl(dev, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &local) == 0)
		printf("vsockecho: local cid %u\n", local);
	if (dev >= 0)
		close(dev);
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return die("socket(AF_VSOCK)");
	struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return die("connect");
	char line[LINE_MAX_BYTES];
	snprintf(line, sizeof(line), "%s\n", msg);
	if (write_all(s, line, strlen(line)) < 0)
		return die("write");
	if (read_line(s, line, sizeof(line)) < 0) {
		printf("vsockecho: no answer\n");
		return 1;
	}
	printf("vsockecho: reply \"%s\"\n", line);
	close(s);
	return 0;
}

static int hold(unsigned long long cid, unsigned seconds)
{
	int fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return die("/dev/vhost-vsock");
	if (ioctl(fd, VHOST_SET_OWNER, NULL) < 0)
		return die("VHOST_SET_OWNER");
	unsigned long long c = cid;
	if (ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &c) < 0)
		return die("VHOST_VSOCK_SET_GUEST_CID");
	printf("vsockecho: holding cid %llu\n", cid);
	fflush(stdout);
	sleep(seconds);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(TIMEOUT_S);
	if (argc == 3 && !strcmp(argv[1], "listen"))
		return listen_once((unsigned)strtoul(argv[2], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return connect_once((unsigned)strtoul(argv[2], NULL, 0),
				    (unsigned)strtoul(argv[3], NULL, 0), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(strtoull(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0));
	fprintf(stderr, "usage: vsockecho listen PORT | connect CID PORT MSG | hold CID SECONDS\n");
	return 2;
}
