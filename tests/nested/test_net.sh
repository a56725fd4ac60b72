#!/bin/bash
# virtio-net under real KVM, in one outer boot of the nested harness
# (tests/nested/run-cmd). The inner Debian guest (machines/net-two.conf,
# guest-tests/net2.sh) has two NICs with generated MACs:
#   - net0, user mode: DHCP from slirp; a fetch of page.txt, which the outer
#     VM (where vmboot runs) serves on port 8080, through 10.0.2.2 (slirp's
#     alias for the outer VM's loopback); and fw.txt served by the guest on
#     port 80, which the outer VM fetches through the forward
#     127.0.0.1:2222 -> :80;
#   - net1, tap: vmboot creates vbtap0 in the outer VM (root there), the
#     test gives it 192.168.77.1/24; the guest takes 192.168.77.2, fetches
#     4 MiB from the outer VM and serves 4 MiB that the outer VM fetches,
#     and both sides' md5 sums must match. The tap NIC must have negotiated
#     the checksum and TSO offloads (virtio 1.2, 5.1.3: CSUM, GUEST_CSUM,
#     HOST_TSO4, GUEST_TSO4), the user-mode NIC none of them (slirp takes
#     whole frames only).
# The two MACs must differ, and a second boot of the same machine file
# (same name, guest-tests/netmacs.sh) must show the same two MACs.
# Only loopback, the tap and addresses inside the VMs are used.
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
"$here/run-cmd" --timeout 1200 --vmboot "$build/vmboot" --file "$here/machines/net-two.conf" -- sh -c '
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	mkdir -p /tmp/www
	echo vmboot-net-page-OK >/tmp/www/page.txt
	dd if=/dev/urandom of=/tmp/www/big.bin bs=1024 count=4096 2>/dev/null
	echo "HOST-BIG-MD5=$(md5sum </tmp/www/big.bin | cut -d" " -f1)"
	# All addresses: slirp reaches it on 127.0.0.1, the guest on the tap.
	httpd -p 8080 -h /tmp/www || exit 1
	vmboot run net-two.conf -k /guest/vmlinuz -i /guest/initrd.img >vm.out 2>&1 &
	pid=$!
	# vmboot makes vbtap0 when it opens it (TUNSETIFF with CAP_NET_ADMIN).
	i=0
	while [ $i -lt 300 ] && [ ! -e /sys/class/net/vbtap0 ] && kill -0 $pid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	ip addr add 192.168.77.1/24 dev vbtap0 && ip link set vbtap0 up &&
		echo "HOST-TAP=$(cat /sys/class/net/vbtap0/operstate 2>/dev/null) flags=$(cat /sys/class/net/vbtap0/flags)"
	i=0
	while [ $i -lt 600 ] && ! grep -q "net2.listen=ready" vm.out && kill -0 $pid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	fw=$(timeout 60 wget -q -O - http://127.0.0.1:2222/fw.txt 2>&1)
	echo "HOST-FORWARD=$fw"
	timeout 120 wget -q -O guest.bin http://192.168.77.2/g.bin
	echo "HOST-TAP-FETCH=$? bytes=$(wc -c <guest.bin) md5=$(md5sum <guest.bin | cut -d" " -f1)"
	# Lets the guest go: it stays up until this third request.
	echo "HOST-DONE=$(timeout 60 wget -q -O - http://192.168.77.2/done.txt 2>&1)"
	wait $pid
	status=$?
	tr -d "\r" <vm.out
	echo "VMBOOT-NET-STATUS=$status"
	# Same machine file, same name: the generated MACs must repeat.
	timeout 300 vmboot run net-two.conf -k /guest/vmlinuz -i /guest/initrd.img \
		-p vbtest=netmacs >macs.out 2>&1
	echo "VMBOOT-NETMACS-STATUS=$?"
	tr -d "\r" <macs.out | grep -a -e "VMBOOT-GUEST: netmacs\." -e "VMBOOT-GUEST: test=netmacs" | sed "s/^.*VMBOOT-GUEST: /RUN2: /"
	[ "$status" = 0 ]
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}
[ "$rc" -eq 0 ] || fail "the nested net run exited $rc"
for want in "VMBOOT-GUEST: net.dhcp=ok addr=10.0.2.15" \
	"VMBOOT-GUEST: net2.user.fetch=vmboot-net-page-OK" "HOST-FORWARD=vmboot-forward-OK" \
	"VMBOOT-GUEST: net2.served=3" "VMBOOT-GUEST: test=net2 status=0" \
	"VMBOOT-NET-STATUS=0" "VMBOOT-NETMACS-STATUS=0" "RUN2: test=netmacs status=0"; do
	grep -q "$want" "$log" || fail "no \"$want\" in the output"
