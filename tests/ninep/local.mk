# tests/ninep: the 9P2000.L server on temporary directories
UNIT_TESTS += tests/ninep/test_server tests/ninep/test_security
NINEP_TEST_FIXTURE = tests/ninep/client.c tests/ninep/client.h \
	tests/ninep/fixture.c tests/ninep/fixture.h
tests_ninep_test_server_SOURCES = tests/ninep/test_server.c \
	$(NINEP_TEST_FIXTURE)
tests_ninep_test_server_CFLAGS = $(TEST_CFLAGS)
tests_ninep_test_server_LDADD = $(TEST_LIBS)
# The security model: modes, owners, the share root, mounts below it.
tests_ninep_test_security_SOURCES = tests/ninep/test_security.c \
	$(NINEP_TEST_FIXTURE)
tests_ninep_test_security_CFLAGS = $(TEST_CFLAGS)
tests_ninep_test_security_LDADD = $(TEST_LIBS)
