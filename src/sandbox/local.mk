# src/sandbox: a seccomp filter per thread kind, and no_new_privs
# (sandbox.h). vmboot-net enters its own filter too.
libvmboot_a_SOURCES += src/sandbox/sandbox.c src/sandbox/sandbox.h
vmboot_net_LDADD += $(SECCOMP_LIBS)
