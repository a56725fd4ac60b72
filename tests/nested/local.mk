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
	tests/nested/machines/hvc-virtio.conf tests/nested/machines/hvc-mmio.conf \
	tests/nested/machines/balloon.conf \
	tests/nested/guest-tests/hvc.sh tests/nested/guest-tests/balloon.sh
# test_debian.sh: the Debian image of machines/debian.conf (scripts/debian-image,
# attached with run-cmd --disk) boots to multi-user, root logs in on the serial
# console and runs a command, and `vmboot stop` makes systemd reboot in order
# (vmboot exits 0). Skips without machines/images/debian.img unless
# VB_NESTED_DEBIAN=1 (then builds it: 10-25 min, root, Debian mirror).
TESTS += tests/nested/test_debian.sh
EXTRA_DIST += tests/nested/test_debian.sh tests/nested/machines/debian-image.conf
# test_console_balloon.sh also boots hvc-virtio.conf with the small kernel
# and balloon-mmio.conf (mmio transport, small kernel); test_net.sh boots
# net-two.conf (a user-mode and a tap NIC) twice, the second time to see
# the same generated MACs.
EXTRA_DIST += tests/nested/machines/balloon-mmio.conf tests/nested/machines/net-two.conf \
	tests/nested/guest-tests/net2.sh tests/nested/guest-tests/netmacs.sh
# test_console_attach.sh: run --detach, list, the pty, vmboot console and
# stop, with tests/guests/ticker.bin on the outer VM's real /dev/kvm.
TESTS += tests/nested/test_console_attach.sh
EXTRA_DIST += tests/nested/test_console_attach.sh
# test_dev_run.sh: ./dev run's path on hosts without a usable /dev/kvm:
# run --interactive boots machines/minimal.conf (the zero-config default)
# with stdin from a pipe: the piped command runs in the guest shell, the end
# of input ends the guest, and run exits with its status.
TESTS += tests/nested/test_dev_run.sh
EXTRA_DIST += tests/nested/test_dev_run.sh
# test_install.sh: make install DESTDIR=... of the build tree, unpacked in
# the outer VM by the INSTALLED run-cmd; the installed vmboot's zero-config
# default there (output, exit status), also from a staged DESTDIR root.
TESTS += tests/nested/test_install.sh
EXTRA_DIST += tests/nested/test_install.sh
# test_vsock.sh: virtio-vsock on the outer VM's vhost-vsock (pci with the
# Debian kernel, mmio with the small kernel): the guest talks to a listener
# on the host's CID 2; the missing module and a CID in use are refused.
TESTS += tests/nested/test_vsock.sh
EXTRA_DIST += tests/nested/test_vsock.sh tests/nested/vsockecho.c \
	tests/nested/machines/vsock-pci.conf tests/nested/machines/vsock-mmio.conf \
	tests/nested/guest-tests/vsock.sh
# test_acpi.sh: ACPI with the stock Debian kernel: tables, no ACPI errors,
# the mmio devices found through the DSDT, poweroff and the power button
# ending vmboot with status 0, 1, 3 and 8 vCPUs.
TESTS += tests/nested/test_acpi.sh
EXTRA_DIST += tests/nested/test_acpi.sh tests/nested/machines/acpi-mmio.conf \
	tests/nested/guest-tests/acpi.sh

# The harness, installed for users of an installed vmboot, who run
# $(pkgdatadir)/nested/run FILE (vmboot's messages name it there). The
# scripts find their siblings relative to themselves and cache in
# $XDG_CACHE_HOME (or ~/.cache), so a read-only installation works; the
# tests themselves are not installed. tests/cli/test_install.sh fails when a
# file of guest-tests/ or machines/ is missing from these lists.
nesteddir = $(pkgdatadir)/nested
nested_SCRIPTS = tests/nested/run tests/nested/run-cmd
nested_DATA = tests/nested/lib.sh tests/nested/outer-init.sh tests/nested/guest-init.sh \
	tests/nested/kvmprobe.c
nestedkerneldir = $(nesteddir)/kernel
nestedkernel_SCRIPTS = tests/nested/kernel/build
nestedkernel_DATA = tests/nested/kernel/vmboot.config
nestedmachinesdir = $(nesteddir)/machines
nestedmachines_DATA = tests/nested/machines/9p-shmem.conf tests/nested/machines/acpi-mmio.conf \
	tests/nested/machines/balloon-mmio.conf tests/nested/machines/balloon.conf \
	tests/nested/machines/big.conf tests/nested/machines/blk-mmio.conf \
	tests/nested/machines/blk-pci.conf tests/nested/machines/debian-image.conf \
	tests/nested/machines/dirroot.conf tests/nested/machines/hvc-mmio.conf \
	tests/nested/machines/hvc-virtio.conf tests/nested/machines/net-bench.conf \
	tests/nested/machines/net-two.conf tests/nested/machines/net-user.conf \
	tests/nested/machines/rng-mmio.conf tests/nested/machines/rng-pci.conf \
	tests/nested/machines/small.conf tests/nested/machines/vsock-mmio.conf \
	tests/nested/machines/vsock-pci.conf
nestedguesttestsdir = $(nesteddir)/guest-tests
nestedguesttests_DATA = tests/nested/guest-tests/README tests/nested/guest-tests/9p-shmem.sh \
	tests/nested/guest-tests/acpi.sh \
	tests/nested/guest-tests/balloon.sh tests/nested/guest-tests/blk.sh \
	tests/nested/guest-tests/hello.sh tests/nested/guest-tests/hvc.sh \
	tests/nested/guest-tests/hwrng.sh tests/nested/guest-tests/net-common.sh \
	tests/nested/guest-tests/net.sh tests/nested/guest-tests/net2.sh \
	tests/nested/guest-tests/netbench.sh tests/nested/guest-tests/netmacs.sh \
	tests/nested/guest-tests/vsock.sh
