# tests/nested
