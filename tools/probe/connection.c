/*
 * The SPICE session: connecting (where to, with which credentials), the
 * overall deadline, channels coming and going (each is handed to the module
 * that handles it), how connection errors are reported, and spice-glib's
 * own log messages.
 */
#include <stdio.h>
#include <string.h>
#include "probe.h"

static gboolean deadline_expired(gpointer data) {
	struct probe *p = data;
	p->deadline_source = 0;
	const char *what = "the display";
	if (p->connected) {
		what = p->oneshot.active ? "the inputs channel" : "the display to settle";
	}
	fprintf(stderr, PROBE_NAME ": %s:%s: timed out after %gs waiting for %s\n", p->host,
		p->port, p->timeout_s, what);
	if (p->mode->line_protocol) {
		out_line("disconnected");
	}
	probe_finish(p, PROBE_EXIT_TIMEOUT);
	return G_SOURCE_REMOVE;
}

static const char *channel_event_reason(SpiceChannel *channel, SpiceChannelEvent event) {
	const GError *error = spice_channel_get_error(channel);
	if (error != NULL && error->message != NULL) {
		return error->message;
	}
	switch (event) {
	case SPICE_CHANNEL_CLOSED:
		return "connection closed";
	case SPICE_CHANNEL_ERROR_CONNECT:
		return "connection failed";
	case SPICE_CHANNEL_ERROR_TLS:
		return "TLS error";
	case SPICE_CHANNEL_ERROR_LINK:
		return "link error";
	case SPICE_CHANNEL_ERROR_AUTH:
		return "authentication failed";
	case SPICE_CHANNEL_ERROR_IO:
		return "I/O error";
	default:
		return "unknown error";
	}
}

static void on_channel_event(SpiceChannel *channel, SpiceChannelEvent event, gpointer data) {
	struct probe *p = data;
	int type = 0;
	g_object_get(channel, "channel-type", &type, NULL);
	const char *name = spice_channel_type_to_string(type);

	if (event == SPICE_CHANNEL_OPENED) {
		probe_log(p, "%s channel opened", name);
		if ((gpointer)channel == (gpointer)p->ch.inputs) {
			inputs_opened(p);
		}
		return;
	}
	if (event == SPICE_CHANNEL_SWITCHING || event == SPICE_CHANNEL_NONE) {
		return;
	}
	const char *reason = channel_event_reason(channel, event);
	probe_log(p, "%s channel event %d: %s", name, (int)event, reason);
	if ((gpointer)channel == (gpointer)p->ch.inputs) {
		inputs_lost(p);
	}
	if (p->finished || p->queue.quitting) {
		return;
	}
	/* Only losing main or display ends the run. */
	if (type != SPICE_CHANNEL_MAIN && type != SPICE_CHANNEL_DISPLAY) {
		return;
	}
	if (p->connected) {
		if (p->mode->line_protocol) {
			out_line("disconnected");
		} else {
			fprintf(stderr, PROBE_NAME ": %s:%s: disconnected: %s\n", p->host, p->port,
				reason);
		}
	} else if (event == SPICE_CHANNEL_ERROR_AUTH) {
		/* spice-glib's messages already start with "Authentication failed". */
		const char *prefix = "Authentication failed";
		if (g_ascii_strncasecmp(reason, prefix, strlen(prefix)) == 0) {
			reason += strlen(prefix);
			reason += strspn(reason, ": ");
		}
		fprintf(stderr, PROBE_NAME ": %s:%s: authentication failed%s%s\n", p->host, p->port,
			reason[0] != '\0' ? ": " : "", reason);
	} else {
		fprintf(stderr, PROBE_NAME ": %s:%s: cannot connect: %s\n", p->host, p->port, reason);
	}
	if (p->mode->line_protocol && !p->connected) {
		/* Lets a harness waiting for "connected" stop waiting. */
		out_line("disconnected");
	}
	probe_finish(p, PROBE_EXIT_FAIL);
}

/* Keeps a channel for the per-channel byte statistics ("main", "display1", ...). */
static void channel_track(struct probe *p, SpiceChannel *channel, int type, int id,
		const char *name) {
	struct probe_channel *pc = g_new0(struct probe_channel, 1);
	pc->channel = channel;
	if (strchr(name, ' ') != NULL) {
		pc->key = g_strdup_printf("type%d_%d", type, id); /* "unknown channel type" */
	} else {
		pc->key = id == 0 ? g_strdup(name) : g_strdup_printf("%s%d", name, id);
	}
	g_ptr_array_add(p->ch.seen, pc);
}

