/*
 * Mode session: command lines on stdin, one result line each on stdout, in
 * order. A command either replies at once or leaves a wait (struct
 * probe_wait) that an event or its timeout completes; later lines stay
 * queued until then. Also the reply path every command uses (cmd_reply(),
 * which one-shot runs reroute) and the quit command.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "probe.h"

static void session_run_queue(struct probe *p);

/*
 * The result line of a command: on stdout in a session; in a one-shot run it
 * decides the exit status (see oneshot_result()), and during the dry run
 * that checks one-shot arguments only the first error is kept.
 */
void cmd_reply(struct probe *p, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	char *line = g_strdup_vprintf(fmt, args);
	va_end(args);
	if (!p->oneshot.active) {
		out_line("%s", line);
	} else if (p->oneshot.dry_run) {
		if (p->oneshot.error == NULL && !g_str_has_prefix(line, "ok")) {
			p->oneshot.error = g_strdup(line);
		}
	} else {
		oneshot_result(p, line);
	}
	g_free(line);
}

/* Forgets what the pending command waited for. */
void session_end_wait(struct probe *p) {
	clear_source(&p->wait.timeout_source);
	clear_source(&p->wait.quiet_source);
	p->wait.kind = SESSION_WAIT_NONE;
	p->agent.op = AGENT_OP_NONE;
	g_clear_pointer(&p->agent.text, g_free);
	g_clear_pointer(&p->agent.file, g_free);
}

/* Prints the result of the pending command and resumes the queue. */
void session_complete(struct probe *p, const char *result) {
	session_end_wait(p);
	p->queue.pending = false;
	cmd_reply(p, "%s", result);
	if (!p->oneshot.active) {
		session_run_queue(p);
	}
}

gboolean session_wait_timeout(gpointer data) {
	struct probe *p = data;
	p->wait.timeout_source = 0;
	char *line = NULL;
	switch (p->wait.kind) {
	case SESSION_WAIT_PIXEL: {
		char got[8];
		format_pixel(p, p->wait.pixel.x, p->wait.pixel.y, got);
		line = g_strdup_printf("fail got %s", got);
		break;
	}
	case SESSION_WAIT_FLUSH:
		line = g_strdup("error timeout writing to the inputs channel");
		break;
	case SESSION_WAIT_LEDS: {
		char *leds = format_leds(current_leds(p));
		line = g_strdup_printf("fail %s", leds);
		g_free(leds);
		break;
	}
	case SESSION_WAIT_VOLUME:
		line = volume_line(p, "fail");
		break;
	case SESSION_WAIT_LATENCY:
		line = g_strdup_printf("error timeout after %u samples", p->latency.samples->len);
		break;
	case SESSION_WAIT_AGENT:
	case SESSION_WAIT_RESIZE:
	case SESSION_WAIT_CLIP_GRAB:
	case SESSION_WAIT_CLIP_DATA:
		line = agent_timeout_line(p);
		break;
	case SESSION_WAIT_FILE:
		line = file_timeout_line(p);
		break;
	case SESSION_WAIT_AUDIO_STOP:
		line = g_strdup(p->audio.first_sound_us == 0 ? "fail no sound" : "fail still playing");
		break;
	case SESSION_WAIT_TONE_START:
		line = g_strdup("fail the server did not start recording");
		break;
	case SESSION_WAIT_NONE:
	case SESSION_WAIT_UPDATE:
	case SESSION_WAIT_QUIET:
	case SESSION_WAIT_CURSOR:
	case SESSION_WAIT_AUDIO_TIME:
	case SESSION_WAIT_TONE_SEND:
		line = g_strdup("fail");
		break;
	}
	session_complete(p, line);
	g_free(line);
	return G_SOURCE_REMOVE;
}

