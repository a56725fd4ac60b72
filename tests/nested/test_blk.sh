#!/bin/bash
# virtio-blk under real KVM, in one outer boot of the nested harness
# (tests/nested/run-cmd). In the outer VM the script makes the images, runs
# vmboot, and after vmboot exits reads the images itself:
#   - machines/blk-pci.conf with the Debian guest kernel: the guest finds
#     both disks by serial (GET_ID), writes a pattern to "data" and syncs,
#     reads it back; "ro" is read-only in the guest, a write is refused and
#     its first bytes read as the host wrote them (guest-tests/blk.sh);
#     then the host finds the pattern at byte 4096 of data.img and ro.img
#     unchanged;
#   - vmboot on an image another process holds (flock -s) is refused with
#     a message naming the disk and the image;
#   - machines/blk-mmio.conf: the same over the mmio transport, with the
#     small guest kernel (the Debian one cannot find virtio-mmio devices).
#     Skipped (said so) when the small kernel is not built: building it
#     takes minutes (tests/nested/kernel/build, test_small_kernel.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"
command -v flock >/dev/null || nested_skip "flock not found (apt-get install util-linux)"
files=(--file "$here/machines/blk-pci.conf" --file "$here/machines/blk-mmio.conf"
	--file "$(command -v flock)")
small=$("$here/kernel/build" --path-only 2>/dev/null) || small=''
if [ -n "$small" ]; then
	files+=(--file "$small")
else
	echo "NOTE: small guest kernel not built: the mmio-transport boot is skipped"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-blk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
rc=0
"$here/run-cmd" --timeout 900 "${files[@]}" -- sh -c '
	cd /work
	mkimages() {
		dd if=/dev/zero of="$1" bs=1M count=8 2>/dev/null
		dd if=/dev/zero of=ro.img bs=1M count=4 2>/dev/null
		printf "VBLK-RO-IMAGE-01" | dd of=ro.img conv=notrunc 2>/dev/null
		md5sum ro.img >ro.md5
	}
	# The pattern the guest wrote, as the host reads it from the image.
	check() {
		echo "HOST-$2-PATTERN=$(dd if="$1" bs=4096 skip=1 count=1 2>/dev/null | head -n 1)"
		echo "HOST-$2-LINES=$(dd if="$1" bs=4096 skip=1 count=1 2>/dev/null | grep -c VBLK-PATTERN-)"
		md5sum -c ro.md5 >/dev/null 2>&1 && echo "HOST-$2-RO=unchanged"
	}
	mkimages data.img
	vmboot run blk-pci.conf -k /guest/vmlinuz -i /guest/initrd.img --debug
	echo "VMBOOT-BLK-PCI-STATUS=$?"
	check data.img PCI
	# Another holder of the image (util-linux flock, shared, as a
	# readonly VM would hold it): vmboot must refuse to start.
	./flock -s data.img vmboot run blk-pci.conf -k /guest/vmlinuz \
		-i /guest/initrd.img >locked.out 2>&1
	echo "VMBOOT-BLK-LOCKED-STATUS=$?"
	grep -o "disk data: .*" locked.out | sed "s/^/HOST-LOCKED-MSG=/"
	if [ -f bzImage ]; then
		mkimages data-mmio.img
		vmboot run blk-mmio.conf -k bzImage -i /guest/initrd.img --debug
		echo "VMBOOT-BLK-MMIO-STATUS=$?"
		check data-mmio.img MMIO
	fi
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the nested run exited $rc"
	exit 1
fi
guest=("VMBOOT-GUEST: blk.data.sectors=16384" "VMBOOT-GUEST: blk.ro.flag=1"
	"VMBOOT-GUEST: blk.write=ok" "VMBOOT-GUEST: blk.readback=ok"
	"VMBOOT-GUEST: blk.ro.head=VBLK-RO-IMAGE-01" "VMBOOT-GUEST: blk.ro.write=refused"
	"VMBOOT-GUEST: test=blk status=0")
pattern="VBLK-PATTERN-$(printf '%050d' 0)"
wants=("${guest[@]}" "VMBOOT-BLK-PCI-STATUS=0" "HOST-PCI-PATTERN=$pattern"
	"HOST-PCI-LINES=64" "HOST-PCI-RO=unchanged" "VMBOOT-BLK-LOCKED-STATUS=1"
	"is in use by another VM (flock)")
if [ -n "$small" ]; then
	wants+=("VMBOOT-BLK-MMIO-STATUS=0" "HOST-MMIO-PATTERN=$pattern" "HOST-MMIO-LINES=64"
		"HOST-MMIO-RO=unchanged" "VMBOOT-GUEST: blk.mmio-irq=edge"
		"virtio-mmio lines: edges through KVM irqfds")
fi
for want in "${wants[@]}"; do
	grep -qF "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; exit 1; }
done
# Each guest check passed in every boot, not just one of them.
boots=1
[ -z "$small" ] || boots=2
for want in "${guest[@]}"; do
	n=$(tr -d '\r' <"$log" | grep -cF "$want" || true)
	[ "$n" -ge "$boots" ] || { echo "FAIL: \"$want\" seen $n times, expected $boots"; exit 1; }
done
# Queue notifications went through KVM ioeventfd, not exits, in every
# boot (--debug: vm.c logs the path once the devices are attached).
n=$(grep -c "vmboot: virtio notifications: ioeventfd (" "$log" || true)
[ "$n" -ge "$boots" ] || { echo "FAIL: ioeventfd path seen in $n boots, expected $boots"; exit 1; }
# ... and the guest's doorbells did arrive that way (not only registered).
n=$(grep -cE "vmboot: virtio notifications: [1-9][0-9]* ioeventfd wakeups" "$log" || true)
[ "$n" -ge "$boots" ] || { echo "FAIL: ioeventfd wakeups seen in $n boots, expected $boots"; exit 1; }
echo "test_blk: all checks passed${small:+ (pci and mmio)}"
