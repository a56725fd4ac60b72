#!/bin/sh
# virtio-9p and ivshmem from inside the guest (machines/9p-shmem.conf).
# 9p: mount the share by its tag, read what the host wrote, write a file
# the host checks after vmboot exits. ivshmem: find 1af4:1110 on the PCI
# bus, read the word the host put at offset 0 of the shared file through
# BAR2 (busybox devmem on /dev/mem: no driver claims the BAR), and write
# one at offset 8 for the host to find.
r() {
	echo "VMBOOT-GUEST: 9p-shmem.$*"
}
fail=0
mkdir -p /mnt/share
if mount -t 9p -o trans=virtio,version=9p2000.L hostshare /mnt/share; then
	r "mount=ok"
	r "host-file=$(cat /mnt/share/from-host.txt)"
	if echo "written-by-guest" >/mnt/share/from-guest.txt; then
		r "write=ok"
	else
		r "write=fail"
		fail=1
	fi
	sync
	umount /mnt/share
else
	r "mount=fail"
	fail=1
fi

dev=''
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ]; then
		dev=$d
	fi
done
if [ -z "$dev" ]; then
	r "shmem=absent"
	exit 1
fi
r "shmem.class=$(cat "$dev/class")"
bar2=$(sed -n 3p "$dev/resource" | cut -d' ' -f1)
r "shmem.bar2=$bar2"
r "shmem.read=$(devmem "$bar2" 32)"
devmem $((bar2 + 8)) 32 0x600DCAFE
r "shmem.readback=$(devmem $((bar2 + 8)) 32)"
exit $fail