/*
 * Each channel's module connects to its signals; the channels the probe uses
 * are connected here (spice_session_connect() connects the main channel
 * itself), the others only counted.
 */
static void on_channel_new(SpiceSession *session, SpiceChannel *channel, gpointer data) {
	struct probe *p = data;
	int type = 0, id = 0;
	g_object_get(channel, "channel-type", &type, "channel-id", &id, NULL);
	const char *name = spice_channel_type_to_string(type);
	probe_log(p, "new %s channel %d", name, id);
	channel_track(p, channel, type, id, name);

	bool keep = true;
	if (SPICE_IS_MAIN_CHANNEL(channel)) {
		main_channel_new(p, channel);
		keep = false;
	} else if (SPICE_IS_DISPLAY_CHANNEL(channel) && id == 0) {
		display_channel_new(p, channel);
	} else if (SPICE_IS_INPUTS_CHANNEL(channel)) {
		input_channel_new(p, channel);
	} else if (SPICE_IS_PLAYBACK_CHANNEL(channel)) {
		playback_channel_new(p, channel);
	} else if (SPICE_IS_RECORD_CHANNEL(channel)) {
		record_channel_new(p, channel);
	} else if (SPICE_IS_CURSOR_CHANNEL(channel)) {
		cursor_channel_new(p, channel);
	} else {
		keep = false;
	}
	g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), p);
	if (keep && !spice_channel_connect(channel)) {
		fprintf(stderr, PROBE_NAME ": %s:%s: cannot connect %s channel\n", p->host, p->port,
			name);
		probe_finish(p, PROBE_EXIT_FAIL);
	}
}

static void on_channel_destroy(SpiceSession *session, SpiceChannel *channel, gpointer data) {
	struct probe *p = data;
	for (guint i = 0; i < p->ch.seen->len; i++) {
		struct probe_channel *pc = g_ptr_array_index(p->ch.seen, i);
		if (pc->channel == channel) {
			channel_snapshot(pc);
			pc->channel = NULL;
		}
	}
	if ((gpointer)channel == (gpointer)p->ch.main) {
		p->ch.main = NULL;
		clip_forget_all(p);
	} else if ((gpointer)channel == (gpointer)p->ch.display) {
		p->ch.display = NULL;
		p->primary.exists = false;
		p->primary.data = NULL;
	} else if ((gpointer)channel == (gpointer)p->ch.inputs) {
		p->ch.inputs = NULL;
		inputs_lost(p);
	} else if ((gpointer)channel == (gpointer)p->ch.cursor) {
		p->ch.cursor = NULL;
		p->cursor.known = false;
	} else if ((gpointer)channel == (gpointer)p->ch.playback) {
		p->ch.playback = NULL;
		p->audio.play_active = false;
	} else if ((gpointer)channel == (gpointer)p->ch.record) {
		p->ch.record = NULL;
		p->tone.rec_started = false;
	}
}

void probe_channel_free(gpointer data) {
	struct probe_channel *pc = data;
	g_free(pc->key);
	g_free(pc);
}

