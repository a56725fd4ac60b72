/* The control protocol parser and reply format (control/proto.h): good
 * requests, and garbage, oversize, unknown and wrong-version ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/proto.h"

static int parse(const char *line, struct vb_ctl_request *req, struct vb_err *err)
{
	return vb_ctl_parse_request(line, strlen(line), req, err);
}

static void test_good(void **state)
{
	(void)state;
	struct vb_ctl_request req;
	struct vb_err err = { "" };
	assert_int_equal(parse("vmboot/1 info", &req, &err), 0);
	assert_int_equal(req.cmd, VB_CTL_INFO);
	assert_int_equal(parse("  vmboot/1\tpause  \r", &req, &err), 0);
	assert_int_equal(req.cmd, VB_CTL_PAUSE);
	assert_int_equal(parse("vmboot/1 stop force timeout=12", &req, &err), 0);
	assert_int_equal(req.cmd, VB_CTL_STOP);
	assert_true(req.force);
	assert_true(req.timeout_set);
	assert_int_equal(req.timeout_s, 12);
	assert_int_equal(parse("vmboot/1 stop", &req, &err), 0);
	assert_false(req.force);
	assert_false(req.timeout_set);
	const char *all[] = { "hello", "info", "pause", "resume", "stop", "debug", "stat" };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char line[64];
		snprintf(line, sizeof(line), "vmboot/1 %s", all[i]);
		assert_int_equal(parse(line, &req, &err), 0);
		assert_string_equal(vb_ctl_cmd_name(req.cmd), all[i]);
	}
}

static void test_garbage(void **state)
{
	(void)state;
	struct vb_ctl_request req;
	struct vb_err err = { "" };
	const char bin[] = { 'v', 'm', 0x00, (char)0xff, 0x1b, '[' };
	assert_int_equal(vb_ctl_parse_request(bin, sizeof(bin), &req, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not printable ASCII"));
	assert_int_equal(parse("", &req, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
	assert_int_equal(parse("GET / HTTP/1.1", &req, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "expected \"vmboot/1 COMMAND\""));
	assert_int_equal(parse("vmboot/1", &req, &err), -EINVAL);
	assert_int_equal(parse("a b c d e f g h i j", &req, &err), -E2BIG);
	assert_int_equal(parse("vmboot/1 info extra", &req, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "takes no arguments"));
	assert_int_equal(parse("vmboot/1 stop now", &req, &err), -EINVAL);
	assert_int_equal(parse("vmboot/1 stop timeout=", &req, &err), -EINVAL);
	assert_int_equal(parse("vmboot/1 stop timeout=-1", &req, &err), -EINVAL);
	assert_int_equal(parse("vmboot/1 stop timeout=99999999999999999999", &req, &err), -EINVAL);
	assert_int_equal(parse("vmboot/1 stop timeout=86401", &req, &err), -EINVAL);
}

static void test_oversize(void **state)
{
	(void)state;
	struct vb_ctl_request req;
	struct vb_err err = { "" };
	char *line = malloc(VB_CTL_LINE_MAX);
	assert_non_null(line);
	memset(line, 'a', VB_CTL_LINE_MAX);
	memcpy(line, "vmboot/1 info ", 14);
	assert_int_equal(vb_ctl_parse_request(line, VB_CTL_LINE_MAX, &req, &err), -EMSGSIZE);
	assert_non_null(strstr(err.msg, "longer than 4095 bytes"));
	/* One byte less is a line, and then wrong for other reasons. */
	assert_int_equal(vb_ctl_parse_request(line, VB_CTL_LINE_MAX - 1, &req, &err), -EINVAL);
	free(line);
}

static void test_unknown_and_version(void **state)
{
	(void)state;
	struct vb_ctl_request req;
	struct vb_err err = { "" };
	assert_int_equal(parse("vmboot/1 reboot", &req, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown command \"reboot\""));
	assert_int_equal(parse("vmboot/2 info", &req, &err), -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "unsupported protocol version \"vmboot/2\""));
	assert_int_equal(parse("vmboot/10 info", &req, &err), -EPROTONOSUPPORT);
}

static void test_reply(void **state)
{
	(void)state;
	struct vb_ctl_reply r;
	size_t len;
	vb_ctl_reply_init(&r);
	vb_ctl_reply_ok(&r);
	vb_ctl_reply_add(&r, "name", "%s", "web");
	vb_ctl_reply_add(&r, "evil", "%s", "two\nlines");
	const char *text = vb_ctl_reply_finish(&r, &len);
	assert_string_equal(text, "ok\nname web\nevil two lines\n\n");
	assert_int_equal(len, strlen(text));

	const char *body;
	struct vb_err err = { "" };
	char buf[16];
	assert_int_equal(vb_ctl_reply_check(text, &body, &err), 0);
	assert_string_equal(vb_ctl_reply_get(body, "name", buf, sizeof(buf)), "web");
	assert_null(vb_ctl_reply_get(body, "nam", buf, sizeof(buf)));
	assert_null(vb_ctl_reply_get(body, "missing", buf, sizeof(buf)));

	vb_ctl_reply_error(&r, "bad\nthing");
	text = vb_ctl_reply_finish(&r, &len);
	assert_string_equal(text, "error bad thing\nprotocol 1\n\n");
	assert_int_equal(vb_ctl_reply_check(text, &body, &err), -EREMOTEIO);
	assert_string_equal(err.msg, "bad thing");
	assert_int_equal(vb_ctl_reply_check("HTTP/1.1 200\n\n", &body, &err), -EPROTO);
	vb_ctl_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_unknown_and_version),
		cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
