# vmboot-init: the static PID 1 of the zero-config initramfs. Built by hand
# rather than as a program so that neither CFLAGS/LDFLAGS (sanitizers, which
# cannot link statically) nor libvmboot reach it: it runs inside the guest.
GUESTINIT_SRC = $(srcdir)/src/guestinit/init.c $(srcdir)/src/guestinit/ginit.c
GUESTINIT_CFLAGS = -std=gnu11 -O2 $(VB_WARN_CFLAGS) -I$(srcdir)/src -D_GNU_SOURCE

src/guestinit/vmboot-init: $(GUESTINIT_SRC) $(srcdir)/src/guestinit/ginit.h
	@$(MKDIR_P) src/guestinit
	$(AM_V_CCLD)$(CC) $(GUESTINIT_CFLAGS) -static -o $@ $(GUESTINIT_SRC)

# Installed beside vmboot-net in $(pkglibexecdir), where vmboot looks for
# it (src/util/helper.h). SCRIPTS: installed executable, never stripped.
pkglibexec_SCRIPTS = src/guestinit/vmboot-init
CLEANFILES += src/guestinit/vmboot-init
EXTRA_DIST += src/guestinit/init.c src/guestinit/ginit.c src/guestinit/ginit.h