/* spice-glib warns on every connection problem; we report those ourselves. */
static void spice_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message,
		gpointer data) {
	struct probe *p = data;
	if (g_str_has_prefix(message, "Failed to create pipeline")) {
		p->gst_audio_missing = true; /* see gobject_log_handler() */
	}
	bool show = p->verbose >= 2 ||
		(p->verbose == 1 && (level & G_LOG_LEVEL_DEBUG) == 0) ||
		(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0;
	if (show) {
		fprintf(stderr, "%s: %s\n", domain != NULL ? domain : PROBE_NAME, message);
	}
}

/*
 * spice-glib answers an agent's volume-sync capability by asking its
 * GStreamer audio backend for the local volume. Without GStreamer's audio
 * plugins it fails to build the pipeline (logged as "Failed to create
 * pipeline") and then uses the missing element anyway: these GObject
 * criticals follow. They are spice-glib's, not ours, so those alone are shown
 * with -v only; any other GObject critical is shown as GLib would.
 */
static const char *const gst_audio_criticals[] = {
	"g_object_ref: assertion 'G_IS_OBJECT (object)' failed",
	"g_object_get: assertion 'G_IS_OBJECT (object)' failed",
	"g_object_unref: assertion 'G_IS_OBJECT (object)' failed",
};

static void gobject_log_handler(const gchar *domain, GLogLevelFlags level,
		const gchar *message, gpointer data) {
	struct probe *p = data;
	bool known = false;
	for (size_t i = 0; p->gst_audio_missing && i < G_N_ELEMENTS(gst_audio_criticals); i++) {
		known = known || strcmp(message, gst_audio_criticals[i]) == 0;
	}
	if (!known) {
		g_log_default_handler(domain, level, message, NULL);
	} else if (p->verbose >= 1) {
		fprintf(stderr, "%s: %s\n", domain, message);
	}
}

void probe_log_handlers_install(struct probe *p) {
	g_log_set_handler("GSpice", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
		spice_log_handler, p);
	/*
	 * Hides the criticals spice-glib's audio causes without GStreamer's
	 * plugins, with audio channels or not: it asks for the volume anyway.
	 */
	g_log_set_handler("GLib-GObject", G_LOG_LEVEL_CRITICAL, gobject_log_handler, p);
	if (p->verbose >= 2) {
		spice_util_set_debug(TRUE);
	}
}

/*
 * Where the session connects to, and p->host and p->port as messages name
 * it. Returns -1, or the exit status for a URI that names no server.
 */
static int session_set_target(struct probe *p, const struct probe_target *t) {
	if (t->unix_path != NULL) {
		g_object_set(p->session, "host", NULL, "unix-path", t->unix_path, NULL);
	} else if (t->uri != NULL) {
		/* spice-glib ignores an unparsable URI (with a warning); detect that. */
		g_object_set(p->session, "host", NULL, NULL);
		g_object_set(p->session, "uri", t->uri, NULL);
	} else if (t->tls_port != NULL) {
		/* TLS only, unless a plain port is given too. */
		g_object_set(p->session, "host", t->host != NULL ? t->host : DEFAULT_HOST, "port",
			t->port, "tls-port", t->tls_port, NULL);
	} else {
		g_object_set(p->session, "host", t->host != NULL ? t->host : DEFAULT_HOST, "port",
			t->port != NULL ? t->port : DEFAULT_PORT, NULL);
	}
	if (t->ca_file != NULL) {
		g_object_set(p->session, "ca-file", t->ca_file, NULL);
	}
	if (t->unix_path != NULL) {
		/* Messages name the socket as "unix:PATH". */
		p->host = g_strdup("unix");
		p->port = g_strdup(t->unix_path);
	} else {
		g_object_get(p->session, "host", &p->host, "port", &p->port, NULL);
	}
	if (p->host == NULL || p->host[0] == '\0') {
		return usage_error("invalid URI %s (want spice://HOST:PORT)", t->uri);
	}
	if (p->port == NULL) {
		/* The URI gave only a TLS port. */
		g_object_get(p->session, "tls-port", &p->port, NULL);
	}
	if (p->port == NULL) {
		return usage_error("invalid URI %s", t->uri);
	}
	return -1;
}

/*
 * Creates the main loop and the session and starts connecting. Returns -1,
 * or the exit status if that failed at once.
 */
int probe_connect(struct probe *p, const struct probe_target *t, const char *password) {
	p->loop = g_main_loop_new(NULL, FALSE);
	p->ch.seen = g_ptr_array_new_with_free_func(probe_channel_free);
	p->session = spice_session_new();
	/*
	 * Audio channels only where a command may use them; on_channel_new()
	 * connects them itself, so spice-glib's own audio backend (GStreamer)
	 * never plays or records anything.
	 */
	bool audio = p->mode->line_protocol ||
		(p->oneshot.cmd != NULL && (p->oneshot.cmd->flags & CMD_AUDIO) != 0);
	g_object_set(p->session, "enable-audio", audio, "enable-usbredir", FALSE,
		"enable-smartcard", FALSE, NULL);
	int status = session_set_target(p, t);
	if (status >= 0) {
		return status;
	}
	if (password != NULL) {
		g_object_set(p->session, "password", password, NULL);
	}
	if (t->username != NULL) {
		g_object_set(p->session, "username", t->username, NULL);
	}
	g_signal_connect(p->session, "channel-new", G_CALLBACK(on_channel_new), p);
	g_signal_connect(p->session, "channel-destroy", G_CALLBACK(on_channel_destroy), p);

	probe_log(p, "connecting to %s:%s%s%s%s", p->host, p->port,
		t->username != NULL ? " as " : "", t->username != NULL ? t->username : "",
		password != NULL ? " with password" : "");
	p->deadline_source = g_timeout_add(seconds_to_ms(p->timeout_s), deadline_expired, p);
	if (!spice_session_connect(p->session)) {
		fprintf(stderr, PROBE_NAME ": %s:%s: cannot connect: spice_session_connect failed\n",
			p->host, p->port);
		return PROBE_EXIT_FAIL;
	}
	return -1;
}
