# src/dev: sources of this subsystem
