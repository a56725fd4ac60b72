# Benchmarks are scripts (bench/run runs them all); listed for the tarball.
EXTRA_DIST += bench/run bench/check.sh bench/9p.sh bench/blk.sh bench/readbench.h \
	bench/boot/run bench/boot/inner.sh bench/nested-io bench/nested-io.d/inner.sh \
	bench/nested-io.d/guest.sh

# The benchmarks' programs. `make check` builds every one (a benchmark
# that no longer compiles fails the tests, not its next run) and runs
# none. The scripts build theirs here (make bench/NAME in the build), but
# two: bench/nested-io links its guest's load statically with cc, and
# bench/check.sh, given only a vmboot binary, compiles its meter with cc.
check_PROGRAMS += bench/9p_read bench/9p_virtq bench/blk_io bench/cputime \
	bench/boot/bootbench bench/nested-io.d/ioload

# bench/9p.sh: the 9P server without a transport, then through the
# virtqueue with the in-process test driver, as the unit tests link it.
bench_9p_read_SOURCES = bench/9p_read.c bench/readbench.h
bench_9p_read_LDADD = $(VB_LIBS)
bench_9p_virtq_SOURCES = bench/9p_virtq.c bench/readbench.h tests/virtio/driver.c tests/virtio/driver.h
bench_9p_virtq_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/tests/virtio
bench_9p_virtq_LDADD = $(VB_LIBS)
# bench/blk.sh: virtio-blk driven in process against pread/pwrite.
bench_blk_io_SOURCES = bench/blk_io.c tests/virtio/driver.c tests/virtio/driver.h
bench_blk_io_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/tests/virtio
bench_blk_io_LDADD = $(VB_LIBS)
# Standalone (no project header, no project define, as the two scripts
# compile theirs): bench/check.sh's CPU-time meter, bench/boot's driver
# and bench/nested-io's guest load.
bench_cputime_SOURCES = bench/cputime.c
bench_cputime_CPPFLAGS =
bench_boot_bootbench_SOURCES = bench/boot/bootbench.c
bench_boot_bootbench_CPPFLAGS =
bench_nested_io_d_ioload_SOURCES = bench/nested-io.d/ioload.c
bench_nested_io_d_ioload_CPPFLAGS =
