#!/bin/sh
# virtio-blk: the disks of machines/blk-*.conf, found by their GET_ID
# serial ("data", "ro"). On data: write a 4 KiB pattern at byte 4096 with
# dd conv=fsync (a FLUSH request), sync, read it back. On ro: the kernel must see
# it read-only, a write must fail, and its first sector must read as the
# host wrote it. The host checks the image files after vmboot exits.
# Over PCI, both disks' interrupts must be MSI-X vectors (virtioN-config,
# virtioN-req.0 on a PCI-MSI or PCI-MSIX chip in /proc/interrupts), and
# data's request vector must have taken the completions of the I/O. Over
# MMIO, each disk's line must be an edge (IO-APIC N-edge), data's having
# taken the completions.
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

# The interrupts /proc/interrupts counts for disk $1's lines matching $2.
irq_count() {
	awk -v name="$1-$2" '$NF ~ "^" name {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i
	} END { print n + 0 }' /proc/interrupts
}
# Disk $1's virtio-mmio device ($2): its line (shared or not) is an edge
# and counted $3 interrupts or more.
check_edge() {
	line=$(grep -E "[ ,]$2(,|\$)" /proc/interrupts)
	irqs=$(echo "$line" | awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }')
	edge=$(echo "$line" | grep -c -- "-edge")
	echo "VMBOOT-GUEST: blk.edge.$2=edge:$edge,irqs:$irqs"
	if [ "$edge" -ne 1 ] || [ "$irqs" -lt "$3" ]; then
		grep "virtio" /proc/interrupts
		return 1
	fi
	echo "VMBOOT-GUEST: blk.mmio-irq=edge"
}
# Disk $1 (/dev/vdX) on PCI: every interrupt line of its virtio device is
# an MSI one, and there is a request vector that counted $2 or more. On
# virtio-mmio: check_edge.
check_msix() {
	dev=$(readlink -f "/sys/block/${1#/dev/}/device")
	name=${dev##*/}
	case $dev in
	*/pci*) ;;
	*) check_edge "$1" "$name" "$2"; return ;;
	esac
	lines=$(grep -c " $name-" /proc/interrupts)
	msi=$(grep " $name-" /proc/interrupts | grep -c MSI)
	reqs=$(irq_count "$name" req)
	echo "VMBOOT-GUEST: blk.msix.$name=lines:$lines,msi:$msi,req_irqs:$reqs"
	if [ "$lines" -lt 2 ] || [ "$msi" -ne "$lines" ] || [ "$reqs" -lt "$2" ]; then
		grep "virtio" /proc/interrupts
		return 1
	fi
	echo "VMBOOT-GUEST: blk.msix=ok"
}
check_msix "$data" 2 || fail=1
check_msix "$ro" 0 || fail=1

head=$(dd if="$ro" bs=16 count=1 2>/dev/null)
echo "VMBOOT-GUEST: blk.ro.head=$head"
if dd if=/tmp/pattern of="$ro" bs=4096 count=1 conv=fsync 2>/dev/null; then
	echo "VMBOOT-GUEST: blk.ro.write=accepted"
	fail=1
else
	echo "VMBOOT-GUEST: blk.ro.write=refused"
fi
exit "$fail"
