# tests/bench: make check builds every benchmark's program.
TESTS += tests/bench/test_bench_programs.sh
EXTRA_DIST += tests/bench/test_bench_programs.sh
