#!/bin/sh
# bench/net.sh's guest half: send NETBENCH_MIB MiB (default 64) of zeros to
# the outer VM's listener at 10.0.2.2:5001 through user-mode networking and
# report the time (from /proc/uptime, centiseconds). Timed on the sender,
# so up to a socket buffer of data may still be in flight at the end.
. /tests/net-common.sh
mib=64
t0=$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/zero bs=1048576 count=$mib 2>/dev/null | timeout 600 nc 10.0.2.2 5001
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
cs=$(( ${t1%.*}${t1#*.} - ${t0%.*}${t0#*.} ))
echo "VMBOOT-GUEST: netbench.mib=$mib centisec=$cs rc=$rc"
[ $rc -eq 0 ]
