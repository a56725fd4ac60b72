#!/bin/sh
# End-to-end behaviour of the vmboot command line: exit statuses, the
# FILE:LINE:COL diagnostics, --strict, option suggestions, refused options,
# and the fields and numbers of --plan --json. Needs no /dev/kvm.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
FIXTURES=$VB_SRCDIR/tests/cli/fixtures
need_built "$VMBOOT"
need_cmd python3 "python3 is needed to read the JSON plan"
make_tmp

# expect_status WANT CMD..., expect_grep FILE ERE: tests/lib/common.sh.

# expect_line FILE TEXT: FILE has a line exactly equal to TEXT.
expect_line() {
	checks=$((checks + 1))
	grep -Fxq -- "$2" "$1" || {
		fail "no line in $(basename "$1"): $2"
		sed 's/^/    got: /' "$1"
	}
}

# json_eq EXPR WANT: python expression over the plan `p` in $TMP/out.
json_eq() {
	checks=$((checks + 1))
	got=$(python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))
print(json.dumps(eval(sys.argv[2]), sort_keys=True))' "$TMP/out" "$1" 2>&1)
	[ "$got" = "$2" ] || fail "plan: $1 is $got, want $2"
}

plan() {
	expect_status 0 "$VMBOOT" --plan --json --host-ram 16G --host-cpus 4 "$@"
}

# Diagnostics name files as given, so run from the fixtures directory.
cd "$FIXTURES" || exit 99

# --- exit statuses -------------------------------------------------------
expect_status 0 "$VMBOOT" --check ok.conf
checks=$((checks + 1))
[ -s "$TMP/err" ] && fail "ok.conf: unexpected diagnostics: $(cat "$TMP/err")"
expect_status 0 "$VMBOOT" check ok.conf
expect_status 0 "$VMBOOT" --check --strict ok.conf
expect_status 1 "$VMBOOT" --check bad.conf
expect_status 1 "$VMBOOT" --check ok.conf bad.conf
expect_status 2 "$VMBOOT" --check
expect_status 2 "$VMBOOT" --plan ok.conf ok.conf
expect_status 2 "$VMBOOT" --cpus
expect_status 0 "$VMBOOT" --help
expect_grep "$TMP/out" '^Usage:'
expect_status 0 "$VMBOOT" help plan
expect_status 2 "$VMBOOT" help nosuchcommand
expect_status 0 "$VMBOOT" --version
expect_grep "$TMP/out" '^vmboot [0-9A-Za-z.]+'
expect_status 1 "$VMBOOT" --check no-such-file.conf
expect_line "$TMP/err" "no-such-file.conf: error: cannot read: No such file or directory"
expect_status 1 "$VMBOOT" --check dummy-kernel
expect_grep "$TMP/err" '^dummy-kernel: error: cannot tell the file format from the name'

# --- diagnostics: FILE:LINE:COL: error: MESSAGE ---------------------------
expect_status 1 "$VMBOOT" --check bad.conf
expect_grep "$TMP/err" '^bad\.conf:3:8: error: cpus: must be between 1 and [0-9]+, got 0$'
expect_line "$TMP/err" 'bad.conf:4:1: error: machine: unknown key "memroy"; did you mean "memory"?'
expect_line "$TMP/err" 'bad.conf:5:11: error: console: unknown value "serail"; did you mean "serial"? (expected "serial", "virtio" or "none")'
expect_line "$TMP/err" 'bad.conf:8:24: error: devices[1].id: "d" already used by devices[0]'
expect_grep "$TMP/err" '^bad\.conf:9:25: error: devices\[2\]\.mac: "52:54:00:zz:34:56" is not a MAC address'
checks=$((checks + 1))
n=$(grep -c ': error: ' "$TMP/err")
[ "$n" -eq 5 ] || fail "bad.conf: $n errors, want all 5"

expect_status 1 "$VMBOOT" --check bad.yaml
expect_grep "$TMP/err" '^bad\.yaml:3:9: error: memory: cannot parse size "12X": '
expect_line "$TMP/err" 'bad.yaml:5:11: error: devices[0].type: unknown device type "dsk"; did you mean "disk"?'
expect_line "$TMP/err" 'bad.yaml:12:10: error: devices[2].tag: "share" already used by devices[1]'
expect_line "$TMP/err" 'bad.yaml:13:5: error: devices[3]: a tap network needs a tap interface name (tap = "tap0")'

