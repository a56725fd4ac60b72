# A VM as a Nomad job: vmboot is the task's command and runs in the
# foreground; the machine file is written by a template. Run it with
#   nomad job run vmboot.nomad.hcl
# Checked by tests/service/test_fleet.sh (parsed with hcltool, the machine
# file with vmboot --check).
#
# The driver is raw_exec, not exec: the exec driver's chroot gets Docker's
# default device nodes only (null, zero, tty, ...), so /dev/kvm is not there
# unless a device plugin hands it out. raw_exec must be enabled in the client's
# configuration (plugin "raw_exec" { config { enabled = true } }) and runs
# tasks as the Nomad agent's user: root, whose VMs' control sockets are in
# /run/vmboot (vmboot list, vmboot stop on the node).
job "vmboot-web" {
  datacenters = ["dc1"]
  type        = "service"

  group "vm" {
    count = 1

    # Nodes whose client configuration says they can run VMs:
    # client { meta { kvm = "true" } }
    constraint {
      attribute = "${meta.kvm}"
      value     = "true"
    }

    task "vmboot" {
      driver = "raw_exec"

      config {
        command = "/usr/local/bin/vmboot"
        # One name per allocation: VM names are unique per node.
        args = ["run", "--name", "web-${NOMAD_SHORT_ALLOC_ID}", "local/web.yaml"]
      }

      template {
        destination = "local/web.yaml"
        data        = <<EOF
# The kernel and image are on the node (raw_exec sees its file system).
name: web
cpus: 2
memory: 1G
kernel: /var/lib/vmboot/images/vmlinuz
initrd: /var/lib/vmboot/images/initrd.img
params: root=/dev/vda rw console=ttyS0
devices:
  - type: disk
    path: /var/lib/vmboot/images/web.img
  - type: net
    mode: user
    forward: ["tcp::8080-:80"]
EOF
      }

      # Nomad stops a task with a signal: vmboot tears the VM down at once
      # on SIGTERM (the guest gets no shutdown; vmboot stop gives it one).
      kill_signal  = "SIGTERM"
      kill_timeout = "15s"

      # The guest's RAM plus vmboot's own (a few MiB).
      resources {
        cpu    = 2000
        memory = 1100
      }
    }
  }
}
