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
#     whole frames only) but the link's MTU (65520) and MRG_RXBUF, and a
#     4 MiB fetch over it must match the outer VM's md5.
# The tap NIC runs on the outer VM's vhost-net (src/virtio/vhost_net.h):
#   - a first, short boot (guest-tests/netmacs.sh) comes before vhost_net
#     is loaded: vmboot says, in one warning, that it serves the NIC
#     itself (and merges receive buffers itself: MRG_RXBUF);
#   - then the test loads vhost_net and what it needs (vhost, vhost_iotlb,
#     tap: modprobe --show-depends order, staged from the host's Debian
#     modules as test_vsock.sh does; tun is already loaded) and the main
#     boot above runs with vmboot holding /dev/vhost-net open (its
#     /proc/PID/fd, read while the guest is up), no fallback warning, and
#     MRG_RXBUF negotiated; the 4 MiB transfers above then cross the
#     kernel's data path.
# The two MACs must differ, and the two boots of the same machine file
# (same name) must show the same two MACs.
# Only loopback, the tap and addresses inside the VMs are used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
build=${VB_BUILDDIR:?VB_BUILDDIR must point at the build tree}
[ -x "$build/vmboot" ] || nested_skip "$build/vmboot not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-net.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
# The host's vhost_net and its dependencies, decompressed, flat in /work
# (run-cmd copies files by name), with the order to load them in.
files=(--file "$here/machines/net-two.conf")
: >"$tmp/vhost-modules"
vhost=yes
modprobe -S "$NESTED_KVER" --show-depends vhost_net >/dev/null 2>&1 || vhost=''
for f in $(nested_module_files vhost_net); do
	ko=$(nested_copy_module "$f" "$tmp/mods")
	files+=(--file "$tmp/mods$ko")
	basename "$ko" >>"$tmp/vhost-modules"
done
files+=(--file "$tmp/vhost-modules")
[ -n "$vhost" ] || echo "NOTE: kernel $NESTED_KVER has no vhost_net module: the vhost-net checks are skipped"
rc=0
"$here/run-cmd" --timeout 1200 --vmboot "$build/vmboot" "${files[@]}" -- sh -c '
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	# Before vhost_net: the same machine file, same name, for the MACs;
	# vmboot serves the tap NIC itself and says why.
	timeout 300 vmboot run net-two.conf -k /guest/vmlinuz -i /guest/initrd.img \
		-p vbtest=netmacs >macs.out 2>&1
	echo "VMBOOT-NETMACS-STATUS=$?"
	tr -d "\r" <macs.out | grep -a -e "VMBOOT-GUEST: netmacs\." -e "VMBOOT-GUEST: test=netmacs" | sed "s/^.*VMBOOT-GUEST: /RUN2: /"
	grep -a -o "net1: /dev/vhost-net: .*" macs.out | sed "s/^/HOST-NOVHOST-MSG=/"
	# Loaded already (tun, by the outer init): skipped.
	while read -r ko; do
		[ -d "/sys/module/${ko%.ko}" ] || insmod "./$ko" || echo "HOST-INSMOD-FAILED=$ko"
	done <vhost-modules
	[ -c /dev/vhost-net ] && echo "HOST-VHOST-NET=present"
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
	# The guest is up and both NICs have moved data: vhost-net holds the
	# tap, and its worker runs as vhost-PID (a kernel thread, or since
	# Linux 6.4 a thread of vmboot).
	echo "HOST-VHOST-FDS=$(ls -l /proc/$pid/fd 2>/dev/null | grep -c /dev/vhost-net)"
	w=no
	grep -qx "vhost-$pid" /proc/$pid/task/*/comm 2>/dev/null && w=thread
	ps 2>/dev/null | grep -q "\[vhost-$pid\]" && w=kthread
	echo "HOST-VHOST-WORKER=$w"
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
	echo "HOST-FALLBACKS=$(grep -c "serving the NIC in vmboot" vm.out)"
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

# The user-mode link: its MTU, frames over Ethernet's in merged buffers.
mrg=15 # VIRTIO_NET_F_MRG_RXBUF
bit "$user_f" 3 || fail "user-mode NIC did not negotiate MTU (features $user_f)"
bit "$user_f" $mrg || fail "user-mode NIC did not negotiate MRG_RXBUF (features $user_f)"
[ "$(val "net2.user.mtu=")" = 65520 ] || fail "user-mode NIC's MTU: $(val "net2.user.mtu="), want 65520"
user_got=$(printf '%s\n' "$lines" | sed -n 's/^.*net2.user.fetch_bytes=\([0-9]*\) md5=\([0-9a-f]*\).*/\1 \2/p' | tail -n 1)
[ -n "$host_md5" ] && [ "$user_got" = "4194304 $host_md5" ] ||
	fail "host -> guest in user mode: got '${user_got:-nothing}', sent md5 ${host_md5:-none}"

# vhost-net: refused with the reason before the module, then in use.
run2_tap_f=$(printf '%s\n' "$lines" | sed -n 's/^RUN2: netmacs.0000:00:02.0=[^ ]* features=\([01]*\).*/\1/p' | tail -n 1)
vhost_fds=$(val "HOST-VHOST-FDS=")
echo "measured: tap NIC without vhost_net: features ${run2_tap_f:-?}; with it: /dev/vhost-net fds ${vhost_fds:-?}," \
	"worker $(val "HOST-VHOST-WORKER="), fallback warnings $(val "HOST-FALLBACKS=")"
if [ -n "$vhost" ]; then
	for want in "HOST-NOVHOST-MSG=net1: /dev/vhost-net: No such file or directory (load the vhost_net module: modprobe vhost_net); serving the NIC in vmboot" \
		"HOST-VHOST-NET=present" "HOST-FALLBACKS=0"; do
		grep -qF "$want" "$log" || fail "no \"$want\" in the output"
	done
	! grep -q "HOST-INSMOD-FAILED=" "$log" || fail "a vhost_net module did not load"
	[ -n "$run2_tap_f" ] && bit "$run2_tap_f" $mrg ||
		fail "tap NIC without vhost-net: no MRG_RXBUF or no features (${run2_tap_f:-none})"
	bit "$tap_f" $mrg || fail "tap NIC on vhost-net did not negotiate MRG_RXBUF (features $tap_f)"
	[ "${vhost_fds:-0}" -ge 1 ] || fail "vmboot held no /dev/vhost-net while the guest ran"
fi

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
