/*
 * The clipboard over the agent, both ways: clipboard get asks for the data
 * of the agent's grab, clipboard set grabs a selection and answers the
 * agent's requests for it (held back while the session is read-only, see
 * inputs_opened()). Session text is escaped so it stays on one line.
 */
#include <inttypes.h>
#include <string.h>
#include "probe.h"

static void clip_forget_grab(struct probe *p, guint selection) {
	p->clip.grab[selection].grabbed = false;
	if (p->clip.grab[selection].types != NULL) {
		g_array_set_size(p->clip.grab[selection].types, 0);
	}
}

/* Forgets both sides' grabs: the agent or the main channel went away. */
void clip_forget_all(struct probe *p) {
	for (guint i = 0; i < CLIP_SELECTIONS; i++) {
		clip_forget_grab(p, i);
		p->clip.owned[i] = false;
	}
}

static bool clip_grab_has_type(struct probe *p, guint selection, guint32 type) {
	const struct agent_grab *grab = &p->clip.grab[selection];
	for (guint i = 0; grab->grabbed && i < grab->types->len; i++) {
		if (g_array_index(grab->types, guint32, i) == type) {
			return true;
		}
	}
	return false;
}

static char *clip_check_caps(struct probe *p, guint selection) {
	if (!agent_has_cap(p, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
		return g_strdup("error agent lacks the clipboard capability");
	}
	if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD &&
			!agent_has_cap(p, VD_AGENT_CAP_CLIPBOARD_SELECTION)) {
		return g_strdup("error agent lacks the clipboard-selection capability");
	}
	return NULL;
}

/* clipboard get: the agent holds agent.selection; ask for its data of agent.type. */
static char *clip_request_text(struct probe *p) {
	char *err = clip_check_caps(p, p->agent.selection);
	if (err != NULL) {
		return err;
	}
	if (!clip_grab_has_type(p, p->agent.selection, p->agent.type)) {
		return g_strdup(p->agent.type == VD_AGENT_CLIPBOARD_UTF8_TEXT ? "fail no text" :
			"fail no such type");
	}
	spice_main_channel_clipboard_selection_request(p->ch.main, p->agent.selection, p->agent.type);
	p->wait.kind = SESSION_WAIT_CLIP_DATA;
	return NULL;
}

/* clipboard set: own agent.selection with agent.text from now on. */
static char *clip_grab(struct probe *p) {
	guint selection = p->agent.selection;
	guint32 type = p->agent.type;
	g_free(p->clip.text[selection]);
	p->clip.text[selection] = p->agent.text;
	p->clip.len[selection] = p->agent.text_len;
	p->clip.type[selection] = type;
	p->agent.text = NULL;
	p->clip.owned[selection] = true;
	clip_forget_grab(p, selection);
	spice_main_channel_clipboard_selection_grab(p->ch.main, selection, &type, 1);
	p->sent_input = true;
	probe_log(p, "grabbed selection %u (%zu bytes of type %u)", selection,
		p->clip.len[selection], type);
	return g_strdup("ok");
}

/* The agent is ready for a clipboard command: see agent_op_start(). */
char *clip_op_start(struct probe *p) {
	if (p->agent.op == AGENT_OP_CLIP_SET) {
		char *err = clip_check_caps(p, p->agent.selection);
		return err != NULL ? err : clip_grab(p);
	}
	/* An agent without the clipboard capabilities never grabs: fail no grab. */
	if (p->clip.grab[p->agent.selection].grabbed) {
		return clip_request_text(p);
	}
	p->wait.kind = SESSION_WAIT_CLIP_GRAB;
	return NULL;
}

/*
 * Clipboard text for a result line: UTF-8 as is, except backslash, control
 * characters (C0, DEL, C1) and bytes that are not valid UTF-8, which become
 * \xNN per byte, so the text stays on one line and can be decoded exactly.
 */
