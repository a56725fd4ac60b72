# tests/arch/x86
