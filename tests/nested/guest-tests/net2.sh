#!/bin/sh
# virtio-net with two NICs (machines/net-two.conf): net0 in user mode at
# PCI 00:01.0, net1 on the outer VM's tap vbtap0 at 00:02.0. Reports each
# NIC's MAC and the feature bits its driver negotiated (the virtio device's
# sysfs "features": one character per bit, bit 0 first), then:
#   net0: DHCP from slirp, a fetch from the outer VM through 10.0.2.2
#         and one of 4 MiB (md5 reported: slirp's 64 KiB frames at the
#         link's MTU, reported too), and a page served on port 80 that the
#         outer VM fetches through the forward 127.0.0.1:2222 -> :80 (as
#         net.sh);
#   net1: 192.168.77.2/24; fetch 4 MiB from the outer VM's 192.168.77.1
#         and report its md5, then serve 4 MiB of our own (md5 reported)
#         that the outer VM fetches from 192.168.77.2, and stay up until
#         the outer VM says it has it all (a fetch of done.txt).
r() {
	echo "VMBOOT-GUEST: net2.$*"
}
# The interface whose virtio device sits in PCI slot $1 (e.g. 0000:00:02.0).
iface_at() {
	for d in /sys/class/net/*; do
		case $(readlink -f "$d/device") in
		*/"$1"/virtio*) echo "${d##*/}"; return 0 ;;
		esac
	done
	return 1
}
user=$(iface_at 0000:00:01.0) || { r "user=missing"; exit 1; }
tap=$(iface_at 0000:00:02.0) || { r "tap=missing"; exit 1; }
for n in user tap; do
	eval i=\$$n
	r "$n.iface=$i mac=$(cat "/sys/class/net/$i/address")"
	r "$n.features=$(cat "/sys/class/net/$i/device/features")"
done
fail=0

ifc=$user
. /tests/net-common.sh
page=$(timeout 60 wget -q -O - http://10.0.2.2:8080/page.txt 2>/dev/null)
r "user.fetch=${page:-fail}"
[ "$page" = vmboot-net-page-OK ] || fail=1
r "user.mtu=$(cat "/sys/class/net/$user/mtu")"
timeout 120 wget -q -O /tmp/ubig.bin http://10.0.2.2:8080/big.bin
r "user.fetch_bytes=$(wc -c </tmp/ubig.bin 2>/dev/null) md5=$(md5sum </tmp/ubig.bin | cut -d' ' -f1)"
rm -f /tmp/ubig.bin

ip link set "$tap" up
ifconfig "$tap" 192.168.77.2 netmask 255.255.255.0 up
# The outer VM gives its end an address once vmboot has made the tap: retry.
i=0
while [ $i -lt 60 ] && ! timeout 60 wget -q -O /tmp/big.bin http://192.168.77.1:8080/big.bin; do
	sleep 1
	i=$((i + 1))
done
r "tap.fetch_bytes=$(wc -c </tmp/big.bin 2>/dev/null) md5=$(md5sum </tmp/big.bin | cut -d' ' -f1)"

mkdir -p /tmp/www
echo vmboot-forward-OK >/tmp/www/fw.txt
echo done >/tmp/www/done.txt
dd if=/dev/urandom of=/tmp/www/g.bin bs=1024 count=4096 2>/dev/null
r "tap.serve_md5=$(md5sum </tmp/www/g.bin | cut -d' ' -f1)"
httpd -f -v -p 80 -h /tmp/www 2>/tmp/httpd.log &
r "listen=ready"
# The outer VM fetches fw.txt through the forward, then g.bin and, once
# it has all of g.bin, done.txt over the tap. httpd logs a response when
# it starts it, so only the third one says g.bin arrived whole: until then
# the guest must stay up.
i=0
while [ $i -lt 300 ] && [ "$(grep -c "response:200" /tmp/httpd.log)" -lt 3 ]; do
	sleep 1
	i=$((i + 1))
done
r "served=$(grep -c "response:200" /tmp/httpd.log)"
[ "$(grep -c "response:200" /tmp/httpd.log)" -ge 3 ] || fail=1
exit $fail
