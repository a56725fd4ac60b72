#!/bin/sh
# `vmboot schema` (src/parse/schema_json.h) and vmboot --check agree.
#   1. The schema is valid JSON Schema: Draft202012Validator.check_schema,
#      Debian's python3-jsonschema, against the 2020-12 metaschema; it is
#      the same text as the build's machine.schema.json (what make install
#      installs).
#   2. Every YAML machine of machines/ and of the fixtures (tests/parse,
#      tests/cli and its refusals) that vmboot --check accepts, the schema
#      accepts too; there must be a handful of them. A file --check refuses
#      may pass the schema (rules across keys are --check's alone).
#   3. A machine using every key and device type, and variants (hex sizes,
#      a tap NIC, a console device, an empty file), pass both.
#   4. Each mutation of that machine (an unknown key at each level, a bad
#      enum value, a number out of range, an unknown device type, a device
#      missing a required key, a bad size, MAC or name, a wrong type)
#      fails both: the schema rejects it and --check exits 1.
# YAML is read as vmboot reads it, with the YAML 1.2 core schema (PyYAML's
# resolvers are YAML 1.1's: "0o17" and "yes" differ), from python3-yaml.
# libconfig (.conf) machines are not read: Debian has no libconfig module
# for Python; debian.conf's twin debian.yaml is, and tests/parse keeps the
# two syntaxes equal.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
need_cmd python3 "python3 is needed to validate against the schema"
# The python3 with jsonschema (2020-12 support: 4.0 or later) and yaml.
find_python 'import yaml; from jsonschema import Draft202012Validator'
[ -n "$PY" ] || skip "no python3 with the jsonschema (2020-12) and yaml modules (Debian python3-jsonschema, python3-yaml)"
make_tmp

"$PY" - "$VB_SRCDIR" "$VB_BUILDDIR" "$VMBOOT" "$TMP" <<'EOF'
import copy, glob, json, os, re, subprocess, sys

import yaml
from jsonschema import Draft202012Validator

srcdir, builddir, vmboot, tmp = sys.argv[1:5]
failures = 0
checks = 0


def fail(msg):
    global failures
    failures += 1
    print('FAIL: ' + msg)


def check(ok, msg):
    global checks
    checks += 1
    if not ok:
        fail(msg)


# --- YAML 1.2 core schema, as src/parse/yaml.c resolves plain scalars ---
class CoreLoader(yaml.SafeLoader):
    pass


CoreLoader.yaml_implicit_resolvers = {}
for tag, regexp, first in [
    ('null', r'^(?:~|null|Null|NULL|)$', ['~', 'n', 'N', '']),
    ('bool', r'^(?:true|True|TRUE|false|False|FALSE)$', list('tTfF')),
    ('int', r'^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$', list('-+0123456789')),
    ('float', r'^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?'
              r'|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$', list('-+.0123456789')),
]:
    CoreLoader.add_implicit_resolver('tag:yaml.org,2002:' + tag, re.compile(regexp), first)


def core_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith('0o'):
        return int(text[2:], 8)
    if text.startswith('0x'):
        return int(text[2:], 16)
    return int(text, 10)


CoreLoader.add_constructor('tag:yaml.org,2002:int', core_int)


def load(path):
    with open(path) as f:
        return yaml.load(f, Loader=CoreLoader)


