/* The command line never guesses (issue #10): every flag is refused by the
 * commands that do not take it, one-dash long options are refused with the
 * two-dash spelling, glued short options keep working, mistyped commands
 * get a suggestion, and the help lists each flag once in 80 columns. The
 * flag table drives these tests, so a new flag is covered as it is added. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "parse/merge.h"

static const enum vb_command all_commands[] = {
	VB_CMD_RUN, VB_CMD_CHECK, VB_CMD_PLAN, VB_CMD_HELP, VB_CMD_VERSION,
	VB_CMD_KERNEL_CHECK, VB_CMD_LIST, VB_CMD_STOP, VB_CMD_PAUSE, VB_CMD_RESUME,
	VB_CMD_STAT, VB_CMD_DEBUG, VB_CMD_BALLOON, VB_CMD_CONSOLE, VB_CMD_SCHEMA,
};
#define N_ALL (sizeof(all_commands) / sizeof(all_commands[0]))

/* Parses the words after "vmboot"; returns the status, the message in err.
 * The words are copied: like argv's, they are writable (the flag parsers
 * split "PATH,SIZE" in place), and they outlive the call (opts borrows). */
static int parse(struct vb_options *opts, struct vb_err *err, const char *const *words)
{
	static char copies[32][256];
	char *argv[32] = { "vmboot" };
	int argc = 1;
	while (words[argc - 1] && argc < 32) {
		snprintf(copies[argc], sizeof(copies[argc]), "%s", words[argc - 1]);
		argv[argc] = copies[argc];
		argc++;
	}
	err->msg[0] = 0;
	return vb_options_parse(argc, argv, opts, err);
}

static void expect_error(const char *const *words, const char *message)
{
	struct vb_options opts;
	struct vb_err err;
	int rc = parse(&opts, &err, words);
	if (rc != -EINVAL || strcmp(err.msg, message))
		fail_msg("%s...: rc %d, \"%s\"; want -EINVAL, \"%s\"", words[0], rc, err.msg,
			 message);
	vb_options_free(&opts);
}

/* A value the flag's parser accepts, from the argument's name in the table. */
static const char *sample_value(const struct vb_flag *f)
{
	static const struct { const char *arg, *value; } samples[] = {
		{ "N", "2" }, { "SIZE", "1M" }, { "MS", "5" }, { "S", "5" },
		{ "conf|yaml", "conf" }, { "serial|virtio|none", "serial" },
		{ "NAME", "vm" }, { "KERNEL", "k" }, { "INITRD", "i" }, { "PARAMS", "quiet" },
		{ "PATH", "p" }, { "PATH[,ro][,queues=N]", "p" }, { "DIR,TAG[,ro]", "d,t" },
		{ "PATH,SIZE[,ADDRESS]", "p,4096" },
		{ "CID", "3" }, { "DIR", "d" }, { "USER", "nobody" },
		{ "MODE[,tap=IF][,mac=MAC][,dhcp=on|off][,forward=SPEC]", "user" },
	};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (!strcmp(f->arg, samples[i].arg))
			return samples[i].value;
	fail_msg("%s %s: add a sample value for this argument to sample_value()", f->long_name,
		 f->arg);
	return NULL;
}

/* vmboot COMMAND FLAG [VALUE] parses exactly when the flag's mask names the
 * command: `vmboot list --force` is an error, not a flag ignored. */
static void test_flags_fit_their_commands(void **state)
{
	(void)state;
	struct vb_flag_table table;
	vb_cli_flags(&table);
	const struct vb_flag *flags = table.flags;
	size_t n = table.count;
	size_t refused = 0, accepted = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vb_flag *f = &flags[i];
		/* General flags are tested below; kvmtool's graphics flags are
		 * refused by every command. */
		if (!f->commands || !strncmp(f->help, "not supported", 13))
			continue;
		for (size_t c = 0; c < N_ALL; c++) {
			const char *cmd = vb_cli_command_name(all_commands[c]);
			const char *words[6] = { cmd };
			size_t w = 1;
			if (!strcmp(f->long_name, "--no-dhcp")) {
				/* It needs a NIC before it; --network has its mask. */
				words[w++] = "--network";
				words[w++] = "user";
			}
			words[w++] = f->long_name;
			if (f->arg)
				words[w++] = sample_value(f);
			struct vb_options opts;
			struct vb_err err;
			int rc = parse(&opts, &err, words);
			bool takes = f->commands & (1u << all_commands[c]);
			char want[256];
			snprintf(want, sizeof(want), "%s does not go with %s",
				 !strcmp(f->long_name, "--no-dhcp") ? "--network" : f->long_name, cmd);
			if (takes && rc)
				fail_msg("vmboot %s %s: refused: %s", cmd, f->long_name, err.msg);
			if (!takes && (rc != -EINVAL || strcmp(err.msg, want)))
				fail_msg("vmboot %s %s: rc %d \"%s\", want \"%s\"", cmd, f->long_name,
					 rc, err.msg, want);
			vb_options_free(&opts);
			refused += !takes;
			accepted += takes;
		}
	}
	assert_true(refused > 200);
	assert_true(accepted > 60);
}

