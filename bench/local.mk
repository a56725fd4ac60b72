# Benchmarks are scripts (bench/run runs them all); listed for the tarball.
EXTRA_DIST += bench/run bench/check.sh bench/cputime.c bench/9p.sh bench/9p_read.c bench/readbench.h \
	bench/boot/run bench/boot/inner.sh bench/boot/bootbench.c
EXTRA_DIST += bench/blk.sh bench/blk_io.c
EXTRA_DIST += bench/nested-io bench/nested-io.d/inner.sh bench/nested-io.d/guest.sh \
	bench/nested-io.d/ioload.c

# bench/9p.sh's virtqueue mode: built on request (make bench/9p_virtq) with
# the in-process test driver, so it links what the unit tests link.
EXTRA_PROGRAMS = bench/9p_virtq
bench_9p_virtq_SOURCES = bench/9p_virtq.c bench/readbench.h tests/virtio/driver.c tests/virtio/driver.h
bench_9p_virtq_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/tests/virtio
bench_9p_virtq_LDADD = $(VB_LIBS)
CLEANFILES += bench/9p_virtq
