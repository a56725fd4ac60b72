# KVM core (kvmcore helper)