# user: a user that does not exist is refused where it is named, in
# either syntax or as a flag; root would give up nothing.
expect_status 1 "$VMBOOT" --check user.conf
expect_line "$TMP/err" 'user.conf:3:8: error: user "nosuchuser": no such user in /etc/passwd'
expect_status 1 "$VMBOOT" --check user.yaml
expect_line "$TMP/err" 'user.yaml:3:9: error: user "nosuchuser": no such user in /etc/passwd'
expect_status 1 "$VMBOOT" --check ok.conf --user root
expect_grep "$TMP/err" '^--user: error: user "root": has uid 0'
expect_status 0 "$VMBOOT" --check user.conf --user nobody

expect_status 1 "$VMBOOT" --check syntax.conf
expect_grep "$TMP/err" '^syntax\.conf:2(:[0-9]+)?: error: syntax error'
# No kernel: the zero-config default fills in the host's own (vmboot(1));
# without one in /boot that is a missing file, only a warning here.
expect_status 0 "$VMBOOT" --check nokernel.yaml
expect_status 0 "$VMBOOT" --plan nokernel.yaml
expect_grep "$TMP/out" '^kernel +/boot/vmlinuz-'
expect_grep "$TMP/out" '^initrd +\(built in memory'
# The same file, with the kernel given on the command line, is valid.
expect_status 0 "$VMBOOT" --check nokernel.yaml -k dummy-kernel

# --- --strict: a missing kernel file is a warning, then an error ----------
expect_status 0 "$VMBOOT" --check missing-kernel.yaml
expect_grep "$TMP/err" '^missing-kernel\.yaml:3:9: warning: kernel: .*no-such-dir/bzImage: No such file or directory$'
expect_status 1 "$VMBOOT" --check --strict missing-kernel.yaml
expect_grep "$TMP/err" '^missing-kernel\.yaml:3:9: error: kernel: .*no-such-dir/bzImage: No such file or directory$'
# Paths in a file are relative to the file, not to the working directory.
(cd / && "$VMBOOT" --check --strict "$FIXTURES/ok.conf") >"$TMP/out" 2>&1
checks=$((checks + 1))
[ $? -eq 0 ] || fail "ok.conf from /: $(cat "$TMP/out")"

# --- usage errors ----------------------------------------------------------
expect_status 2 "$VMBOOT" --chek ok.conf
expect_line "$TMP/err" 'vmboot: error: unknown option "--chek"; did you mean "--check"?'
expect_status 2 "$VMBOOT" --plan --hots-ram 8G ok.conf
expect_line "$TMP/err" 'vmboot: error: unknown option "--hots-ram"; did you mean "--host-ram"?'
expect_status 2 "$VMBOOT" --vnc ok.conf
expect_line "$TMP/err" 'vmboot: error: --vnc: not supported: vmboot has no framebuffer; use the serial or virtio console'
expect_status 2 "$VMBOOT" --sdl
expect_grep "$TMP/err" '^vmboot: error: --sdl: not supported: '
expect_status 2 "$VMBOOT" --vidmode 0x312
expect_grep "$TMP/err" '^vmboot: error: --vidmode: not supported: '
expect_status 2 "$VMBOOT" --plan -c two ok.conf
expect_line "$TMP/err" 'vmboot: error: --cpus: "two" is not a number'
expect_status 1 "$VMBOOT" --check ok.conf -c 0
expect_grep "$TMP/err" '^--cpus: error: cpus: must be between 1 and [0-9]+, got 0$'

