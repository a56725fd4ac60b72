libvmboot_a_SOURCES += \
	src/util/err.c src/util/err.h src/util/refusal.h \
	src/util/diag.c src/util/diag.h src/util/diag_render.c \
	src/util/log.c src/util/log.h \
	src/util/notify.c src/util/notify.h \
	src/util/size.c src/util/size.h \
	src/util/io.c src/util/io.h \
	src/util/grow.c src/util/grow.h \
	src/util/thread.c src/util/thread.h \
	src/util/json.c src/util/json.h src/util/le.h \
	src/util/helper.c src/util/helper.h

# The configured $(pkglibexecdir), where vmboot looks for its helper
# programs (src/util/helper.h). Made by make, not configure, because only
# make expands the directory variables; rewritten whenever the Makefile is,
# so reconfiguring with another prefix recompiles helper.c.
nodist_libvmboot_a_SOURCES = vb-paths.h
src/util/helper.$(OBJEXT): vb-paths.h
CLEANFILES += vb-paths.h
vb-paths.h: Makefile
	$(AM_V_GEN)printf '#define VB_PKGLIBEXECDIR "%s"\n' '$(pkglibexecdir)' >$@-t && mv -f $@-t $@
