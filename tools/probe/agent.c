/*
 * The SPICE agent (spice-wl is its own): whether it is ready for commands,
 * running an agent command once it is (agent_op_begin()), and the commands
 * about the monitors configuration: agent, resize, display-mm, monitors.
 * The clipboard and file commands (clipboard.c, files.c) go through here.
 */
#include <inttypes.h>
#include <string.h>
#include "probe.h"

#define MAX_MONITOR_SIDE 16384

/*
 * spice-glib keeps the agent's capabilities from its last
 * VD_AGENT_ANNOUNCE_CAPABILITIES and reports none before that (and after the
 * agent disconnected), so any capability means they have arrived.
 */
static bool agent_caps_received(SpiceMainChannel *main) {
	for (guint32 cap = 0; cap < VD_AGENT_END_CAP; cap++) {
		if (spice_main_channel_agent_test_capability(main, cap)) {
			return true;
		}
	}
	return false;
}

static bool agent_connected(struct probe *p) {
	gboolean connected = FALSE;
	if (p->ch.main != NULL) {
		g_object_get(p->ch.main, "agent-connected", &connected, NULL);
	}
	return connected;
}

/*
 * Agent commands may send once the agent is connected and has announced its
 * capabilities (spice-glib's clipboard calls need them), and not while the
 * session is read-only: spice-glib drops agent messages then (see
 * inputs_opened()).
 */
static bool agent_ready(struct probe *p) {
	return agent_connected(p) && agent_caps_received(p->ch.main) && !p->lock_sync_off;
}

bool agent_has_cap(struct probe *p, guint32 cap) {
	return p->ch.main != NULL && spice_main_channel_agent_test_capability(p->ch.main, cap);
}

/* Whether the primary surface has the total size of the pending resize. */
static bool resize_done(struct probe *p) {
	int width = 0, height = 0;
	for (int i = 0; i < p->agent.resize_n; i++) {
		width += p->agent.resize_w[i];
		height = MAX(height, p->agent.resize_h[i]);
	}
	return p->primary.exists && p->primary.width == width && p->primary.height == height;
}

/*
 * The primary surface was re-created while a resize waits: done if it has
 * the size asked for, or another size than before the monitors config was
 * sent (the server answered with a size of its own, e.g. clamped).
 */
bool resize_answered(struct probe *p) {
	return resize_done(p) || (p->primary.exists &&
		(p->primary.width != p->agent.resize_from_w ||
		p->primary.height != p->agent.resize_from_h));
}

static char *resize_fail_line(struct probe *p) {
	return g_strdup_printf("fail %d %d", p->primary.exists ? p->primary.width : 0,
		p->primary.exists ? p->primary.height : 0);
}

char *agent_timeout_line(struct probe *p) {
	switch (p->wait.kind) {
	case SESSION_WAIT_AGENT:
		if (p->agent.op == AGENT_OP_WAIT) {
			return g_strdup("fail");
		} else if (p->agent.op == AGENT_OP_RESIZE) {
			return resize_fail_line(p);
		}
		return g_strdup("fail no agent");
	case SESSION_WAIT_RESIZE:
		return resize_fail_line(p);
	case SESSION_WAIT_CLIP_GRAB:
		return g_strdup("fail no grab");
	default:
		return g_strdup("fail timeout");
	}
}

/*
 * Displays 0..N-1 side by side, all others disabled. The calls only record
 * the configuration (update = FALSE: no 1 s timer), and
 * spice_main_channel_send_monitor_config() queues it for the agent at once
 * (cancelling any pending timer). spice-glib lays out the monitors itself
 * (disable-display-align is off) from left to right in order of distance
 * from the origin, which gives the same x offsets.
 */