static char *escape_text(const char *text, gsize len) {
	GString *out = g_string_sized_new(len + 16);
	const char *at = text, *end = text + len;
	while (at < end) {
		guchar c = (guchar)*at;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f || c == '\\') {
				g_string_append_printf(out, "\\x%02x", c);
			} else {
				g_string_append_c(out, (gchar)c);
			}
			at++;
			continue;
		}
		gunichar ch = g_utf8_get_char_validated(at, end - at);
		if (ch == (gunichar)-1 || ch == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", c);
			at++;
			continue;
		}
		const char *next = g_utf8_next_char(at);
		if (ch < 0xa0) {
			for (; at < next; at++) {
				g_string_append_printf(out, "\\x%02x", (guchar)*at);
			}
		} else {
			g_string_append_len(out, at, next - at);
			at = next;
		}
	}
	return g_string_free(out, FALSE);
}

/*
 * Session clipboard text: \n, \t, \r, \\ and \xNN stand for the character
 * or byte; any other backslash is kept. Returns NULL if \x lacks two hex
 * digits.
 */
static GString *unescape_text(const char *in) {
	GString *out = g_string_new(NULL);
	for (const char *at = in; *at != '\0'; at++) {
		if (*at != '\\' || at[1] == '\0') {
			g_string_append_c(out, *at);
			continue;
		}
		switch (at[1]) {
		case 'n':
			g_string_append_c(out, '\n');
			break;
		case 't':
			g_string_append_c(out, '\t');
			break;
		case 'r':
			g_string_append_c(out, '\r');
			break;
		case '\\':
			g_string_append_c(out, '\\');
			break;
		case 'x': {
			int hi = g_ascii_xdigit_value(at[2]);
			int lo = hi < 0 ? -1 : g_ascii_xdigit_value(at[3]);
			if (lo < 0) {
				g_string_free(out, TRUE);
				return NULL;
			}
			g_string_append_c(out, (gchar)(hi << 4 | lo));
			at += 2;
			break;
		}
		default:
			g_string_append_c(out, '\\');
			continue; /* the next character as itself */
		}
		at++;
	}
	return out;
}

enum clip_sub {
	CLIP_GET,
	CLIP_SET,
	CLIP_TYPES,
	CLIP_SERVED,
	CLIP_GET_FILE,
	CLIP_SET_FILE,
};

struct clip_args {
	enum clip_sub sub;
	guint selection;
	guint timeout_ms;
	guint32 type;
	GString *text; /* set, set-file */
	char *file;    /* get-file */
};

#define CLIP_USAGE "error usage: clipboard get [primary] [TIMEOUT_MS] | set [primary] TEXT | " \
	"get-file [primary] TYPE FILE [TIMEOUT_MS] | set-file [primary] TYPE FILE | " \
	"types [primary] | served"

/* Clipboard type names: text png bmp tiff jpeg (VD_AGENT_CLIPBOARD_*). */
static bool clip_parse_type(const char *name, guint32 *type) {
	static const struct {
		const char *name;
		guint32 type;
	} types[] = {
		{"text", VD_AGENT_CLIPBOARD_UTF8_TEXT}, {"png", VD_AGENT_CLIPBOARD_IMAGE_PNG},
		{"bmp", VD_AGENT_CLIPBOARD_IMAGE_BMP}, {"tiff", VD_AGENT_CLIPBOARD_IMAGE_TIFF},
		{"jpeg", VD_AGENT_CLIPBOARD_IMAGE_JPG},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		if (strcmp(name, types[i].name) == 0) {
			*type = types[i].type;
			return true;
		}
	}
	return false;
}

/* [primary] [TYPE FILE] [TIMEOUT_MS], as far as sub takes them. */
static bool clip_parse_words(struct clip_args *a, char **words, int n) {
	int i = 0;
	if (a->sub == CLIP_SERVED) {
		return n == 0;
	}
	if (i < n && strcmp(words[i], "primary") == 0) {
		a->selection = VD_AGENT_CLIPBOARD_SELECTION_PRIMARY;
		i++;
	}
	if (a->sub == CLIP_GET_FILE || a->sub == CLIP_SET_FILE) {
		if (i + 2 > n || !clip_parse_type(words[i], &a->type)) {
			return false;
		}
		a->file = g_strdup(words[i + 1]);
		i += 2;
	}
	if ((a->sub == CLIP_GET || a->sub == CLIP_GET_FILE) && i < n) {
		if (!parse_ms(words[i], &a->timeout_ms)) {
			return false;
		}
		i++;
	}
	return i == n;
}

