include src/parse/frontend.mk
