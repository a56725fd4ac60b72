# Sourced by net*.sh: bring up a NIC with DHCP (busybox udhcpc), falling
# back to slirp's static 10.0.2.15: the one named by $ifc if the caller set
# it, else the first. Sets $ifc.
ip link set lo up
ifc=${ifc:-}
if [ -z "$ifc" ]; then
	for d in /sys/class/net/*; do
		[ "${d##*/}" = lo ] || { ifc=${d##*/}; break; }
	done
fi
echo "VMBOOT-GUEST: net.iface=${ifc:-none} mac=$(cat /sys/class/net/$ifc/address 2>/dev/null)"
[ -n "$ifc" ] || exit 1
ip link set "$ifc" up
cat >/tmp/udhcpc.sh <<'SCRIPT'
#!/bin/sh
case "$1" in
bound|renew)
	ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
	[ -n "$router" ] && route add default gw "${router%% *}" dev "$interface"
	echo "$ip" >/tmp/dhcp.addr
	;;
esac
exit 0
SCRIPT
chmod +x /tmp/udhcpc.sh
if timeout 90 udhcpc -i "$ifc" -n -q -t 10 -T 3 -s /tmp/udhcpc.sh >/tmp/udhcpc.log 2>&1 &&
	[ -s /tmp/dhcp.addr ]; then
	echo "VMBOOT-GUEST: net.dhcp=ok addr=$(cat /tmp/dhcp.addr)"
else
	echo "VMBOOT-GUEST: net.dhcp=fail"
	sed 's/^/VMBOOT-GUEST: net.udhcpc: /' /tmp/udhcpc.log
	ifconfig "$ifc" 10.0.2.15 netmask 255.255.255.0 up
	route add default gw 10.0.2.2 dev "$ifc"
fi
