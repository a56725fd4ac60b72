# KVM core (kvmcore helper): the ioctl layer, guest RAM and the vCPU loop.
libvmboot_a_SOURCES += \
	src/machine/kvm.c src/machine/kvm.h \
	src/machine/ram.c src/machine/ram.h \
	src/machine/vcpu.c src/machine/vcpu.h
