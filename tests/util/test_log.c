/* vmboot's messages (util/log.h): "vmboot: LEVEL: message" lines, and the
 * sd-daemon priority prefix on every line only when standard error is the
 * stream $JOURNAL_STREAM names (its device and inode, not just the
 * variable being set). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/log.h"

static char *capture(bool journal, enum vb_log_level level, const char *msg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	vb_log_to(out, journal, level, "%s", msg);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void expect(bool journal, enum vb_log_level level, const char *msg, const char *want)
{
	char *got = capture(journal, level, msg);
	assert_string_equal(got, want);
	free(got);
}

static void test_levels(void **state)
{
	(void)state;
	expect(false, VB_LOG_ERROR, "boom", "vmboot: error: boom\n");
	expect(false, VB_LOG_WARNING, "hmm", "vmboot: warning: hmm\n");
	expect(false, VB_LOG_NOTE, "fyi", "vmboot: note: fyi\n");
	expect(false, VB_LOG_INFO, "console on /dev/pts/3", "vmboot: console on /dev/pts/3\n");
	expect(false, VB_LOG_DEBUG, "open KVM", "vmboot: open KVM\n");
	expect(true, VB_LOG_ERROR, "boom", "<3>vmboot: error: boom\n");
	expect(true, VB_LOG_WARNING, "hmm", "<4>vmboot: warning: hmm\n");
	expect(true, VB_LOG_NOTE, "fyi", "<5>vmboot: note: fyi\n");
	expect(true, VB_LOG_INFO, "up", "<6>vmboot: up\n");
	expect(true, VB_LOG_DEBUG, "open KVM", "<7>vmboot: open KVM\n");
}

/* Each line of a message is a line of its own, prefixed: journald never
 * records a bare continuation at its default priority. */
static void test_lines(void **state)
{
	(void)state;
	expect(true, VB_LOG_NOTE, "one\ntwo\n", "<5>vmboot: note: one\n<5>vmboot: note: two\n");
	expect(false, VB_LOG_NOTE, "one\ntwo", "vmboot: note: one\nvmboot: note: two\n");
	expect(false, VB_LOG_ERROR, "", "vmboot: error: \n");
}

static void set_stream(const struct stat *st, const char *suffix)
{
	char value[80];
	snprintf(value, sizeof(value), "%llu:%llu%s", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino, suffix);
	setenv("JOURNAL_STREAM", value, 1);
}

static void test_journal_stream(void **state)
{
	(void)state;
	char a_path[] = "/tmp/vb-log-a-XXXXXX", b_path[] = "/tmp/vb-log-b-XXXXXX";
	int a = mkstemp(a_path), b = mkstemp(b_path);
	assert_true(a >= 0 && b >= 0);
	unlink(a_path);
	unlink(b_path);
	struct stat st;
	assert_int_equal(fstat(a, &st), 0);

	unsetenv("JOURNAL_STREAM");
	assert_false(vb_log_fd_is_journal(a));
	set_stream(&st, "");
	assert_true(vb_log_fd_is_journal(a));
	assert_false(vb_log_fd_is_journal(b)); /* another file */
	assert_false(vb_log_fd_is_journal(-1));
	set_stream(&st, "x");
	assert_false(vb_log_fd_is_journal(a));
	const char *malformed[] = { "", ":", "1:", ":1", "abc", "1:2:3", "-1:5" };
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		setenv("JOURNAL_STREAM", malformed[i], 1);
		assert_false(vb_log_fd_is_journal(a));
	}
	unsetenv("JOURNAL_STREAM");
	close(a);
	close(b);
}

/* vb_log itself: stderr redirected to a file that $JOURNAL_STREAM names
 * gets the prefixes, and errno survives the check. */
static void test_vb_log_on_stderr(void **state)
{
	(void)state;
	char path[] = "/tmp/vb-log-err-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);

	unsetenv("JOURNAL_STREAM");
	vb_log(VB_LOG_WARNING, "plain %d", 1);
	set_stream(&st, "");
	errno = EAGAIN;
	vb_log(VB_LOG_ERROR, "prefixed %d", 2);
	assert_int_equal(errno, EAGAIN);
	unsetenv("JOURNAL_STREAM");

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	char buf[256] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = 0;
	close(fd);
	unlink(path);
	assert_string_equal(buf, "vmboot: warning: plain 1\n<3>vmboot: error: prefixed 2\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_journal_stream),
		cmocka_unit_test(test_vb_log_on_stderr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
