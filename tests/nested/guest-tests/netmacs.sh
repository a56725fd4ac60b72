#!/bin/sh
# The MAC of each NIC, by PCI slot, and nothing else: a second boot of
# machines/net-two.conf (test_net.sh) must show the same generated MACs.
for d in /sys/class/net/*; do
	[ "${d##*/}" = lo ] && continue
	slot=$(readlink -f "$d/device" | sed -n 's|.*/\(0000:[0-9a-f:.]*\)/virtio[0-9]*$|\1|p')
	echo "VMBOOT-GUEST: netmacs.${slot:-unknown}=$(cat "$d/address")"
done
