# tests/deps: every Debian package the build and the tests read is installed
# by ./dev (pkg-config modules with their Requires and Requires.private,
# headers, libraries, programs, the tests' guarded commands), and README's
# "Building by hand" list is ./dev's build list. Reads ./dev itself, so ./dev
# is distributed.
TESTS += tests/deps/test_packages.sh
EXTRA_DIST += tests/deps/test_packages.sh dev