# --- the command line never guesses (issue #10) ---------------------------
# A long option with one dash is kvmtool's habit, not -d with "ebug-ioport"
# glued on (a disk of that name).
expect_status 2 "$VMBOOT" --check ok.conf -debug-ioport
expect_line "$TMP/err" 'vmboot: error: unknown option "-debug-ioport"; did you mean "--debug-ioport"?'
expect_status 2 "$VMBOOT" -vnc
expect_line "$TMP/err" 'vmboot: error: unknown option "-vnc"; did you mean "--vnc"?'
expect_status 2 "$VMBOOT" --plan -mem 512 -k x
expect_line "$TMP/err" 'vmboot: error: unknown option "-mem"; did you mean "--mem"?'
expect_status 2 "$VMBOOT" --plan -deb
expect_line "$TMP/err" 'vmboot: error: unknown option "-deb"; did you mean "--debug", "--debug-single-step", "--debug-ioport" or "--debug-iodelay"?'
# Glued short options still mean what they meant.
plan -kx -c2 -m512 -proot=/dev/vdb1
json_eq '[p["cpus"], p["ram_mib"], p["cmdline"].endswith(" root=/dev/vdb1")]' '[2, 512, true]'
# A first word that is neither a command nor a file.
expect_status 2 "$VMBOOT" lst
expect_line "$TMP/err" 'vmboot: error: "lst": no such command or file; did you mean "list"?'
expect_status 2 "$VMBOOT" stpo web
expect_line "$TMP/err" 'vmboot: error: "stpo": no such command or file; did you mean "stop"?'
expect_status 1 "$VMBOOT" frobnicate
expect_line "$TMP/err" 'vmboot: error: "frobnicate": no such command or file (see vmboot --help)'
expect_status 1 "$VMBOOT" no-such-file.conf
expect_line "$TMP/err" 'no-such-file.conf: error: cannot read: No such file or directory'
# ... but a file of that name is a machine file, whatever it resembles.
mkdir "$TMP/words" && cp ok.conf "$TMP/words/plna" && cp dummy-kernel "$TMP/words/"
(cd "$TMP/words" && "$VMBOOT" plna --check --format conf) >"$TMP/out" 2>&1
checks=$((checks + 1))
[ $? -eq 0 ] || fail "a machine file named plna: $(cat "$TMP/out")"
# Flags a command does not take.
expect_status 2 "$VMBOOT" list --force
expect_line "$TMP/err" 'vmboot: error: --force does not go with list'
expect_line "$TMP/err" "Try 'vmboot list --help'."
expect_status 2 "$VMBOOT" --check --detach ok.conf
expect_line "$TMP/err" 'vmboot: error: --detach does not go with check'
expect_status 2 "$VMBOOT" --plan --strict ok.conf
expect_line "$TMP/err" 'vmboot: error: --strict does not go with plan'
expect_status 2 "$VMBOOT" stop --json --all
expect_line "$TMP/err" 'vmboot: error: --json does not go with stop'
expect_status 2 "$VMBOOT" --check --plan ok.conf
expect_line "$TMP/err" 'vmboot: error: --plan does not go with check'
expect_status 2 "$VMBOOT" version extra
# The help: one command's alone, all of it in 80 columns, each flag once.
expect_status 0 "$VMBOOT" stop --help
expect_line "$TMP/out" 'Usage: vmboot stop NAME... | --all [--force] [--timeout S]'
expect_grep "$TMP/out" '^ +--timeout S +'
checks=$((checks + 1))
grep -q -- '--cpus' "$TMP/out" && fail "stop --help lists --cpus"
checks=$((checks + 1))
[ "$(wc -l <"$TMP/out")" -lt 20 ] || fail "stop --help: $(wc -l <"$TMP/out") lines"
cp "$TMP/out" "$TMP/stop-help"
for form in "help stop" "--help stop"; do
	# shellcheck disable=SC2086 # the words split on purpose
	expect_status 0 "$VMBOOT" $form
	checks=$((checks + 1))
	cmp -s "$TMP/out" "$TMP/stop-help" || fail "vmboot $form differs from vmboot stop --help"
done
expect_status 2 "$VMBOOT" help lst
expect_line "$TMP/err" 'vmboot: error: help: unknown command "lst"; did you mean "list"?'
for cmd in "" run check plan kernel-check list stop pause resume stat debug balloon \
	console help version; do
	# shellcheck disable=SC2086 # "" is the whole help
	expect_status 0 "$VMBOOT" $cmd --help
	checks=$((checks + 1))
	wide=$(awk 'length > 80' "$TMP/out")
	[ -z "$wide" ] || fail "vmboot $cmd --help: lines over 80 columns: $wide"
done
expect_status 0 "$VMBOOT" --help
twice=$(grep -oE -- '--[a-z0-9][a-z0-9-]*' "$TMP/out" | sort | uniq -d)
checks=$((checks + 1))
[ -z "$twice" ] || fail "vmboot --help names these flags more than once: $twice"
checks=$((checks + 1))
[ "$(grep -oE -- '--[a-z0-9][a-z0-9-]*' "$TMP/out" | wc -l)" -ge 40 ] ||
	fail "vmboot --help lists fewer than 40 flags"

# --- --plan --json -------------------------------------------------------
plan ok.conf
json_eq 'sorted(k for k in ["name", "cpus", "ram_mib", "ram_source", "mmap_bytes", "gap", "slots", "devices", "cmdline"] if k in p)' \
	'["cmdline", "cpus", "devices", "gap", "mmap_bytes", "name", "ram_mib", "ram_source", "slots"]'
