/* Network backends without a guest: forward parsing, the user-mode
 * backend (the vmboot-net helper, started for real) answering a DHCP
 * request frame with an offer (and not when DHCP is off) and ARP for
 * 10.0.2.2, a ping larger than Ethernet's MTU echoed whole (the link's
 * MTU is VB_NETD_MTU's), its startup errors, and the tap backend's
 * errors. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "net/backend.h"
#include "netd/netd.h"

static void test_forward_parse(void **state)
{
	(void)state;
	struct vb_net_forward f;
	struct vb_err err = { 0 };
	assert_int_equal(vb_net_forward_parse("tcp:127.0.0.1:2222-:22", &f, &err), 0);
	assert_false(f.udp);
	assert_int_equal(f.host_port, 2222);
	assert_int_equal(f.guest_port, 22);
	assert_int_equal(f.host_addr, htonl(0x7f000001u));
	assert_int_equal(f.guest_addr, htonl(0x0a00020fu));
	assert_int_equal(vb_net_forward_parse("udp::5353-10.0.2.16:53", &f, &err), 0);
	assert_true(f.udp);
	assert_int_equal(f.host_addr, htonl(0x7f000001u)); /* empty: loopback only */
	assert_int_equal(f.guest_addr, htonl(0x0a000210u));
	const char *bad[] = { "tcp:2222-:22", "sctp::1-:2", "tcp::0-:22", "tcp::70000-:22",
			      "tcp::22", "tcp:1.2.3:22-:22", "tcp::22-:", "tcp::2x-:22", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vb_net_forward_parse(bad[i], &f, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "expected tcp:"));
	}
}

/* What came back from the user-mode backend: DHCP replies (UDP 67 -> 68,
 * the last one kept) and ARP replies. */
struct capture {
	uint8_t frame[2048];
	size_t len;
	unsigned count;
	unsigned arp_replies;
	uint8_t arp_sender_ip[4];
	unsigned echo_replies;
	size_t echo_reply_len; /* the last one's, whole frame */
};

static bool cap_ready(void *ctx)
{
	(void)ctx;
	return true;
}

static void cap_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	struct capture *c = ctx;
	const uint8_t *e = frame + VB_NET_HDR_BYTES;
	if (len >= VB_NET_HDR_BYTES + 14 + 28 && e[12] == 0x08 && e[13] == 0x06 && e[21] == 2) {
		c->arp_replies++;
		memcpy(c->arp_sender_ip, e + 14 + 14, 4);
		return;
	}
	if (len >= VB_NET_HDR_BYTES + 14 + 28 && e[12] == 0x08 && e[13] == 0x00 &&
	    e[14 + 9] == 1 && e[14 + (e[14] & 0xf) * 4] == 0) {
		c->echo_replies++;
		c->echo_reply_len = len;
		return;
	}
	if (len < VB_NET_HDR_BYTES + 14 + 28 || e[12] != 0x08 || e[13] != 0x00 || e[14 + 9] != 17)
		return;
	const uint8_t *udp = e + 14 + (e[14] & 0xf) * 4;
	if (udp + 4 > frame + len || (udp[0] << 8 | udp[1]) != 67 || (udp[2] << 8 | udp[3]) != 68)
		return;
	c->count++;
	if (len <= sizeof(c->frame)) {
		memcpy(c->frame, frame, len);
		c->len = len;
	}
}

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071) of len bytes. */
static uint16_t inet_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Header + Ethernet + IPv4 + ICMP echo request with payload bytes, from
 * 10.0.2.15 to 10.0.2.2 (slirp's host, which answers pings itself). */
static size_t ping_request(uint8_t *f, size_t payload)
{
	size_t ip_len = 20 + 8 + payload;
	size_t len = VB_NET_HDR_BYTES + 14 + ip_len;
	memset(f, 0, len);
	uint8_t *e = f + VB_NET_HDR_BYTES;
	const uint8_t slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	memcpy(e, slirp_mac, 6);
	memcpy(e + 6, guest_mac, 6);
	put16(e + 12, 0x0800);
	uint8_t *ip = e + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = 1;
	const uint8_t src[4] = { 10, 0, 2, 15 }, dst[4] = { 10, 0, 2, 2 };
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, inet_sum(ip, 20));
	uint8_t *icmp = ip + 20;
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 1);
	for (size_t i = 0; i < payload; i++)
		icmp[8 + i] = (uint8_t)i;
	put16(icmp + 2, inet_sum(icmp, 8 + payload));
	return len;
}

