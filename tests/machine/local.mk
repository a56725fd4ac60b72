# tests/machine
