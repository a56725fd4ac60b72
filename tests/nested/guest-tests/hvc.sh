#!/bin/sh
# virtio-console: with the Debian kernel virtio_console is a module, so the
# kernel had no console when it started /init and the standard report went
# nowhere; write straight to hvc0 now that the module is loaded.
for i in 1 2 3 4 5; do
	[ -c /dev/hvc0 ] && break
	sleep 1
done
[ -c /dev/hvc0 ] || exit 1
{
	echo
	echo "VMBOOT-GUEST: hvc.active=$(cat /sys/class/tty/console/active 2>/dev/null)"
	echo "VMBOOT-GUEST: hvc=ok"
} >/dev/hvc0
exit 0
