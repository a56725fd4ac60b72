libvmboot_a_SOURCES += \
	src/machine/machine.h src/machine/resolve.c src/machine/plan.c \
	src/machine/load.c src/machine/load.h src/machine/acpi.c src/machine/acpi.h \
	src/machine/registry.c src/machine/registry.h src/machine/device_types.def
include src/machine/kvm.mk
# The builder (vm.c), what a built VM answers (vm_control.c), the host
# end of its console (console.c).
libvmboot_a_SOURCES += src/machine/vm.c src/machine/vm.h src/machine/vm_impl.h \
	src/machine/vm_control.c src/machine/console.c src/machine/console.h
libvmboot_a_SOURCES += src/machine/ioevent.c src/machine/ioevent.h
# MSI routes and irqfds for MSI-X (msi.h).
libvmboot_a_SOURCES += src/machine/msi.c src/machine/msi.h