static gboolean session_quiet_elapsed(gpointer data) {
	struct probe *p = data;
	p->wait.quiet_source = 0;
	if (p->wait.kind == SESSION_WAIT_LATENCY) {
		latency_send(p);
	} else {
		session_complete(p, "ok");
	}
	return G_SOURCE_REMOVE;
}

void session_arm_quiet(struct probe *p) {
	clear_source(&p->wait.quiet_source);
	p->wait.quiet_source = g_timeout_add(p->wait.quiet_ms, session_quiet_elapsed, p);
}

void session_start_wait(struct probe *p, enum session_wait wait, guint timeout_ms) {
	p->wait.kind = wait;
	p->wait.timeout_source = g_timeout_add(timeout_ms, session_wait_timeout, p);
}

static gboolean session_quit_settled(gpointer data) {
	struct probe *p = data;
	p->settle_source = 0;
	probe_finish(p, PROBE_EXIT_OK);
	return G_SOURCE_REMOVE;
}

/* Ends the session; input sent in it first gets time to reach the server. */
static void session_quit(struct probe *p) {
	if (p->queue.quitting) {
		return;
	}
	p->queue.quitting = true;
	if (p->sent_input) {
		p->settle_source = g_timeout_add(INPUT_SETTLE_MS, session_quit_settled, p);
	} else {
		probe_finish(p, PROBE_EXIT_OK);
	}
}

static enum cmd_result cmd_quit(struct probe *p, int argc, char **argv) {
	out_line("ok");
	session_quit(p);
	return CMD_DONE;
}

static const struct session_cmd cmds[] = {
	{"quit", "", 0, 0, false, cmd_quit, 0},
};

const struct probe_cmd_table probe_session_cmds = {cmds, G_N_ELEMENTS(cmds)};

/*
 * Session commands, one table per module. argv[0] is the command name; argc
 * counts it. Commands with needs_primary get "error no primary surface"
 * while the primary is being re-created. A command either prints exactly one
 * result line and returns CMD_DONE, or returns CMD_PENDING and later calls
 * session_complete() exactly once; later lines stay queued until then.
 * Commands with CMD_INPUTS get "error inputs channel not ready" until the
 * inputs channel is linked and has sent its initial LED state.
 *
 * CMD_CLI commands also run one-shot from the command line. They print their
 * result with cmd_reply() and must stand a dry run (p->oneshot.dry_run):
 * check the arguments, reply an error if they are bad, and return before
 * touching any channel.
 *
 * Agent commands (resize, clipboard get/set) wait for the agent within their
 * timeout: see agent_op_begin().
 */
static const struct probe_cmd_table *const cmd_tables[] = {
	&probe_display_cmds, &probe_session_cmds, &probe_input_cmds, &probe_audio_cmds,
	&probe_cursor_cmds, &probe_latency_cmds, &probe_agent_cmds, &probe_file_cmds,
	&probe_clipboard_cmds,
};

/* The command called name that has all of flags, or NULL. */
static const struct session_cmd *find_cmd(const char *name, unsigned flags) {
	for (size_t t = 0; t < G_N_ELEMENTS(cmd_tables); t++) {
		for (size_t i = 0; i < cmd_tables[t]->count; i++) {
			const struct session_cmd *cmd = &cmd_tables[t]->cmds[i];
			if ((cmd->flags & flags) == flags && strcmp(name, cmd->name) == 0) {
				return cmd;
			}
		}
	}
	return NULL;
}

const struct session_cmd *find_cli_cmd(const char *name) {
	return find_cmd(name, CMD_CLI);
}

/*
 * The argument of a CMD_RAW command: the rest of the line after its name and
 * one blank, spaces and tabs included. A CR left by CRLF line ends is dropped.
 */
static char *raw_argument(const char *line, const char *name) {
	char *rest = g_strdup(line);
	size_t len = strlen(rest);
	if (len > 0 && rest[len - 1] == '\r') {
		rest[len - 1] = '\0';
	}
	const char *at = rest;
	while (g_ascii_isspace(*at)) {
		at++;
	}
	at += strlen(name); /* argv[0] matched the name, so the line starts with it */
	if (*at == ' ' || *at == '\t') {
		at++;
	}
	char *arg = g_strdup(at);
	g_free(rest);
	return arg;
}

