# tests/fuzz: every fuzz target (fuzz/run's table) builds and replays its
# seed corpus with the ordinary compiler.
TESTS += tests/fuzz/test_replay.sh
EXTRA_DIST += tests/fuzz/test_replay.sh fuzz/run fuzz/replay.c fuzz/lsan-conf.supp \
	fuzz/fuzz_conf.c fuzz/fuzz_yaml.c fuzz/fuzz_virtq.c fuzz/fuzz_9p.c fuzz/fuzz_blk.c \
	fuzz/fuzz_netd.c \
	fuzz/corpus/conf fuzz/corpus/yaml fuzz/corpus/9p fuzz/corpus/blk fuzz/corpus/netd
