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
# test_small_kernel.sh: builds the small inner guest kernel (kernel/build,
#   once, several minutes cold; cached) and boots small.conf with it.
TESTS += tests/nested/test_checks.sh tests/nested/test_harness.sh \
	tests/nested/test_boot.sh tests/nested/test_kvm.sh \
	tests/nested/test_small_kernel.sh tests/nested/test_net.sh
EXTRA_DIST += tests/nested/lib.sh tests/nested/run tests/nested/run-cmd \
	tests/nested/outer-init.sh tests/nested/guest-init.sh \
	tests/nested/kvmprobe.c tests/nested/test_checks.sh \
	tests/nested/test_harness.sh tests/nested/test_boot.sh tests/nested/test_kvm.sh \
	tests/nested/test_small_kernel.sh \
	tests/nested/kernel/build tests/nested/kernel/vmboot.config \
	tests/nested/machines/small.conf tests/nested/machines/big.conf \
	tests/nested/guest-tests/README tests/nested/guest-tests/hello.sh \
	tests/nested/test_net.sh tests/nested/machines/net-user.conf \
	tests/nested/machines/net-bench.conf tests/nested/guest-tests/net.sh \
	tests/nested/guest-tests/net-common.sh tests/nested/guest-tests/netbench.sh \
	bench/net.sh
# test_9p_shmem.sh: a 9p share, an ivshmem region and (with the small
# kernel) a directory root filesystem, in one outer boot.
TESTS += tests/nested/test_9p_shmem.sh
EXTRA_DIST += tests/nested/test_9p_shmem.sh tests/nested/machines/9p-shmem.conf \
	tests/nested/machines/dirroot.conf tests/nested/guest-tests/9p-shmem.sh
# test_zeroconf.sh: `vmboot run -- CMD` with no kernel boots the outer VM's
# own kernel with the in-memory initramfs: output, exit status, /host.
TESTS += tests/nested/test_zeroconf.sh
EXTRA_DIST += tests/nested/test_zeroconf.sh
# test_blk.sh: virtio-blk disks (pci with the Debian kernel, mmio with the
# small kernel), a readonly disk and the image lock, in one outer boot.
TESTS += tests/nested/test_blk.sh
EXTRA_DIST += tests/nested/test_blk.sh tests/nested/machines/blk-pci.conf \
	tests/nested/machines/blk-mmio.conf tests/nested/guest-tests/blk.sh
# test_control.sh: tests/control/test_vm drives a live VM by name (list,
# pause, resume, debug, stat, stop) on the outer VM's real /dev/kvm.
TESTS += tests/nested/test_control.sh
EXTRA_DIST += tests/nested/test_control.sh tests/nested/machines/rng-pci.conf \
	tests/nested/machines/rng-mmio.conf tests/nested/guest-tests/hwrng.sh
# test_console_balloon.sh: console = "virtio" output through hvc0, and a
# balloon inflated with `vmboot balloon` lowering vmboot's RSS, one boot.
TESTS += tests/nested/test_console_balloon.sh
EXTRA_DIST += tests/nested/test_console_balloon.sh \
	tests/nested/machines/hvc-virtio.conf tests/nested/machines/balloon.conf \
	tests/nested/guest-tests/hvc.sh tests/nested/guest-tests/balloon.sh
