# tests/ninep: the 9P2000.L server on temporary directories
UNIT_TESTS += tests/ninep/test_server
tests_ninep_test_server_SOURCES = tests/ninep/test_server.c \
	tests/ninep/client.c tests/ninep/client.h
tests_ninep_test_server_CFLAGS = $(TEST_CFLAGS)
tests_ninep_test_server_LDADD = $(TEST_LIBS)
