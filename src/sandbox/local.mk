# src/sandbox: a seccomp filter per thread kind, and no_new_privs
# (sandbox.h); the capabilities each thread keeps and the user switch
# (privs.h). vmboot-net enters its own filter too.
libvmboot_a_SOURCES += src/sandbox/sandbox.c src/sandbox/sandbox.h src/sandbox/landlock.c \
	src/sandbox/privs.c src/sandbox/privs.h src/sandbox/filters.h

# The filters' programs, compiled from the allowlists by libseccomp here,
# at build time (filters.h): vmboot and vmboot-net only load them.
noinst_PROGRAMS += vmboot-gen-filters
vmboot_gen_filters_SOURCES = src/sandbox/gen_filters.c src/sandbox/allowlist.c \
	src/sandbox/allowlist.h
vmboot_gen_filters_LDADD = $(SECCOMP_LIBS)
nodist_libvmboot_a_SOURCES += src/sandbox/filters.gen.c
BUILT_SOURCES += src/sandbox/filters.gen.c
CLEANFILES += src/sandbox/filters.gen.c
src/sandbox/filters.gen.c: vmboot-gen-filters$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) src/sandbox && ./vmboot-gen-filters$(EXEEXT) > $@.tmp && mv $@.tmp $@
