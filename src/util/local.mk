# A module is a .c file and its header: each local.mk names its modules
# once, without the suffixes, and adds the files that stand alone.
util_modules = src/util/err src/util/diag src/util/log src/util/notify src/util/size \
	src/util/io src/util/grow src/util/thread src/util/json src/util/helper
libvmboot_a_SOURCES += $(util_modules:=.c) $(util_modules:=.h) \
	src/util/refusal.h src/util/diag_render.c src/util/le.h

# The configured $(pkglibexecdir), where vmboot looks for its helper
# programs (src/util/helper.h). Made by make, not configure, because only
# make expands the directory variables; rewritten whenever the Makefile is,
# so reconfiguring with another prefix recompiles helper.c.
nodist_libvmboot_a_SOURCES = vb-paths.h
src/util/helper.$(OBJEXT): vb-paths.h
CLEANFILES += vb-paths.h
vb-paths.h: Makefile
	$(AM_V_GEN)printf '#define VB_PKGLIBEXECDIR "%s"\n' '$(pkglibexecdir)' >$@-t && mv -f $@-t $@
