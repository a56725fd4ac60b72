# KVM core tests (kvmcore helper)
