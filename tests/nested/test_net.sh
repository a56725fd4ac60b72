#!/bin/bash
# virtio-net with user-mode networking under real KVM, in one outer boot
# of the nested harness (tests/nested/run-cmd): the outer VM (where vmboot
# runs) serves page.txt on its loopback, port 8080; the inner Debian guest
# (machines/net-user.conf, guest-tests/net.sh) gets an address by DHCP,
# fetches the page through slirp (10.0.2.2), and serves fw.txt on port 80,
# which the outer VM fetches through the forward 127.0.0.1:2222 -> :80.
# Only loopback and addresses inside the VMs are used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
build=${VB_BUILDDIR:?VB_BUILDDIR must point at the build tree}
[ -x "$build/vmboot" ] || nested_skip "$build/vmboot not built"

log=$(mktemp "${TMPDIR:-/tmp}/vb-test-net.XXXXXX")
trap 'rm -f "$log"' EXIT
rc=0
"$here/run-cmd" --timeout 900 --vmboot "$build/vmboot" --file "$here/machines/net-user.conf" -- sh -c '
	busybox ip link set lo up 2>/dev/null || busybox ifconfig lo 127.0.0.1 up
	mkdir -p /tmp/www
	echo vmboot-net-page-OK >/tmp/www/page.txt
	busybox httpd -p 127.0.0.1:8080 -h /tmp/www || exit 1
	vmboot run net-user.conf -k /guest/vmlinuz -i /guest/initrd.img >vm.out 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q "net.listen=ready" vm.out && kill -0 $pid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	fw=$(busybox timeout 60 busybox wget -q -O - http://127.0.0.1:2222/fw.txt 2>&1)
	echo "HOST-FORWARD=$fw"
	wait $pid
	status=$?
	cat vm.out
	echo "VMBOOT-NET-STATUS=$status"
	[ "$status" = 0 ]
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the nested net run exited $rc"
	exit 1
fi
for want in "VMBOOT-GUEST: net.dhcp=ok addr=10.0.2.15" \
	"VMBOOT-GUEST: net.fetch=vmboot-net-page-OK" "HOST-FORWARD=vmboot-forward-OK" \
	"VMBOOT-GUEST: net.forward=served" "VMBOOT-GUEST: test=net status=0" \
	"VMBOOT-NET-STATUS=0"; do
	grep -q "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; exit 1; }
done
echo "test_net: all checks passed"