/* Implied run (vmboot FILE) and --check/--plan choose the command the mask
 * is checked against; two commands at once are an error. */
static void test_flags_and_chosen_commands(void **state)
{
	(void)state;
	expect_error((const char *const[]){ "--check", "--detach", "m.conf", NULL },
		     "--detach does not go with check");
	expect_error((const char *const[]){ "m.conf", "--detach", "--plan", NULL },
		     "--detach does not go with plan");
	expect_error((const char *const[]){ "m.conf", "--force", NULL },
		     "--force does not go with run");
	expect_error((const char *const[]){ "--check", "--plan", "m.conf", NULL },
		     "--plan does not go with check");
	expect_error((const char *const[]){ "list", "--check", NULL },
		     "--check does not go with list");
	expect_error((const char *const[]){ "run", "--version", NULL },
		     "--version does not go with run");
	expect_error((const char *const[]){ "version", "x", NULL },
		     "version takes no arguments, got \"x\"");
	expect_error((const char *const[]){ "schema", "m.yaml", NULL },
		     "schema takes no arguments, got \"m.yaml\"");
	expect_error((const char *const[]){ "schema", "--check", NULL },
		     "--check does not go with schema");
	expect_error((const char *const[]){ "help", "stop", "list", NULL },
		     "help takes one command name, got \"list\" too");

	struct vb_options opts;
	struct vb_err err;
	assert_int_equal(parse(&opts, &err, (const char *const[]){ "m.conf", "--plan", "--json",
								    NULL }), 0);
	assert_int_equal(opts.command, VB_CMD_PLAN);
	assert_true(opts.file_first);
	vb_options_free(&opts);
	assert_int_equal(parse(&opts, &err, (const char *const[]){ "check", "--check", "m.conf",
								    NULL }), 0);
	assert_int_equal(opts.command, VB_CMD_CHECK);
	assert_false(opts.file_first);
	vb_options_free(&opts);
}

/* --help after a command asks for that command's help, and wins over the
 * flags the command does not take (the help says which it does). */
