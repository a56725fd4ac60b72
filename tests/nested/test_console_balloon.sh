#!/bin/bash
# virtio-console and virtio-balloon under nested KVM, in one outer boot
# (tests/nested/run-cmd):
#   - console = "virtio": the guest writes to hvc0 (guest-tests/hvc.sh)
#     and vmboot must print those lines on its stdout, once on PCI with the
#     Debian guest kernel (virtio_console a module, loaded by the guest's
#     /init) and once on MMIO (machines/hvc-mmio.conf: a console device
#     with transport = "mmio") with the small guest kernel (built in, so
#     console=hvc0 carries the kernel's and /init's whole report);
#   - a balloon on each transport: machines/balloon.conf (pci, Debian
#     kernel) and machines/balloon-mmio.conf (mmio, small kernel). The guest
#     (guest-tests/balloon.sh) dirties and frees 150 MiB; the host inflates
#     the balloon by 128 MiB with `vmboot balloon` and vmboot's RSS must
#     drop by at least 64 MiB; `vmboot stat` must show the pages released
#     and the guest's own statistics (virtio 1.2, 5.5.6.3: the device gives
#     the stats buffer back, the driver refills it): mem_total near the
#     guest's RAM, and mem_free falling by at least 64 MiB with the inflate,
#     which stale numbers could not show.
# The mmio runs need the small guest kernel; without it (not built: that
# takes minutes, tests/nested/kernel/build) they are skipped, said so.
#
# Slow: one TCG boot running up to four nested guests, several minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"
files=(--file "$here/machines/hvc-virtio.conf" --file "$here/machines/hvc-mmio.conf"
	--file "$here/machines/balloon.conf"
	--file "$here/machines/balloon-mmio.conf")
small=$("$here/kernel/build" --path-only 2>/dev/null) || small=''
if [ -n "$small" ]; then
	files+=(--file "$small")
else
	echo "NOTE: small guest kernel not built: the small-kernel console and mmio balloon runs are skipped"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-conballoon.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/outer.sh" <<'OUTER'
# Runs in the outer VM (tests/nested/run-cmd). Every line the checks read
# starts with the run's label, so the runs cannot stand in for each other.
cd /work
hvc_run() { # LABEL MACHINE-FILE [VMBOOT-ARGS...]
	label=$1 conf=$2
	shift 2
	echo "== hvc $label"
	timeout 300 vmboot run "$conf" "$@" </dev/null >"hvc-$label.out" 2>&1
	echo "$label.rc=$?"
	tr -d '\r' <"hvc-$label.out" | grep -a VMBOOT-GUEST | sed "s/^/$label: /"
}
# The balloon machine in the background, inflated by 128 MiB through the
# control socket; vmboot's RSS and `vmboot stat` before and after.
balloon_run() { # LABEL MACHINE-FILE VM-NAME [VMBOOT-ARGS...]
	label=$1 conf=$2 name=$3
	shift 3
	echo "== balloon $label"
	: >"bal-$label.out"
	vmboot run "$conf" "$@" </dev/null >>"bal-$label.out" 2>&1 &
	pid=$!
	i=0
	while ! grep -q "balloon.ready=1" "bal-$label.out" && [ $i -lt 600 ] &&
		kill -0 $pid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	sleep 3
	echo "$label.rss_before_kib=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"
	vmboot stat "$name" | sed "s/^/$label.before: /"
	vmboot balloon "$name" --inflate 128M
	sleep 15
	echo "$label.rss_after_kib=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"
	# The first stat hands the buffer back; the guest's answer may come
	# after that stat stopped waiting, so the second one reads it.
	vmboot stat "$name" >/dev/null
	sleep 2
	vmboot stat "$name" | sed "s/^/$label.after: /"
	wait $pid
	echo "$label.rc=$?"
	tr -d '\r' <"bal-$label.out" | grep -a VMBOOT-GUEST | sed "s/^/$label: /"
}
hvc_run hvc-debian hvc-virtio.conf
balloon_run pci balloon.conf nested-balloon
if [ -f bzImage ]; then
	hvc_run hvc-small hvc-mmio.conf -k bzImage
	balloon_run mmio balloon-mmio.conf nested-balloon-mmio -k bzImage
fi
OUTER

