include tests/machine/kvm.mk
