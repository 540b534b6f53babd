/*
 * The inputs channel: keyboard and mouse commands (key, type, move, click,
 * wheel, ...), the keyboard LED state the server reports, and keeping the
 * probe from changing the guest's lock keys when the channel comes up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

/* Bound on the wait for queued input to be written to the socket. */
#define FLUSH_TIMEOUT_MS 5000
#define MAX_WHEEL_STEPS 1000

bool inputs_ready(struct probe *p) {
	return p->ch.inputs != NULL && p->input.opened && p->input.leds_known;
}

guint current_leds(struct probe *p) {
	int mods = 0;
	if (p->ch.inputs != NULL) {
		g_object_get(p->ch.inputs, "key-modifiers", &mods, NULL);
	}
	return (guint)mods;
}

char *format_leds(guint leds) {
	return g_strdup_printf("caps=%d num=%d scroll=%d", (leds & SPICE_INPUTS_CAPS_LOCK) != 0,
		(leds & SPICE_INPUTS_NUM_LOCK) != 0, (leds & SPICE_INPUTS_SCROLL_LOCK) != 0);
}

/* "1e", "e048" (E0-prefixed key) or "e11d45" (Pause), optionally with 0x. */
bool parse_scancode(const char *s, guint *key) {
	if (s == NULL) {
		return false;
	}
	if (g_str_has_prefix(s, "0x") || g_str_has_prefix(s, "0X")) {
		s += 2;
	}
	size_t len = strlen(s);
	if (len == 0 || len > 6) {
		return false;
	}
	guint v = 0;
	for (size_t i = 0; i < len; i++) {
		int d = g_ascii_xdigit_value(s[i]);
		if (d < 0) {
			return false;
		}
		v = (v << 4) | (guint)d;
	}
	/* Codes with bit 7 set are break codes: keyup sends those. */
	guint low = v & 0xff;
	if (len <= 2 && v >= 0x01 && v <= 0x7f) {
		*key = v;
	} else if (len == 4 && (v >> 8) == 0xe0 && low >= 0x01 && low <= 0x7f) {
		*key = 0x100 | low;
	} else if (len == 6 && v == KEY_PAUSE) {
		*key = KEY_PAUSE;
	} else {
		return false;
	}
	return true;
}

/*
 * spice-gtk turns 0x100 | code into the bytes E0 code (E0 code|0x80 on
 * release). Pause has no make/break pair: a keyboard sends E1 1D 45 E1 9D C5
 * on press and nothing on release. spice-gtk's widget (send_pause()) sends it
 * as key 0x21d, which spice_make_scancode() turns into E1 1D (E1 9D when
 * released), followed by key 0x45: pressed on key press, released on key
 * release. So Pause down + up gives exactly the hardware sequence.
 */
void key_down(struct probe *p, guint key) {
	if (key == KEY_PAUSE) {
		spice_inputs_channel_key_press(p->ch.inputs, 0x21d);
		spice_inputs_channel_key_press(p->ch.inputs, 0x45);
	} else {
		spice_inputs_channel_key_press(p->ch.inputs, key);
	}
}

void key_up(struct probe *p, guint key) {
	if (key == KEY_PAUSE) {
		spice_inputs_channel_key_release(p->ch.inputs, 0x21d);
		spice_inputs_channel_key_release(p->ch.inputs, 0x45);
	} else {
		spice_inputs_channel_key_release(p->ch.inputs, key);
	}
}

struct flush_req {
	struct probe *p;
	guint serial;
};

static void on_inputs_flushed(GObject *source, GAsyncResult *res, gpointer data) {
	struct flush_req *req = data;
	struct probe *p = req->p;
	GError *error = NULL;
	bool ok = spice_channel_flush_finish(SPICE_CHANNEL(source), res, &error);
	if (p->wait.kind == SESSION_WAIT_FLUSH && p->input.flush_serial == req->serial) {
		if (ok) {
			session_complete(p, "ok");
		} else {
			char *line = g_strdup_printf("error inputs channel: %s",
				error != NULL ? error->message : "closed before the input was sent");
			session_complete(p, line);
			g_free(line);
		}
	}
	g_clear_error(&error);
	g_free(req);
}

