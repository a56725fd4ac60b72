# Control sockets: protocol, socket directory, server, client, and
# a VM on its socket (vmctl.c).
control_modules = src/control/proto src/control/sockdir src/control/server \
	src/control/client src/control/cmd src/control/attach src/control/vmctl
libvmboot_a_SOURCES += $(control_modules:=.c) $(control_modules:=.h)