static enum cmd_result session_dispatch(struct probe *p, char *line) {
	char *raw_line = g_strdup(line);
	char **argv = g_strsplit_set(g_strstrip(line), " \t", -1);
	/* Drop empty tokens from repeated separators. */
	int argc = 0;
	for (int i = 0; argv[i] != NULL; i++) {
		if (argv[i][0] != '\0') {
			argv[argc++] = argv[i];
		} else {
			g_free(argv[i]);
		}
	}
	argv[argc] = NULL;

	enum cmd_result res = CMD_DONE;
	const struct session_cmd *cmd = argc > 0 ? find_cmd(argv[0], 0) : NULL;
	if (cmd != NULL && (cmd->flags & CMD_RAW) != 0) {
		char *arg = raw_argument(raw_line, cmd->name);
		g_strfreev(argv);
		argv = g_new0(char *, 3);
		argv[0] = g_strdup(cmd->name);
		argc = 1;
		if (arg[0] != '\0') {
			argv[argc++] = arg;
		} else {
			g_free(arg);
		}
	}
	g_free(raw_line);
	if (argc == 0) {
		/* blank line: not a command, no reply */
	} else if (cmd == NULL) {
		out_line("error unknown command");
	} else if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		out_line("error usage: %s%s%s", cmd->name, cmd->args[0] != '\0' ? " " : "",
			cmd->args);
	} else if (cmd->needs_primary && !p->primary.exists) {
		out_line("error no primary surface");
	} else if ((cmd->flags & CMD_INPUTS) != 0 && !inputs_ready(p)) {
		out_line("error inputs channel not ready");
	} else {
		probe_log(p, "session: %s", line);
		res = cmd->run(p, argc, argv);
	}
	g_strfreev(argv);
	return res;
}

/* Runs queued commands in order until one is pending or the queue is empty. */
static void session_run_queue(struct probe *p) {
	if (p->queue.running) {
		return;
	}
	p->queue.running = true;
	while (!p->finished && !p->queue.quitting && p->connected && !p->queue.pending &&
			!p->queue.awaiting_inputs && !g_queue_is_empty(p->queue.lines)) {
		char *line = g_queue_pop_head(p->queue.lines);
		if (session_dispatch(p, line) == CMD_PENDING) {
			p->queue.pending = true;
		}
		g_free(line);
	}
	p->queue.running = false;
	if (!p->finished && p->queue.stdin_eof && p->connected && !p->queue.pending &&
			g_queue_is_empty(p->queue.lines)) {
		session_quit(p);
	}
}

static gboolean session_stdin_ready(GIOChannel *ch, GIOCondition cond, gpointer data) {
	struct probe *p = data;
	char buf[4096];
	gsize n = 0;
	GError *error = NULL;
	/* Unbuffered channel: exactly one read(2), which poll said won't block. */
	GIOStatus status = g_io_channel_read_chars(ch, buf, sizeof(buf), &n, &error);
	if (status == G_IO_STATUS_AGAIN) {
		return G_SOURCE_CONTINUE;
	}
	if (status == G_IO_STATUS_ERROR) {
		probe_log(p, "stdin: %s", error->message);
		g_clear_error(&error);
	}
	if (status == G_IO_STATUS_NORMAL && n > 0) {
		g_string_append_len(p->queue.stdin_buf, buf, (gssize)n);
		char *nl;
		while ((nl = memchr(p->queue.stdin_buf->str, '\n', p->queue.stdin_buf->len)) != NULL) {
			gsize len = (gsize)(nl - p->queue.stdin_buf->str);
			g_queue_push_tail(p->queue.lines, g_strndup(p->queue.stdin_buf->str, len));
			g_string_erase(p->queue.stdin_buf, 0, (gssize)len + 1);
		}
		session_run_queue(p);
		return G_SOURCE_CONTINUE;
	}
	/* EOF or error: run what is left (including an unterminated line), then exit. */
	if (p->queue.stdin_buf->len > 0) {
		g_queue_push_tail(p->queue.lines, g_strdup(p->queue.stdin_buf->str));
		g_string_truncate(p->queue.stdin_buf, 0);
	}
	p->queue.stdin_eof = true;
	p->queue.stdin_source = 0;
	session_run_queue(p);
	return G_SOURCE_REMOVE;
}