rc=0
"$here/run-cmd" --timeout 1200 "${files[@]}" --file "$tmp/outer.sh" -- sh /work/outer.sh \
	>"$tmp/log" 2>&1 || rc=$?
cat "$tmp/log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
log=$(tr -d '\r' <"$tmp/log")
failed=0
check() {
	if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; failed=1; fi
}
# A here-string, not a pipe: under pipefail, grep -q leaving early would
# fail the pipeline with printf's SIGPIPE on a long log, and a line that is
# there would read as missing.
has() { grep -qF "$1" <<<"$log"; }
num() { printf '%s\n' "$log" | sed -n "s/^$1=\([0-9]*\).*/\1/p" | tail -n 1; }
# The value of `vmboot stat` key $2 in the stat block labelled $1.
statv() { printf '%s\n' "$log" | sed -n "s/^$1: $2 \([0-9]*\).*/\1/p" | tail -n 1; }
[ "$rc" -eq 0 ] || { echo "FAIL: the nested run exited $rc"; failed=1; }

check "hvc0 output reached vmboot's stdout (debian)" 'has "hvc-debian: VMBOOT-GUEST: hvc=ok"'
check "hvc machine exited 0 (debian)" '[ "$(num hvc-debian.rc)" = 0 ]'

# balloon_checks LABEL RAM-MIB
balloon_checks() {
	local l=$1 ram_kib=$(($2 * 1024)) before after inflated total free0 free1 ups
	before=$(num "$l.rss_before_kib")
	after=$(num "$l.rss_after_kib")
	inflated=$(statv "$l.after" balloon_inflated_bytes)
	total=$(statv "$l.after" guest.mem_total)
	free0=$(statv "$l.before" guest.mem_free)
	free1=$(statv "$l.after" guest.mem_free)
	ups=$(statv "$l.after" balloon_stats_updates)
	echo "measured $l: rss ${before:-?} -> ${after:-?} KiB; inflated ${inflated:-?} B;" \
		"guest mem_total ${total:-?} B, mem_free ${free0:-?} -> ${free1:-?} B; stats updates ${ups:-?}"
	check "$l: RSS dropped by >= 64 MiB ($before -> $after KiB)" \
		'[ -n "$before" ] && [ -n "$after" ] && [ $((before - after)) -ge 65536 ]'
	check "$l: stat shows released pages ($inflated bytes)" '[ "${inflated:-0}" -ge 67108864 ]'
	check "$l: the guest sent statistics ($ups updates)" '[ "${ups:-0}" -ge 2 ]'
	# MemTotal leaves out the kernel's own reservations: within 128 MiB.
	check "$l: guest mem_total ${total:-missing} B is near $2 MiB" \
		'[ -n "$total" ] && [ "$total" -le $((ram_kib * 1024)) ] &&
		 [ "$total" -ge $(((ram_kib - 131072) * 1024)) ]'
	check "$l: guest mem_free fell by >= 64 MiB with the inflate ($free0 -> $free1 B)" \
		'[ -n "$free0" ] && [ -n "$free1" ] && [ $((free0 - free1)) -ge 67108864 ]'
	check "$l: balloon machine exited 0" '[ "$(num "$l.rc")" = 0 ]'
	check "$l: the guest's balloon test passed" 'has "$l: VMBOOT-GUEST: test=balloon status=0"'
}
balloon_checks pci 384
if [ -n "$small" ]; then
	check "hvc0 on virtio-mmio carried the small kernel's whole report" \
		'has "hvc-small: VMBOOT-GUEST: hvc=ok" && has "hvc-small: VMBOOT-GUEST: test=hvc status=0" &&
		 has "hvc-small: VMBOOT-GUEST: done"'
	# The console is hvc-mmio.conf's only virtio device, on mmio.
	check "the small guest found the console (id 3) and nothing else" \
		'has "hvc-small: VMBOOT-GUEST: virtio=0x0003"'
	check "hvc machine exited 0 (small)" '[ "$(num hvc-small.rc)" = 0 ]'
	check "mmio: the guest found the balloon on virtio-mmio" \
		'has "mmio: VMBOOT-GUEST: virtio=0x0005"'
	balloon_checks mmio 384
fi
if [ "$failed" -ne 0 ]; then
	echo "test_console_balloon: FAILED"
	exit 1
fi
echo "test_console_balloon: all checks passed${small:+ (pci and mmio)}"