static bool clip_parse_sub(const char *name, enum clip_sub *sub) {
	static const char *const names[] = {
		[CLIP_GET] = "get", [CLIP_SET] = "set", [CLIP_TYPES] = "types",
		[CLIP_SERVED] = "served", [CLIP_GET_FILE] = "get-file", [CLIP_SET_FILE] = "set-file",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(name, names[i]) == 0) {
			*sub = (enum clip_sub)i;
			return true;
		}
	}
	return false;
}

/* One-shot: "set [primary] TEXT" joins the remaining arguments by spaces, literally. */
static bool clip_parse_argv(struct clip_args *a, int argc, char **argv) {
	if (!clip_parse_sub(argv[1], &a->sub)) {
		return false;
	}
	if (a->sub != CLIP_SET) {
		return clip_parse_words(a, argv + 2, argc - 2);
	}
	int first = 2;
	if (argc > 2 && strcmp(argv[2], "primary") == 0) {
		a->selection = VD_AGENT_CLIPBOARD_SELECTION_PRIMARY;
		first = 3;
	}
	a->text = g_string_new(NULL);
	for (int i = first; i < argc; i++) {
		g_string_append_printf(a->text, "%s%s", i > first ? " " : "", argv[i]);
	}
	return true;
}

/* The words of rest, blanks dropped, as clip_parse_words() takes them. */
static bool clip_parse_rest(struct clip_args *a, const char *rest) {
	char **words = g_strsplit_set(rest, " \t", -1);
	int n = 0;
	for (int i = 0; words[i] != NULL; i++) {
		if (words[i][0] != '\0') {
			char *w = words[i];
			words[i] = words[n];
			words[n++] = w;
		}
	}
	bool ok = clip_parse_words(a, words, n);
	g_strfreev(words);
	return ok;
}

/*
 * Session: arg is the rest of the line; "set [primary] TEXT" keeps TEXT as
 * written after one blank, with backslash escapes. Returns an error line, or
 * NULL with *ok telling whether the words made sense.
 */
static char *clip_parse_line(struct clip_args *a, const char *arg, bool *ok) {
	const char *line = arg + strspn(arg, " \t");
	size_t len = strcspn(line, " \t");
	char *name = g_strndup(line, len);
	const char *rest = line + len;
	if (*rest != '\0') {
		rest++;
	}
	*ok = clip_parse_sub(name, &a->sub);
	g_free(name);
	if (*ok && a->sub == CLIP_SET) {
		if (g_str_has_prefix(rest, "primary") &&
				(rest[7] == '\0' || rest[7] == ' ' || rest[7] == '\t')) {
			a->selection = VD_AGENT_CLIPBOARD_SELECTION_PRIMARY;
			rest += rest[7] != '\0' ? 8 : 7;
		}
		a->text = unescape_text(rest);
		if (a->text == NULL) {
			return g_strdup("error bad escape in text (\\n, \\t, \\r, \\\\ or \\xNN)");
		}
	} else if (*ok) {
		*ok = clip_parse_rest(a, rest);
	}
	return NULL;
}

/* Checks the text, reads set-file's file; returns an error line, or NULL. */
static char *clip_parse_finish(struct clip_args *a, bool ok) {
	if (ok && a->text != NULL && !g_utf8_validate(a->text->str, (gssize)a->text->len, NULL)) {
		g_string_free(a->text, TRUE);
		a->text = NULL;
		return g_strdup("error text is not valid UTF-8");
	}
	if (ok && a->sub == CLIP_SET_FILE) {
		gchar *contents = NULL;
		gsize len = 0;
		GError *error = NULL;
		if (!g_file_get_contents(a->file, &contents, &len, &error)) {
			char *line = g_strdup_printf("error %s", error->message);
			g_error_free(error);
			g_clear_pointer(&a->file, g_free);
			return line;
		}
		a->text = g_string_new_len(contents, (gssize)len);
		g_free(contents);
	}
	if (!ok) {
		if (a->text != NULL) {
			g_string_free(a->text, TRUE);
			a->text = NULL;
		}
		g_clear_pointer(&a->file, g_free);
		return g_strdup(CLIP_USAGE);
	}
	return NULL;
}