static char *resize_send(struct probe *p) {
	if (!agent_has_cap(p, VD_AGENT_CAP_MONITORS_CONFIG)) {
		return g_strdup("error agent lacks the monitors-config capability");
	}
	spice_main_channel_update_display_enabled(p->ch.main, -1, FALSE, FALSE);
	int x = 0;
	for (int i = 0; i < p->agent.resize_n; i++) {
		spice_main_channel_update_display(p->ch.main, i, x, 0, p->agent.resize_w[i],
			p->agent.resize_h[i], FALSE);
		spice_main_channel_update_display_enabled(p->ch.main, i, TRUE, FALSE);
		x += p->agent.resize_w[i];
	}
	if (!spice_main_channel_send_monitor_config(p->ch.main)) {
		return g_strdup("error cannot send the monitors config");
	}
	p->sent_input = true;
	p->agent.resize_from_w = p->primary.exists ? p->primary.width : 0;
	p->agent.resize_from_h = p->primary.exists ? p->primary.height : 0;
	probe_log(p, "sent monitors config for %d display(s)", p->agent.resize_n);
	if (resize_done(p)) {
		return g_strdup_printf("ok %d %d", p->primary.width, p->primary.height);
	}
	p->wait.kind = SESSION_WAIT_RESIZE;
	return NULL;
}

/*
 * The agent is ready: runs p->agent.op. Returns the command's result line,
 * or NULL when it now waits for something else (p->wait.kind).
 */
static char *agent_op_start(struct probe *p) {
	switch (p->agent.op) {
	case AGENT_OP_RESIZE:
		return resize_send(p);
	case AGENT_OP_CLIP_GET:
	case AGENT_OP_CLIP_SET:
		return clip_op_start(p);
	case AGENT_OP_SEND_FILE:
		return file_send(p);
	case AGENT_OP_WAIT:
	case AGENT_OP_NONE:
		break;
	}
	return g_strdup("ok");
}

/*
 * Starts an agent command: at once if the agent is ready, else once it is
 * (on_agent_update()). timeout_ms bounds the whole command.
 */
enum cmd_result agent_op_begin(struct probe *p, enum agent_op op, guint timeout_ms) {
	p->agent.op = op;
	session_start_wait(p, SESSION_WAIT_AGENT, timeout_ms);
	if (!agent_ready(p)) {
		probe_log(p, "waiting for the agent");
		return CMD_PENDING;
	}
	char *line = agent_op_start(p);
	if (line == NULL) {
		return CMD_PENDING;
	}
	session_end_wait(p);
	cmd_reply(p, "%s", line);
	g_free(line);
	return CMD_DONE;
}

/* The agent may have become ready for a command waiting for it. */
void agent_check(struct probe *p) {
	if (p->wait.kind != SESSION_WAIT_AGENT || !agent_ready(p)) {
		return;
	}
	char *line = agent_op_start(p);
	if (line != NULL) {
		session_complete(p, line);
		g_free(line);
	}
}

