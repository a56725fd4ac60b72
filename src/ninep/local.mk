# src/ninep: the 9P2000.L file server (transport-independent)
libvmboot_a_SOURCES += \
	src/ninep/wire.c src/ninep/wire.h \
	src/ninep/server.c src/ninep/server.h
