/*
 * The cursor channel: the shape the server sets and whether it is shown,
 * and the commands that report or wait for it.
 */
#include "probe.h"

static enum cmd_result cmd_cursor(struct probe *p, int argc, char **argv) {
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (!p->cursor.known) {
		cmd_reply(p, "none");
	} else {
		cmd_reply(p, "cursor %d %d %d %d visible=%d", p->cursor.width, p->cursor.height,
			p->cursor.hot_x, p->cursor.hot_y, p->cursor.visible ? 1 : 0);
	}
	return CMD_DONE;
}

static bool cursor_wanted(struct probe *p) {
	return p->cursor.known &&
		(p->cursor.want_width == 0 || (p->cursor.width == p->cursor.want_width &&
						      p->cursor.height == p->cursor.want_height));
}

static enum cmd_result cmd_wait_cursor(struct probe *p, int argc, char **argv) {
	guint timeout_ms;
	char *end;
	long w = 0, h = 0;
	if (!parse_ms(argv[1], &timeout_ms)) {
		cmd_reply(p, "error usage: wait-cursor TIMEOUT_MS [W H]");
		return CMD_DONE;
	}
	if (argc == 4) {
		w = strtol(argv[2], &end, 10);
		bool ok = *end == '\0' && w > 0;
		h = strtol(argv[3], &end, 10);
		if (!ok || *end != '\0' || h <= 0) {
			cmd_reply(p, "error usage: wait-cursor TIMEOUT_MS [W H]");
			return CMD_DONE;
		}
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	p->cursor.want_width = (int)w;
	p->cursor.want_height = (int)h;
	if (cursor_wanted(p)) {
		cmd_reply(p, "ok");
		return CMD_DONE;
	}
	session_start_wait(p, SESSION_WAIT_CURSOR, timeout_ms);
	return CMD_PENDING;
}

static const struct session_cmd cmds[] = {
	{"cursor", "", 0, 0, false, cmd_cursor, CMD_CLI},
	{"wait-cursor", "TIMEOUT_MS [W H]", 1, 3, false, cmd_wait_cursor, CMD_CLI},
};

const struct probe_cmd_table probe_cursor_cmds = {cmds, G_N_ELEMENTS(cmds)};

/* "cursor" changes with every shape the server sets (SPICE_MSG_CURSOR_INIT/SET). */
static void on_cursor_shape(GObject *object, GParamSpec *pspec, gpointer data) {
	struct probe *p = data;
	GValue value = G_VALUE_INIT;
	g_value_init(&value, SPICE_TYPE_CURSOR_SHAPE);
	g_object_get_property(object, "cursor", &value);
	const SpiceCursorShape *shape = g_value_get_boxed(&value);
	if (shape != NULL) {
		p->cursor.known = true;
		p->cursor.visible = true;
		p->cursor.width = shape->width;
		p->cursor.height = shape->height;
		p->cursor.hot_x = shape->hot_spot_x;
		p->cursor.hot_y = shape->hot_spot_y;
		probe_log(p, "cursor %dx%d hotspot %d,%d", p->cursor.width, p->cursor.height,
			p->cursor.hot_x, p->cursor.hot_y);
		if (p->wait.kind == SESSION_WAIT_CURSOR && cursor_wanted(p)) {
			session_complete(p, "ok");
		}
	}
	g_value_unset(&value);
}

static void on_cursor_hide(SpiceCursorChannel *channel, gpointer data) {
	struct probe *p = data;
	probe_log(p, "cursor hidden");
	p->cursor.visible = false;
}

/* Like spice-gtk's widget: a move shows a hidden cursor again. */
static void on_cursor_move(SpiceCursorChannel *channel, gint x, gint y, gpointer data) {
	struct probe *p = data;
	if (p->verbose >= 2) {
		probe_log(p, "cursor move %d,%d", x, y);
	}
	p->cursor.visible = true;
}

static void on_cursor_reset(SpiceCursorChannel *channel, gpointer data) {
	struct probe *p = data;
	probe_log(p, "cursor reset");
	p->cursor.known = false;
}

void cursor_channel_new(struct probe *p, SpiceChannel *channel) {
	p->ch.cursor = SPICE_CURSOR_CHANNEL(channel);
	/* "cursor-set" is deprecated since 0.34 in favour of notify::cursor. */
	g_signal_connect(channel, "notify::cursor", G_CALLBACK(on_cursor_shape), p);
	g_signal_connect(channel, "cursor-hide", G_CALLBACK(on_cursor_hide), p);
	g_signal_connect(channel, "cursor-move", G_CALLBACK(on_cursor_move), p);
	g_signal_connect(channel, "cursor-reset", G_CALLBACK(on_cursor_reset), p);
}