/*
 * In a session, argv[1] is the rest of the line (see clip_parse_line());
 * one-shot, the words are arguments (see clip_parse_argv()). Returns an
 * error line, or NULL.
 */
static char *clip_parse(struct probe *p, int argc, char **argv, struct clip_args *a) {
	a->selection = VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;
	a->timeout_ms = DEFAULT_CLIPBOARD_TIMEOUT_MS;
	a->type = VD_AGENT_CLIPBOARD_UTF8_TEXT;
	a->text = NULL;
	a->file = NULL;
	bool ok;
	if (p->oneshot.active) {
		ok = clip_parse_argv(a, argc, argv);
	} else {
		char *err = clip_parse_line(a, argv[1], &ok);
		if (err != NULL) {
			return err;
		}
	}
	return clip_parse_finish(a, ok);
}

static enum cmd_result cmd_clipboard(struct probe *p, int argc, char **argv) {
	struct clip_args a = { 0 };
	char *err = clip_parse(p, argc, argv, &a);
	if (err != NULL) {
		cmd_reply(p, "%s", err);
		g_free(err);
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		if (a.text != NULL) {
			g_string_free(a.text, TRUE);
		}
		g_free(a.file);
		return CMD_DONE;
	}
	p->agent.selection = a.selection;
	p->agent.type = a.type;
	g_free(p->agent.file);
	p->agent.file = a.sub == CLIP_GET_FILE ? a.file : NULL;
	if (a.sub != CLIP_GET_FILE) {
		g_free(a.file);
	}
	switch (a.sub) {
	case CLIP_GET:
	case CLIP_GET_FILE:
		return agent_op_begin(p, AGENT_OP_CLIP_GET, a.timeout_ms);
	case CLIP_SET:
	case CLIP_SET_FILE:
		p->agent.text_len = a.text->len;
		p->agent.text = g_string_free(a.text, FALSE);
		p->oneshot.hold = p->oneshot.active;
		return agent_op_begin(p, AGENT_OP_CLIP_SET, a.timeout_ms);
	case CLIP_TYPES: {
		const struct agent_grab *grab = &p->clip.grab[a.selection];
		if (!grab->grabbed) {
			cmd_reply(p, "none");
			return CMD_DONE;
		}
		GString *line = g_string_new("types");
		for (guint i = 0; i < grab->types->len; i++) {
			g_string_append_printf(line, " %" PRIu32, g_array_index(grab->types, guint32, i));
		}
		cmd_reply(p, "%s", line->str);
		g_string_free(line, TRUE);
		return CMD_DONE;
	}
	case CLIP_SERVED:
		cmd_reply(p, "served %u", p->clip.served);
		return CMD_DONE;
	}
	return CMD_DONE;
}

static const struct session_cmd cmds[] = {
	{"clipboard", "get|set|types|served ...", 1, MAX_KEY_ARGS, false, cmd_clipboard,
		CMD_CLI | CMD_RAW},
};

const struct probe_cmd_table probe_clipboard_cmds = {cmds, G_N_ELEMENTS(cmds)};

