#!/bin/bash
# The Debian system of machines/debian.conf on real KVM, in one outer boot of
# the nested harness: scripts/debian-image's disk (attached to the outer VM
# with run-cmd --disk, /dev/vda there), its kernel and initrd, booted with
# root=/dev/vda as machines/debian.conf boots it (machines/debian-image.conf).
# In the outer VM a script (written below) runs vmboot with its stdin on a
# FIFO and its console in a log, and:
#   - waits for the serial getty's "login:" prompt and systemd's
#     multi-user target (minutes: everything runs under QEMU's emulator);
#   - runs `vmboot stop debian-image` from another process: vmboot presses
#     the ACPI power button (a GED interrupt; the DSDT's _EVT notifies the
#     PNP0C0C button), systemd-logind powers off, and the guest's ACPI S5
#     write ends the run: vmboot exits 0;
#   - boots again, logs in as root with the password the README documents
#     ("vmboot"), checks systemd's state and the ACPI tables, and types
#     `poweroff`: vmboot exits 0.
# The checks here assert systemd's poweroff and the kernel's "reboot: Power
# down" both times (the forced teardown at the stop timeout would print
# neither, Ctrl-Alt-Del would reboot), the ACPI tables and power button in
# the kernel's log and no ACPI error or warning, and vmboot's exit status 0.
#
# The image is not in git and takes 10 to 25 minutes to build (root and the
# Debian mirror): without machines/images/debian.img the test SKIPs, unless
# VB_NESTED_DEBIAN=1, which builds it first (scripts/debian-image). Timings
# (boot to login, stop to exit) are printed as "time:" lines.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

src=${VB_SRCDIR:-$here/../..}
images=${VB_NESTED_DEBIAN_IMAGES:-$src/machines/images}

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"
if [ ! -f "$images/debian.img" ]; then
	[ "${VB_NESTED_DEBIAN:-0}" = 1 ] ||
		nested_skip "$images/debian.img absent: build it with ./dev debian-image (root, Debian mirror, 10 to 25 min) or run with VB_NESTED_DEBIAN=1 to build it first"
	[ "$(id -u)" = 0 ] || nested_skip "VB_NESTED_DEBIAN=1: building the image needs root (debootstrap)"
	start=$(nested_now)
	"$src/scripts/debian-image" --out "$images" ||
		{ echo "FAIL: scripts/debian-image failed"; exit 1; }
	nested_phase_done "debian image build" "$start"
fi
for f in debian.img bzImage initrd.img; do
	[ -f "$images/$f" ] || nested_skip "$images/$f absent (rebuild with scripts/debian-image --force)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-debian.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The outer VM's side (busybox ash). Marker lines for the checks below are
# printed by this script, never typed: the guest's serial line echoes what
# is typed, so the guest command computes its marker ($((6*7))) and only
# its output contains "VBRUN-42".
cat >"$tmp/debian-boot.sh" <<'OUTER'
#!/bin/sh
cd /work || exit 99
log=/tmp/console
now() { date +%s; }
# wait_for PATTERN SECONDS: polls the console log; 0 when PATTERN appeared.
wait_for() {
	w_end=$(($(now) + $2))
	while ! grep -q "$1" "$log" 2>/dev/null; do
		[ -f /tmp/vbrc ] && return 1 # vmboot ended
		[ "$(now)" -lt "$w_end" ] || return 1
		sleep 1
	done
}
# wait_exit SECONDS: 0 once vmboot has exited (its status is in /tmp/vbrc).
wait_exit() {
	w_end=$(($(now) + $1))
	while [ ! -f /tmp/vbrc ]; do
		[ "$(now)" -lt "$w_end" ] || return 1
		sleep 1
	done
}
# Ends the run when a step failed: force the VM down so the outer VM
# powers off now instead of at run-cmd's timeout.
give_up() {
	echo "DEBIAN-FAIL: $*"
	vmboot stop --force debian-image >/dev/null 2>&1
	wait_exit 60
	exit 1
}
# boot: starts vmboot with its console in the log (extra flags in $@),
# waits for the login prompt and the multi-user target.
boot() {
	echo "DEBIAN-BOOT $1"
	shift
	rm -f /tmp/in /tmp/vbrc "$log"
	mkfifo /tmp/in
	t0=$(now)
	(
		vmboot run debian-image.conf "$@" </tmp/in
		echo "$?" >/tmp/vbrc.new
		mv /tmp/vbrc.new /tmp/vbrc
	) 2>&1 | tee "$log" &
	# Keep the FIFO open for writing for the whole run: vmboot's open of
	# its stdin waits for a writer, and its console then never sees end
	# of input.
	exec 3>/tmp/in
}

# Boot 1: the system comes up to its login prompt and the multi-user
# target; `vmboot stop` presses the ACPI power button and systemd-logind
# powers off.
boot stop
wait_for 'login:' 1500 || give_up "no login prompt on ttyS0"
echo "DEBIAN-TIME login=$(($(now) - t0))"
wait_for 'Reached target.*Multi-User System' 600 || give_up "no multi-user status line"
echo "DEBIAN-TIME multi-user=$(($(now) - t0))"
wait_for 'Started.*systemd-logind' 60 || echo "DEBIAN-NOTE: no systemd-logind status line"
t1=$(now)
vmboot stop --timeout 600 debian-image
echo "DEBIAN-STOP-STATUS=$?"
wait_exit 600 || give_up "vmboot still running 600 s after vmboot stop returned"
echo "DEBIAN-TIME stop-to-exit=$(($(now) - t1))"
echo "DEBIAN-VMBOOT-STATUS=$(cat /tmp/vbrc)"
exec 3>&-
wait