done
lines=$(tr -d '\r' <"$log")
val() { printf '%s\n' "$lines" | sed -n "s/^.*$1\([^ ]*\).*/\1/p" | tail -n 1; }

# 4 MiB each way over the tap, intact.
host_md5=$(val "HOST-BIG-MD5=")
guest_got=$(val "net2.tap.fetch_bytes=")
guest_md5=$(printf '%s\n' "$lines" | sed -n 's/^.*net2.tap.fetch_bytes=[0-9]* md5=\([0-9a-f]*\).*/\1/p' | tail -n 1)
served_md5=$(val "net2.tap.serve_md5=")
host_got=$(printf '%s\n' "$lines" | sed -n 's/^HOST-TAP-FETCH=0 bytes=\([0-9]*\) md5=\([0-9a-f]*\).*/\1 \2/p' | tail -n 1)
echo "measured: host->guest over tap ${guest_got:-?} bytes md5 ${guest_md5:-?} (sent ${host_md5:-?});" \
	"guest->host ${host_got:-?} (sent md5 ${served_md5:-?})"
[ "$guest_got" = 4194304 ] && [ -n "$host_md5" ] && [ "$guest_md5" = "$host_md5" ] ||
	fail "host -> guest over the tap: got ${guest_got:-nothing} bytes, md5 ${guest_md5:-none}, sent $host_md5"
[ -n "$served_md5" ] && [ "$host_got" = "4194304 $served_md5" ] ||
	fail "guest -> host over the tap: got '${host_got:-nothing}', guest sent md5 ${served_md5:-none}"

# Feature bits as the guest driver negotiated them (sysfs: bit 0 first).
bit() { [ "${1:$2:1}" = 1 ]; }
user_f=$(val "net2.user.features=")
tap_f=$(val "net2.tap.features=")
names=(csum guest_csum "" "" "" "" "" guest_tso4 guest_tso6 guest_ecn "" host_tso4 host_tso6 host_ecn)
neg=''
for b in 0 1 7 8 9 11 12 13; do
	! bit "$tap_f" $b || neg+="${names[$b]} "
	! bit "$user_f" $b || fail "user-mode NIC negotiated offload bit $b (${names[$b]})"
done
echo "measured: tap NIC offloads negotiated: ${neg:-none}"
for b in 0 1 7 11; do
	bit "$tap_f" $b || fail "tap NIC did not negotiate ${names[$b]} (bit $b; features $tap_f)"
done

# MACs: two different ones, the same in the second boot.
user_mac=$(printf '%s\n' "$lines" | sed -n 's/^.*net2.user.iface=[^ ]* mac=\([0-9a-f:]*\).*/\1/p' | tail -n 1)
tap_mac=$(printf '%s\n' "$lines" | sed -n 's/^.*net2.tap.iface=[^ ]* mac=\([0-9a-f:]*\).*/\1/p' | tail -n 1)
run2_user=$(val "RUN2: netmacs.0000:00:01.0=")
run2_tap=$(val "RUN2: netmacs.0000:00:02.0=")
echo "measured: MACs net0 ${user_mac:-?} net1 ${tap_mac:-?}; second boot ${run2_user:-?} ${run2_tap:-?}"
[ -n "$user_mac" ] && [ -n "$tap_mac" ] && [ "$user_mac" != "$tap_mac" ] ||
	fail "the two NICs' MACs are missing or equal (${user_mac:-none}, ${tap_mac:-none})"
[ "$run2_user" = "$user_mac" ] && [ "$run2_tap" = "$tap_mac" ] ||
	fail "the second boot's MACs (${run2_user:-none}, ${run2_tap:-none}) differ from the first's"
case $user_mac$tap_mac in
52:54:00:*52:54:00:*) ;;
*) fail "generated MACs without the 52:54:00 prefix" ;;
esac
if [ "$failed" -ne 0 ]; then
	echo "test_net: FAILED"
	exit 1
fi
echo "test_net: all checks passed"
