# Unit tests (cmocka) and integration tests. Each tests/<subsystem>/local.mk
# adds its programs to UNIT_TESTS; script tests are added to TESTS directly.
UNIT_TESTS =
# Unit tests that race threads on purpose: `./dev race` runs them under
# ThreadSanitizer (a data race there fails them).
RACE_TESTS =
include tests/util/local.mk
include tests/parse/local.mk
include tests/machine/local.mk
include tests/arch/x86/local.mk
include tests/dev/local.mk
include tests/guests/local.mk
include tests/kvm/local.mk
include tests/sandbox/local.mk
include tests/control/local.mk
include tests/nested/local.mk
include tests/cli/local.mk
include tests/ninep/local.mk
include tests/virtio/local.mk
include tests/kcheck/local.mk
include tests/initramfs/local.mk
include tests/zeroconf/local.mk
include tests/deps/local.mk
include tests/fuzz/local.mk
include tests/service/local.mk
include tests/emacs/local.mk
include tests/layers/local.mk
include tests/bench/local.mk

if HAVE_CMOCKA
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
endif

# What the shell tests share (fail, skip, make_tmp, expect_status, ...).
EXTRA_DIST += tests/lib/common.sh

print-race-tests:
	@echo $(RACE_TESTS)
.PHONY: print-race-tests
