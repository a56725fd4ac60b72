# src/sandbox: a seccomp filter per thread kind, and no_new_privs
# (sandbox.h); the capabilities each thread keeps and the user switch
# (privs.h). vmboot-net enters its own filter too.
libvmboot_a_SOURCES += src/sandbox/sandbox.c src/sandbox/sandbox.h src/sandbox/landlock.c \
	src/sandbox/privs.c src/sandbox/privs.h
vmboot_net_LDADD += $(SECCOMP_LIBS)
