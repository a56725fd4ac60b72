#!/bin/sh
# `vmboot --check` is the whole truth (issue #10): every reason the builder
# can refuse a machine that is knowable without /dev/kvm is a located
# --check error. This walks the builder's refusals and proves each has its
# twin:
#   1. every rule of src/util/refusal.h is named by some vb_refuse() site in
#      src/, and every rule has a row in refusals.tab;
#   2. every row's fixture (fixtures/refusals/) makes `vmboot --check` exit 1
#      with FILE:LINE:COL: error: and the expected message;
#   3. every vb_err_set() in the builder's files (SCOPE below) is either a
#      vb_refuse() with a rule, or listed in refusals.allow with the reason
#      --check cannot know it; so a new refusal in the builder without a
#      --check twin fails here. The test also checks that it catches both
#      mistakes, on a copy of the sources with one injected.
# Needs no /dev/kvm.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
need_cmd python3 "python3 is needed to read the sources"
make_tmp

# Not exec: make_tmp's trap removes $TMP when this shell exits.
python3 - "$VB_SRCDIR" "$VMBOOT" "$TMP" <<'EOF'
import os, re, shutil, struct, subprocess, sys

srcdir, vmboot, tmp = sys.argv[1:4]
here = os.path.join(srcdir, 'tests', 'cli')
failures = []
checks = 0

def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)

# The builder: every file whose code runs while `vmboot run` builds the
# machine from the graph (machine/vm.c's stages), and the pure rules they
# share with validate and resolve.
SCOPE = [
    'src/machine/vm.c', 'src/machine/ram.c', 'src/machine/load.c', 'src/mem/memmap.c',
    'src/parse/validate.c',
    'src/dev/alloc.c', 'src/dev/bus.c', 'src/dev/pci.c', 'src/dev/ivshmem.c', 'src/dev/dev.c',
    'src/dev/uart.c', 'src/dev/i8042.c', 'src/dev/rtc.c', 'src/dev/ignore.c',
    'src/virtio/pci.c', 'src/virtio/mmio.c', 'src/virtio/transport.c', 'src/virtio/virtio.c',
    'src/virtio/device.c', 'src/virtio/9p.c', 'src/virtio/blk.c', 'src/virtio/blk_disk.c',
    'src/virtio/net.c', 'src/virtio/rng.c',
    'src/virtio/balloon.c', 'src/virtio/console.c', 'src/virtio/vhost.c', 'src/virtio/vsock.c',
    'src/arch/x86/boot.c', 'src/arch/x86/bzimage.c', 'src/arch/x86/pvh.c', 'src/arch/x86/flat.c',
    'src/arch/x86/kfile.c', 'src/arch/x86/cmdline.c', 'src/arch/x86/e820.c',
    'src/arch/x86/mptable.c', 'src/arch/x86/regs.c', 'src/arch/x86/cpuid.c',
]

def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()

def rules_of(header_text):
    return re.findall(r'^\s*X\(([A-Z0-9_]+),', header_text, re.M)

def named_rules(sources):
    """{rule: [file, ...]} for every vb_refuse(..., VB_REFUSAL_X, ...)."""
    named = {}
    for rel, text in sources.items():
        for m in re.finditer(r'\bvb_refuse\s*\(\s*[^,]+,\s*VB_REFUSAL_([A-Z0-9_]+)\s*,', text):
            named.setdefault(m.group(1), []).append(rel)
    return named

def table_rows(text):
    rows = []
    for n, line in enumerate(text.split('\n'), 1):
        if not line.strip() or line.startswith('#'):
            continue
        parts = line.split('\t')
        if len(parts) != 3:
            fail('refusals.tab:%d: want RULE<TAB>FIXTURE<TAB>MESSAGE' % n)
            continue
        rows.append(parts)
    return rows

def allow_rows(text):
    rows = []
    for n, line in enumerate(text.split('\n'), 1):
        if not line.strip() or line.startswith('#'):
            continue
        parts = line.split('\t')
        if len(parts) != 4 or not parts[3].strip():
            fail('refusals.allow:%d: want FILE<TAB>ERRNO<TAB>MESSAGE START<TAB>WHY' % n)
            continue
        rows.append(parts)
    return rows

# vb_err_set(ERR, ERRNO, "FORMAT" ...): a format that is not a literal
# matches as "" (list it with an empty message start).
SET_RE = re.compile(r'\bvb_err_set\s*\(\s*[^,]+,\s*([^,]+?)\s*,\s*(?:"((?:[^"\\]|\\.)*)")?')

def unclassified(sources, allowed):
    """Builder vb_err_set() sites that are neither vb_refuse() nor allowed."""
    out = []
    for rel, text in sources.items():
        for m in SET_RE.finditer(text):
            errno, msg = m.group(1), m.group(2) or ''
            if errno == 'ENOMEM':
                continue
            if any(a[0] == rel and a[1] == errno and msg.startswith(a[2]) for a in allowed):
                continue
            line = text.count('\n', 0, m.start()) + 1
            out.append('%s:%d: vb_err_set(%s, "%s")' % (rel, line, errno, msg))
    return out