/* How long "connected" waits for the inputs channel before going without. */
#define INPUTS_GRACE_MS 3000

void session_announce(struct probe *p) {
	p->queue.awaiting_inputs = false;
	clear_source(&p->queue.inputs_grace_source);
	out_line("connected %dx%d", p->primary.width, p->primary.height);
	session_run_queue(p);
}

static gboolean session_inputs_grace(gpointer data) {
	struct probe *p = data;
	p->queue.inputs_grace_source = 0;
	session_announce(p);
	return G_SOURCE_REMOVE;
}

/*
 * "connected" promises that input commands work at once, so it waits for
 * the inputs channel too (a server without one gets a short grace period).
 */
static void session_connected(struct probe *p) {
	if (inputs_ready(p)) {
		session_announce(p);
		return;
	}
	p->queue.awaiting_inputs = true;
	p->queue.inputs_grace_source = g_timeout_add(INPUTS_GRACE_MS, session_inputs_grace, p);
}

void session_update(struct probe *p, bool primary_changed) {
	switch (p->wait.kind) {
	case SESSION_WAIT_NONE:
		break;
	case SESSION_WAIT_PIXEL:
		if (pixel_matches(p, &p->wait.pixel)) {
			session_complete(p, "ok");
		}
		break;
	case SESSION_WAIT_UPDATE:
		session_complete(p, "ok");
		break;
	case SESSION_WAIT_QUIET:
		session_arm_quiet(p);
		break;
	case SESSION_WAIT_LATENCY:
		latency_update(p);
		break;
	case SESSION_WAIT_RESIZE:
		if (primary_changed && resize_answered(p)) {
			char *line = g_strdup_printf("ok %d %d", p->primary.width, p->primary.height);
			session_complete(p, line);
			g_free(line);
		}
		break;
	case SESSION_WAIT_FLUSH:
	case SESSION_WAIT_LEDS:
	case SESSION_WAIT_VOLUME:
	case SESSION_WAIT_CURSOR:
	case SESSION_WAIT_AGENT:
	case SESSION_WAIT_CLIP_GRAB:
	case SESSION_WAIT_CLIP_DATA:
	case SESSION_WAIT_AUDIO_TIME:
	case SESSION_WAIT_AUDIO_STOP:
	case SESSION_WAIT_TONE_START:
	case SESSION_WAIT_TONE_SEND:
	case SESSION_WAIT_FILE:
		break;
	}
}

static bool session_parse(struct probe *p, int argc, char **argv) {
	if (argc != 0) {
		return false;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	p->queue.lines = g_queue_new();
	p->queue.stdin_buf = g_string_new(NULL);
	p->queue.stdin_channel = g_io_channel_unix_new(STDIN_FILENO);
	g_io_channel_set_encoding(p->queue.stdin_channel, NULL, NULL);
	g_io_channel_set_buffered(p->queue.stdin_channel, FALSE);
	p->queue.stdin_source = g_io_add_watch(p->queue.stdin_channel, G_IO_IN | G_IO_HUP | G_IO_ERR,
		session_stdin_ready, p);
	return true;
}

const struct probe_mode probe_session_mode = {
	"session", session_parse, session_connected, session_update, false, true,
};
