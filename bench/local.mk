EXTRA_DIST += bench/run bench/check.sh bench/cputime.c
