#!/bin/sh
# virtio-rng: /dev/hwrng must yield bytes (the read blocks until the device
# answers a request and interrupts, so this also proves the interrupt path).
# timeout keeps a dead device from hanging the run.
cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
echo "VMBOOT-GUEST: hwrng.current=${cur:-none}"
n=$(timeout 30 dd if=/dev/hwrng bs=64 count=8 2>/dev/null | wc -c)
if [ "${n:-0}" -eq 512 ]; then
	echo "VMBOOT-GUEST: hwrng=ok bytes=$n"
	exit 0
fi
echo "VMBOOT-GUEST: hwrng=fail bytes=${n:-0}"
exit 1
