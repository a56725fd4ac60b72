include tests/parse/frontend.mk
