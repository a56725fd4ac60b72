#!/bin/sh
# The fleet examples in contrib/ parse and describe a vmboot task:
#   contrib/nomad/vmboot.nomad.hcl, read by hcltool (Debian python3-pyhcl):
#     a job with a group and a task; the task's driver can reach /dev/kvm
#     (raw_exec), its command is vmboot and its args say run; the machine
#     file its template writes passes vmboot --check;
#   contrib/kubernetes/vmboot-pod.yaml, read by python3's yaml module
#     (python3-yaml): a ConfigMap with the machine file, which passes
#     vmboot --check, and a Pod whose container runs vmboot run on that
#     file where the ConfigMap is mounted, gets /dev/kvm from a CharDevice
#     hostPath, and stops the VM with vmboot stop in its preStop hook.
# Missing kernels and images are only warnings for --check. Each part
# skips without its parser; the test skips when both are missing.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
need_cmd python3 "python3 is needed to read the examples"
# The python3 that has the yaml module, if any.
find_python 'import yaml'
make_tmp
parsed=0

# check_machine FILE: vmboot --check accepts it (warnings allowed).
check_machine() {
	checks=$((checks + 1))
	if ! "$VMBOOT" --check "$1" >"$TMP/check" 2>&1 || grep -q ': error: ' "$TMP/check"; then
		fail "$2: its machine file does not pass vmboot --check:"
		sed 's/^/    /' "$TMP/check"
	fi
}

# --- Nomad ---
NOMAD=$VB_SRCDIR/contrib/nomad/vmboot.nomad.hcl
if command -v hcltool >/dev/null 2>&1; then
	parsed=$((parsed + 1))
	checks=$((checks + 1))
	if ! hcltool "$NOMAD" >"$TMP/nomad.json" 2>"$TMP/nomad.err"; then
		fail "hcltool cannot parse $NOMAD:"
		sed 's/^/    /' "$TMP/nomad.err"
	elif ! python3 - "$TMP/nomad.json" "$TMP" >"$TMP/nomad.out" 2>&1 <<'EOF'; then
import json, os, sys
doc = json.load(open(sys.argv[1]))
def one(table, what):
    assert isinstance(table, dict) and len(table) == 1, "want one %s, got %r" % (what, table)
    return next(iter(table.values()))
job = one(doc["job"], "job")
group = one(job["group"], "group")
task = one(group["task"], "task")
assert task["driver"] == "raw_exec", "driver %r cannot open /dev/kvm" % task["driver"]
config = task["config"]
assert os.path.basename(config["command"]) == "vmboot", config["command"]
args = config["args"]
assert args[0] == "run" and "--name" in args, args
template = task["template"]
assert template["destination"] in args, "the task does not run the template's file"
name = os.path.basename(template["destination"])
with open(os.path.join(sys.argv[2], name), "w") as f:
    f.write(template["data"] + "\n")
print(name)
EOF
		fail "$NOMAD does not describe a vmboot task:"
		sed 's/^/    /' "$TMP/nomad.out"
	else
		check_machine "$TMP/$(cat "$TMP/nomad.out")" "$NOMAD"
	fi
else
	echo "SKIP part: no hcltool (Debian package python3-pyhcl) to read $NOMAD"
fi

# --- Kubernetes ---
POD=$VB_SRCDIR/contrib/kubernetes/vmboot-pod.yaml
if [ -n "$PY" ]; then
	parsed=$((parsed + 1))
	checks=$((checks + 1))
	if ! "$PY" - "$POD" "$TMP" >"$TMP/pod.out" 2>&1 <<'EOF'; then
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
assert set(kinds) == {"ConfigMap", "Pod"}, sorted(kinds)
config_map, pod = kinds["ConfigMap"], kinds["Pod"]
spec = pod["spec"]
(container,) = spec["containers"]
assert os.path.basename(container["command"][0]) == "vmboot", container["command"]
args = container["args"]
assert args[0] == "run" and "--name" in args, args
vm_name = args[args.index("--name") + 1]
machine = args[-1]
volumes = {v["name"]: v for v in spec["volumes"]}
mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
kvm = volumes[mounts["/dev/kvm"]]["hostPath"]
assert kvm == {"path": "/dev/kvm", "type": "CharDevice"}, kvm
machine_dir, machine_file = os.path.split(machine)
assert volumes[mounts[machine_dir]]["configMap"]["name"] == config_map["metadata"]["name"]
pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
assert os.path.basename(pre_stop[0]) == "vmboot" and pre_stop[1] == "stop", pre_stop
assert pre_stop[-1] == vm_name, pre_stop
with open(os.path.join(sys.argv[2], machine_file), "w") as f:
    f.write(config_map["data"][machine_file])
print(machine_file)
EOF
		fail "$POD does not describe a vmboot pod:"
		sed 's/^/    /' "$TMP/pod.out"
	else
		check_machine "$TMP/$(cat "$TMP/pod.out")" "$POD"
	fi
else
	echo "SKIP part: no python3 with the yaml module (Debian package python3-yaml) to read $POD"
fi

if [ "$parsed" -eq 0 ]; then
	echo "SKIP: neither hcltool nor python3's yaml module"
	exit 77
fi
echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ] || exit 1
exit 0