/* Header + Ethernet + IPv4 + UDP + BOOTP DHCPDISCOVER (RFC 2131/2132). */
static size_t dhcp_discover(uint8_t *f)
{
	const size_t bootp = 240 + 4; /* fixed part + cookie, options follow */
	const size_t opts = 4;
	size_t udp_len = 8 + bootp - 4 + opts + 4;
	size_t ip_len = 20 + udp_len;
	size_t len = VB_NET_HDR_BYTES + 14 + ip_len;
	memset(f, 0, len);
	uint8_t *e = f + VB_NET_HDR_BYTES;
	memset(e, 0xff, 6);
	memcpy(e + 6, guest_mac, 6);
	put16(e + 12, 0x0800);
	uint8_t *ip = e + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4); /* to 255.255.255.255 from 0.0.0.0 */
	put16(ip + 10, inet_sum(ip, 20));
	uint8_t *udp = ip + 20;
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, (uint16_t)udp_len); /* checksum 0: none (RFC 768) */
	uint8_t *b = udp + 8;
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	b[4] = 0x12; /* xid */
	memcpy(b + 28, guest_mac, 6);
	b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99; /* magic cookie */
	b[240] = 53, b[241] = 1, b[242] = 1;                 /* DHCPDISCOVER */
	b[243] = 255;
	return len;
}

/* Header + Ethernet + ARP request (RFC 826) from 10.0.2.15 for 10.0.2.2,
 * slirp's host address. */
static size_t arp_request(uint8_t *f)
{
	size_t len = VB_NET_HDR_BYTES + 14 + 28;
	memset(f, 0, len);
	uint8_t *e = f + VB_NET_HDR_BYTES;
	memset(e, 0xff, 6);
	memcpy(e + 6, guest_mac, 6);
	put16(e + 12, 0x0806);
	uint8_t *a = e + 14;
	put16(a, 1);      /* Ethernet */
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);  /* request */
	memcpy(a + 8, guest_mac, 6);
	const uint8_t spa[4] = { 10, 0, 2, 15 }, tpa[4] = { 10, 0, 2, 2 };
	memcpy(a + 14, spa, 4);
	memcpy(a + 24, tpa, 4);
	return len;
}

/* The user-mode backend, the vmboot-net helper started for real, its
 * frames to c. */
static struct vb_net_backend *new_user_backend(bool dhcp, struct capture *c)
{
	struct vb_net_user_config cfg = { .dhcp = dhcp };
	struct vb_net_backend *be = NULL;
	struct vb_err err = { 0 };
	int r = vb_net_user_create(&cfg, &be, &err);
	if (r)
		print_message("%s\n", err.msg);
	assert_int_equal(r, 0);
	assert_string_equal(be->ops->kind, "user");
	be->sink = (struct vb_net_sink){ cap_ready, cap_deliver, c };
	return be;
}

/* Serves be until *answered is non-zero, then ends it. The round limit
 * only bounds a broken helper. */
static void run_until(struct vb_net_backend *be, const unsigned *answered)
{
	struct vb_net_pollset set = { 0 };
	for (int i = 0; i < 600 && !*answered; i++) {
		set.n = 0;
		int timeout = 100;
		assert_int_equal(be->ops->poll_prepare(be, &set, true, &timeout), 0);
		poll(set.fds, set.n, timeout);
		be->ops->poll_dispatch(be, &set);
	}
	vb_net_pollset_free(&set);
	vb_net_backend_destroy(be);
}

/* Sends a DHCPDISCOVER, then an ARP request, and polls until the ARP reply
 * is back: the helper handles frames in order, so any DHCP reply came
 * before it. */
static unsigned run_dhcp(bool dhcp, struct capture *c)
{
	struct vb_net_backend *be = new_user_backend(dhcp, c);
	uint8_t frame[600];
	size_t len = dhcp_discover(frame);
	assert_int_equal(be->ops->send(be, frame, len), 0);
	len = arp_request(frame);
	assert_int_equal(be->ops->send(be, frame, len), 0);
	run_until(be, &c->arp_replies);
	assert_int_equal(c->arp_replies, 1);
	const uint8_t host[4] = { 10, 0, 2, 2 };
	assert_memory_equal(c->arp_sender_ip, host, 4);
	return c->count;
}

