/* Messages for people on standard error: "vmboot: error: WHY", one line
 * each.
 *
 * Under systemd, when standard error is connected to the journal, each
 * line starts with the sd-daemon priority prefix ("<3>" error, "<4>"
 * warning, "<5>" note, "<6>" info, "<7>" debug: sd-daemon(3)), which
 * journald strips and records as the entry's priority. Standard error is
 * the journal when $JOURNAL_STREAM holds its device and inode numbers,
 * "DEV:INO" in decimal (systemd.exec(5)); checking both, not just that
 * the variable is set, keeps the prefixes out of a terminal or file that
 * a child of a service was redirected to. The check is made per message,
 * not once: a detached VM's standard error becomes its log file mid-run
 * (cli.c), and no global state has to be kept.
 *
 * A message with several lines gets the prefix on each, so journald never
 * records an unprefixed continuation at the default priority. */
#ifndef VB_UTIL_LOG_H
#define VB_UTIL_LOG_H

#include <stdbool.h>
#include <stdio.h>

/* The values are syslog's priorities, as the "<N>" prefix spells them. */
enum vb_log_level {
	VB_LOG_ERROR = 3,
	VB_LOG_WARNING = 4,
	VB_LOG_NOTE = 5,
	VB_LOG_INFO = 6,
	VB_LOG_DEBUG = 7,
};

/* Formats the message and writes "vmboot: LEVEL: MESSAGE\n" to stderr
 * (LEVEL "error", "warning" or "note"; info and debug have none), with
 * the priority prefix when stderr is the journal. */
void vb_log(enum vb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same to any stream, the journal decision made by the caller
 * (tests; the diagnostics printer). */
void vb_log_to(FILE *out, bool journal, enum vb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* True when $JOURNAL_STREAM names the file fd is open on. */
bool vb_log_fd_is_journal(int fd);

/* "<3>" ... "<7>" when journal is true, else "". */
const char *vb_log_priority(enum vb_log_level level, bool journal);

#endif
