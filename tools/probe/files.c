/*
 * send-file: copy a file to the agent as remote-viewer does for a file
 * dropped on its window, optionally cancelling or dying mid-way.
 */
#include <string.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include "probe.h"

static void file_progress(goffset current, goffset total, gpointer data) {
	struct probe *p = data;
	if (p->file.exit_after >= 0 && current >= p->file.exit_after) {
		/* A client that dies mid-way: no goodbye, no cancel message. */
		probe_log(p, "send-file: exiting after %" G_GINT64_FORMAT " bytes", (gint64)current);
		fflush(stdout);
		_exit(PROBE_EXIT_FAIL);
	}
	if (p->file.cancel != NULL && p->file.cancel_after >= 0 &&
			current >= p->file.cancel_after) {
		probe_log(p, "send-file: cancelling after %" G_GINT64_FORMAT " bytes", (gint64)current);
		g_cancellable_cancel(p->file.cancel);
	}
}

/*
 * send-file ends once both the copy's callback and its task's "finished"
 * signal came (in either order): the task's error says why (e.g. not enough
 * space), the copy's only counts files.
 */
static void file_maybe_done(struct probe *p) {
	if (p->file.waits > 0 || p->wait.kind != SESSION_WAIT_FILE || p->file.cancel == NULL) {
		return;
	}
	g_clear_object(&p->file.cancel);
	char *line = p->file.error == NULL ? g_strdup("ok") :
		g_strdup_printf("fail %s", p->file.error);
	g_clear_pointer(&p->file.error, g_free);
	session_complete(p, line);
	g_free(line);
}

static void on_file_finished(SpiceFileTransferTask *task, GError *error, gpointer data) {
	struct probe *p = data;
	probe_log(p, "send-file: finished: %s", error != NULL ? error->message : "ok");
	if (error != NULL) {
		/* the task's own words win over the copy's count */
		g_free(p->file.error);
		p->file.error = g_strdup(error->message);
	}
	p->file.waits--;
	file_maybe_done(p);
}

static void on_new_file_transfer(SpiceMainChannel *channel, SpiceFileTransferTask *task,
		gpointer data) {
	struct probe *p = data;
	p->file.waits++;
	g_signal_connect(task, "finished", G_CALLBACK(on_file_finished), p);
}

static void file_sent(GObject *source, GAsyncResult *result, gpointer data) {
	struct probe *p = data;
	GError *error = NULL;
	if (!spice_main_channel_file_copy_finish(SPICE_MAIN_CHANNEL(source), result, &error) &&
			p->file.error == NULL) {
		p->file.error = g_strdup(error != NULL ? error->message : "unknown error");
	}
	g_clear_error(&error);
	p->file.waits--;
	file_maybe_done(p);
}

/* send-file: the agent is ready; copy the file at agent.text to it. */
char *file_send(struct probe *p) {
	GFile *file = g_file_new_for_path(p->agent.text);
	GFile *files[] = { file, NULL };
	p->file.cancel = g_cancellable_new();
	g_clear_pointer(&p->file.error, g_free);
	p->file.waits = 1; /* the copy's callback; each task's "finished" adds one */
	spice_main_channel_file_copy_async(p->ch.main, files, G_FILE_COPY_NONE, p->file.cancel,
		file_progress, p, file_sent, p);
	g_object_unref(file);
	p->sent_input = true;
	p->wait.kind = SESSION_WAIT_FILE;
	return NULL;
}

/* send-file timed out. The copy's callback still comes, cancelled; file.cancel is gone then. */
char *file_timeout_line(struct probe *p) {
	g_cancellable_cancel(p->file.cancel);
	g_clear_object(&p->file.cancel);
	g_clear_pointer(&p->file.error, g_free);
	return g_strdup("fail timeout");
}

#define SEND_FILE_USAGE \
	"error usage: send-file PATH [TIMEOUT_MS] [--cancel-after BYTES] [--exit-after BYTES]"

/* send-file PATH [TIMEOUT_MS] [--cancel-after BYTES] [--exit-after BYTES] */
static enum cmd_result cmd_send_file(struct probe *p, int argc, char **argv) {
	guint timeout_ms = DEFAULT_SEND_FILE_TIMEOUT_MS;
	long cancel_after = -1, exit_after = -1;
	bool ok = true, have_timeout = false;
	for (int i = 2; ok && i < argc; i++) {
		if (strcmp(argv[i], "--cancel-after") == 0 && i + 1 < argc) {
			ok = parse_long(argv[++i], 0, LONG_MAX, &cancel_after);
		} else if (strcmp(argv[i], "--exit-after") == 0 && i + 1 < argc) {
			ok = parse_long(argv[++i], 0, LONG_MAX, &exit_after);
		} else if (!have_timeout) {
			ok = parse_ms(argv[i], &timeout_ms);
			have_timeout = true;
		} else {
			ok = false;
		}
	}
	if (!ok) {
		cmd_reply(p, SEND_FILE_USAGE);
		return CMD_DONE;
	}
	if (!g_file_test(argv[1], G_FILE_TEST_IS_REGULAR)) {
		cmd_reply(p, "error no such file: %s", argv[1]);
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->file.cancel != NULL) {
		cmd_reply(p, "error a file is being sent");
		return CMD_DONE;
	}
	g_free(p->agent.text);
	p->agent.text = g_strdup(argv[1]);
	p->file.cancel_after = cancel_after;
	p->file.exit_after = exit_after;
	return agent_op_begin(p, AGENT_OP_SEND_FILE, timeout_ms);
}

static const struct session_cmd cmds[] = {
	{"send-file", "PATH [TIMEOUT_MS] [--cancel-after BYTES] [--exit-after BYTES]", 1, 6, false,
		cmd_send_file, CMD_CLI},
};

const struct probe_cmd_table probe_file_cmds = {cmds, G_N_ELEMENTS(cmds)};

void files_main_channel_new(struct probe *p, SpiceChannel *channel) {
	g_signal_connect(channel, "new-file-transfer", G_CALLBACK(on_new_file_transfer), p);
}
