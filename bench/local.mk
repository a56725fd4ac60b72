# Benchmarks are scripts (bench/run runs them all); listed for the tarball.
EXTRA_DIST += bench/run bench/check.sh bench/cputime.c bench/9p.sh bench/9p_read.c \
	bench/boot/run bench/boot/inner.sh bench/boot/bootbench.c
EXTRA_DIST += bench/blk.sh bench/blk_io.c
