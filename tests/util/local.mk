UNIT_TESTS += tests/util/test_size
tests_util_test_size_SOURCES = tests/util/test_size.c
tests_util_test_size_CFLAGS = $(TEST_CFLAGS)
tests_util_test_size_LDADD = $(TEST_LIBS)
UNIT_TESTS += tests/util/test_io
tests_util_test_io_SOURCES = tests/util/test_io.c
tests_util_test_io_CFLAGS = $(TEST_CFLAGS)
tests_util_test_io_LDADD = $(TEST_LIBS)
UNIT_TESTS += tests/util/test_helper
tests_util_test_helper_SOURCES = tests/util/test_helper.c
tests_util_test_helper_CFLAGS = $(TEST_CFLAGS)
tests_util_test_helper_LDADD = $(TEST_LIBS)
# The diagnostics printer (source line, caret, colour, journald), vmboot's
# log lines, the systemd notify protocol against real sockets.
UNIT_TESTS += tests/util/test_diag_render tests/util/test_log tests/util/test_notify
tests_util_test_diag_render_SOURCES = tests/util/test_diag_render.c
tests_util_test_diag_render_CFLAGS = $(TEST_CFLAGS)
tests_util_test_diag_render_LDADD = $(TEST_LIBS)
tests_util_test_log_SOURCES = tests/util/test_log.c
tests_util_test_log_CFLAGS = $(TEST_CFLAGS)
tests_util_test_log_LDADD = $(TEST_LIBS)
tests_util_test_notify_SOURCES = tests/util/test_notify.c
tests_util_test_notify_CFLAGS = $(TEST_CFLAGS)
tests_util_test_notify_LDADD = $(TEST_LIBS)
# The JSON writer: escaping, ill-formed UTF-8, layouts, limits, misuse;
# test_json.sh reads its output with Python's json module.
UNIT_TESTS += tests/util/test_json
tests_util_test_json_SOURCES = tests/util/test_json.c
tests_util_test_json_CFLAGS = $(TEST_CFLAGS)
tests_util_test_json_LDADD = $(TEST_LIBS)
TESTS += tests/util/test_json.sh
EXTRA_DIST += tests/util/test_json.sh