static enum cmd_result cmd_agent(struct probe *p, int argc, char **argv) {
	guint timeout_ms = DEFAULT_AGENT_TIMEOUT_MS;
	if (argc > 1 && !parse_ms(argv[1], &timeout_ms)) {
		cmd_reply(p, "error usage: agent [TIMEOUT_MS]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	return agent_op_begin(p, AGENT_OP_WAIT, timeout_ms);
}

/* resize W H [W H ...] [TIMEOUT_MS] */
static enum cmd_result cmd_resize(struct probe *p, int argc, char **argv) {
	int n = (argc - 1) / 2;
	guint timeout_ms = DEFAULT_RESIZE_TIMEOUT_MS;
	bool ok = n >= 1 && n <= MAX_MONITORS;
	int w[MAX_MONITORS], h[MAX_MONITORS];
	for (int i = 0; ok && i < n; i++) {
		long lw = 0, lh = 0;
		ok = parse_long(argv[1 + 2 * i], 1, MAX_MONITOR_SIDE, &lw) &&
			parse_long(argv[2 + 2 * i], 1, MAX_MONITOR_SIDE, &lh);
		w[i] = (int)lw;
		h[i] = (int)lh;
	}
	if (ok && (argc - 1) % 2 == 1) {
		ok = parse_ms(argv[argc - 1], &timeout_ms);
	}
	if (!ok) {
		cmd_reply(p, "error usage: resize W H [W H ...] [TIMEOUT_MS] (up to %d displays, "
			"sides 1..%d)", MAX_MONITORS, MAX_MONITOR_SIDE);
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	p->agent.resize_n = n;
	memcpy(p->agent.resize_w, w, sizeof(w[0]) * (size_t)n);
	memcpy(p->agent.resize_h, h, sizeof(h[0]) * (size_t)n);
	return agent_op_begin(p, AGENT_OP_RESIZE, timeout_ms);
}

/* display-mm ID WIDTH_MM HEIGHT_MM: the physical size the next resize sends for a display */
static enum cmd_result cmd_display_mm(struct probe *p, int argc, char **argv) {
	long id = 0, w = 0, h = 0;
	if (!parse_long(argv[1], 0, MAX_MONITORS - 1, &id) || !parse_long(argv[2], 0, 65535, &w) ||
			!parse_long(argv[3], 0, 65535, &h)) {
		cmd_reply(p, "error usage: display-mm ID WIDTH_MM HEIGHT_MM");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->ch.main == NULL) {
		cmd_reply(p, "error no main channel");
		return CMD_DONE;
	}
	// Recorded only (update = FALSE): the next monitors config carries it.
	spice_main_channel_update_display_mm(p->ch.main, (int)id, (int)w, (int)h, FALSE);
	cmd_reply(p, "ok");
	return CMD_DONE;
}

static enum cmd_result cmd_monitors(struct probe *p, int argc, char **argv) {
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->ch.display == NULL) {
		cmd_reply(p, "error no display channel");
		return CMD_DONE;
	}
	GArray *monitors = NULL;
	g_object_get(p->ch.display, "monitors", &monitors, NULL);
	GString *line = g_string_new(NULL);
	g_string_printf(line, "monitors %u", monitors != NULL ? monitors->len : 0);
	for (guint i = 0; monitors != NULL && i < monitors->len; i++) {
		const SpiceDisplayMonitorConfig *mc =
			&g_array_index(monitors, SpiceDisplayMonitorConfig, i);
		g_string_append_printf(line, " %u:%u,%u,%ux%u", mc->id, mc->x, mc->y, mc->width,
			mc->height);
	}
	if (monitors != NULL) {
		g_array_unref(monitors);
	}
	cmd_reply(p, "%s", line->str);
	g_string_free(line, TRUE);
	return CMD_DONE;
}

static const struct session_cmd cmds[] = {
	{"agent", "[TIMEOUT_MS]", 0, 1, false, cmd_agent, CMD_CLI},
	{"display-mm", "ID WIDTH_MM HEIGHT_MM", 3, 3, false, cmd_display_mm, 0},
	{"resize", "W H [W H ...] [TIMEOUT_MS]", 2, 2 * MAX_MONITORS + 1, false, cmd_resize,
		CMD_CLI | CMD_SENDS},
	{"monitors", "", 0, 0, false, cmd_monitors, CMD_CLI},
};

const struct probe_cmd_table probe_agent_cmds = {cmds, G_N_ELEMENTS(cmds)};

/* The agent connected or disconnected, or announced its capabilities. */
static void on_agent_update(SpiceChannel *channel, gpointer data) {
	struct probe *p = data;
	bool connected = agent_connected(p);
	if (p->verbose > 0) {
		GString *caps = g_string_new(NULL);
		for (guint32 cap = 0; cap < VD_AGENT_END_CAP; cap++) {
			if (agent_has_cap(p, cap)) {
				g_string_append_printf(caps, " %" PRIu32, cap);
			}
		}
		probe_log(p, "agent %s, capabilities:%s", connected ? "connected" : "disconnected",
			caps->len > 0 ? caps->str : " (none yet)");
		g_string_free(caps, TRUE);
	}
	if (!connected) {
		/* A new agent starts without our grabs or its own. */
		clip_forget_all(p);
	}
	agent_check(p);
}

void main_channel_new(struct probe *p, SpiceChannel *channel) {
	p->ch.main = SPICE_MAIN_CHANNEL(channel);
	/*
	 * Monitors configs carry positions (VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS)
	 * unless both of these are TRUE; "disable-display-position" defaults to TRUE.
	 */
	g_object_set(channel, "disable-display-position", FALSE, "disable-display-align", FALSE,
		NULL);
	g_signal_connect(channel, "main-agent-update", G_CALLBACK(on_agent_update), p);
	files_main_channel_new(p, channel);
	clipboard_main_channel_new(p, channel);
}
