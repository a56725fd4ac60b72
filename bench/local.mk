# bench: sources of this subsystem
