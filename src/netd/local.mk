# src/netd: user-mode networking (libslirp) in the helper process
# vmboot-net; vmboot holds only the client (see src/netd/netd.h).
libvmboot_a_SOURCES += src/netd/client.c src/netd/wire.c src/netd/netd.h

# A part of vmboot, not a command: installed in $(pkglibexecdir), where
# vmboot looks for it (src/util/helper.h).
pkglibexec_PROGRAMS = vmboot-net
vmboot_net_SOURCES = src/netd/main.c src/netd/slirp.c src/netd/netd.h
vmboot_net_CFLAGS = $(AM_CFLAGS) $(SLIRP_CFLAGS)
# libvmboot.a for the pollset and the error helpers only.
vmboot_net_LDADD = libvmboot.a $(SLIRP_LIBS)
