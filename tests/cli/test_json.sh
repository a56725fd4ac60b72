#!/bin/sh
# Every --json output read back with Python's strict json module and held
# to the fields vmboot(1) documents under JSON OUTPUT: check (the same
# diagnostics as the text form, suggestions, inputs, nothing for a clean
# file, no caret or colour), kernel-check on the fixture configurations,
# stat and debug against tests/control/fakevm, and names that are not
# UTF-8 (a machine file and a kernel named with byte 0xff) shown as U+FFFD
# in a document that still parses. Needs no /dev/kvm.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
FIXTURES=$VB_SRCDIR/tests/cli/fixtures
KFIXTURES=$VB_SRCDIR/tests/kcheck/fixtures
need_built "$VMBOOT" "$FAKEVM"
need_cmd python3 "python3 is needed to read the JSON"

make_tmp
private_run_dir
fake_pid=
cleanup() {
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null
	rm -rf "$TMP"
}

# run WANT CMD...: expect_status (tests/lib/common.sh).
run() { expect_status "$@"; }

# expect WHAT PYTHON: PYTHON (statements over `d`, the document in
# $TMP/out read strictly; `text` is $TMP/err) must print nothing. Each
# line it prints is a failure.
expect() {
	checks=$((checks + 1))
	problems=$(python3 - "$TMP/out" "$TMP/err" "$2" <<'EOF' 2>&1
import json, sys
raw = open(sys.argv[1], "rb").read()
text = open(sys.argv[2], "rb").read().decode("utf-8", "replace")
def bad_constant(name):
    raise ValueError("not JSON: " + name)
try:
    d = json.loads(raw.decode("utf-8"), parse_constant=bad_constant)
except ValueError as e:
    print("not strict JSON (%s): %r" % (e, raw[:200]))
    sys.exit(0)
def surrogates(v):
    if isinstance(v, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    if isinstance(v, list):
        return any(surrogates(x) for x in v)
    if isinstance(v, dict):
        return any(surrogates(k) or surrogates(x) for k, x in v.items())
    return False
if surrogates(d):
    print("a lone surrogate")
exec(sys.argv[3])
EOF
)
	[ -z "$problems" ] || { fail "$1:"; printf '%s\n' "$problems" | sed 's/^/    /'; }
}

cd "$FIXTURES" || exit 99

# --- check --json ----------------------------------------------------------
# The same diagnostics as the text form: compare every FILE:LINE:COL line.
"$VMBOOT" --check --color=never bad.conf bad.yaml missing-kernel.yaml 2>"$TMP/text" >/dev/null
run 1 "$VMBOOT" --check --json --color=always bad.conf bad.yaml missing-kernel.yaml
cp "$TMP/text" "$TMP/err"
expect "check --json: the text form's diagnostics" '
import re
want = [m.groups() for m in map(re.compile(r"^(.*?):(\d+):(\d+): (error|warning): (.*)$").match,
                                 text.splitlines()) if m]
got = [(x["file"], str(x["line"]), str(x["column"]), x["severity"], x["message"]) for x in d]
if len(want) < 10 or got != want:
    print("got %r\nwant %r" % (got, want))
for x in d:
    if sorted(x) != ["column", "file", "input", "line", "message", "severity", "suggestion"]:
        print("fields: %r" % sorted(x))
    if x["input"] != x["file"]:
        print("input %r for %r" % (x["input"], x["file"]))
'
expect "check --json: suggestions" '
sugg = {x["line"]: x["suggestion"] for x in d if x["file"] == "bad.conf"}
if sugg != {3: None, 4: "memory", 5: "serial", 8: None, 9: None}:
    print(sugg)
if [x["suggestion"] for x in d if x["file"] == "bad.yaml" and x["line"] == 5] != ["disk"]:
    print("bad.yaml: no suggestion \"disk\"")
if [x["severity"] for x in d if x["file"] == "missing-kernel.yaml"] != ["warning"]:
    print("missing-kernel.yaml: want one warning")
'
checks=$((checks + 1))
if grep -q "$(printf '\033')" "$TMP/out" || grep -q '\^' "$TMP/out"; then
	fail "check --json: colour or a caret in the JSON"
fi
run 1 "$VMBOOT" --check --json bad.conf
checks=$((checks + 1))
[ -s "$TMP/err" ] && fail "check --json: diagnostics also on stderr: $(head -3 "$TMP/err")"

# A clean file: an empty array, exit 0; a clean file beside a bad one has
# no diagnostic of its own (valid), the bad one's errors name it.
run 0 "$VMBOOT" --check --json ok.conf
expect "check --json ok.conf" 'print(d) if d != [] else None'
checks=$((checks + 1))
[ "$(cat "$TMP/out")" = "[]" ] || fail "check --json ok.conf: $(cat "$TMP/out")"
run 1 "$VMBOOT" --check --json ok.conf bad.conf
expect "check --json ok.conf bad.conf: inputs" '
inputs = sorted(set(x["input"] for x in d if x["severity"] == "error"))
if inputs != ["bad.conf"]:
    print(inputs)
'
# A value from an option is located at the option, the input is the file;
# an unreadable file has no line or column.
run 1 "$VMBOOT" --check --json --cpus 0 ok.conf
expect "check --json --cpus 0" '
if [(x["file"], x["line"], x["column"], x["input"]) for x in d] != [("--cpus", None, None, "ok.conf")]:
    print(d)
'
run 1 "$VMBOOT" --check --json no-such-file.conf
expect "check --json of a missing file" '
if [(x["file"], x["line"], x["column"], x["severity"]) for x in d] != [("no-such-file.conf", None, None, "error")]:
    print(d)
if "cannot read" not in d[0]["message"]:
    print(d[0]["message"])
'
run 2 "$VMBOOT" --check --json
checks=$((checks + 1))
[ -s "$TMP/out" ] && fail "check --json with no file: output on stdout"

# A machine file whose name is not UTF-8: escaped, never raw.
bad_name=$(printf 'bad\377.conf')
cp bad.conf "$TMP/$bad_name"
run 1 sh -c 'cd "$1" && exec "$2" --check --json "$3"' sh "$TMP" "$VMBOOT" "$bad_name"
expect "check --json of a file named with byte 0xff" '
files = sorted(set((x["file"], x["input"]) for x in d))
errors = [x for x in d if x["severity"] == "error"]
if files != [("bad\ufffd.conf", "bad\ufffd.conf")] or len(errors) != 5:
    print(files, len(errors))
'
checks=$((checks + 1))
grep -q 'bad\\ufffd\.conf' "$TMP/out" || fail "0xff is not written as \\ufffd"

# The plan too: a kernel path with 0xff.
printf 'name = "odd";\nkernel = "k\377.img";\n' >"$TMP/odd.conf"
run 0 "$VMBOOT" --plan --json --host-ram 16G --host-cpus 4 "$TMP/odd.conf"
expect "plan --json with a kernel named with byte 0xff" '
if not d["kernel"].endswith("k\ufffd.img"):
    print(d["kernel"])
'

# --- kernel-check --json -----------------------------------------------------
run 1 "$VMBOOT" kernel-check --json "$KFIXTURES/stripped.config"
"$VMBOOT" kernel-check "$KFIXTURES/stripped.config" >"$TMP/err" 2>&1
expect "kernel-check --json stripped.config" '
import re
if sorted(d) != ["bootable", "configuration", "options", "summary"]:
    print(sorted(d))
if d["bootable"] is not False or d["summary"]["essential_missing"] != 2:
    print(d["bootable"], d["summary"])
if not d["configuration"].endswith("stripped.config"):
    print(d["configuration"])
lines = [l for l in text.splitlines() if l.startswith("CONFIG_")]
if [re.split(r"[= ]", l)[0] for l in lines] != [o["option"] for o in d["options"]]:
    print("options differ from the text form")
for o, l in zip(d["options"], lines):
    if sorted(o) != ["consequence", "essential", "option", "state", "usable", "value", "what"]:
        print("fields: %r" % sorted(o))
    if o["option"] in ("CONFIG_SERIAL_8250", "CONFIG_BLK_DEV_INITRD") and not o["essential"]:
        print("%s is essential" % o["option"])
    word = {"builtin": "built in", "module": "module (", "missing": "missing (",
            "needs_builtin": "only a module, needs to be built in"}[o["state"]]
    if ": " + word not in l or o["usable"] != (o["state"] in ("builtin", "module")):
        print("%r vs %r" % (o, l))
    if (o["consequence"] is None) != o["usable"] or \
       (not o["usable"] and o["essential"] != l.endswith("[essential]")):
        print("%r vs %r" % (o, l))
    if o["value"] != {"builtin": "y", "module": "m", "needs_builtin": "m", "missing": None}[o["state"]]:
        print(o)
m = re.search(r"summary: (\d+) built in, (\d+) modules, (\d+) missing", text)
s = d["summary"]
if [s["builtin"], s["modules"], s["missing"]] != [int(x) for x in m.groups()]:
    print(s, m.groups())
'
run 0 "$VMBOOT" kernel-check --json "$KFIXTURES/full.config"
expect "kernel-check --json full.config" '
if d["bootable"] is not True or d["summary"] != {"builtin": 10, "modules": 8, "missing": 0, "essential_missing": 0}:
    print(d["bootable"], d["summary"])
'
kname=$(printf 'k\377.config')
cp "$KFIXTURES/full.config" "$TMP/$kname"
run 0 "$VMBOOT" kernel-check --json "$TMP/$kname"
expect "kernel-check --json of a kernel named with byte 0xff" '
if not d["configuration"].endswith("/k\ufffd.config"):
    print(d["configuration"])
'
run 1 "$VMBOOT" kernel-check --json /nonexistent/vmlinuz
checks=$((checks + 1))
[ -s "$TMP/out" ] && fail "kernel-check --json without a configuration: output on stdout"

# --- stat and debug --json against fakevm -------------------------------------
"$FAKEVM" fake >"$TMP/fake.out" 2>&1 &
fake_pid=$!
wait_until grep -q '^ready ' "$TMP/fake.out" || { fail "fakevm did not start"; show "$TMP/fake.out"; }

run 0 "$VMBOOT" stat --json fake
expect "stat --json" '
if d != [{"name": "fake", "memory_bytes": 64 << 20, "host_rss_bytes": 12 << 20,
          "balloon": "waiting for the guest driver", "balloon_target_bytes": 16 << 20,
          "guest": {"mem_free": 40 << 20, "mem_total": 60 << 20}}]:
    print(d)
'
run 0 "$VMBOOT" stat --all --json
expect "stat --all --json" 'print(d) if [v["name"] for v in d] != ["fake"] else None'
run 0 "$VMBOOT" debug --json fake
expect "debug --json" '
if len(d) != 1 or sorted(d[0]) != ["name", "vcpus"] or d[0]["name"] != "fake":
    print(d)
v = d[0]["vcpus"]
if [c["id"] for c in v] != [0, 1]:
    print([c.get("id") for c in v])
if v[1]["rip"] != "0xffffffff81000000" or v[0]["cr0"] != "0x0000000080050033":
    print(v[1]["rip"], v[0]["cr0"])
if v[0]["cs"] != {"selector": "0x0010", "base": "0x0", "limit": "0xffffffff",
                  "type": 11, "dpl": 0, "db": 0, "l": 1}:
    print(v[0]["cs"])
'
# A VM that is not there: its error on stderr, exit 1, the others still
# in a whole array; a usage error prints no JSON.
run 1 "$VMBOOT" debug --json fake nosuchvm
expect "debug --json fake nosuchvm" 'print(d) if [v["name"] for v in d] != ["fake"] else None'
checks=$((checks + 1))
grep -q 'nosuchvm' "$TMP/err" || fail "debug --json: no error for nosuchvm"
run 2 "$VMBOOT" stat --json
checks=$((checks + 1))
[ -s "$TMP/out" ] && fail "stat --json with no name: output on stdout"
run 0 "$VMBOOT" list --json
expect "list --json" '
if [sorted(v) for v in d] != [["console", "cpus", "memory_bytes", "name", "pid", "state", "uptime_s"]]:
    print(d)
'
# The other control commands still refuse --json.
run 2 "$VMBOOT" pause --json fake
"$VMBOOT" stop fake >/dev/null 2>&1
wait "$fake_pid" 2>/dev/null
fake_pid=

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
