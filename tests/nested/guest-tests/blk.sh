#!/bin/sh
# virtio-blk: the disks of machines/blk-*.conf, found by their GET_ID
# serial ("data", "ro"). On data: write a 4 KiB pattern at byte 4096 with
# dd conv=fsync (a FLUSH request), sync, read it back. On ro: the kernel must see
# it read-only, a write must fail, and its first sector must read as the
# host wrote it. The host checks the image files after vmboot exits.
fail=0
find_disk() {
	for d in /sys/block/vd*; do
		[ -e "$d" ] || continue
		if [ "$(cat "$d/serial" 2>/dev/null)" = "$1" ]; then
			echo "/dev/${d##*/}"
			return 0
		fi
	done
	return 1
}
disks=$(cd /sys/block 2>/dev/null && ls -d vd* 2>/dev/null | tr '\n' ' ')
echo "VMBOOT-GUEST: blk.disks=${disks% }"

data=$(find_disk data) || { echo "VMBOOT-GUEST: blk.data=missing"; exit 1; }
ro=$(find_disk ro) || { echo "VMBOOT-GUEST: blk.ro=missing"; exit 1; }
echo "VMBOOT-GUEST: blk.data.sectors=$(cat "/sys/block/${data#/dev/}/size")"
echo "VMBOOT-GUEST: blk.ro.flag=$(cat "/sys/block/${ro#/dev/}/ro")"

# 4096 bytes: "VBLK-PATTERN-" and a counter, padded by dd conv=sync.
i=0
: >/tmp/pattern
while [ "$i" -lt 64 ]; do
	printf 'VBLK-PATTERN-%050d\n' "$i" >>/tmp/pattern
	i=$((i + 1))
done
if dd if=/tmp/pattern of="$data" bs=4096 seek=1 count=1 conv=fsync 2>/dev/null && sync; then
	echo "VMBOOT-GUEST: blk.write=ok"
else
	echo "VMBOOT-GUEST: blk.write=fail"
	fail=1
fi
# Drop the page cache so the read comes from the device.
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
if dd if="$data" bs=4096 skip=1 count=1 2>/dev/null | cmp -s - /tmp/pattern; then
	echo "VMBOOT-GUEST: blk.readback=ok"
else
	echo "VMBOOT-GUEST: blk.readback=fail"
	fail=1
fi

head=$(dd if="$ro" bs=16 count=1 2>/dev/null)
echo "VMBOOT-GUEST: blk.ro.head=$head"
if dd if=/tmp/pattern of="$ro" bs=4096 count=1 conv=fsync 2>/dev/null; then
	echo "VMBOOT-GUEST: blk.ro.write=accepted"
	fail=1
else
	echo "VMBOOT-GUEST: blk.ro.write=refused"
fi
exit "$fail"
