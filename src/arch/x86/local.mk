# src/arch/x86: sources of this subsystem