/* Answers a clipboard request from the agent (main context, read-write session). */
static void clip_serve(struct probe *p, guint selection, guint type) {
	if (!agent_has_cap(p, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
		return; /* the agent went away */
	}
	if (selection < CLIP_SELECTIONS && p->clip.owned[selection] &&
			type == p->clip.type[selection]) {
		spice_main_channel_clipboard_selection_notify(p->ch.main, selection, type,
			(const guchar *)p->clip.text[selection], p->clip.len[selection]);
		p->clip.served++;
		probe_log(p, "served clipboard request %u for selection %u", p->clip.served,
			selection);
		return;
	}
	/* Like spice-gtk: an empty answer, so the agent does not wait for one. */
	probe_log(p, "no data for clipboard request: selection %u type %u", selection, type);
	spice_main_channel_clipboard_selection_notify(p->ch.main, selection,
		VD_AGENT_CLIPBOARD_NONE, NULL, 0);
}

void clip_serve_deferred(struct probe *p) {
	if (p->clip.deferred == NULL) {
		return;
	}
	for (guint i = 0; i < p->clip.deferred->len; i++) {
		const struct clip_request *req = &g_array_index(p->clip.deferred,
			struct clip_request, i);
		clip_serve(p, req->selection, req->type);
	}
	g_array_set_size(p->clip.deferred, 0);
}

static gboolean on_clipboard_grab(SpiceMainChannel *main, guint selection, gpointer types,
		guint ntypes, gpointer data) {
	struct probe *p = data;
	if (selection >= CLIP_SELECTIONS) {
		return TRUE;
	}
	struct agent_grab *grab = &p->clip.grab[selection];
	if (grab->types == NULL) {
		grab->types = g_array_new(FALSE, FALSE, sizeof(guint32));
	}
	g_array_set_size(grab->types, 0);
	for (guint i = 0; i < ntypes; i++) {
		guint32 type; /* the message payload need not be aligned */
		memcpy(&type, (const guint8 *)types + i * sizeof(type), sizeof(type));
		g_array_append_val(grab->types, type);
	}
	grab->grabbed = true;
	p->clip.owned[selection] = false;
	probe_log(p, "agent grabbed selection %u with %u type(s)", selection, ntypes);
	if (p->wait.kind == SESSION_WAIT_CLIP_GRAB && p->agent.selection == selection) {
		char *line = clip_request_text(p);
		if (line != NULL) {
			session_complete(p, line);
			g_free(line);
		}
	}
	return TRUE;
}

static void on_clipboard_release(SpiceMainChannel *main, guint selection, gpointer data) {
	struct probe *p = data;
	if (selection >= CLIP_SELECTIONS) {
		return;
	}
	probe_log(p, "agent released selection %u", selection);
	clip_forget_grab(p, selection);
	if (p->wait.kind == SESSION_WAIT_CLIP_DATA && p->agent.selection == selection) {
		session_complete(p, "fail no grab");
	}
}

static gboolean on_clipboard_request(SpiceMainChannel *main, guint selection, guint type,
		gpointer data) {
	struct probe *p = data;
	if (p->lock_sync_off) {
		/* spice-glib would drop the answer; see inputs_opened(). */
		struct clip_request req = {selection, type};
		if (p->clip.deferred == NULL) {
			p->clip.deferred = g_array_new(FALSE, FALSE, sizeof(struct clip_request));
		}
		g_array_append_val(p->clip.deferred, req);
		return TRUE;
	}
	clip_serve(p, selection, type);
	return TRUE;
}

/* Clipboard data from the agent, answering clip_request_text(). */
static void on_clipboard_data(SpiceMainChannel *main, guint selection, guint type,
		gpointer cdata, guint size, gpointer data) {
	struct probe *p = data;
	probe_log(p, "clipboard data for selection %u: type %u, %u bytes", selection, type, size);
	if (p->wait.kind != SESSION_WAIT_CLIP_DATA || p->agent.selection != selection) {
		return;
	}
	if (type != p->agent.type || type == VD_AGENT_CLIPBOARD_NONE) {
		session_complete(p, "fail no data");
		return;
	}
	if (p->agent.file != NULL) {
		GError *error = NULL;
		char *line = g_file_set_contents(p->agent.file, cdata, size, &error) ?
			g_strdup_printf("file %u", size) :
			g_strdup_printf("error %s", error->message);
		g_clear_error(&error);
		session_complete(p, line);
		g_free(line);
		return;
	}
	char *text = escape_text(cdata, size);
	char *line = g_strdup_printf("text %s", text);
	session_complete(p, line);
	g_free(line);
	g_free(text);
}

void clipboard_main_channel_new(struct probe *p, SpiceChannel *channel) {
	g_signal_connect(channel, "main-clipboard-selection-grab", G_CALLBACK(on_clipboard_grab), p);
	g_signal_connect(channel, "main-clipboard-selection-release",
		G_CALLBACK(on_clipboard_release), p);
	g_signal_connect(channel, "main-clipboard-selection-request",
		G_CALLBACK(on_clipboard_request), p);
	g_signal_connect(channel, "main-clipboard-selection", G_CALLBACK(on_clipboard_data), p);
}
