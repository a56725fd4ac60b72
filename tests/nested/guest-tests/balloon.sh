#!/bin/sh
# virtio-balloon: dirty 150 MiB (a tmpfs file, then delete it) so vmboot
# has resident memory the balloon can give back, announce it, and stay up
# while the host inflates the balloon (test_console_balloon.sh).
dd if=/dev/zero of=/tmp/fill bs=1M count=150 2>/dev/null
rm -f /tmp/fill
echo "VMBOOT-GUEST: balloon.ready=1"
sleep 45
while read -r key value _; do
	[ "$key" = "MemTotal:" ] && echo "VMBOOT-GUEST: balloon.memtotal_after=$value"
done </proc/meminfo
exit 0
