#include "util/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A message longer than this is cut: it is for a person to read. */
#define LOG_MESSAGE_BYTES 2048

bool vb_log_fd_is_journal(int fd)
{
	const char *value = getenv("JOURNAL_STREAM");
	if (!value || !*value)
		return false;
	char *end;
	errno = 0;
	uintmax_t dev = strtoumax(value, &end, 10);
	if (errno || end == value || *end != ':')
		return false;
	const char *ino_text = end + 1;
	uintmax_t ino = strtoumax(ino_text, &end, 10);
	if (errno || end == ino_text || *end)
		return false;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

const char *vb_log_priority(enum vb_log_level level, bool journal)
{
	static const char *const prefixes[] = { "<0>", "<1>", "<2>", "<3>",
						"<4>", "<5>", "<6>", "<7>" };
	if (!journal)
		return "";
	return (unsigned)level < 8 ? prefixes[level] : prefixes[VB_LOG_INFO];
}

static const char *level_word(enum vb_log_level level)
{
	switch (level) {
	case VB_LOG_ERROR: return "error: ";
	case VB_LOG_WARNING: return "warning: ";
	case VB_LOG_NOTE: return "note: ";
	default: return "";
	}
}

__attribute__((format(printf, 4, 0)))
static void vlog(FILE *out, bool journal, enum vb_log_level level, const char *fmt, va_list ap)
{
	char msg[LOG_MESSAGE_BYTES];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	const char *priority = vb_log_priority(level, journal);
	const char *word = level_word(level);
	/* One fprintf per line: stderr is unbuffered, and a line written
	 * whole is not interleaved with another thread's. */
	for (char *line = msg;;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		fprintf(out, "%svmboot: %s%s\n", priority, word, line);
		if (!nl || !nl[1])
			break;
		line = nl + 1;
	}
}

void vb_log_to(FILE *out, bool journal, enum vb_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(out, journal, level, fmt, ap);
	va_end(ap);
}

void vb_log(enum vb_log_level level, const char *fmt, ...)
{
	/* Logging must not change errno for the caller (fstat may set it). */
	int saved = errno;
	bool journal = vb_log_fd_is_journal(STDERR_FILENO);
	va_list ap;
	va_start(ap, fmt);
	vlog(stderr, journal, level, fmt, ap);
	va_end(ap);
	errno = saved;
}
