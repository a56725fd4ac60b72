# tests/nested: the nested boot harness (QEMU TCG with an emulated SVM CPU
# running kvm-amd, for machines without hardware virtualization). Scripts
# only: kvmprobe.c is built by test_harness.sh with the host cc.
#
# test_checks.sh: the report checks, no QEMU (fast).
# test_harness.sh: run-cmd gives a real /dev/kvm and propagates statuses;
#   the inner guest's report is right (about a minute; skips without QEMU).
# test_boot.sh: vmboot boots machines/*.conf under nested KVM and the guest
#   reports its memory, CPUs, command line, initrd and e820 map.
# test_kvm.sh: the tests/kvm tiny-guest programs and a whole vmboot run of
#   tests/guests/hello.bin, on the outer VM's real /dev/kvm.
TESTS += tests/nested/test_checks.sh tests/nested/test_harness.sh \
	tests/nested/test_boot.sh tests/nested/test_kvm.sh
EXTRA_DIST += tests/nested/lib.sh tests/nested/run tests/nested/run-cmd \
	tests/nested/outer-init.sh tests/nested/guest-init.sh \
	tests/nested/kvmprobe.c tests/nested/test_checks.sh \
	tests/nested/test_harness.sh tests/nested/test_boot.sh tests/nested/test_kvm.sh \
	tests/nested/machines/small.conf tests/nested/machines/big.conf \
	tests/nested/guest-tests/README tests/nested/guest-tests/hello.sh
