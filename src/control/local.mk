# Control sockets: protocol, socket directory, server thread, client, and
# a VM on its socket (vmctl.c).
libvmboot_a_SOURCES += \
	src/control/proto.c src/control/proto.h \
	src/control/sockdir.c src/control/sockdir.h \
	src/control/server.c src/control/server.h \
	src/control/client.c src/control/client.h \
	src/control/cmd.c src/control/cmd.h \
	src/control/attach.c src/control/attach.h \
	src/control/vmctl.c src/control/vmctl.h
