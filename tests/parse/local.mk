# tests/parse