/*
 * Completes the command with "ok" once everything queued on the inputs
 * channel has been written to its socket. Messages leave in the order they
 * were queued, so a command's input (and that of earlier commands) arrives
 * in order.
 */
static enum cmd_result inputs_flush(struct probe *p) {
	struct flush_req *req = g_new0(struct flush_req, 1);
	p->sent_input = true;
	req->p = p;
	req->serial = ++p->input.flush_serial;
	session_start_wait(p, SESSION_WAIT_FLUSH, FLUSH_TIMEOUT_MS);
	spice_channel_flush_async(SPICE_CHANNEL(p->ch.inputs), NULL, on_inputs_flushed, req);
	return CMD_PENDING;
}

/* key, keydown, keyup */
static enum cmd_result cmd_key(struct probe *p, int argc, char **argv) {
	guint keys[MAX_KEY_ARGS];
	for (int i = 1; i < argc; i++) {
		if (!parse_scancode(argv[i], &keys[i - 1])) {
			cmd_reply(p, "error bad scancode %s (want hex: 1e, e048 or e11d45)", argv[i]);
			return CMD_DONE;
		}
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	bool press = strcmp(argv[0], "keyup") != 0;
	bool release = strcmp(argv[0], "keydown") != 0;
	for (int i = 0; i < argc - 1; i++) {
		if (press) {
			key_down(p, keys[i]);
		}
		if (release) {
			key_up(p, keys[i]);
		}
	}
	return inputs_flush(p);
}

/* US layout rows: consecutive scancodes from first, unshifted and shifted. */
static const struct us_key_row {
	guint first;
	const char *plain, *shifted;
} us_key_rows[] = {
	{0x02, "1234567890-=", "!@#$%^&*()_+"},
	{0x10, "qwertyuiop[]", "QWERTYUIOP{}"},
	{0x1e, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
	{0x2b, "\\zxcvbnm,./", "|ZXCVBNM<>?"},
};

static bool us_key_for_char(gunichar c, guint *key, bool *shift) {
	*shift = false;
	switch (c) {
	case ' ':
		*key = 0x39;
		return true;
	case '\n':
		*key = 0x1c; /* Enter */
		return true;
	case '\t':
		*key = 0x0f;
		return true;
	default:
		break;
	}
	if (c <= 0x20 || c >= 0x7f) {
		return false;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(us_key_rows); i++) {
		const struct us_key_row *row = &us_key_rows[i];
		const char *at = strchr(row->plain, (int)c);
		if (at == NULL) {
			at = strchr(row->shifted, (int)c);
			if (at == NULL) {
				continue;
			}
			*shift = true;
			*key = row->first + (guint)(at - row->shifted);
		} else {
			*key = row->first + (guint)(at - row->plain);
		}
		return true;
	}
	return false;
}

/* A character for an error line: itself if printable, else an escape. */
static char *describe_char(gunichar c) {
	if (c < 0x80 && g_ascii_isprint((gchar)c)) {
		return g_strdup_printf("%c", (char)c);
	}
	if (c < 0x80) {
		return g_strdup_printf("\\x%02x", (unsigned)c);
	}
	if (!g_unichar_isprint(c)) {
		return g_strdup_printf("U+%04X", (unsigned)c);
	}
	char buf[8] = {0};
	g_unichar_to_utf8(c, buf);
	return g_strdup(buf);
}

static enum cmd_result cmd_type(struct probe *p, int argc, char **argv) {
	const char *text = argv[1];
	if (!g_utf8_validate(text, -1, NULL)) {
		cmd_reply(p, "error text is not valid UTF-8");
		return CMD_DONE;
	}
	guint key;
	bool shift;
	/* Check everything first: nothing is sent for a text that fails. */
	for (const char *c = text; *c != '\0'; c = g_utf8_next_char(c)) {
		gunichar ch = g_utf8_get_char(c);
		if (!us_key_for_char(ch, &key, &shift)) {
			char *desc = describe_char(ch);
			cmd_reply(p, "error unsupported character '%s'", desc);
			g_free(desc);
			return CMD_DONE;
		}
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	for (const char *c = text; *c != '\0'; c++) {
		us_key_for_char((gunichar)*c, &key, &shift);
		if (shift) {
			key_down(p, KEY_LEFT_SHIFT);
		}
		key_down(p, key);
		key_up(p, key);
		if (shift) {
			key_up(p, KEY_LEFT_SHIFT);
		}
	}
	return inputs_flush(p);
}

static const char *const button_names[] = {
	[SPICE_MOUSE_BUTTON_LEFT] = "left",
	[SPICE_MOUSE_BUTTON_MIDDLE] = "middle",
	[SPICE_MOUSE_BUTTON_RIGHT] = "right",
	[SPICE_MOUSE_BUTTON_UP] = "up",
	[SPICE_MOUSE_BUTTON_DOWN] = "down",
	[SPICE_MOUSE_BUTTON_SIDE] = "side",
	[SPICE_MOUSE_BUTTON_EXTRA] = "extra",
};

/* A name from button_names or a SPICE_MOUSE_BUTTON_* number. */
static bool parse_button(const char *s, int *button) {
	for (int i = SPICE_MOUSE_BUTTON_LEFT; i < (int)G_N_ELEMENTS(button_names); i++) {
		if (g_ascii_strcasecmp(s, button_names[i]) == 0) {
			*button = i;
			return true;
		}
	}
	long v;
	if (!parse_long(s, SPICE_MOUSE_BUTTON_LEFT, SPICE_MOUSE_BUTTON_ENUM_END - 1, &v)) {
		return false;
	}
	*button = (int)v;
	return true;
}

/* SPICE_MOUSE_BUTTON_MASK_* of a button; wheel steps are never held. */
static int button_mask(int button) {
	if (button == SPICE_MOUSE_BUTTON_UP || button == SPICE_MOUSE_BUTTON_DOWN) {
		return 0;
	}
	return 1 << (button - 1);
}

/*
 * The state sent along is the state after the press or release: in client
 * mouse mode spice-server tells the tablet only the new button state.
 * (spice-gtk adds the left/middle/right bit itself, not side/extra.)
 */
static void mouse_button(struct probe *p, int button, bool press) {
	if (press) {
		p->input.buttons |= button_mask(button);
		spice_inputs_channel_button_press(p->ch.inputs, button, p->input.buttons);
	} else {
		p->input.buttons &= ~button_mask(button);
		spice_inputs_channel_button_release(p->ch.inputs, button, p->input.buttons);
	}
}

static enum cmd_result cmd_move(struct probe *p, int argc, char **argv) {
	int x, y;
	long display = 0;
	if (!parse_xy(argv[1], argv[2], &x, &y) ||
			(argc > 3 && !parse_long(argv[3], 0, 15, &display))) {
		cmd_reply(p, "error usage: move X Y [DISPLAY]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	/* X and Y are relative to that display, as a client window reports them. */
	spice_inputs_channel_position(p->ch.inputs, x, y, (gint)display, p->input.buttons);
	return inputs_flush(p);
}

static enum cmd_result cmd_rmove(struct probe *p, int argc, char **argv) {
	long dx, dy;
	if (!parse_long(argv[1], -65535, 65535, &dx) || !parse_long(argv[2], -65535, 65535, &dy)) {
		cmd_reply(p, "error usage: rmove DX DY");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	spice_inputs_channel_motion(p->ch.inputs, (gint)dx, (gint)dy, p->input.buttons);
	return inputs_flush(p);
}

/* click [BUTTON], buttondown BUTTON, buttonup BUTTON */
static enum cmd_result cmd_button(struct probe *p, int argc, char **argv) {
	int button = SPICE_MOUSE_BUTTON_LEFT;
	if (argc > 1 && !parse_button(argv[1], &button)) {
		cmd_reply(p, "error bad button %s (want left, middle, right, side, extra or 1-7)",
			argv[1]);
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (strcmp(argv[0], "buttonup") != 0) {
		mouse_button(p, button, true);
	}
	if (strcmp(argv[0], "buttondown") != 0) {
		mouse_button(p, button, false);
	}
	return inputs_flush(p);
}

static enum cmd_result cmd_wheel(struct probe *p, int argc, char **argv) {
	long steps;
	if (!parse_long(argv[1], -MAX_WHEEL_STEPS, MAX_WHEEL_STEPS, &steps)) {
		cmd_reply(p, "error usage: wheel N (-%d..%d, negative = up)", MAX_WHEEL_STEPS,
			MAX_WHEEL_STEPS);
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	int button = steps < 0 ? SPICE_MOUSE_BUTTON_UP : SPICE_MOUSE_BUTTON_DOWN;
	for (long i = 0; i < labs(steps); i++) {
		mouse_button(p, button, true);
		mouse_button(p, button, false);
	}
	return inputs_flush(p);
}

static enum cmd_result cmd_mouse_mode(struct probe *p, int argc, char **argv) {
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->ch.main == NULL) {
		cmd_reply(p, "error no main channel");
		return CMD_DONE;
	}
	int mode = 0;
	g_object_get(p->ch.main, "mouse-mode", &mode, NULL);
	if (mode == SPICE_MOUSE_MODE_CLIENT) {
		cmd_reply(p, "client");
	} else if (mode == SPICE_MOUSE_MODE_SERVER) {
		cmd_reply(p, "server");
	} else {
		cmd_reply(p, "unknown %d", mode);
	}
	return CMD_DONE;
}

static enum cmd_result cmd_leds(struct probe *p, int argc, char **argv) {
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	char *leds = format_leds(current_leds(p));
	cmd_reply(p, "%s", leds);
	g_free(leds);
	return CMD_DONE;
}

static bool leds_match(struct probe *p) {
	return (current_leds(p) & p->input.wait_leds_mask) == p->input.wait_leds_want;
}

/* "caps=1", "num=0", "scroll=1" */
static bool parse_led_spec(const char *s, guint *mask, guint *want) {
	static const struct {
		const char *name;
		guint bit;
	} leds[] = {
		{"caps", SPICE_INPUTS_CAPS_LOCK},
		{"num", SPICE_INPUTS_NUM_LOCK},
		{"scroll", SPICE_INPUTS_SCROLL_LOCK},
	};
	const char *eq = strchr(s, '=');
	if (eq == NULL || (strcmp(eq + 1, "0") != 0 && strcmp(eq + 1, "1") != 0)) {
		return false;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(leds); i++) {
		if (strlen(leds[i].name) == (size_t)(eq - s) &&
				strncmp(s, leds[i].name, (size_t)(eq - s)) == 0) {
			*mask |= leds[i].bit;
			if (eq[1] == '1') {
				*want |= leds[i].bit;
			} else {
				*want &= ~leds[i].bit;
			}
			return true;
		}
	}
	return false;
}

static enum cmd_result cmd_wait_leds(struct probe *p, int argc, char **argv) {
	guint mask = 0, want = 0, timeout_ms;
	bool ok = parse_ms(argv[argc - 1], &timeout_ms);
	for (int i = 1; ok && i < argc - 1; i++) {
		ok = parse_led_spec(argv[i], &mask, &want);
	}
	if (!ok) {
		cmd_reply(p, "error usage: wait-leds caps=0|1 [num=0|1] [scroll=0|1] TIMEOUT_MS");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	p->input.wait_leds_mask = mask;
	p->input.wait_leds_want = want;
	if (leds_match(p)) {
		cmd_reply(p, "ok");
		return CMD_DONE;
	}
	session_start_wait(p, SESSION_WAIT_LEDS, timeout_ms);
	return CMD_PENDING;
}

#define CMD_INPUT (CMD_INPUTS | CMD_CLI | CMD_SENDS)
static const struct session_cmd cmds[] = {
	{"key", "SCANCODE [SCANCODE...]", 1, MAX_KEY_ARGS, false, cmd_key, CMD_INPUT},
	{"keydown", "SCANCODE [SCANCODE...]", 1, MAX_KEY_ARGS, false, cmd_key, CMD_INPUT},
	{"keyup", "SCANCODE [SCANCODE...]", 1, MAX_KEY_ARGS, false, cmd_key, CMD_INPUT},
	{"type", "TEXT", 1, 1, false, cmd_type, CMD_INPUT | CMD_RAW},
	{"move", "X Y [DISPLAY]", 2, 3, false, cmd_move, CMD_INPUT},
	{"rmove", "DX DY", 2, 2, false, cmd_rmove, CMD_INPUT},
	{"click", "[BUTTON]", 0, 1, false, cmd_button, CMD_INPUT},
	{"buttondown", "BUTTON", 1, 1, false, cmd_button, CMD_INPUT},
	{"buttonup", "BUTTON", 1, 1, false, cmd_button, CMD_INPUT},
	{"wheel", "N", 1, 1, false, cmd_wheel, CMD_INPUT},
	{"mouse-mode", "", 0, 0, false, cmd_mouse_mode, CMD_CLI},
	{"leds", "", 0, 0, false, cmd_leds, CMD_INPUTS | CMD_CLI},
	{"wait-leds", "caps=0|1 [num=0|1] [scroll=0|1] TIMEOUT_MS", 2, 4, false, cmd_wait_leds,
		CMD_INPUTS | CMD_CLI},
};
#undef CMD_INPUT

const struct probe_cmd_table probe_input_cmds = {cmds, G_N_ELEMENTS(cmds)};

static void lock_sync_restore(struct probe *p) {
	clear_source(&p->lock_sync_source);
	if (p->lock_sync_off) {
		p->lock_sync_off = false;
		g_object_set(p->session, "read-only", FALSE, NULL);
		/* Agent messages can be sent again. */
		clip_serve_deferred(p);
		agent_check(p);
	}
}

static gboolean lock_sync_idle(gpointer data) {
	struct probe *p = data;
	p->lock_sync_source = 0;
	lock_sync_restore(p);
	return G_SOURCE_REMOVE;
}

/* Keyboard LED state from the server (SPICE_MSG_INPUTS_INIT or _KEY_MODIFIERS). */
static void on_inputs_modifiers(SpiceChannel *channel, gpointer data) {
	struct probe *p = data;
	p->input.leds_known = true;
	lock_sync_restore(p);
	if (p->queue.awaiting_inputs && inputs_ready(p)) {
		session_announce(p);
	}
	if (p->verbose > 0) {
		char *leds = format_leds(current_leds(p));
		probe_log(p, "keyboard LEDs %s", leds);
		g_free(leds);
	}
	if (p->wait.kind == SESSION_WAIT_LEDS && leds_match(p)) {
		session_complete(p, "ok");
	}
	if (p->oneshot.active) {
		oneshot_try_start(p);
	}
}

/*
 * The inputs channel is linked and about to come up (main context; the
 * channel's coroutine continues once we return).
 *
 * Lock keys: spice-gtk's channel_up() sends the client's lock state (0, as
 * we never set one), and spice-server then presses Caps/Num/Scroll Lock on
 * the guest until its LEDs match, so every probe connection would switch the
 * guest's locks off. The probe is an observer: the session is read-only
 * (which skips that message) from here, emitted just before channel_up(),
 * until the first LED state arrives or the next main loop iteration,
 * whichever is first; nothing else is sent on the inputs channel meanwhile.
 *
 * Read-only also makes spice-glib drop agent messages (SPICE_MSGC_MAIN_AGENT_*
 * is not allowed then), so agent commands and clipboard answers wait for the
 * end of it (agent_ready(), on_clipboard_request()).
 *
 * Pointer: spice-gtk's pending position starts as (0,0) on display 0, and
 * the first button press or release sends it, warping the pointer to the
 * corner. Display -1 is spice-gtk's "no position pending", so setting it
 * keeps a click at the position the server already has.
 */
void inputs_opened(struct probe *p) {
	p->input.opened = true;
	p->input.buttons = 0;
	if (!p->lock_sync_off) {
		p->lock_sync_off = true;
		g_object_set(p->session, "read-only", TRUE, NULL);
		clear_source(&p->lock_sync_source);
		p->lock_sync_source = g_idle_add_full(G_PRIORITY_HIGH, lock_sync_idle, p, NULL);
	}
	spice_inputs_channel_position(p->ch.inputs, 0, 0, -1, 0);
	if (p->oneshot.active) {
		oneshot_try_start(p);
	}
}

/* The inputs channel closed or failed: nothing is held, no LED state known. */
void inputs_lost(struct probe *p) {
	p->input.opened = false;
	p->input.leds_known = false;
	p->input.buttons = 0;
}

void input_channel_new(struct probe *p, SpiceChannel *channel) {
	p->ch.inputs = SPICE_INPUTS_CHANNEL(channel);
	g_signal_connect(channel, "inputs-modifiers", G_CALLBACK(on_inputs_modifiers), p);
}
