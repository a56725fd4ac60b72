# tests/zeroconf: the zero-config default's kernel lookup, command encoding
# (read back with the guest init's decoder, ginit.c compiled in), the tree
# it fills in, and the VMBOOT-STATUS console filter.
UNIT_TESTS += tests/zeroconf/test_zeroconf
tests_zeroconf_test_zeroconf_SOURCES = tests/zeroconf/test_zeroconf.c \
	src/guestinit/ginit.c src/guestinit/ginit.h
tests_zeroconf_test_zeroconf_CFLAGS = $(TEST_CFLAGS)
tests_zeroconf_test_zeroconf_LDADD = $(TEST_LIBS)