static void test_help_topics(void **state)
{
	(void)state;
	static const struct {
		const char *words[5];
		const char *topic;
	} cases[] = {
		{ { "--help" }, NULL },
		{ { "-h" }, NULL },
		{ { "stop", "--help" }, "stop" },
		{ { "--help", "stop" }, "stop" },
		{ { "help", "stop" }, "stop" },
		{ { "list", "--force", "--help" }, "list" },
		{ { "--check", "--help" }, "check" },
		{ { "m.conf", "--help" }, NULL },
		{ { "help", "--help" }, "help" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vb_options opts;
		struct vb_err err;
		assert_int_equal(parse(&opts, &err, cases[i].words), 0);
		assert_int_equal(opts.command, VB_CMD_HELP);
		if (!cases[i].topic)
			assert_null(opts.help_topic);
		else
			assert_string_equal(opts.help_topic, cases[i].topic);
		vb_options_free(&opts);
	}
}

/* -debug-ioport is kvmtool's spelling of --debug-ioport, not -d with
 * "ebug-ioport" glued on. */
static void test_single_dash_long_options(void **state)
{
	(void)state;
	expect_error((const char *const[]){ "-debug-ioport", NULL },
		     "unknown option \"-debug-ioport\"; did you mean \"--debug-ioport\"?");
	expect_error((const char *const[]){ "run", "-vnc", NULL },
		     "unknown option \"-vnc\"; did you mean \"--vnc\"?");
	expect_error((const char *const[]){ "-mem", "512", NULL },
		     "unknown option \"-mem\"; did you mean \"--mem\"?");
	expect_error((const char *const[]){ "-mem=512", NULL },
		     "unknown option \"-mem=512\"; did you mean \"--mem=512\"?");
	expect_error((const char *const[]){ "-cpu", "2", NULL },
		     "unknown option \"-cpu\"; did you mean \"--cpus\"?");
	expect_error((const char *const[]){ "-deb", NULL },
		     "unknown option \"-deb\"; did you mean \"--debug\", \"--debug-single-step\", "
		     "\"--debug-ioport\" or \"--debug-iodelay\"?");
	expect_error((const char *const[]){ "-debug-iopotr", NULL },
		     "unknown option \"-debug-iopotr\"; did you mean \"--debug-ioport\"?");
	expect_error((const char *const[]){ "-host-ram", "8G", NULL },
		     "unknown option \"-host-ram\"; did you mean \"--host-ram\"?");
	expect_error((const char *const[]){ "-x", NULL }, "unknown option \"-x\" (see vmboot --help)");
	expect_error((const char *const[]){ "--chek", NULL },
		     "unknown option \"--chek\"; did you mean \"--check\"?");
}

static const char *override(const struct vb_options *opts, const char *key)
{
	const struct vb_node *n = vb_node_get(opts->overrides, key);
	return n && n->kind == VB_NODE_STRING ? n->string : NULL;
}

/* Glued short options that name no long flag keep their meaning. */
static void test_glued_short_options(void **state)
{
	(void)state;
	struct vb_options opts;
	struct vb_err err;
	assert_int_equal(parse(&opts, &err, (const char *const[]){ "--plan", "-c2", "-m512",
		"-kbzImage", "-proot=/dev/vda1", "-dimg/root.img", "-iinitrd", NULL }), 0);
	const struct vb_node *cpus = vb_node_get(opts.overrides, "cpus");
	assert_non_null(cpus);
	assert_int_equal(cpus->integer, 2);
	assert_string_equal(override(&opts, "memory"), "512");
	assert_string_equal(override(&opts, "kernel"), "bzImage");
	assert_string_equal(override(&opts, "params"), "root=/dev/vda1");
	assert_string_equal(override(&opts, "initrd"), "initrd");
	const struct vb_node *devices = vb_node_get(opts.overrides, "devices");
	assert_non_null(devices);
	assert_int_equal(devices->n_items, 1);
	assert_string_equal(vb_node_get(devices->items[0], "path")->string, "img/root.img");
	vb_options_free(&opts);
}

/* The flags are one more layer over the file's tree (parse/merge.h):
 * -c shadows the file's cpus, -d adds a disk after the file's, and
 * --debug-ioport joins the file's debug section; what a flag put there is
 * located at the flag, what the file did at its line. */
static void test_flags_layer_over_file(void **state)
{
	(void)state;
	static const char text[] = "cpus = 2;\nkernel = \"k\";\n"
				   "debug = { iodelay = 5; };\n"
				   "devices = ( { type = \"disk\"; path = \"root.img\"; } );\n";
	struct vb_options opts;
	struct vb_err err;
	struct vb_diags diags;
	vb_diags_init(&diags);
	assert_int_equal(parse(&opts, &err, (const char *const[]){ "--plan", "-c", "4", "-d",
		"a.img", "--debug-ioport", "m.conf", NULL }), 0);
	struct vb_node *root = vb_parse_conf_buffer("m.conf", text, strlen(text), &diags);
	assert_non_null(root);
	assert_int_equal(vb_layer_merge(root, opts.overrides), 0);

	const struct vb_node *cpus = vb_node_get(root, "cpus");
	assert_int_equal(cpus->integer, 4);
	assert_string_equal(cpus->loc.file, "--cpus");
	const struct vb_node *devices = vb_node_get(root, "devices");
	assert_int_equal(devices->n_items, 2);
	assert_int_equal(devices->items[0]->loc.line, 4);
	assert_string_equal(vb_node_get(devices->items[1], "path")->string, "a.img");
	assert_string_equal(devices->items[1]->loc.file, "--disk");
	const struct vb_node *debug = vb_node_get(root, "debug");
	assert_int_equal(vb_node_get(debug, "iodelay")->loc.line, 3);
	assert_true(vb_node_get(debug, "ioport")->boolean);
	assert_string_equal(vb_node_get(debug, "ioport")->loc.file, "--debug-ioport");
	vb_node_free(root);
	vb_diags_free(&diags);
	vb_options_free(&opts);
}

/* The device types' flags (parse/devtype.h) write their type's keys, each
 * node located at its flag; --no-dhcp changes the NIC given before it. */
static void test_device_flags(void **state)
{
	(void)state;
	struct vb_options opts;
	struct vb_err err;
	assert_int_equal(parse(&opts, &err, (const char *const[]){ "--plan", "-d", "img,ro,queues=4",
		"-n", "tap,tap=t0,forward=tcp::1-:2", "--no-dhcp", "--9p", "d,t,ro",
		"--shmem", "/x,1M,0x1000", "--balloon", "--rng", NULL }), 0);
	const struct vb_node *devices = vb_node_get(opts.overrides, "devices");
	assert_non_null(devices);
	assert_int_equal(devices->n_items, 6);
	static const char *const types[] = { "disk", "net", "9p", "shmem", "balloon", "rng" };
	static const char *const flags[] = { "--disk", "--network", "--9p", "--shmem", "--balloon",
					     "--rng" };
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(vb_node_get(devices->items[i], "type")->string, types[i]);
		assert_string_equal(devices->items[i]->loc.file, flags[i]);
	}
	const struct vb_node *disk = devices->items[0], *nic = devices->items[1];
	assert_string_equal(vb_node_get(disk, "path")->string, "img");
	assert_true(vb_node_get(disk, "readonly")->boolean);
	assert_int_equal(vb_node_get(disk, "queues")->integer, 4);
	assert_string_equal(vb_node_get(disk, "queues")->loc.file, "--disk");
	assert_string_equal(vb_node_get(nic, "mode")->string, "tap");
	assert_string_equal(vb_node_get(nic, "tap")->string, "t0");
	assert_int_equal(vb_node_get(nic, "forward")->n_items, 1);
	assert_false(vb_node_get(nic, "dhcp")->boolean);
	assert_string_equal(vb_node_get(nic, "dhcp")->loc.file, "--no-dhcp");
	assert_string_equal(vb_node_get(devices->items[2], "tag")->string, "t");
	assert_int_equal(vb_node_get(devices->items[3], "address")->integer, 0x1000);
	vb_options_free(&opts);

	expect_error((const char *const[]){ "--plan", "--no-dhcp", NULL },
		     "--no-dhcp: must follow a --network");
	expect_error((const char *const[]){ "--plan", "-d", "img,rw", NULL },
		     "--disk: unknown option \"rw\" (\"ro\" or \"queues=N\")");
	expect_error((const char *const[]){ "--plan", "-d", "img,queues=2x", NULL },
		     "--disk: queues=2x: not a number");
	expect_error((const char *const[]){ "--plan", "-d", "img,queues=", NULL },
		     "--disk: queues=: not a number");
	expect_error((const char *const[]){ "--plan", "--9p", "dir", NULL },
		     "--9p: expected DIR,TAG[,ro]");
	expect_error((const char *const[]){ "--plan", "--shmem", "/x,1M,zz", NULL },
		     "--shmem: \"zz\" is not an address");
	expect_error((const char *const[]){ "--plan", "-n", "bogus", NULL },
		     "--network: unknown option \"bogus\" (expected user, tap, tap=IF, mac=MAC, dhcp=on|off, forward=SPEC, vhost=on|off)");
}