static void test_user_dhcp_offer(void **state)
{
	(void)state;
	struct capture *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	assert_int_not_equal(run_dhcp(true, c), 0);
	const uint8_t *e = c->frame + VB_NET_HDR_BYTES;
	assert_true(c->len > VB_NET_HDR_BYTES + 14 + 20 + 8 + 240);
	/* An empty virtio-net header, then IPv4/UDP 67 -> 68. */
	for (unsigned i = 0; i < VB_NET_HDR_BYTES; i++)
		assert_int_equal(c->frame[i], 0);
	assert_int_equal(e[12] << 8 | e[13], 0x0800);
	const uint8_t *ip = e + 14, *udp = ip + 20, *b = udp + 8;
	assert_int_equal(ip[9], 17);
	assert_int_equal(udp[0] << 8 | udp[1], 67);
	assert_int_equal(udp[2] << 8 | udp[3], 68);
	assert_int_equal(b[0], 2); /* BOOTREPLY */
	/* yiaddr 10.0.2.15, the first lease. */
	assert_int_equal(b[16], 10);
	assert_int_equal(b[17], 0);
	assert_int_equal(b[18], 2);
	assert_int_equal(b[19], 15);
	/* Option 53 = 2 (DHCPOFFER). */
	bool offer = false;
	for (size_t i = 240; i + 2 < c->len - (size_t)(b - c->frame) && b[i] != 255;
	     i += 2 + b[i + 1]) {
		if (b[i] == 0) {
			i -= 1;
			continue;
		}
		if (b[i] == 53 && b[i + 2] == 2)
			offer = true;
	}
	assert_true(offer);
	free(c);
}

static void test_user_dhcp_off(void **state)
{
	(void)state;
	struct capture *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	assert_int_equal(run_dhcp(false, c), 0);
	free(c);
}

/* Over Ethernet's MTU but within the link's: slirp takes the request and
 * echoes it in one frame, not in fragments. */
static void test_user_large_ping(void **state)
{
	(void)state;
	const size_t payload = 8000;
	struct capture *c = calloc(1, sizeof(*c));
	uint8_t *frame = malloc(VB_NET_FRAME_MAX_BYTES);
	assert_non_null(c);
	assert_non_null(frame);
	struct vb_net_backend *be = new_user_backend(true, c);
	assert_int_equal(be->mtu, VB_NETD_MTU);
	/* The ARP request teaches slirp the guest's MAC for its reply. */
	size_t len = arp_request(frame);
	assert_int_equal(be->ops->send(be, frame, len), 0);
	len = ping_request(frame, payload);
	assert_int_equal(be->ops->send(be, frame, len), 0);
	run_until(be, &c->echo_replies);
	assert_int_equal(c->echo_replies, 1);
	assert_int_equal(c->echo_reply_len, len);
	free(frame);
	free(c);
}

