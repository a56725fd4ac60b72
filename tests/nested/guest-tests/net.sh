#!/bin/sh
# virtio-net, user mode: DHCP, a guest-to-host fetch through slirp
# (10.0.2.2 is the outer VM's loopback, where the test serves page.txt on
# port 8080), then a host-to-guest forward: serve fw.txt on port 80 and
# wait until the outer VM has fetched it through 127.0.0.1:2222.
. /tests/net-common.sh
page=$(timeout 60 wget -q -O - http://10.0.2.2:8080/page.txt 2>/dev/null)
echo "VMBOOT-GUEST: net.fetch=${page:-fail}"
mkdir -p /tmp/www
echo vmboot-forward-OK >/tmp/www/fw.txt
httpd -f -v -p 80 -h /tmp/www 2>/tmp/httpd.log &
echo "VMBOOT-GUEST: net.listen=ready"
i=0
while [ $i -lt 180 ] && ! grep -q "response:200" /tmp/httpd.log; do
	sleep 1
	i=$((i + 1))
done
if grep -q "response:200" /tmp/httpd.log; then
	echo "VMBOOT-GUEST: net.forward=served"
else
	echo "VMBOOT-GUEST: net.forward=timeout"
fi
[ "$page" = vmboot-net-page-OK ] && grep -q "response:200" /tmp/httpd.log