/* Device flags come from the registry, after --params, in its order. */
static void test_device_flags_in_table(void **state)
{
	(void)state;
	struct vb_flag_table t;
	vb_cli_flags(&t);
	assert_true(t.count + 16 < VB_CLI_MAX_FLAGS); /* room for more devices */
	size_t params = t.count, disk = t.count, shmem = t.count, console = t.count;
	for (size_t i = 0; i < t.count; i++) {
		const char *name = t.flags[i].long_name;
		params = !strcmp(name, "--params") ? i : params;
		disk = !strcmp(name, "--disk") ? i : disk;
		shmem = !strcmp(name, "--shmem") ? i : shmem;
		console = !strcmp(name, "--console") ? i : console;
	}
	assert_int_equal(disk, params + 1);
	assert_true(disk < shmem && shmem < console);
	assert_int_equal(t.flags[disk].short_name, 'd');
	assert_int_equal(t.flags[disk].commands, VB_IN_MACHINE);
}

static void test_closest_command(void **state)
{
	(void)state;
	assert_string_equal(vb_cli_closest_command("lst"), "list");
	assert_string_equal(vb_cli_closest_command("stpo"), "stop");   /* a swap is one slip */
	assert_string_equal(vb_cli_closest_command("plna"), "plan");
	assert_string_equal(vb_cli_closest_command("kernelcheck"), "kernel-check");
	assert_string_equal(vb_cli_closest_command("consle"), "console");
	assert_null(vb_cli_closest_command("foo"));
	assert_null(vb_cli_closest_command("web.conf"));
	assert_null(vb_cli_closest_command("machines/debian.yaml"));
	enum vb_command c;
	assert_true(vb_cli_command_find("kernel-check", &c));
	assert_int_equal(c, VB_CMD_KERNEL_CHECK);
	assert_false(vb_cli_command_find("lst", &c));
}

/* ---- help ---------------------------------------------------------------- */

static char *help_text(const char *topic)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(vb_cli_print_help(topic, out), 0);
	fclose(out);
	return text;
}

