# tests/dev
