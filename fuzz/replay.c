/* A main() for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named on the command line.
 *
 * `fuzz/run --replay TARGET` builds a target with it and the ordinary
 * compiler, so `make check` (tests/fuzz/test_replay.sh) proves every
 * target still links against the sources its row in fuzz/run names and
 * still accepts its corpus, on machines without clang's libFuzzer. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's -max_len in fuzz/run. */
#define MAX_INPUT_BYTES 8192

static int replay_file(const char *path)
{
	uint8_t buf[MAX_INPUT_BYTES];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t used = 0;
	ssize_t n;
	while (used < sizeof(buf) && (n = read(fd, buf + used, sizeof(buf) - used)) > 0)
		used += (size_t)n;
	close(fd);
	LLVMFuzzerTestOneInput(buf, used);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++)
		failed |= replay_file(argv[i]) != 0;
	printf("replay: %d inputs\n", argc - 1);
	return failed;
}