static void expect_narrow(const char *text, const char *what)
{
	size_t line = 1;
	for (const char *p = text; *p; line++) {
		size_t len = strcspn(p, "\n");
		if (len > 80)
			fail_msg("%s: line %zu is %zu columns: %.*s", what, line, len, (int)len, p);
		p += len + (p[len] == '\n');
	}
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Whole-word occurrences of name: --debug is not counted in --debug-ioport. */
static size_t count_word(const char *text, const char *name)
{
	size_t n = 0, len = strlen(name);
	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
		if ((p == text || !is_name_char(p[-1])) && !is_name_char(p[len]))
			n++;
	return n;
}

/* Lines that are entries for the flag: "  -c, --cpus N ..." or "      --tty ...". */
static size_t count_entries(const char *text, const char *name)
{
	size_t n = 0, len = strlen(name);
	for (const char *p = text; *p;) {
		const char *at = p + strspn(p, " ");
		if (at[0] == '-' && at[1] != '-' && at[2] == ',')
			at += 3 + strspn(at + 3, " ");
		if (at > p && !strncmp(at, name, len) && (at[len] == ' ' || at[len] == '\n'))
			n++;
		p += strcspn(p, "\n");
		p += *p == '\n';
	}
	return n;
}

static void test_whole_help(void **state)
{
	(void)state;
	struct vb_flag_table table;
	vb_cli_flags(&table);
	const struct vb_flag *flags = table.flags;
	size_t n = table.count;
	char *text = help_text(NULL);
	expect_narrow(text, "vmboot --help");
	for (size_t i = 0; i < n; i++) {
		if (count_entries(text, flags[i].long_name) != 1)
			fail_msg("vmboot --help: %zu entries for %s, want 1",
				 count_entries(text, flags[i].long_name), flags[i].long_name);
		if (count_word(text, flags[i].long_name) != 1)
			fail_msg("vmboot --help: %s appears %zu times, want once", flags[i].long_name,
				 count_word(text, flags[i].long_name));
	}
	for (size_t c = 0; c < N_ALL; c++) {
		char entry[64];
		snprintf(entry, sizeof(entry), "\n  %s ", vb_cli_command_name(all_commands[c]));
		if (!strstr(text, entry))
			fail_msg("vmboot --help: command %s is not listed",
				 vb_cli_command_name(all_commands[c]));
	}
	free(text);
}

/* vmboot COMMAND --help: that command's usage and exactly its flags. */
static void test_command_help(void **state)
{
	(void)state;
	struct vb_flag_table table;
	vb_cli_flags(&table);
	const struct vb_flag *flags = table.flags;
	size_t n = table.count;
	char *whole = help_text(NULL);
	for (size_t c = 0; c < N_ALL; c++) {
		const char *name = vb_cli_command_name(all_commands[c]);
		char *text = help_text(name);
		char what[64], usage[64];
		snprintf(what, sizeof(what), "vmboot %s --help", name);
		expect_narrow(text, what);
		snprintf(usage, sizeof(usage), "Usage: vmboot %s", name);
		if (strncmp(text, usage, strlen(usage)) &&
		    !(all_commands[c] == VB_CMD_RUN && !strncmp(text, "Usage: vmboot [run]", 19)))
			fail_msg("%s: does not start with \"%s\": %.60s", what, usage, text);
		assert_true(strlen(text) < strlen(whole) * 2 / 3);
		for (size_t i = 0; i < n; i++) {
			bool takes = (flags[i].commands & (1u << all_commands[c])) ||
				     !strcmp(flags[i].long_name, "--help");
			size_t entries = count_entries(text, flags[i].long_name);
			if (entries != (takes ? 1u : 0u))
				fail_msg("%s: %zu entries for %s, want %d", what, entries,
					 flags[i].long_name, takes);
		}
		free(text);
	}
	free(whole);

	FILE *out = fopen("/dev/null", "w");
	assert_non_null(out);
	assert_int_equal(vb_cli_print_help("lst", out), 2);
	fclose(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_fit_their_commands),
		cmocka_unit_test(test_flags_and_chosen_commands),
		cmocka_unit_test(test_help_topics),
		cmocka_unit_test(test_single_dash_long_options),
		cmocka_unit_test(test_glued_short_options),
		cmocka_unit_test(test_flags_layer_over_file),
		cmocka_unit_test(test_device_flags),
		cmocka_unit_test(test_device_flags_in_table),
		cmocka_unit_test(test_closest_command),
		cmocka_unit_test(test_whole_help),
		cmocka_unit_test(test_command_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
