#!/bin/sh
# The JSON writer's output read by another parser: tests/util/test_json
# --emit prints every string case (each class of ill-formed UTF-8, controls,
# quotes), a key with a bad byte, numbers at their limits and nesting, in
# each layout. Python must read it strictly (the bytes well-formed UTF-8, no
# lone surrogate, no NaN), each string must equal Python's own decoding of
# the input bytes with U+FFFD for each ill-formed subpart, and the pretty
# layout must be exactly json.dumps(indent=2)'s.
set -u

: "${VB_BUILDDIR:?run through make check, or set VB_BUILDDIR}"
EMIT=$VB_BUILDDIR/tests/util/test_json
[ -x "$EMIT" ] || { echo "SKIP: $EMIT not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is needed to parse the JSON"; exit 77; }

TMP=$(mktemp -d) || exit 99
trap 'rm -rf "$TMP"' EXIT
failures=0
for layout in COMPACT LINES PRETTY; do
	if ! "$EMIT" --emit "$layout" >"$TMP/out"; then
		echo "FAIL: test_json --emit $layout failed"
		failures=$((failures + 1))
		continue
	fi
	python3 - "$TMP/out" "$layout" <<'EOF' || failures=$((failures + 1))
import json, sys

path, layout = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
def bad_constant(name):
    raise ValueError("non-standard constant " + name)
try:
    text = raw.decode("utf-8")  # strict: ill-formed output fails here
    doc = json.loads(text, parse_constant=bad_constant)
except ValueError as e:
    print("FAIL: %s: not strict JSON: %s" % (layout, e))
    sys.exit(1)

def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)

ok = True
for s in strings(doc):
    if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        print("FAIL: %s: lone surrogate in %r" % (layout, s))
        ok = False
for case in doc["cases"]:
    want = bytes.fromhex(case["hex"]).decode("utf-8", "replace")
    if case["value"] != want:
        print("FAIL: %s: %s: got %r, want %r" % (layout, case["what"], case["value"], want))
        ok = False
limits = doc["key \ufffd\"\n"]
if limits[:2] != [2**64 - 1, -2**63] or limits[2] != [[[[[{}]]]]]:
    print("FAIL: %s: numbers or nesting: %r" % (layout, limits))
    ok = False
if layout == "PRETTY":
    # Python escapes strings its own way (\n, \u00e9); compare the layout
    # with every string emptied.
    import re
    blank = lambda t: re.sub(r'"(?:[^"\\]|\\.)*"', '""', t)
    if blank(text) != blank(json.dumps(doc, indent=2) + "\n"):
        print("FAIL: PRETTY: the layout differs from json.dumps(indent=2)")
        ok = False
sys.exit(0 if ok else 1)
EOF
done
[ "$failures" -eq 0 ] || exit 1
echo "PASS: test_json.sh"
