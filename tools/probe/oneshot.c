/*
 * One session command run from the command line (spice-wl-probe key 1e):
 * its arguments are checked by a dry run before connecting, it runs once
 * the display (and, if it needs it, the inputs channel) is ready, and its
 * result line decides the exit status.
 */
#include <stdio.h>
#include <string.h>
#include "probe.h"

static gboolean oneshot_settled(gpointer data) {
	struct probe *p = data;
	p->settle_source = 0;
	out_line("%s", p->oneshot.line);
	probe_finish(p, PROBE_EXIT_OK);
	return G_SOURCE_REMOVE;
}

static gboolean oneshot_held(gpointer data) {
	struct probe *p = data;
	p->settle_source = 0;
	probe_log(p, "served %u clipboard request(s)", p->clip.served);
	probe_finish(p, PROBE_EXIT_OK);
	return G_SOURCE_REMOVE;
}

/*
 * The command's result line: "error ..." goes to stderr and exits 2 (usage),
 * 3 (timeout) or 1; "fail ..." is printed and exits 1; anything else is
 * printed and exits 0, for commands that sent input only after it had time
 * to reach the server, and for clipboard set after --hold (serving the
 * agent's requests meanwhile).
 */
void oneshot_result(struct probe *p, const char *line) {
	const char *name = p->oneshot.cmd->name;
	if (g_str_has_prefix(line, "error ")) {
		const char *msg = line + strlen("error ");
		fprintf(stderr, PROBE_NAME ": %s: %s\n", name, msg);
		if (g_str_has_prefix(msg, "usage:")) {
			probe_finish(p, PROBE_EXIT_USAGE);
		} else if (g_str_has_prefix(msg, "timeout")) {
			probe_finish(p, PROBE_EXIT_TIMEOUT);
		} else {
			probe_finish(p, PROBE_EXIT_FAIL);
		}
	} else if (g_str_has_prefix(line, "fail")) {
		out_line("%s", line);
		probe_finish(p, PROBE_EXIT_FAIL);
	} else if (p->oneshot.hold) {
		/* clipboard set: serve the agent's requests for a while. */
		out_line("%s", line);
		clear_source(&p->settle_source);
		p->settle_source = g_timeout_add(MAX(p->oneshot.hold_ms, INPUT_SETTLE_MS),
			oneshot_held, p);
	} else if ((p->oneshot.cmd->flags & CMD_SENDS) != 0) {
		/* Written to the socket; give the server time to read it before we hang up. */
		p->oneshot.line = g_strdup(line);
		clear_source(&p->settle_source);
		p->settle_source = g_timeout_add(INPUT_SETTLE_MS, oneshot_settled, p);
	} else {
		out_line("%s", line);
		probe_finish(p, PROBE_EXIT_OK);
	}
}

/* Runs the command once the display is ready and, if needed, the inputs channel. */
void oneshot_try_start(struct probe *p) {
	const struct session_cmd *cmd = p->oneshot.cmd;
	if (p->oneshot.started || p->finished || !p->connected) {
		return;
	}
	if ((cmd->flags & CMD_INPUTS) != 0 && !inputs_ready(p)) {
		return;
	}
	p->oneshot.started = true;
	clear_source(&p->deadline_source); /* the command's own timeouts apply now */
	probe_log(p, "running %s", cmd->name);
	if (cmd->run(p, p->oneshot.argc, p->oneshot.argv) == CMD_PENDING) {
		p->queue.pending = true;
	}
}

static void oneshot_connected(struct probe *p) {
	oneshot_try_start(p);
}

/* Checks the arguments with a dry run, so bad ones fail before connecting. */
static bool oneshot_parse(struct probe *p, int argc, char **argv) {
	const struct session_cmd *cmd = p->oneshot.cmd;
	if (argc < cmd->min_args || argc > cmd->max_args) {
		fprintf(stderr, PROBE_NAME ": usage: %s%s%s\n", cmd->name,
			cmd->args[0] != '\0' ? " " : "", cmd->args);
		return false;
	}
	p->oneshot.active = true;
	p->oneshot.argc = argc + 1;
	p->oneshot.argv = g_new0(char *, (size_t)argc + 2);
	p->oneshot.argv[0] = (char *)cmd->name;
	for (int i = 0; i < argc; i++) {
		p->oneshot.argv[i + 1] = argv[i];
	}
	p->oneshot.dry_run = true;
	cmd->run(p, p->oneshot.argc, p->oneshot.argv);
	p->oneshot.dry_run = false;
	if (p->oneshot.error != NULL) {
		const char *msg = p->oneshot.error;
		if (g_str_has_prefix(msg, "error ")) {
			msg += strlen("error ");
		}
		fprintf(stderr, PROBE_NAME ": %s: %s\n", cmd->name, msg);
		return false;
	}
	return true;
}

const struct probe_mode probe_oneshot_mode = {
	"oneshot", oneshot_parse, oneshot_connected, session_update, true, false,
};