json_eq '[p["name"], p["cpus"], p["ram_mib"], p["ram_source"], p["gap"], p["devices"]]' \
	'["ok", 1, 256, "file", null, []]'
json_eq '"console=ttyS0" in p["cmdline"].split()' 'true'

# RAM: from the file, the default 64 MiB x (cpus + 3), the default capped.
plan -k x -c 2 -m 512
json_eq '[p["ram_mib"], p["ram_source"]]' '[512, "file"]'
plan -k x -c 2
json_eq '[p["ram_mib"], p["ram_source"]]' '[320, "default"]'
plan -k x
json_eq '[p["cpus"], p["ram_mib"], p["ram_source"]]' '[4, 448, "default"]'
expect_status 0 "$VMBOOT" --plan --json --host-ram 256M --host-cpus 4 -k x
json_eq '[p["ram_mib"], p["ram_source"]]' '[204, "capped"]'

# Memory map: the 32-bit gap [3328 MiB, 4 GiB) splits RAM above 3328 MiB.
plan -k x -c 1 -m 4G
json_eq 'p["gap"]' '{"size": 805306368, "start": 3489660928}'
json_eq 'p["slots"]' '[{"guest_phys_addr": 0, "host_offset": 0, "size": 3489660928, "slot": 0}, {"guest_phys_addr": 4294967296, "host_offset": 4294967296, "size": 805306368, "slot": 1}]'
json_eq 'p["mmap_bytes"]' '5100273664'
plan -k x -c 1 -m 3328M
json_eq '[len(p["slots"]), p["gap"], p["slots"][0]["size"], p["mmap_bytes"]]' \
	'[1, null, 3489660928, 3489660928]'
plan -k x -c 1 -m 3329M
json_eq '[len(p["slots"]), p["slots"][1]["size"]]' '[2, 1048576]'

# kvmtool-style flags with no file at all.
expect_status 0 "$VMBOOT" --plan -k x -c 2 -m 512 --host-ram 16G --host-cpus 4
expect_grep "$TMP/out" '^memory +512 MiB'
expect_grep "$TMP/err" '^--kernel: warning: kernel: x: No such file or directory$'
plan -k x -c 2 -m 512 -p "root=/dev/vda1" -d "$FIXTURES/dummy-kernel,ro" \
	-n user,forward=tcp:127.0.0.1:2222-:22 --9p "$FIXTURES,share" --rng --balloon
json_eq '[p["name"], p["cpus"], p["ram_mib"]]' '["vm", 2, 512]'
json_eq '[d["type"] for d in p["devices"]]' '["disk", "net", "9p", "rng", "balloon"]'
json_eq '[p["devices"][0]["readonly"], p["devices"][2]["tag"]]' '[true, "share"]'
json_eq 'p["cmdline"].endswith(" root=/dev/vda1")' 'true'
# Hex on the command line is a byte count (util/size.h), as in the files;
# --plan shows where each BAR goes (resolve lays out the MMIO map).
plan -k x -m 0x40000000 --rng --shmem /vb-test-shm,0x1000000,0xe0000000
json_eq '[p["ram_mib"], p["devices"][1]["bar_base"], p["devices"][1]["bar_size"]]' \
	'[1024, 3758096384, 16777216]'
json_eq '[p["devices"][0]["bar_base"], p["devices"][0]["bar_size"]]' '[3489660928, 32768]'
expect_status 1 "$VMBOOT" --check ok.conf --shmem /vb-test-shm,16M,0xc8000000
expect_grep "$TMP/err" '^--shmem: error: devices\[0\]\.address: 0xc8000000 \(16 MiB\) is not inside the 32-bit PCI window'
expect_status 1 "$VMBOOT" --check ok.conf -m 0x40000001
expect_grep "$TMP/err" '^--mem: error: memory: 1073741825 bytes is not a whole number of 4 KiB pages'
# Overrides: -c replaces the file's cpus, devices are added after the file's.
plan ok.conf -c 3 --rng
json_eq '[p["cpus"], p["ram_mib"], len(p["devices"])]' '[3, 256, 1]'
# The mmio transport: a window at the start of the gap, GSI 5 (an ISA line: see resolve.c), in the
# DSDT (ACPI, the default) or, with --no-acpi, announced on the kernel command line.
plan mmio.yaml
json_eq '[p["devices"][0][k] for k in ("transport", "mmio_base", "mmio_size", "gsi")]' \
	'["mmio", 3489660928, 4096, 5]'