static void test_user_bad_forward(void **state)
{
	(void)state;
	const char *fw[] = { "tcp:127.0.0.1:22x-:22" };
	struct vb_net_user_config cfg = { .dhcp = true, .forwards = fw, .n_forwards = 1 };
	struct vb_net_backend *be = NULL;
	struct vb_err err = { 0 };
	assert_int_equal(vb_net_user_create(&cfg, &be, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tcp:127.0.0.1:22x-:22"));
}

/* A forward whose host port is taken: the helper's startup error reaches
 * the caller with the forward and the reason. */
static void test_user_forward_in_use(void **state)
{
	(void)state;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(ls >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 1), 0);
	socklen_t alen = sizeof(a);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
	char spec[64];
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u-:22", ntohs(a.sin_port));
	const char *fw[] = { spec };
	struct vb_net_user_config cfg = { .dhcp = true, .forwards = fw, .n_forwards = 1 };
	struct vb_net_backend *be = NULL;
	struct vb_err err = { 0 };
	assert_int_equal(vb_net_user_create(&cfg, &be, &err), -EADDRINUSE);
	assert_null(be);
	assert_non_null(strstr(err.msg, spec));
	assert_non_null(strstr(err.msg, "Address already in use"));
	close(ls);
	/* The port free again, the same forward starts. */
	assert_int_equal(vb_net_user_create(&cfg, &be, &err), 0);
	vb_net_backend_destroy(be);
}

static void test_user_no_helper(void **state)
{
	(void)state;
	const char *old = getenv("VMBOOT_NET_HELPER");
	char *saved = old ? strdup(old) : NULL;
	setenv("VMBOOT_NET_HELPER", "/nonexistent/vmboot-net", 1);
	struct vb_net_user_config cfg = { .dhcp = true };
	struct vb_net_backend *be = NULL;
	struct vb_err err = { 0 };
	assert_int_equal(vb_net_user_create(&cfg, &be, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/vmboot-net"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	if (saved)
		setenv("VMBOOT_NET_HELPER", saved, 1);
	else
		unsetenv("VMBOOT_NET_HELPER");
	free(saved);
}

/* vmboot-net run directly: survives junk frames a guest may send (too
 * short, offload flags it never offered), still answers ARP, and exits
 * by itself, status 0, once its socket closes. */
static void test_helper_junk_and_exit(void **state)
{
	(void)state;
	const char *helper = getenv("VMBOOT_NET_HELPER");
	if (!helper) {
		print_message("SKIP: VMBOOT_NET_HELPER not set\n");
		skip();
	}
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	char parent[24];
	snprintf(parent, sizeof(parent), "%ld", (long)getpid());
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* sv[0] may itself be descriptor 3. */
		int hi = fcntl(sv[1], F_DUPFD, 10);
		if (hi < 0 || dup2(hi, 3) < 0)
			_exit(120);
		for (int fd = 4; fd <= hi; fd++)
			close(fd);
		execl(helper, helper, "--parent", parent, "--no-dhcp", (char *)NULL);
		_exit(121);
	}
	close(sv[1]);
	uint8_t buf[4096];
	ssize_t n = recv(sv[0], buf, sizeof(buf), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "VBN1\0\0\0\0", 8);
	uint8_t junk[64] = { 0 };
	assert_int_equal(send(sv[0], junk, 1, 0), 1);
	assert_int_equal(send(sv[0], junk, VB_NET_HDR_BYTES, 0), VB_NET_HDR_BYTES);
	junk[0] = VB_NET_HDR_F_NEEDS_CSUM;
	assert_int_equal(send(sv[0], junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	uint8_t frame[128];
	size_t len = arp_request(frame);
	assert_int_equal(send(sv[0], frame, len, 0), (ssize_t)len);
	struct capture c = { 0 };
	while (!c.arp_replies && (n = recv(sv[0], buf, sizeof(buf), 0)) > 0)
		cap_deliver(&c, buf, (size_t)n);
	assert_int_equal(c.arp_replies, 1);
	close(sv[0]);
	int status = 0;
	pid_t w = 0;
	/* Bounds a helper that would not exit; not a timing check. */
	for (int i = 0; i < 600 && w == 0; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == 0)
			poll(NULL, 0, 100);
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("vmboot-net did not exit when its socket closed");
	}
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_tap_no_tun(void **state)
{
	(void)state;
	struct vb_net_backend *be = NULL;
	struct vb_err err = { 0 };
	assert_int_equal(vb_net_tap_open("/nonexistent/net/tun", "tap0", &be, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "tap \"tap0\": open /nonexistent/net/tun"));
	assert_non_null(strstr(err.msg, "modprobe tun"));
	assert_int_equal(vb_net_tap_open("/dev/net/tun", "", &be, &err), -EINVAL);
	assert_int_equal(vb_net_tap_open("/dev/net/tun", "a-name-longer-than-ifnamsiz", &be, &err),
			 -EINVAL);
}

/* Creating a tap needs CAP_NET_ADMIN: an unprivileged user must get the
 * error that says so. As root, drop to nobody in a child first. */
static void test_tap_no_permission(void **state)
{
	(void)state;
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		print_message("SKIP: /dev/net/tun not usable here\n");
		skip();
	}
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		struct vb_net_backend *be = NULL;
		struct vb_err err = { 0 };
		int r = vb_net_tap_open("/dev/net/tun", "vbnet-noperm0", &be, &err);
		ssize_t w = write(pfd[1], err.msg, strlen(err.msg));
		(void)w;
		_exit(r == -EPERM ? 0 : r == 0 ? 2 : 1);
	}
	close(pfd[1]);
	char msg[512] = { 0 };
	ssize_t n = read(pfd[0], msg, sizeof(msg) - 1);
	(void)n;
	close(pfd[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 2) {
		print_message("SKIP: cannot run unprivileged here (%d)\n", WEXITSTATUS(status));
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(msg, "tap \"vbnet-noperm0\": Operation not permitted"));
	assert_non_null(strstr(msg, "CAP_NET_ADMIN"));
}

int main(void)
{
	/* The helper is built at the top of the build tree, not next to this
	 * program. */
	const char *b = getenv("VB_BUILDDIR");
	char helper[4096];
	if (b && !getenv("VMBOOT_NET_HELPER")) {
		snprintf(helper, sizeof(helper), "%s/vmboot-net", b);
		if (access(helper, X_OK) != 0) {
			printf("SKIP: %s not built\n", helper);
			return 77;
		}
		setenv("VMBOOT_NET_HELPER", helper, 1);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_parse),
		cmocka_unit_test(test_user_dhcp_offer),
		cmocka_unit_test(test_user_dhcp_off),
		cmocka_unit_test(test_user_large_ping),
		cmocka_unit_test(test_user_bad_forward),
		cmocka_unit_test(test_user_forward_in_use),
		cmocka_unit_test(test_user_no_helper),
		cmocka_unit_test(test_helper_junk_and_exit),
		cmocka_unit_test(test_tap_no_tun),
		cmocka_unit_test(test_tap_no_permission),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
