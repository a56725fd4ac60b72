#!/bin/sh
# vmboot run on a KVM-PVM host (src/cli/pvm.h) end to end. The host is made
# KVM-PVM with a fake sysfs (VMBOOT_SYSFS/module/kvm_pvm), so this runs on
# any host; on a real KVM-PVM host the real /sys is tried as well.
#   - a kernel whose configuration lacks CONFIG_PVM_GUEST is refused before
#     the build (--dev names no device, so a build would fail differently):
#     exit 1, the diagnosis and the nested harness's command
#   - the zero-config default (`vmboot run -- true`, the host's kernel)
#     likewise, the command naming machines/minimal.conf -- true
#   - --force-pvm goes on to the build, with a warning
#   - flat guests (tests/guests/*.bin) are exempt; with a usable /dev/kvm,
#     hello.bin runs to its greeting and exit 0
# `timeout` only guards against a hang; nothing asserts a duration.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
make_tmp

# expect_status WANT CMD...: runs CMD (at most 60 s) with its output in
# $TMP/out and $TMP/err.
expect_status() {
	want=$1
	shift
	timeout 60 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$* exited $got, expected $want; stderr:"
		cat "$TMP/err"
		return 1
	fi
}

expect_err() {
	grep -q -e "$1" "$TMP/err" || { fail "no '$1' in stderr:"; cat "$TMP/err"; }
}

expect_no_err() {
	if grep -q -e "$1" "$TMP/err"; then
		fail "'$1' in stderr:"
		cat "$TMP/err"
	fi
}

# A bzImage as far as its magic goes ("HdrS" at 0x202), without IKCONFIG:
# its configuration is the config-VERSION file beside it.
mkdir -p "$TMP/sys/module/kvm_pvm" "$TMP/boot"
head -c 4096 /dev/zero >"$TMP/boot/vmlinuz-stock"
printf 'HdrS' | dd of="$TMP/boot/vmlinuz-stock" bs=1 seek=514 conv=notrunc 2>/dev/null
cp "$VB_SRCDIR/tests/cli/fixtures/stock.config" "$TMP/boot/config-stock"
NO_KVM=$TMP/no-kvm
VMBOOT_SYSFS=$TMP/sys
export VMBOOT_SYSFS

# Refused before the build: --dev names nothing, and no "open KVM" error.
if expect_status 1 "$VMBOOT" run -k "$TMP/boot/vmlinuz-stock" -m 64 --dev "$NO_KVM"; then
	expect_err "^vmboot: error: this host's /dev/kvm is KVM-PVM, which cannot run a kernel without CONFIG_PVM_GUEST; $TMP/boot/vmlinuz-stock lacks it"
	expect_err "^vmboot: note: boot it under real KVM nested in QEMU instead: .*\(dev run\|nested/run --interactive\)"
	expect_err "or try anyway with --force-pvm"
	expect_no_err "open KVM"
	[ "$(wc -l <"$TMP/err")" -le 2 ] || { fail "more than two lines:"; cat "$TMP/err"; }
fi

# --force-pvm: past the gate, into the build (which fails on --dev).
if expect_status 1 "$VMBOOT" run --force-pvm -k "$TMP/boot/vmlinuz-stock" -m 64 --dev "$NO_KVM"; then
	expect_err "^vmboot: warning: --force-pvm: .*lacks CONFIG_PVM_GUEST"
	expect_err "open KVM"
fi

# The zero-config default with the host's kernel, when it has a readable
# configuration without PVM guest support (a Debian kernel).
zero_config() { # WHAT: runs vmboot run -- true and checks the refusal
	if expect_status 1 "$VMBOOT" run --dev "$NO_KVM" -- true; then
		expect_err "^vmboot: error: this host's /dev/kvm is KVM-PVM"
		expect_err "machines/minimal.conf -- true"
		expect_no_err "open KVM"
	fi
}
host_kernel=$("$VMBOOT" --plan 2>/dev/null | sed -n 's/^ *kernel *:\{0,1\} *\(\/[^ ]*\).*/\1/p' | head -n 1)
if [ -n "$host_kernel" ] && [ -r "$host_kernel" ] &&
	"$VMBOOT" kernel-check "$host_kernel" >"$TMP/kc" 2>&1 &&
	! grep -q '^CONFIG_PVM_GUEST=y' "$TMP/kc" &&
	"$VMBOOT" kernel-check "$host_kernel" 2>/dev/null | grep -q '^configuration: '; then
	zero_config
	if [ -e /sys/module/kvm_pvm ]; then
		VMBOOT_SYSFS='' zero_config # this host is KVM-PVM itself
	fi
else
	echo "note: no readable host kernel configuration (${host_kernel:-none}): zero-config case not run"
fi

# Flat guests are exempt. With a usable /dev/kvm the greeting proves it ran
# (as it does on KVM-PVM); without one the build's error proves the gate let
# it through.
hello=$VB_BUILDDIR/tests/guests/hello.bin
if [ -f "$hello" ]; then
	if [ -w /dev/kvm ] && expect_status 0 "$VMBOOT" run -k "$hello" -m 64 -c 1; then
		grep -q "hello from guest" "$TMP/out" || { fail "no greeting from hello.bin:"; cat "$TMP/out"; }
		expect_no_err "KVM-PVM"
	elif [ ! -w /dev/kvm ] && expect_status 1 "$VMBOOT" run -k "$hello" -m 64 -c 1 --dev "$NO_KVM"; then
		expect_err "open KVM"
		expect_no_err "KVM-PVM"
	fi
else
	echo "note: $hello not built: flat-guest case not run"
fi

[ "$failures" = 0 ] || exit 1
echo "test_pvm: all checks passed"
