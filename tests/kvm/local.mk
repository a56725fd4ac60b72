# tests/kvm