json_eq '[n["hid"] for n in p["acpi"]["dsdt"] if n["path"] == "\\_SB.VR00"]' '["LNRO0005"]'
json_eq '"virtio_mmio.device=4096@0xd0000000:5" in p["cmdline"].split()' 'false'
plan mmio.yaml --no-acpi
json_eq '"virtio_mmio.device=4096@0xd0000000:5" in p["cmdline"].split()' 'true'
# vsock: --vsock CID adds one, the plan shows its cid (text and JSON);
# --check holds the range and one per machine, located at the flag.
plan -k x --vsock 42
json_eq '[[d["type"], d["model"], d["cid"]] for d in p["devices"]]' '[["vsock", "virtio-vsock", 42]]'
expect_status 0 "$VMBOOT" --plan --host-ram 16G --host-cpus 4 -k x --vsock 0x10
expect_grep "$TMP/out" '^  vsock0 +virtio-vsock +pci 00:01\.0 .* cid 16$'
expect_status 1 "$VMBOOT" --check ok.conf --vsock 2
expect_line "$TMP/err" '--vsock: error: devices[0].cid: must be between 3 and 4294967294, got 2'
expect_status 1 "$VMBOOT" --check ok.conf --vsock 3 --vsock 4
expect_grep "$TMP/err" '^--vsock: error: devices\[1\]: only one vsock device is allowed'
expect_status 2 "$VMBOOT" --check ok.conf --vsock three
expect_grep "$TMP/err" '--vsock: "three" is not a CID'
# disk queues: the plan shows the count (text and JSON); --check holds the
# range, located at the file's key or at the flag.
plan -k x -d img,queues=3
json_eq '[[d["model"], d["queues"]] for d in p["devices"]]' '[["virtio-blk", 3]]'
# Without the key: one queue per vCPU, at most 8.
plan -k x -c 3 -d img -d img2
json_eq '[d["queues"] for d in p["devices"]]' '[3, 3]'
plan -k x -c 12 -d img
json_eq '[d["queues"] for d in p["devices"]]' '[8]'
expect_status 0 "$VMBOOT" --plan --host-ram 16G --host-cpus 4 -k x -d img,queues=3
expect_grep "$TMP/out" '^  disk0 +virtio-blk +pci 00:01\.0 .* img +queues 3$'
expect_status 1 "$VMBOOT" --check ok.conf -d img,queues=9
expect_line "$TMP/err" '--disk: error: devices[0].queues: must be between 1 and 8, got 9'
printf 'kernel = "k";\ndevices = ({ type = "disk"; path = "img";\n  queues = 0; });\n' \
	>"$TMP/queues.conf"
expect_status 1 "$VMBOOT" --check "$TMP/queues.conf"
expect_grep "$TMP/err" '/queues\.conf:3:12: error: devices\[0\]\.queues: must be between 1 and 8, got 0$'

# The console commands (tests/control/test_console_cli.sh drives a live
# console): --tmux outside tmux and an unknown VM are errors; run --detach
# reports a failure before the guest starts on the terminal, exit 1.
CONSOLE_RUN=$TMP/run
mkdir -m 0700 "$CONSOLE_RUN"
expect_status 1 env -u TMUX XDG_RUNTIME_DIR="$CONSOLE_RUN" "$VMBOOT" console web --tmux
expect_grep "$TMP/err" 'console --tmux: not inside tmux'
expect_status 1 env XDG_RUNTIME_DIR="$CONSOLE_RUN" "$VMBOOT" console nosuchvm
expect_line "$TMP/err" 'vmboot: error: no VM named "nosuchvm" is running (see vmboot list)'
expect_status 2 "$VMBOOT" console a b
expect_status 1 env XDG_RUNTIME_DIR="$CONSOLE_RUN" "$VMBOOT" run --detach \
	-k "$FIXTURES/dummy-kernel" --dev "$TMP/no-kvm" --name detachfail
expect_grep "$TMP/err" '^vmboot: error: open KVM: .*no-kvm'
checks=$((checks + 1))
[ ! -s "$TMP/out" ] || fail "run --detach printed a console for a VM that failed"
expect_status 2 env XDG_RUNTIME_DIR="$CONSOLE_RUN" "$VMBOOT" run --detach -- true
expect_grep "$TMP/err" 'do not go with -- COMMAND'

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ] || exit 1
exit 0