def classify(rules, named, rows, sources, allowed):
    """All complaints about the sources, the table and the allow list."""
    problems = []
    table_rules = {r[0] for r in rows}
    for rule in rules:
        if rule not in named:
            problems.append('rule %s: no vb_refuse() in src/ names it (stale?)' % rule)
        if rule not in table_rules:
            problems.append('rule %s (named in %s): no --check fixture in refusals.tab' %
                            (rule, ', '.join(sorted(set(named.get(rule, ['nothing']))))))
    for rule in table_rules - set(rules):
        problems.append('refusals.tab names %s, which src/util/refusal.h does not' % rule)
    for site in unclassified(sources, allowed):
        problems.append('%s: a builder error that is neither vb_refuse(err, VB_REFUSAL_<RULE>, ...) '
                        'with a --check twin nor listed in tests/cli/refusals.allow' % site)
    return problems

# ---- 1 and 3: the sources, the rules, the table, the allow list ----------
header = read(os.path.join(srcdir, 'src/util/refusal.h'))
rules = rules_of(header)
all_c = {}
for root, _, files in os.walk(os.path.join(srcdir, 'src')):
    for name in files:
        if name.endswith('.c'):
            path = os.path.join(root, name)
            all_c[os.path.relpath(path, srcdir)] = read(path)
scoped = {rel: all_c[rel] for rel in SCOPE if rel in all_c}
for rel in SCOPE:
    if rel not in all_c:
        fail('SCOPE names %s, which does not exist' % rel)
named = named_rules(all_c)
rows = table_rows(read(os.path.join(here, 'refusals.tab')))
allowed = allow_rows(read(os.path.join(here, 'refusals.allow')))
for problem in classify(rules, named, rows, scoped, allowed):
    checks += 1
    fail(problem)
checks += 1
for a in allowed:
    text = scoped.get(a[0])
    if text is None or not any(m.group(1) == a[1] and (m.group(2) or '').startswith(a[2])
                               for m in SET_RE.finditer(text)):
        print('note: refusals.allow: no such site any more: %s %s "%s"' % tuple(a[:3]))

# The checks catch what they are for: a new rule without a fixture, and a
# new builder error that is not classified.
checks += 1
extra = classify(rules + ['NEW_RULE'], dict(named, NEW_RULE=['src/x.c']), rows, scoped, allowed)
if not any('rule NEW_RULE' in p and 'no --check fixture' in p for p in extra):
    fail('a rule without a fixture is not caught')
checks += 1
injected = dict(scoped)
injected['src/dev/ivshmem.c'] += '\nint x(void) { return vb_err_set(err, EINVAL, "shmem: too shiny"); }\n'
if not any('too shiny' in p for p in classify(rules, named, rows, injected, allowed)):
    fail('an unclassified builder error is not caught')

# ---- 2: every fixture fails --check with its located message ------------
fixtures = os.path.join(tmp, 'refusals')
shutil.copytree(os.path.join(here, 'fixtures', 'refusals'), fixtures)
shutil.copy(os.path.join(here, 'fixtures', 'dummy-kernel'), tmp)

def bzimage(name, init_size, cmdline_size, pm_bytes=4096):
    """A bzImage header (boot.rst) good enough for the loader to place it:
    protocol 2.15, 64-bit entry, relocatable, run at 16 MiB."""
    b = bytearray(1024 + pm_bytes)
    b[0x1F1] = 1                                  # setup_sects
    struct.pack_into('<H', b, 0x1FE, 0xAA55)      # boot_flag
    b[0x200] = 0xEB                               # jmp short over the header
    b[0x201] = 0x26C - 0x202
    b[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', b, 0x206, 0x020F)      # version
    b[0x211] = 0x01                               # loadflags: LOADED_HIGH
    struct.pack_into('<I', b, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into('<I', b, 0x230, 0x200000)    # kernel_alignment
    b[0x234] = 1                                  # relocatable_kernel
    struct.pack_into('<H', b, 0x236, 0x1)         # xloadflags: XLF_KERNEL_64
    struct.pack_into('<I', b, 0x238, cmdline_size)
    struct.pack_into('<Q', b, 0x258, 0x1000000)   # pref_address
    struct.pack_into('<I', b, 0x260, init_size)
    with open(os.path.join(fixtures, name), 'wb') as f:
        f.write(b)

bzimage('bzimage', 0x100000, 2047)
bzimage('bzimage-huge', 0x8000000, 2047)
bzimage('bzimage-short-cmdline', 0x100000, 255)
for name, size in (('big-kernel', 65 << 20), ('big-initrd', 65 << 20),
                   ('initrd-60m', 60 << 20), ('big-flat', 700 << 10)):
    with open(os.path.join(fixtures, name), 'wb') as f:
        f.truncate(size)  # sparse: no disk space

located = re.compile(r'^([^:]+):([0-9]+):([0-9]+): error: (.*)$')
for rule, fixture, want in rows:
    checks += 1
    r = subprocess.run([vmboot, '--check', fixture], cwd=fixtures, capture_output=True,
                       text=True, timeout=60)
    errors = [located.match(l) for l in r.stderr.splitlines()]
    errors = [m for m in errors if m and m.group(1) == fixture]
    if r.returncode != 1:
        fail('%s: vmboot --check %s exits %d, want 1 (the builder would refuse it)' %
             (rule, fixture, r.returncode))
    elif not any(re.search(want, m.group(4)) for m in errors):
        fail('%s: vmboot --check %s: no located error matching /%s/; got:\n    %s' %
             (rule, fixture, want, r.stderr.strip().replace('\n', '\n    ')))

print('%d rules, %d refusal sites, %d fixtures, %d allowed non-refusals; %d checks, %d failed' %
      (len(rules), sum(len(v) for v in named.values()), len(rows), len(allowed), checks,
       len(failures)))
sys.exit(1 if failures else 0)
EOF
exit $?
