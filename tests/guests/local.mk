# tests/guests
