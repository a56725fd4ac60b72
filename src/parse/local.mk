# src/parse: sources of this subsystem