# Boot 2: log in on the serial console and type poweroff at the shell.
echo "DEBIAN-PHASE poweroff"
boot poweroff
wait_for 'login:' 1500 || give_up "no login prompt on ttyS0 (second boot)"
# agetty flushes input while it sets up the line: type only after the
# prompt.
sleep 2
printf 'root\n' >&3
wait_for 'Password:' 120 || give_up "no password prompt"
sleep 1
printf 'vmboot\n' >&3
wait_for 'root@debian' 300 || give_up "no shell prompt after logging in as root"
# shellcheck disable=SC2016 # expanded by the guest's shell
printf '%s\n' 'echo "VBRUN-$((6*7)) kernel=$(uname -r) system=$(systemctl is-system-running --wait) acpi=$(ls /sys/firmware/acpi/tables | tr "\n" ,)"' >&3
wait_for 'VBRUN-42 ' 600 || give_up "the command did not run"
t1=$(now)
printf 'poweroff\n' >&3
wait_exit 600 || give_up "vmboot still running 600 s after poweroff"
echo "DEBIAN-TIME poweroff-to-exit=$(($(now) - t1))"
echo "DEBIAN-POWEROFF-STATUS=$(cat /tmp/vbrc)"
exec 3>&-
wait
exit 0
OUTER

log=$tmp/console
rc=0
export VB_NESTED_RETRY=${VB_NESTED_RETRY:-0}
"$here/run-cmd" --timeout 3000 --disk "$images/debian.img" \
	--file "$images/bzImage" --file "$images/initrd.img" \
	--file "$here/machines/debian-image.conf" --file "$tmp/debian-boot.sh" \
	-- sh /work/debian-boot.sh | tee "$log" || rc=$?
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
tr -d '\r' <"$log" >"$log.txt"

sed -n 's/.*DEBIAN-TIME \([a-z-]*\)=\([0-9]*\).*/nested: time: debian \1: \2 s/p' "$log.txt" >&2
fail=0
check() { # DESCRIPTION PATTERN: an ERE the console must match
	if ! grep -Eq "$2" "$log.txt"; then
		echo "FAIL: $1 (no line matching '$2')"
		fail=1
	fi
}
grep 'DEBIAN-FAIL' "$log.txt" && fail=1
check "serial getty prompt" 'debian login:'
check "multi-user.target reached (systemd status)" 'Reached target.*Multi-User System'
check "the guest's ACPI power button" 'ACPI: button: Power Button \[PWRB\]'
check "the guest found the ACPI tables" 'ACPI: (DSDT|FACP|APIC) 0x'
check "vmboot stop reported the stop" 'debian-image: stopped'
check "vmboot stop exit status 0" '^DEBIAN-STOP-STATUS=0$'
# in_order NAME PATTERN...: each ERE matches a line after the previous
# one's (from the start of the log, or from the line NAME's first
# pattern matched).
in_order() {
	local what=$1 missing
	shift
	missing=$(awk -v pats="$(IFS=$'\n'; printf '%s' "$*")" '
		BEGIN { n = split(pats, p, "\n"); i = 1 }
		i <= n && $0 ~ p[i] { i++ }
		END { if (i <= n) print p[i] }' "$log.txt")
	if [ -n "$missing" ]; then
		echo "FAIL: $what: no line matching '$missing' after the earlier steps ($*)"
		fail=1
	fi
}
# Boot 1, systemd's shutdown after vmboot stop pressed the power button,
# in this order: shutdown.target, poweroff.target, systemd-shutdown
# powering off, the kernel's ACPI S5 ("Power down"). A teardown at the
# stop timeout would show none of them, Ctrl-Alt-Del would show a reboot.
in_order "orderly poweroff on the power button" 'DEBIAN-TIME multi-user=' \
	'Reached target.*System Shutdown' \
	'Reached target.*System Power Off' 'systemd-shutdown.*Powering off' \
	'reboot: Power down' '^DEBIAN-VMBOOT-STATUS=0$'
check "vmboot exited 0 after the guest powered off" '^DEBIAN-VMBOOT-STATUS=0$'
# Boot 2: poweroff typed at the shell.
in_order "orderly poweroff typed at the shell" 'DEBIAN-PHASE poweroff' 'VBRUN-42 ' \
	'Reached target.*System Power Off' 'reboot: Power down' '^DEBIAN-POWEROFF-STATUS=0$'
run=$(sed -n 's/.*\(VBRUN-42 .*\)/\1/p' "$log.txt" | tail -n 1)
echo "guest: $run"
case " $run " in
*" system=running "*) ;;
*) echo "FAIL: systemd state is not 'running' in the guest: '$run'"; fail=1 ;;
esac
case " $run " in
*" acpi="*APIC,*DSDT,*FACP,*) ;;
*) echo "FAIL: the guest's /sys/firmware/acpi/tables lacks APIC, DSDT or FACP: '$run'"; fail=1 ;;
esac
if grep -E 'ACPI (BIOS Error|Error|Warning)[: ]' "$log.txt"; then
	echo "FAIL: the guest's kernel logged ACPI errors or warnings (above)"
	fail=1
fi
if grep -q 'Restarting system' "$log.txt"; then
	echo "FAIL: the guest rebooted: a stop or poweroff must power it off"
	fail=1
fi
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the outer VM's script exited $rc"
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "test_debian: passed"