def vmboot_check(path):
    """0 when --check accepts the file (warnings allowed), else its status."""
    r = subprocess.run([vmboot, '--check', path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return r.returncode, r.stderr


# --- 1. the schema itself ---
r = subprocess.run([vmboot, 'schema'], stdout=subprocess.PIPE, universal_newlines=True)
check(r.returncode == 0, 'vmboot schema exited %d' % r.returncode)
text = r.stdout
schema = json.loads(text)
try:
    Draft202012Validator.check_schema(schema)
    check(True, '')
except Exception as e:  # jsonschema.SchemaError
    fail('the schema is not valid 2020-12 JSON Schema: %s' % e)
    sys.exit(1)
check(schema.get('$schema') == 'https://json-schema.org/draft/2020-12/schema',
      '$schema is %r' % schema.get('$schema'))
check(schema.get('additionalProperties') is False, 'top level: additionalProperties is not false')
installed = os.path.join(builddir, 'machine.schema.json')
if os.path.exists(installed):
    with open(installed) as f:
        check(f.read() == text, '%s differs from vmboot schema' % installed)
else:
    fail('%s was not built (make all builds it)' % installed)
validator = Draft202012Validator(schema)


def schema_errors(instance):
    """The schema's complaints, each cut short (a oneOf's quotes every branch)."""
    return [e.message[:160] for e in validator.iter_errors(instance)]


# --- 2. the corpus: what --check accepts, the schema accepts ---
corpus = []
for pattern in ['machines/*.yaml', 'machines/*.yml', 'tests/parse/fixtures/*.yaml',
                'tests/cli/fixtures/*.yaml', 'tests/cli/fixtures/refusals/*.yaml']:
    corpus += sorted(glob.glob(os.path.join(srcdir, pattern)))
accepted = 0
for path in corpus:
    status, err = vmboot_check(path)
    if status != 0:
        continue
    accepted += 1
    errors = schema_errors(load(path))
    check(not errors, '%s: --check accepts it, the schema does not: %s'
          % (os.path.relpath(path, srcdir), '; '.join(errors)))
check(accepted >= 6, 'only %d YAML machines of the corpus pass --check' % accepted)
for name in ['machines/debian.yaml', 'machines/ci-smoke.yaml', 'tests/parse/fixtures/web.yaml']:
    check(os.path.join(srcdir, name) in corpus, '%s is not in the corpus' % name)

# --- 3 and 4: samples, written as YAML files for --check ---
seq = 0


def write(instance=None, raw=None):
    global seq
    seq += 1
    path = os.path.join(tmp, 'sample%d.yaml' % seq)
    with open(path, 'w') as f:
        if raw is not None:
            f.write(raw)
        else:
            yaml.safe_dump(instance, f, sort_keys=False, default_flow_style=False)
    return path


def expect_valid(what, instance=None, raw=None):
    path = write(instance, raw)
    errors = schema_errors(load(path))
    check(not errors, '%s: the schema rejects it: %s' % (what, '; '.join(errors)))
    status, err = vmboot_check(path)
    check(status == 0, '%s: vmboot --check exits %d:\n%s' % (what, status, err))


def expect_invalid(what, instance=None, raw=None):
    path = write(instance, raw)
    check(schema_errors(load(path)), '%s: the schema accepts it' % what)
    status, err = vmboot_check(path)
    check(status == 1 and ': error: ' in err,
          '%s: vmboot --check exits %d, want 1 with an error:\n%s' % (what, status, err))


base = {
    'name': 'schema-test',
    'cpus': 2,
    'memory': '1G',
    'kernel': 'images/bzImage',
    'initrd': 'images/initrd.img',
    'params': 'quiet',
    'console': 'serial',
    'tty': False,
    'hugepages': False,
    'seccomp': False,
    'user': 'nobody',
    'acpi': True,
    'devices': [
        {'type': 'disk', 'id': 'root', 'path': 'root.img', 'readonly': True,
         'queues': 4, 'transport': 'mmio'},
        {'type': 'net', 'mode': 'user', 'mac': '52:54:00:12:34:56', 'dhcp': True,
         'forward': ['tcp:127.0.0.1:2222-:22']},
        {'type': '9p', 'path': '/', 'tag': 'host', 'readonly': True},
        {'type': 'balloon'},
        {'type': 'rng', 'transport': 'pci'},
        {'type': 'shmem', 'path': '/vmboot-schema-test', 'size': '16M',
         'address': '0xe0000000'},
    ],
    'debug': {'ioport': False, 'single_step': False, 'iodelay': 0},
}
DISK, NET, NINEP, SHMEM = 0, 1, 2, 5
expect_valid('every key', base)
variant = copy.deepcopy(base)
variant['memory'] = 512
variant['console'] = 'virtio'
variant['devices'][NET] = {'type': 'net', 'mode': 'tap', 'tap': 'tap0'}
variant['devices'].append({'type': 'console', 'id': 'hvc', 'transport': 'mmio'})
expect_valid('console device, tap NIC, memory in MiB', variant)
expect_valid('hex sizes', raw='kernel: k\nmemory: 0x40000000\ndevices:\n'
             '  - type: shmem\n    path: /x\n    size: 0x1000000\n    address: 0xE0000000\n')
expect_valid('size suffixes', raw='kernel: k\nmemory: 2gib\ndevices:\n'
             '  - {type: shmem, path: /x, size: 4 KiB}\n')
expect_valid('no kernel (the zero-config default)', raw='cpus: 1\n')
expect_valid('an empty table', raw='{}\n')


def mutation(what, change):
    m = copy.deepcopy(base)
    change(m)
    expect_invalid(what, m)


def put(*path_value):
    *path, key, value = path_value

    def change(m):
        target = m
        for p in path:
            target = target[p]
        target[key] = value
    return change


def drop(index, key):
    def change(m):
        del m['devices'][index][key]
    return change


mutation('unknown key', put('memroy', '1G'))
mutation('unknown debug key', put('debug', 'iodelay_ms', 1))
mutation('unknown disk key', put('devices', DISK, 'read_only', True))
mutation('transport on shmem', put('devices', SHMEM, 'transport', 'pci'))
mutation('bad console', put('console', 'serail'))
mutation('bad transport', put('devices', DISK, 'transport', 'virtio'))
mutation('bad net mode', put('devices', NET, 'mode', 'bridge'))
mutation('disk queues 0', put('devices', DISK, 'queues', 0))
mutation('disk queues 9', put('devices', DISK, 'queues', 9))
mutation('cpus 0', put('cpus', 0))
mutation('cpus 255', put('cpus', 255))
mutation('iodelay 1001', put('debug', 'iodelay', 1001))
mutation('negative memory', put('memory', -1))
mutation('memory 12X', put('memory', '12X'))
mutation('hex size with a suffix', put('devices', SHMEM, 'size', '0x10M'))
mutation('unknown device type', put('devices', 3, {'type': 'gpu'}))
mutation('device without a type', put('devices', 3, {'id': 'x'}))
mutation('disk without path', drop(DISK, 'path'))
mutation('9p without tag', drop(NINEP, 'tag'))
mutation('shmem without size', drop(SHMEM, 'size'))
mutation('bad MAC', put('devices', NET, 'mac', '52:54:00:zz:34:56'))
mutation('multicast MAC', put('devices', NET, 'mac', '01:00:5e:00:00:01'))
mutation('bad name', put('name', 'my vm'))
mutation('name too long', put('name', 'n' * 65))
mutation('empty kernel path', put('kernel', ''))
mutation('cpus as a string', put('cpus', '2'))
mutation('tty as a string', put('tty', 'yes'))
mutation('forward not a list', put('devices', NET, 'forward', 'tcp::2222-:22'))
mutation('devices a table', put('devices', {'type': 'rng'}))
mutation('debug not a table', put('debug', True))
mutation('too many devices', put('devices', [{'type': 'disk', 'path': 'd%d' % i}
                                             for i in range(65)]))
expect_invalid('a list at the top', raw='- kernel: k\n')

print('%d checks, %d failed' % (checks, failures))
sys.exit(1 if failures else 0)
EOF
