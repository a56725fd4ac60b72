#!/bin/sh
# The MAC of each NIC, by PCI slot, and the feature bits its driver
# negotiated (sysfs, bit 0 first), and nothing else: a second boot of
# machines/net-two.conf (test_net.sh) must show the same generated MACs,
# and, served by vmboot rather than vhost-net, no MRG_RXBUF on the tap.
for d in /sys/class/net/*; do
	[ "${d##*/}" = lo ] && continue
	slot=$(readlink -f "$d/device" | sed -n 's|.*/\(0000:[0-9a-f:.]*\)/virtio[0-9]*$|\1|p')
	echo "VMBOOT-GUEST: netmacs.${slot:-unknown}=$(cat "$d/address") features=$(cat "$d/device/features")"
done
