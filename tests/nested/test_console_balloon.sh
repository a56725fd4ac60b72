#!/bin/bash
# virtio-console and virtio-balloon under nested KVM, in one outer boot
# (tests/nested/run-cmd): a console = "virtio" machine whose guest writes to
# hvc0 (guest-tests/hvc.sh) must show those lines on vmboot's stdout; a
# balloon machine (guest-tests/balloon.sh dirties and frees 150 MiB) is
# inflated by 128 MiB with `vmboot balloon`, and vmboot's RSS must drop by
# at least 64 MiB; `vmboot stat` must show the pages the balloon released.
#
# Slow: one TCG boot running two nested guests, several minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-conballoon.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/outer.sh" <<'OUTER'
# Runs in the outer VM (tests/nested/run-cmd): the hvc0 console machine,
# then the balloon machine in the background, inflating it by 128 MiB
# through the control socket and reading vmboot's RSS before and after.
cd /work
echo "== hvc"
timeout 300 vmboot hvc-virtio.conf </dev/null >hvc.out 2>&1
echo "hvc.rc=$?"
grep VMBOOT-GUEST hvc.out | tr -d '\r'
echo "== balloon"
vmboot balloon.conf </dev/null >bal.out 2>&1 &
pid=$!
i=0
while ! grep -q "balloon.ready=1" bal.out && [ $i -lt 600 ]; do
	sleep 1
	i=$((i + 1))
done
sleep 3
rss() { awk '/^VmRSS/ {print $2}' /proc/$pid/status; }
echo "rss_before_kib=$(rss)"
vmboot balloon nested-balloon --inflate 128M
sleep 15
echo "rss_after_kib=$(rss)"
vmboot stat nested-balloon
wait $pid
echo "balloon.rc=$?"
grep VMBOOT-GUEST bal.out | tr -d '\r'
OUTER

rc=0
"$here/run-cmd" --timeout 900 --file "$here/machines/hvc-virtio.conf" \
	--file "$here/machines/balloon.conf" --file "$tmp/outer.sh" -- sh /work/outer.sh \
	>"$tmp/log" 2>&1 || rc=$?
cat "$tmp/log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
log=$(tr -d '\r' <"$tmp/log")
failed=0
check() {
	if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; failed=1; fi
}
num() { printf '%s\n' "$log" | sed -n "s/^$1=\([0-9]*\).*/\1/p" | tail -n 1; }
before=$(num rss_before_kib)
after=$(num rss_after_kib)
inflated=$(printf '%s\n' "$log" | sed -n 's/^balloon_inflated_bytes \([0-9]*\).*/\1/p' | tail -n 1)
check "hvc0 output reached vmboot's stdout" 'printf "%s\n" "$log" | grep -q "VMBOOT-GUEST: hvc=ok"'
check "hvc machine exited 0" '[ "$(num hvc.rc)" = 0 ]'
check "RSS dropped by >= 64 MiB ($before -> $after KiB)" \
	'[ -n "$before" ] && [ -n "$after" ] && [ $((before - after)) -ge 65536 ]'
check "stat shows released pages ($inflated bytes)" '[ "${inflated:-0}" -ge 67108864 ]'
check "balloon machine exited 0" '[ "$(num balloon.rc)" = 0 ]'
if [ "$failed" -ne 0 ]; then
	echo "test_console_balloon: FAILED"
	exit 1
fi
echo "test_console_balloon: all checks passed"
