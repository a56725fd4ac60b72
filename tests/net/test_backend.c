/* Network backends without a guest: forward parsing, the slirp backend
 * answering a DHCP request frame with an offer (and not when DHCP is
 * off), and the tap backend's errors. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "net/backend.h"

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

struct capture {
	uint8_t frame[2048];
	size_t len;
	unsigned count;
};

static bool cap_ready(void *ctx)
{
	(void)ctx;
	return true;
}

static void cap_deliver(void *ctx, const uint8_t *frame, size_t len)
{
	struct capture *c = ctx;
	c->count++;
	if (len <= sizeof(c->frame)) {
		memcpy(c->frame, frame, len);
		c->len = len;
	}
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
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
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	memcpy(e + 6, mac, 6);
	put16(e + 12, 0x0800);
	uint8_t *ip = e + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4); /* to 255.255.255.255 from 0.0.0.0 */
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
	uint8_t *udp = ip + 20;
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, (uint16_t)udp_len); /* checksum 0: none (RFC 768) */
	uint8_t *b = udp + 8;
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	b[4] = 0x12; /* xid */
	memcpy(b + 28, mac, 6);
	b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99; /* magic cookie */
	b[240] = 53, b[241] = 1, b[242] = 1;                 /* DHCPDISCOVER */
	b[243] = 255;
	return len;
}

static unsigned run_dhcp(bool dhcp, struct capture *c)
{
	struct vb_net_user_config cfg = { .dhcp = dhcp };
	struct vb_net_backend *be = NULL;
	struct vb_err err = { 0 };
	assert_int_equal(vb_net_user_create(&cfg, &be, &err), 0);
	be->sink = (struct vb_net_sink){ cap_ready, cap_deliver, c };
	uint8_t frame[600];
	size_t len = dhcp_discover(frame);
	assert_int_equal(be->ops->send(be, frame, len), 0);
	/* The reply may come from inside slirp_input or on a later round. */
	struct vb_net_pollset set = { 0 };
	for (int i = 0; i < 3 && !c->count; i++) {
		set.n = 0;
		int timeout = 0;
		assert_int_equal(be->ops->poll_prepare(be, &set, true, &timeout), 0);
		poll(set.fds, set.n, 0);
		be->ops->poll_dispatch(be, &set);
	}
	vb_net_pollset_free(&set);
	vb_net_backend_destroy(be);
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
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_parse),
		cmocka_unit_test(test_user_dhcp_offer),
		cmocka_unit_test(test_user_dhcp_off),
		cmocka_unit_test(test_user_bad_forward),
		cmocka_unit_test(test_tap_no_tun),
		cmocka_unit_test(test_tap_no_permission),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
