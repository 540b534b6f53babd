/*
 * spice-wl-probe: a headless SPICE client for testing spice-wl.
 *
 * It connects to a SPICE server with spice-client-glib (no GTK), tracks the
 * primary surface of display channel 0 and answers questions about it:
 * screenshots, pixel expectations, traffic statistics, and an interactive
 * line-based "session" mode that test harnesses drive over a pipe. It also
 * sends keyboard and mouse input on the inputs channel and reports what the
 * server sends back (keyboard LEDs, mouse mode, cursor shape), both as session
 * commands and as one-shot commands (`spice-wl-probe key 1e`). Agent commands
 * talk to the SPICE agent (spice-wl is its own) over the main channel: they
 * change the monitors configuration (`resize`) and read or set the clipboard.
 *
 * Exit codes: 0 success, 1 failure (connection, authentication, disconnect,
 * unmet expectation, I/O), 2 bad usage, 3 timeout.
 *
 * "Connected" means the primary surface exists and the server has marked
 * the display ready (SPICE_MSG_DISPLAY_MARK, sent after the initial image),
 * so a fresh all-black surface is never mistaken for content.
 *
 * Timing: --timeout bounds the time from start until connected; for
 * `screenshot` it bounds the whole run (including settling). Command timers
 * (expect --timeout-ms, stats --seconds and all session command timeouts)
 * start once connected. One-shot input commands also wait (within --timeout)
 * for the inputs channel to be initialised.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <png.h>
#include <spice-client.h>
#include <spice/vd_agent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_NAME "spice-wl-probe"

enum probe_exit {
	PROBE_EXIT_OK = 0,
	PROBE_EXIT_FAIL = 1,
	PROBE_EXIT_USAGE = 2,
	PROBE_EXIT_TIMEOUT = 3,
};

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "5900"
#define DEFAULT_TIMEOUT_S 20.0
#define DEFAULT_SETTLE_MS 300
#define DEFAULT_EXPECT_TIMEOUT_MS 5000
#define DEFAULT_STATS_SECONDS 1.0
#define MAX_TIMEOUT_MS (24 * 3600 * 1000)
/* Servers that never send a display mark are treated as ready after this. */
#define MARK_FALLBACK_MS 1000
/* Bound on the wait for queued input to be written to the socket. */
#define FLUSH_TIMEOUT_MS 5000
/* After sending input, stay connected this long so the server reads it all. */
#define INPUT_SETTLE_MS 200
#define DEFAULT_LATENCY_COUNT 10
#define DEFAULT_LATENCY_TIMEOUT_MS 2000
#define LATENCY_QUIET_MS 200
#define MAX_LATENCY_COUNT 10000
#define MAX_WHEEL_STEPS 1000
#define MAX_KEY_ARGS 256
#define DEFAULT_AGENT_TIMEOUT_MS 10000
#define DEFAULT_RESIZE_TIMEOUT_MS 10000
#define DEFAULT_CLIPBOARD_TIMEOUT_MS 5000
/* One-shot `clipboard set` stays connected this long, serving requests. */
#define DEFAULT_HOLD_MS 3000
#define DEFAULT_SEND_FILE_TIMEOUT_MS 60000
/* spice-gtk's MAX_DISPLAY: displays a monitors config can describe. */
#define MAX_MONITORS 16
#define MAX_MONITOR_SIDE 16384
/* Audio: playback samples louder than 1% of full scale are sound. */
#define AUDIO_SOUND_LEVEL 328
#define DEFAULT_AUDIO_SECONDS 1.0
#define MAX_AUDIO_SECONDS 600.0
/* Samples of captured sound kept (left channel): 2 minutes at 48 kHz. */
#define AUDIO_MAX_CAPTURE (120u * 48000u)
#define DEFAULT_TONE_FREQ 440.0
#define DEFAULT_TONE_SECONDS 1.0
#define DEFAULT_TONE_AMPLITUDE 0.5
#define DEFAULT_TONE_TIMEOUT_MS 10000
/* The tone is sent every TONE_TICK_MS, TONE_BURST_MS ahead of real time. */
#define TONE_TICK_MS 10
#define TONE_BURST_MS 20
/* VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD and _PRIMARY (no SECONDARY). */
#define CLIP_SELECTIONS 2

/*
 * Keys are spice-gtk scancodes: PC XT (set 1) make codes, with 0x100 | code
 * for E0-prefixed keys. Pause has no such code; KEY_PAUSE stands for it.
 */
#define KEY_PAUSE 0xe11d45u
#define KEY_LEFT_SHIFT 0x2au
#define KEY_A 0x1eu

struct probe;

/* Hooks a command mode installs to react to connection and display events. */
struct probe_mode {
	const char *name;
	/* Parses the command's own arguments; returns false on bad usage. */
	bool (*parse)(struct probe *p, int argc, char **argv);
	/* First time the primary surface exists and holds the initial image. */
	void (*connected)(struct probe *p);
	/* The display changed: invalidate or primary (re)created. */
	void (*update)(struct probe *p, bool primary_changed);
	/* Whether --timeout stays armed after connecting. */
	bool deadline_after_connect;
	/* Speaks the session line protocol (async lines on stdout). */
	bool line_protocol;
};

/* A channel seen on the session, kept for per-channel byte statistics. */
struct probe_channel {
	SpiceChannel *channel; /* NULL once spice-glib destroyed it */
	char *key;             /* "main", "display", "display1", ... */
	gulong last_bytes;     /* total-read-bytes when last seen */
};

struct expect_pixel {
	int x, y;
	uint32_t want;
};

enum session_wait {
	SESSION_WAIT_NONE,
	SESSION_WAIT_PIXEL,
	SESSION_WAIT_UPDATE,
	SESSION_WAIT_QUIET,
	SESSION_WAIT_FLUSH,   /* input written to the inputs channel socket */
	SESSION_WAIT_LEDS,    /* keyboard LEDs match wait_leds_want */
	SESSION_WAIT_VOLUME,  /* an audio channel's volume and mute match wait_volume */
	SESSION_WAIT_CURSOR,  /* a cursor shape has been received */
	SESSION_WAIT_LATENCY, /* latency measurement in progress */
	SESSION_WAIT_AGENT,   /* agent connected with capabilities, then agent_op */
	SESSION_WAIT_RESIZE,  /* primary surface has the size resize asked for */
	SESSION_WAIT_CLIP_GRAB, /* the agent grabs op_selection */
	SESSION_WAIT_CLIP_DATA, /* the agent sends the text we requested */
	SESSION_WAIT_AUDIO_TIME, /* audio SECONDS: capturing playback */
	SESSION_WAIT_AUDIO_STOP, /* audio-wait: playback stops after sound */
	SESSION_WAIT_TONE_START, /* tone: the server has not started recording yet */
	SESSION_WAIT_TONE_SEND,  /* tone: sending in real time */
	SESSION_WAIT_FILE,       /* send-file: the transfer is under way */
};

/* What an agent command does once the agent is ready (SESSION_WAIT_AGENT). */
enum agent_op {
	AGENT_OP_NONE,
	AGENT_OP_WAIT,     /* agent: nothing more */
	AGENT_OP_RESIZE,   /* resize: send the monitors config */
	AGENT_OP_CLIP_GET, /* clipboard get: request the text of the agent's grab */
	AGENT_OP_CLIP_SET, /* clipboard set: grab with op_text */
	AGENT_OP_SEND_FILE, /* send-file: copy op_text (a path) to the agent */
};

/* The last clipboard grab the agent sent for one selection. */
struct agent_grab {
	bool grabbed;
	GArray *types; /* guint32 VD_AGENT_CLIPBOARD_* */
};

/* A clipboard request from the agent held back while the session is read-only. */
struct clip_request {
	guint selection, type;
};

/* The channels of the session; the pointers are NULL until created and once destroyed. */
struct probe_channels {
	SpiceMainChannel *main;
	SpiceDisplayChannel *display; /* display channel 0 */
	SpiceInputsChannel *inputs;
	SpiceCursorChannel *cursor;
	SpicePlaybackChannel *playback; /* audio channels: handled here (audio.c) */
	SpiceRecordChannel *record;
	GPtrArray *seen; /* struct probe_channel *, every channel, for statistics */
};

/* Primary surface of display channel 0, owned by spice-glib. */
struct probe_primary {
	bool exists;
	enum SpiceSurfaceFmt format;
	int width, height, stride;
	const guint8 *data;
	guint64 updates; /* display invalidations */
};

/* Mode screenshot: where and how long to settle first. */
struct probe_shot {
	const char *out_path;
	guint settle_ms;
};

/* Mode expect. */
struct probe_expect {
	GArray *pixels; /* struct expect_pixel */
	guint timeout_ms;
	guint source;
};

/* Mode stats. */
struct probe_stats {
	double seconds;
	guint source;
};

/* Mode session: the command lines from stdin and the state of the queue. */
struct probe_queue {
	GIOChannel *stdin_channel;
	guint stdin_source;
	GString *stdin_buf;
	GQueue *lines; /* char *, commands not yet run */
	bool stdin_eof;
	bool running;
	bool pending; /* a command returned CMD_PENDING and has not completed */
	bool quitting; /* quit or EOF: no more commands, exiting after settle_source */
	bool awaiting_inputs; /* "connected" waits for the inputs channel */
	guint inputs_grace_source;
};

/* What the pending command waits for, and its timers. */
struct probe_wait {
	enum session_wait kind;
	struct expect_pixel pixel;
	guint quiet_ms;
	guint timeout_source;
	guint quiet_source;
};

/* The inputs channel. */
struct probe_input {
	bool opened;     /* linked; SPICE_CHANNEL_OPENED seen */
	bool leds_known; /* SPICE_MSG_INPUTS_INIT (first LED state) received */
	int buttons;     /* SPICE_MOUSE_BUTTON_MASK_* of the buttons we hold */
	guint flush_serial; /* identifies the flush a session command waits for */
	guint wait_leds_mask, wait_leds_want; /* SPICE_INPUTS_*_LOCK bits */
};

/* The cursor channel: the last shape and whether it is shown. */
struct probe_cursor {
	bool known;
	bool visible;
	int width, height, hot_x, hot_y;
	int want_width, want_height; /* wait-cursor W H; 0 for any */
};

/* The latency command. */
struct probe_latency {
	guint count;
	guint timeout_ms;
	guint key;
	gint64 sent_at; /* 0 while waiting for the display to be quiet */
	GArray *samples; /* double, milliseconds */
};

/* The pending agent command (SESSION_WAIT_AGENT and after). */
struct probe_agent {
	enum agent_op op;
	guint selection; /* VD_AGENT_CLIPBOARD_SELECTION_* of a clipboard command */
	char *text;      /* clipboard set: the text until it is grabbed; send-file: the path */
	gsize text_len;
	guint32 type;    /* VD_AGENT_CLIPBOARD_* of a clipboard command */
	char *file;      /* get-file: where the data goes */
	int resize_n;    /* monitors the pending resize asks for */
	int resize_w[MAX_MONITORS], resize_h[MAX_MONITORS];
	int resize_from_w, resize_from_h; /* primary size when the config was sent */
};

/* Both sides of the clipboard, per selection. */
struct probe_clipboard {
	struct agent_grab grab[CLIP_SELECTIONS];
	/* Clipboard text we grabbed, served on request while we own the selection. */
	char *text[CLIP_SELECTIONS];
	gsize len[CLIP_SELECTIONS];
	guint32 type[CLIP_SELECTIONS]; /* VD_AGENT_CLIPBOARD_* of text */
	bool owned[CLIP_SELECTIONS];
	guint served;     /* requests answered with our text */
	GArray *deferred; /* struct clip_request */
};

/* send-file. */
struct probe_file {
	GCancellable *cancel; /* a transfer in progress */
	goffset cancel_after; /* --cancel-after BYTES, or -1 */
	goffset exit_after;   /* --exit-after BYTES, or -1 */
	char *error;          /* why the file failed (the agent's words) */
	int waits;            /* callbacks still to come */
};

/* The playback channel and what it delivered since audio-start. */
struct probe_audio {
	int play_format, play_channels, play_rate;
	bool play_active;
	bool capturing;          /* since audio-start (or audio SECONDS) */
	GArray *capture;         /* gint16, left channel, from the first sound on */
	guint loud_end;          /* samples in capture up to the last sound */
	guint64 frames;          /* frames received while capturing */
	gint64 first_sound_us;   /* g_get_monotonic_time() when sound arrived, 0 if none */
	guint starts, stops;
	bool stopped_after_sound;
	/* wait-volume: the channel (playback or record), its mute and first volume (-1: any) */
	bool wait_playback;
	int wait_mute, wait_volume;
};

/* The record channel and the tone sent on it. */
struct probe_tone {
	int rec_format, rec_channels, rec_rate;
	bool rec_started;
	double freq, seconds, amplitude;
	guint64 frames, sent, burst;
	gint64 start_us;
	guint source;
};

/* One session command run from the command line. */
struct probe_oneshot {
	bool active;
	const struct session_cmd *cmd;
	int argc;
	char **argv;
	bool started;
	bool dry_run; /* checking the arguments only; see oneshot_parse() */
	char *error;  /* first error line from the dry run */
	char *line;   /* result line printed once the input has settled */
	bool hold;    /* clipboard set: stay connected hold_ms after the result */
	guint hold_ms;
};

struct probe {
	GMainLoop *loop;
	SpiceSession *session;
	int verbose;
	char *host, *port; /* for messages */
	const struct probe_mode *mode;
	int exit_code;
	bool finished;
	guint deadline_source;
	double timeout_s;

	guint mark_fallback_source;
	bool connected;
	gint64 connected_at; /* g_get_monotonic_time() */
	guint settle_source; /* screenshot, and the wait before exiting after input */
	bool sent_input;     /* some input was sent on this connection */
	bool lock_sync_off;  /* session read-only while the inputs channel comes up */
	guint lock_sync_source;
	bool gst_audio_missing; /* spice-glib could not build a GStreamer audio pipeline */

	struct probe_channels ch;
	struct probe_primary primary;
	struct probe_shot shot;
	struct probe_expect expect;
	struct probe_stats stats;
	struct probe_queue queue;
	struct probe_wait wait;
	struct probe_input input;
	struct probe_cursor cursor;
	struct probe_latency latency;
	struct probe_agent agent;
	struct probe_clipboard clip;
	struct probe_file file;
	struct probe_audio audio;
	struct probe_tone tone;
	struct probe_oneshot oneshot;
};

/* ------------------------------------------------------------------ */
/* Small helpers */

static void probe_log(struct probe *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void probe_log(struct probe *p, const char *fmt, ...) {
	if (p->verbose == 0) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	fprintf(stderr, PROBE_NAME ": ");
	vfprintf(stderr, fmt, args);
	fprintf(stderr, "\n");
	va_end(args);
}

static void clear_source(guint *source) {
	if (*source != 0) {
		g_source_remove(*source);
		*source = 0;
	}
}

static void probe_finish(struct probe *p, int code) {
	if (p->finished) {
		return;
	}
	p->finished = true;
	p->exit_code = code;
	g_main_loop_quit(p->loop);
}

static void out_line(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* One protocol line on stdout, flushed immediately. */
static void out_line(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

static bool parse_long(const char *s, long min, long max, long *out) {
	if (s == NULL || *s == '\0') {
		return false;
	}
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

static bool parse_ms(const char *s, guint *out) {
	long v;
	if (!parse_long(s, 0, MAX_TIMEOUT_MS, &v)) {
		return false;
	}
	*out = (guint)v;
	return true;
}

static bool parse_seconds(const char *s, double *out) {
	if (s == NULL || *s == '\0') {
		return false;
	}
	char *end = NULL;
	errno = 0;
	double v = g_ascii_strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0.0) || v > MAX_TIMEOUT_MS / 1000.0) {
		return false;
	}
	*out = v;
	return true;
}

static bool parse_rgb(const char *s, uint32_t *out) {
	if (s[0] == '#') {
		s++;
	}
	if (strlen(s) != 6) {
		return false;
	}
	uint32_t v = 0;
	for (int i = 0; i < 6; i++) {
		int d = g_ascii_xdigit_value(s[i]);
		if (d < 0) {
			return false;
		}
		v = (v << 4) | (uint32_t)d;
	}
	*out = v;
	return true;
}

/* "X,Y=RRGGBB" */
static bool parse_pixel_spec(const char *s, struct expect_pixel *px) {
	char *copy = g_strdup(s);
	bool ok = false;
	char *eq = strchr(copy, '=');
	char *comma = strchr(copy, ',');
	if (eq != NULL && comma != NULL && comma < eq) {
		*eq = '\0';
		*comma = '\0';
		long x, y;
		ok = parse_long(copy, 0, INT32_MAX, &x) && parse_long(comma + 1, 0, INT32_MAX, &y) &&
			parse_rgb(eq + 1, &px->want);
		if (ok) {
			px->x = (int)x;
			px->y = (int)y;
		}
	}
	g_free(copy);
	return ok;
}

static guint seconds_to_ms(double s) {
	return (guint)(s * 1000.0 + 0.5);
}

/* ------------------------------------------------------------------ */
/* Primary surface access */

static bool primary_pixel(struct probe *p, int x, int y, uint32_t *rgb) {
	if (!p->primary.exists || x < 0 || y < 0 || x >= p->primary.width || y >= p->primary.height) {
		return false;
	}
	const guint8 *row = p->primary.data + (ptrdiff_t)y * p->primary.stride;
	switch (p->primary.format) {
	case SPICE_SURFACE_FMT_32_xRGB:
	case SPICE_SURFACE_FMT_32_ARGB: {
		/* Native-endian 0xAARRGGBB words (BGRX bytes on little-endian). */
		uint32_t v;
		memcpy(&v, row + (size_t)x * 4, sizeof(v));
		*rgb = v & 0xffffff;
		return true;
	}
	case SPICE_SURFACE_FMT_16_555:
	case SPICE_SURFACE_FMT_16_565: {
		uint16_t v;
		memcpy(&v, row + (size_t)x * 2, sizeof(v));
		uint32_t r, g, b;
		if (p->primary.format == SPICE_SURFACE_FMT_16_555) {
			r = (v >> 10) & 0x1f;
			g = (v >> 5) & 0x1f;
			g = (g << 3) | (g >> 2);
		} else {
			r = (v >> 11) & 0x1f;
			g = (v >> 5) & 0x3f;
			g = (g << 2) | (g >> 4);
		}
		b = v & 0x1f;
		r = (r << 3) | (r >> 2);
		b = (b << 3) | (b >> 2);
		*rgb = (r << 16) | (g << 8) | b;
		return true;
	}
	default:
		return false;
	}
}

static bool primary_format_supported(enum SpiceSurfaceFmt format) {
	return format == SPICE_SURFACE_FMT_32_xRGB || format == SPICE_SURFACE_FMT_32_ARGB ||
		format == SPICE_SURFACE_FMT_16_555 || format == SPICE_SURFACE_FMT_16_565;
}

/* Formats a pixel for output: "rrggbb", or "none" outside the surface. */
static void format_pixel(struct probe *p, int x, int y, char buf[static 8]) {
	uint32_t rgb;
	if (primary_pixel(p, x, y, &rgb)) {
		snprintf(buf, 8, "%06" PRIx32, rgb);
	} else {
		snprintf(buf, 8, "none");
	}
}

static bool pixel_matches(struct probe *p, const struct expect_pixel *px) {
	uint32_t rgb;
	return primary_pixel(p, px->x, px->y, &rgb) && rgb == px->want;
}

static void fill_rgb_row(struct probe *p, int y, guint8 *out) {
	for (int x = 0; x < p->primary.width; x++) {
		uint32_t rgb = 0;
		primary_pixel(p, x, y, &rgb);
		out[3 * x + 0] = (rgb >> 16) & 0xff;
		out[3 * x + 1] = (rgb >> 8) & 0xff;
		out[3 * x + 2] = rgb & 0xff;
	}
}

static bool write_png(struct probe *p, FILE *f, guint8 *row, char **err) {
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png == NULL) {
		*err = g_strdup("png_create_write_struct failed");
		return false;
	}
	png_infop info = png_create_info_struct(png);
	if (info == NULL) {
		png_destroy_write_struct(&png, NULL);
		*err = g_strdup("png_create_info_struct failed");
		return false;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		*err = g_strdup("libpng error");
		return false;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)p->primary.width, (png_uint_32)p->primary.height, 8,
		PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < p->primary.height; y++) {
		fill_rgb_row(p, y, row);
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return true;
}

static bool write_ppm(struct probe *p, FILE *f, guint8 *row) {
	fprintf(f, "P6\n%d %d\n255\n", p->primary.width, p->primary.height);
	for (int y = 0; y < p->primary.height; y++) {
		fill_rgb_row(p, y, row);
		if (fwrite(row, 3, (size_t)p->primary.width, f) != (size_t)p->primary.width) {
			return false;
		}
	}
	return true;
}

static bool path_is_png(const char *path) {
	size_t len = strlen(path);
	return len >= 4 && g_ascii_strcasecmp(path + len - 4, ".png") == 0;
}

/* Writes the primary surface to path (PNG for *.png, else binary PPM). */
static bool save_screenshot(struct probe *p, const char *path, char **err) {
	if (!p->primary.exists) {
		*err = g_strdup("no primary surface");
		return false;
	}
	if (!primary_format_supported(p->primary.format)) {
		*err = g_strdup_printf("unsupported surface format %d", (int)p->primary.format);
		return false;
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		*err = g_strdup_printf("cannot open %s: %s", path, g_strerror(errno));
		return false;
	}
	guint8 *row = g_malloc((size_t)p->primary.width * 3);
	bool ok;
	char *png_err = NULL;
	if (path_is_png(path)) {
		ok = write_png(p, f, row, &png_err);
	} else {
		ok = write_ppm(p, f, row);
	}
	g_free(row);
	if (fclose(f) != 0) {
		ok = false;
	}
	if (!ok) {
		*err = png_err != NULL ? png_err :
			g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Statistics */

static void channel_snapshot(struct probe_channel *pc) {
	if (pc->channel != NULL) {
		gulong bytes = 0;
		g_object_get(pc->channel, "total-read-bytes", &bytes, NULL);
		pc->last_bytes = bytes;
	}
}

static void add_channel_bytes(GPtrArray *keys, GArray *bytes, const char *key, guint64 b) {
	for (guint i = 0; i < keys->len; i++) {
		if (strcmp(g_ptr_array_index(keys, i), key) == 0) {
			g_array_index(bytes, guint64, i) += b;
			return;
		}
	}
	g_ptr_array_add(keys, (gpointer)key);
	g_array_append_val(bytes, b);
}

/* {"seconds":S,"channels":{...},"total_bytes":B,"display_updates":N,...} */
static char *stats_json(struct probe *p, double seconds) {
	static const char *const fixed[] = {"main", "display", "inputs", "cursor"};
	GPtrArray *keys = g_ptr_array_new();
	GArray *bytes = g_array_new(FALSE, TRUE, sizeof(guint64));
	GString *json = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
		add_channel_bytes(keys, bytes, fixed[i], 0);
	}
	for (guint i = 0; i < p->ch.seen->len; i++) {
		struct probe_channel *pc = g_ptr_array_index(p->ch.seen, i);
		channel_snapshot(pc);
		add_channel_bytes(keys, bytes, pc->key, pc->last_bytes);
	}

	char num[G_ASCII_DTOSTR_BUF_SIZE];
	g_ascii_formatd(num, sizeof(num), "%.3f", seconds);
	/* Trim "2.000" to "2" and "0.500" to "0.5". */
	if (strchr(num, '.') != NULL) {
		size_t len = strlen(num);
		while (len > 0 && num[len - 1] == '0') {
			num[--len] = '\0';
		}
		if (len > 0 && num[len - 1] == '.') {
			num[--len] = '\0';
		}
	}

	guint64 total = 0;
	g_string_append_printf(json, "{\"seconds\":%s,\"channels\":{", num);
	for (guint i = 0; i < keys->len; i++) {
		guint64 b = g_array_index(bytes, guint64, i);
		total += b;
		g_string_append_printf(json, "%s\"%s\":%" G_GUINT64_FORMAT, i > 0 ? "," : "",
			(const char *)g_ptr_array_index(keys, i), b);
	}
	g_string_append_printf(json,
		"},\"total_bytes\":%" G_GUINT64_FORMAT ",\"display_updates\":%" G_GUINT64_FORMAT
		",\"width\":%d,\"height\":%d}",
		total, p->primary.updates, p->primary.exists ? p->primary.width : 0,
		p->primary.exists ? p->primary.height : 0);

	g_ptr_array_free(keys, TRUE);
	g_array_free(bytes, TRUE);
	return g_string_free(json, FALSE);
}

/* ------------------------------------------------------------------ */
/* Mode: screenshot */

static gboolean screenshot_settled(gpointer data) {
	struct probe *p = data;
	p->settle_source = 0;
	if (!p->primary.exists) {
		return G_SOURCE_REMOVE; /* re-armed when the primary comes back */
	}
	char *err = NULL;
	if (!save_screenshot(p, p->shot.out_path, &err)) {
		fprintf(stderr, PROBE_NAME ": screenshot: %s\n", err);
		g_free(err);
		probe_finish(p, PROBE_EXIT_FAIL);
		return G_SOURCE_REMOVE;
	}
	out_line("%dx%d", p->primary.width, p->primary.height);
	probe_finish(p, PROBE_EXIT_OK);
	return G_SOURCE_REMOVE;
}

static void screenshot_arm(struct probe *p) {
	clear_source(&p->settle_source);
	p->settle_source = g_timeout_add(p->shot.settle_ms, screenshot_settled, p);
}

static void screenshot_connected(struct probe *p) {
	screenshot_arm(p);
}

static void screenshot_update(struct probe *p, bool primary_changed) {
	screenshot_arm(p);
}

static bool screenshot_parse(struct probe *p, int argc, char **argv) {
	p->shot.settle_ms = DEFAULT_SETTLE_MS;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--out") == 0 && i + 1 < argc) {
			p->shot.out_path = argv[++i];
		} else if (g_str_has_prefix(a, "--out=")) {
			p->shot.out_path = a + strlen("--out=");
		} else if (strcmp(a, "--settle") == 0 && i + 1 < argc) {
			if (!parse_ms(argv[++i], &p->shot.settle_ms)) {
				return false;
			}
		} else if (g_str_has_prefix(a, "--settle=")) {
			if (!parse_ms(a + strlen("--settle="), &p->shot.settle_ms)) {
				return false;
			}
		} else {
			return false;
		}
	}
	return p->shot.out_path != NULL && p->shot.out_path[0] != '\0';
}

/* ------------------------------------------------------------------ */
/* Mode: expect */

static void expect_check(struct probe *p) {
	for (guint i = 0; i < p->expect.pixels->len; i++) {
		if (!pixel_matches(p, &g_array_index(p->expect.pixels, struct expect_pixel, i))) {
			return;
		}
	}
	out_line("ok");
	probe_finish(p, PROBE_EXIT_OK);
}

static gboolean expect_timeout(gpointer data) {
	struct probe *p = data;
	p->expect.source = 0;
	for (guint i = 0; i < p->expect.pixels->len; i++) {
		struct expect_pixel *px = &g_array_index(p->expect.pixels, struct expect_pixel, i);
		if (!pixel_matches(p, px)) {
			char got[8];
			format_pixel(p, px->x, px->y, got);
			out_line("fail %d,%d got %s want %06" PRIx32, px->x, px->y, got, px->want);
		}
	}
	probe_finish(p, PROBE_EXIT_FAIL);
	return G_SOURCE_REMOVE;
}

static void expect_connected(struct probe *p) {
	p->expect.source = g_timeout_add(p->expect.timeout_ms, expect_timeout, p);
	expect_check(p);
}

static void expect_update(struct probe *p, bool primary_changed) {
	expect_check(p);
}

static bool expect_parse(struct probe *p, int argc, char **argv) {
	p->expect.timeout_ms = DEFAULT_EXPECT_TIMEOUT_MS;
	p->expect.pixels = g_array_new(FALSE, TRUE, sizeof(struct expect_pixel));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct expect_pixel px;
		if (strcmp(a, "--timeout-ms") == 0 && i + 1 < argc) {
			if (!parse_ms(argv[++i], &p->expect.timeout_ms)) {
				return false;
			}
		} else if (g_str_has_prefix(a, "--timeout-ms=")) {
			if (!parse_ms(a + strlen("--timeout-ms="), &p->expect.timeout_ms)) {
				return false;
			}
		} else if (parse_pixel_spec(a, &px)) {
			g_array_append_val(p->expect.pixels, px);
		} else {
			return false;
		}
	}
	return p->expect.pixels->len > 0;
}

/* ------------------------------------------------------------------ */
/* Mode: stats */

static gboolean stats_done(gpointer data) {
	struct probe *p = data;
	p->stats.source = 0;
	char *json = stats_json(p, p->stats.seconds);
	out_line("%s", json);
	g_free(json);
	probe_finish(p, PROBE_EXIT_OK);
	return G_SOURCE_REMOVE;
}

static void stats_connected(struct probe *p) {
	p->stats.source = g_timeout_add(seconds_to_ms(p->stats.seconds), stats_done, p);
}

static bool stats_parse(struct probe *p, int argc, char **argv) {
	p->stats.seconds = DEFAULT_STATS_SECONDS;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
			if (!parse_seconds(argv[++i], &p->stats.seconds)) {
				return false;
			}
		} else if (g_str_has_prefix(a, "--seconds=")) {
			if (!parse_seconds(a + strlen("--seconds="), &p->stats.seconds)) {
				return false;
			}
		} else {
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Mode: session (line protocol on stdin/stdout) */

enum cmd_result {
	CMD_DONE,    /* the command printed its result line */
	CMD_PENDING, /* session_complete() prints it later; the queue waits */
};

enum session_cmd_flags {
	CMD_INPUTS = 1 << 0, /* needs the inputs channel initialised */
	CMD_CLI = 1 << 1,    /* also a one-shot command: spice-wl-probe NAME ARGS */
	CMD_RAW = 1 << 2,    /* in a session, takes the rest of the line as one argument */
	CMD_SENDS = 1 << 3,  /* sends input: one-shot runs let it settle before exiting */
	CMD_AUDIO = 1 << 4,  /* one-shot: connect the audio channels */
};

struct session_cmd {
	const char *name;
	const char *args; /* usage, for "error usage: ..." */
	int min_args, max_args;
	bool needs_primary;
	enum cmd_result (*run)(struct probe *p, int argc, char **argv);
	unsigned flags; /* enum session_cmd_flags */
};

static void session_run_queue(struct probe *p);
static void oneshot_result(struct probe *p, const char *line);

static void cmd_reply(struct probe *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * The result line of a command: on stdout in a session; in a one-shot run it
 * decides the exit status (see oneshot_result()), and during the dry run
 * that checks one-shot arguments only the first error is kept.
 */
static void cmd_reply(struct probe *p, const char *fmt, ...) {
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
static void session_end_wait(struct probe *p) {
	clear_source(&p->wait.timeout_source);
	clear_source(&p->wait.quiet_source);
	p->wait.kind = SESSION_WAIT_NONE;
	p->agent.op = AGENT_OP_NONE;
	g_clear_pointer(&p->agent.text, g_free);
	g_clear_pointer(&p->agent.file, g_free);
}

/* Prints the result of the pending command and resumes the queue. */
static void session_complete(struct probe *p, const char *result) {
	session_end_wait(p);
	p->queue.pending = false;
	cmd_reply(p, "%s", result);
	if (!p->oneshot.active) {
		session_run_queue(p);
	}
}

static bool inputs_ready(struct probe *p) {
	return p->ch.inputs != NULL && p->input.opened && p->input.leds_known;
}

static guint current_leds(struct probe *p) {
	int mods = 0;
	if (p->ch.inputs != NULL) {
		g_object_get(p->ch.inputs, "key-modifiers", &mods, NULL);
	}
	return (guint)mods;
}

static char *format_leds(guint leds) {
	return g_strdup_printf("caps=%d num=%d scroll=%d", (leds & SPICE_INPUTS_CAPS_LOCK) != 0,
		(leds & SPICE_INPUTS_NUM_LOCK) != 0, (leds & SPICE_INPUTS_SCROLL_LOCK) != 0);
}

static char *agent_timeout_line(struct probe *p);
static char *volume_line(struct probe *p, const char *prefix);

static gboolean session_wait_timeout(gpointer data) {
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
		/* The callback still comes, cancelled; file_cancel is gone then. */
		g_cancellable_cancel(p->file.cancel);
		g_clear_object(&p->file.cancel);
		g_clear_pointer(&p->file.error, g_free);
		line = g_strdup("fail timeout");
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

static void latency_send(struct probe *p);

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

static void session_arm_quiet(struct probe *p) {
	clear_source(&p->wait.quiet_source);
	p->wait.quiet_source = g_timeout_add(p->wait.quiet_ms, session_quiet_elapsed, p);
}

static void session_start_wait(struct probe *p, enum session_wait wait, guint timeout_ms) {
	p->wait.kind = wait;
	p->wait.timeout_source = g_timeout_add(timeout_ms, session_wait_timeout, p);
}

static bool parse_xy(const char *xs, const char *ys, int *x, int *y) {
	long lx, ly;
	if (!parse_long(xs, 0, INT32_MAX, &lx) || !parse_long(ys, 0, INT32_MAX, &ly)) {
		return false;
	}
	*x = (int)lx;
	*y = (int)ly;
	return true;
}

static enum cmd_result cmd_wait_pixel(struct probe *p, int argc, char **argv) {
	struct expect_pixel px;
	guint timeout_ms;
	if (!parse_xy(argv[1], argv[2], &px.x, &px.y) || !parse_rgb(argv[3], &px.want) ||
			!parse_ms(argv[4], &timeout_ms)) {
		out_line("error usage: wait-pixel X Y RRGGBB TIMEOUT_MS");
		return CMD_DONE;
	}
	if (px.x >= p->primary.width || px.y >= p->primary.height) {
		out_line("error out of bounds");
		return CMD_DONE;
	}
	if (pixel_matches(p, &px)) {
		out_line("ok");
		return CMD_DONE;
	}
	p->wait.pixel = px;
	session_start_wait(p, SESSION_WAIT_PIXEL, timeout_ms);
	return CMD_PENDING;
}

static enum cmd_result cmd_wait_update(struct probe *p, int argc, char **argv) {
	guint timeout_ms;
	if (!parse_ms(argv[1], &timeout_ms)) {
		out_line("error usage: wait-update TIMEOUT_MS");
		return CMD_DONE;
	}
	session_start_wait(p, SESSION_WAIT_UPDATE, timeout_ms);
	return CMD_PENDING;
}

static enum cmd_result cmd_quiet(struct probe *p, int argc, char **argv) {
	guint quiet_ms, timeout_ms;
	if (!parse_ms(argv[1], &quiet_ms) || !parse_ms(argv[2], &timeout_ms)) {
		out_line("error usage: quiet MS TIMEOUT_MS");
		return CMD_DONE;
	}
	p->wait.quiet_ms = quiet_ms;
	session_start_wait(p, SESSION_WAIT_QUIET, timeout_ms);
	session_arm_quiet(p);
	return CMD_PENDING;
}

static enum cmd_result cmd_pixel(struct probe *p, int argc, char **argv) {
	int x, y;
	uint32_t rgb;
	if (!parse_xy(argv[1], argv[2], &x, &y)) {
		out_line("error usage: pixel X Y");
	} else if (!primary_pixel(p, x, y, &rgb)) {
		out_line("error out of bounds");
	} else {
		out_line("%06" PRIx32, rgb);
	}
	return CMD_DONE;
}

static enum cmd_result cmd_size(struct probe *p, int argc, char **argv) {
	out_line("%d %d", p->primary.width, p->primary.height);
	return CMD_DONE;
}

static enum cmd_result cmd_screenshot(struct probe *p, int argc, char **argv) {
	char *err = NULL;
	if (save_screenshot(p, argv[1], &err)) {
		out_line("ok");
	} else {
		out_line("error %s", err);
		g_free(err);
	}
	return CMD_DONE;
}

static enum cmd_result cmd_stats(struct probe *p, int argc, char **argv) {
	double seconds = (double)(g_get_monotonic_time() - p->connected_at) / G_USEC_PER_SEC;
	char *json = stats_json(p, seconds);
	out_line("%s", json);
	g_free(json);
	return CMD_DONE;
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

/* ------------------------------------------------------------------ */
/* Input commands (keyboard, mouse) and what the server reports back */

static bool take_option(int argc, char **argv, int *i, const char *name, const char **value);

/* "1e", "e048" (E0-prefixed key) or "e11d45" (Pause), optionally with 0x. */
static bool parse_scancode(const char *s, guint *key) {
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
static void key_down(struct probe *p, guint key) {
	if (key == KEY_PAUSE) {
		spice_inputs_channel_key_press(p->ch.inputs, 0x21d);
		spice_inputs_channel_key_press(p->ch.inputs, 0x45);
	} else {
		spice_inputs_channel_key_press(p->ch.inputs, key);
	}
}

static void key_up(struct probe *p, guint key) {
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

/*
 * The volume and mute the server told an audio channel to apply
 * (SPICE_MSG_PLAYBACK_VOLUME / _MUTE): volume is the first channel's, -1
 * before any.
 */
static bool channel_volume(gpointer channel, int *volume, int *mute) {
	if (channel == NULL) {
		return false;
	}
	gpointer levels = NULL;
	guint n = 0;
	gboolean muted = FALSE;
	g_object_get(channel, "volume", &levels, "nchannels", &n, "mute", &muted, NULL);
	*volume = levels != NULL && n > 0 ? ((const guint16 *)levels)[0] : -1;
	*mute = muted ? 1 : 0;
	return true;
}

/* "PREFIX playback VOLUME MUTE record VOLUME MUTE" (none for a missing channel). */
static char *volume_line(struct probe *p, const char *prefix) {
	GString *line = g_string_new(prefix);
	gpointer channels[] = {p->ch.playback, p->ch.record};
	const char *names[] = {"playback", "record"};
	for (int i = 0; i < 2; i++) {
		int volume, mute;
		if (channel_volume(channels[i], &volume, &mute)) {
			g_string_append_printf(line, " %s %d %d", names[i], volume, mute);
		} else {
			g_string_append_printf(line, " %s none", names[i]);
		}
	}
	return g_string_free(line, FALSE);
}

static bool volume_matches(struct probe *p) {
	int volume, mute;
	return channel_volume(p->audio.wait_playback ? (gpointer)p->ch.playback : (gpointer)p->ch.record,
			&volume, &mute) && mute == p->audio.wait_mute &&
		(p->audio.wait_volume < 0 || volume == p->audio.wait_volume);
}

static void on_volume_notify(GObject *object, GParamSpec *pspec, gpointer data) {
	struct probe *p = data;
	if (p->wait.kind == SESSION_WAIT_VOLUME && volume_matches(p)) {
		session_complete(p, "ok");
	}
}

static enum cmd_result cmd_volume(struct probe *p, int argc, char **argv) {
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	char *line = volume_line(p, "volume");
	cmd_reply(p, "%s", line);
	g_free(line);
	return CMD_DONE;
}

/* wait-volume playback|record MUTE VOLUME|any TIMEOUT_MS */
static enum cmd_result cmd_wait_volume(struct probe *p, int argc, char **argv) {
	long mute = 0, volume = -1;
	guint timeout_ms = 0;
	bool ok = (strcmp(argv[1], "playback") == 0 || strcmp(argv[1], "record") == 0) &&
		parse_long(argv[2], 0, 1, &mute) &&
		(strcmp(argv[3], "any") == 0 || parse_long(argv[3], 0, 65535, &volume)) &&
		parse_ms(argv[4], &timeout_ms);
	if (!ok) {
		cmd_reply(p, "error usage: wait-volume playback|record MUTE(0|1) VOLUME|any "
			"TIMEOUT_MS");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	p->audio.wait_playback = strcmp(argv[1], "playback") == 0;
	p->audio.wait_mute = (int)mute;
	p->audio.wait_volume = (int)volume;
	if (volume_matches(p)) {
		cmd_reply(p, "ok");
		return CMD_DONE;
	}
	session_start_wait(p, SESSION_WAIT_VOLUME, timeout_ms);
	return CMD_PENDING;
}

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

/* Latency: quiet display -> key press+release -> next display update. */

static void latency_wait_quiet(struct probe *p) {
	p->latency.sent_at = 0;
	p->wait.quiet_ms = LATENCY_QUIET_MS;
	session_arm_quiet(p);
	clear_source(&p->wait.timeout_source);
	p->wait.timeout_source = g_timeout_add(LATENCY_QUIET_MS + p->latency.timeout_ms,
		session_wait_timeout, p);
}

static void latency_send(struct probe *p) {
	if (!inputs_ready(p)) {
		session_complete(p, "error inputs channel not ready");
		return;
	}
	clear_source(&p->wait.timeout_source);
	p->wait.timeout_source = g_timeout_add(p->latency.timeout_ms, session_wait_timeout, p);
	p->latency.sent_at = g_get_monotonic_time();
	p->sent_input = true;
	key_down(p, p->latency.key);
	key_up(p, p->latency.key);
}

static int compare_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static char *latency_summary(struct probe *p) {
	guint n = p->latency.samples->len;
	double *v = (double *)(void *)p->latency.samples->data;
	qsort(v, n, sizeof(*v), compare_double);
	double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
	guint p90_rank = (9 * n + 9) / 10; /* nearest rank: ceil(0.9 n) */
	const double values[] = {median, v[p90_rank - 1], v[0], v[n - 1]};
	char num[G_N_ELEMENTS(values)][G_ASCII_DTOSTR_BUF_SIZE];
	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		g_ascii_formatd(num[i], sizeof(num[i]), "%.1f", values[i]);
	}
	return g_strdup_printf("latency n=%u median_ms=%s p90_ms=%s min_ms=%s max_ms=%s", n,
		num[0], num[1], num[2], num[3]);
}

/* A display update while a latency measurement runs. */
static void latency_update(struct probe *p) {
	if (p->latency.sent_at == 0) {
		session_arm_quiet(p); /* not quiet yet */
		return;
	}
	double ms = (double)(g_get_monotonic_time() - p->latency.sent_at) / 1000.0;
	g_array_append_val(p->latency.samples, ms);
	if (p->latency.samples->len < p->latency.count) {
		latency_wait_quiet(p);
		return;
	}
	char *line = latency_summary(p);
	session_complete(p, line);
	g_free(line);
}

/* latency [N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] [--key SCANCODE] */
static enum cmd_result cmd_latency(struct probe *p, int argc, char **argv) {
	long count = DEFAULT_LATENCY_COUNT;
	guint timeout_ms = DEFAULT_LATENCY_TIMEOUT_MS;
	guint key = KEY_A;
	int positional = 0;
	bool ok = true;
	for (int i = 1; ok && i < argc; i++) {
		const char *value = NULL;
		if (take_option(argc, argv, &i, "--count", &value)) {
			ok = parse_long(value, 1, MAX_LATENCY_COUNT, &count);
		} else if (take_option(argc, argv, &i, "--timeout-ms", &value)) {
			ok = parse_ms(value, &timeout_ms);
		} else if (take_option(argc, argv, &i, "--key", &value)) {
			ok = parse_scancode(value, &key);
		} else if (positional == 0) {
			ok = parse_long(argv[i], 1, MAX_LATENCY_COUNT, &count);
			positional++;
		} else if (positional == 1) {
			ok = parse_ms(argv[i], &timeout_ms);
			positional++;
		} else {
			ok = false;
		}
	}
	if (!ok) {
		cmd_reply(p, "error usage: latency [N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] "
			"[--key SCANCODE]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	p->latency.count = (guint)count;
	p->latency.timeout_ms = timeout_ms;
	p->latency.key = key;
	if (p->latency.samples == NULL) {
		p->latency.samples = g_array_new(FALSE, FALSE, sizeof(double));
	}
	g_array_set_size(p->latency.samples, 0);
	p->wait.kind = SESSION_WAIT_LATENCY;
	latency_wait_quiet(p);
	return CMD_PENDING;
}

/* ------------------------------------------------------------------ */
/* Audio commands: what the playback channel delivers, and a test tone on
 * the record channel. The channels are handled here, not by spice-glib's
 * audio backend (no GStreamer or PulseAudio on the probe's side). */

/* Mono mix not needed: the left channel is analysed. */
static void audio_reset_capture(struct probe *p) {
	if (p->audio.capture == NULL) {
		p->audio.capture = g_array_new(FALSE, FALSE, sizeof(gint16));
	}
	g_array_set_size(p->audio.capture, 0);
	p->audio.frames = 0;
	p->audio.loud_end = 0;
	p->audio.first_sound_us = 0;
	p->audio.starts = p->audio.stops = 0;
	p->audio.stopped_after_sound = false;
	p->audio.capturing = true;
}

static void on_playback_start(SpicePlaybackChannel *channel, gint format, gint channels,
		gint freq, gpointer data) {
	struct probe *p = data;
	probe_log(p, "playback start: format %d, %d channels, %d Hz", format, channels, freq);
	p->audio.play_format = format;
	p->audio.play_channels = channels;
	p->audio.play_rate = freq;
	p->audio.play_active = true;
	if (p->audio.capturing) {
		p->audio.starts++;
	}
}

static void on_playback_data(SpicePlaybackChannel *channel, gpointer audio, gint size,
		gpointer data) {
	struct probe *p = data;
	if (!p->audio.capturing || p->audio.play_channels <= 0 || size <= 0) {
		return;
	}
	const gint16 *s = audio;
	gint frames = size / (2 * p->audio.play_channels);
	p->audio.frames += (guint64)frames;
	gint first = 0;
	if (p->audio.first_sound_us == 0) {
		/* Nothing is kept before the first sound: its arrival is the latency mark. */
		while (first < frames && abs(s[first * p->audio.play_channels]) <= AUDIO_SOUND_LEVEL) {
			first++;
		}
		if (first == frames) {
			return;
		}
		p->audio.first_sound_us = g_get_monotonic_time();
	}
	for (gint i = first; i < frames && p->audio.capture->len < AUDIO_MAX_CAPTURE; i++) {
		gint16 v = s[i * p->audio.play_channels];
		g_array_append_val(p->audio.capture, v);
		if (abs(v) > AUDIO_SOUND_LEVEL) {
			p->audio.loud_end = p->audio.capture->len;
		}
	}
}

static void audio_wait_check(struct probe *p);

static void on_playback_stop(SpicePlaybackChannel *channel, gpointer data) {
	struct probe *p = data;
	probe_log(p, "playback stop");
	p->audio.play_active = false;
	if (p->audio.capturing) {
		p->audio.stops++;
		if (p->audio.first_sound_us != 0) {
			p->audio.stopped_after_sound = true;
		}
	}
	audio_wait_check(p);
}

/*
 * Frequency from the positive-going zero crossings of the captured sound:
 * crossing times interpolated between samples, the median period, and the
 * mean of the periods near it (glitches at stream edges drop out).
 */
static double audio_frequency(const gint16 *s, guint n, int rate) {
	GArray *periods = g_array_new(FALSE, FALSE, sizeof(double));
	double last = -1.0;
	bool armed = false;
	for (guint i = 1; i < n; i++) {
		if (s[i] < -AUDIO_SOUND_LEVEL) {
			armed = true;
		} else if (armed && s[i - 1] < 0 && s[i] >= 0) {
			double t = (double)(i - 1) + (double)(-s[i - 1]) / (double)(s[i] - s[i - 1]);
			if (last >= 0.0) {
				double period = t - last;
				g_array_append_val(periods, period);
			}
			last = t;
			armed = false;
		}
	}
	double freq = 0.0;
	if (periods->len >= 2) {
		g_array_sort(periods, compare_double);
		double median = g_array_index(periods, double, periods->len / 2);
		double sum = 0.0;
		guint count = 0;
		for (guint i = 0; i < periods->len; i++) {
			double v = g_array_index(periods, double, i);
			if (fabs(v - median) <= 0.2 * median) {
				sum += v;
				count++;
			}
		}
		freq = count > 0 ? (double)rate * count / sum : 0.0;
	}
	g_array_free(periods, TRUE);
	return freq;
}

static char *audio_summary(struct probe *p) {
	const gint16 *s = (const gint16 *)(void *)p->audio.capture->data;
	guint n = p->audio.loud_end; /* from the first to the last sound */
	double sum = 0.0;
	int peak = 0;
	for (guint i = 0; i < n; i++) {
		sum += (double)s[i] * s[i];
		peak = MAX(peak, abs(s[i]));
	}
	double rms = n > 0 ? sqrt(sum / n) / 32768.0 : 0.0;
	int rate = p->audio.play_rate > 0 ? p->audio.play_rate : 48000;
	return g_strdup_printf("audio format=%s channels=%d rate=%d starts=%u stops=%u frames=%"
		G_GUINT64_FORMAT " sound_s=%.3f rms=%.4f rms_dbfs=%.1f peak=%.4f freq_hz=%.1f "
		"first_sound_us=%" G_GINT64_FORMAT, p->audio.play_format == SPICE_AUDIO_FMT_S16 ? "s16" :
		"unknown", p->audio.play_channels, rate, p->audio.starts, p->audio.stops, p->audio.frames,
		(double)n / rate, rms, rms > 0.0 ? 20.0 * log10(rms) : -999.0, peak / 32768.0,
		audio_frequency(s, n, rate), p->audio.first_sound_us);
}

static void audio_wait_check(struct probe *p) {
	if (p->wait.kind == SESSION_WAIT_AUDIO_STOP && p->audio.stopped_after_sound) {
		session_complete(p, "ok");
	}
}

static gboolean audio_capture_done(gpointer data) {
	struct probe *p = data;
	p->wait.timeout_source = 0;
	char *line = audio_summary(p);
	p->audio.capturing = false;
	if (p->audio.first_sound_us == 0) {
		char *fail = g_strdup_printf("fail no sound: %s", line);
		session_complete(p, fail);
		g_free(fail);
	} else {
		session_complete(p, line);
	}
	g_free(line);
	return G_SOURCE_REMOVE;
}

static enum cmd_result cmd_audio(struct probe *p, int argc, char **argv) {
	double seconds = DEFAULT_AUDIO_SECONDS;
	bool ok = true;
	int positional = 0;
	for (int i = 1; ok && i < argc; i++) {
		const char *value = NULL;
		if (take_option(argc, argv, &i, "--seconds", &value)) {
			ok = parse_seconds(value, &seconds);
		} else if (positional++ == 0) {
			ok = parse_seconds(argv[i], &seconds);
		} else {
			ok = false;
		}
	}
	if (!ok || seconds <= 0.0 || seconds > MAX_AUDIO_SECONDS) {
		cmd_reply(p, "error usage: audio [SECONDS] [--seconds S]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->ch.playback == NULL) {
		cmd_reply(p, "error no playback channel (spice-wl --no-audio?)");
		return CMD_DONE;
	}
	audio_reset_capture(p);
	p->wait.kind = SESSION_WAIT_AUDIO_TIME;
	p->wait.timeout_source = g_timeout_add(seconds_to_ms(seconds), audio_capture_done, p);
	return CMD_PENDING;
}

static enum cmd_result cmd_audio_start(struct probe *p, int argc, char **argv) {
	if (p->ch.playback == NULL) {
		cmd_reply(p, "error no playback channel (spice-wl --no-audio?)");
		return CMD_DONE;
	}
	audio_reset_capture(p);
	cmd_reply(p, "ok");
	return CMD_DONE;
}

static enum cmd_result cmd_audio_wait(struct probe *p, int argc, char **argv) {
	guint timeout_ms;
	if (!parse_ms(argv[1], &timeout_ms)) {
		cmd_reply(p, "error usage: audio-wait TIMEOUT_MS");
		return CMD_DONE;
	}
	if (!p->audio.capturing) {
		cmd_reply(p, "error audio-start first");
		return CMD_DONE;
	}
	if (p->audio.stopped_after_sound) {
		cmd_reply(p, "ok");
		return CMD_DONE;
	}
	session_start_wait(p, SESSION_WAIT_AUDIO_STOP, timeout_ms);
	return CMD_PENDING;
}

static enum cmd_result cmd_audio_stats(struct probe *p, int argc, char **argv) {
	if (!p->audio.capturing) {
		cmd_reply(p, "error audio-start first");
		return CMD_DONE;
	}
	char *line = audio_summary(p);
	cmd_reply(p, "%s", line);
	g_free(line);
	return CMD_DONE;
}

/* Sends the tone frames that are due by now: the tone goes out in real time. */
static gboolean tone_tick(gpointer data) {
	struct probe *p = data;
	if (p->ch.record == NULL) {
		p->tone.source = 0;
		session_complete(p, "fail record channel lost");
		return G_SOURCE_REMOVE;
	}
	gint64 elapsed = g_get_monotonic_time() - p->tone.start_us;
	guint64 due = (guint64)elapsed * (guint64)p->tone.rec_rate / G_USEC_PER_SEC + p->tone.burst;
	due = MIN(due, p->tone.frames);
	if (due > p->tone.sent) {
		guint64 n = due - p->tone.sent;
		int ch = p->tone.rec_channels;
		gint16 *buf = g_new(gint16, n * (guint64)ch);
		for (guint64 i = 0; i < n; i++) {
			double t = (double)(p->tone.sent + i) / p->tone.rec_rate;
			gint16 v = (gint16)lrint(p->tone.amplitude * 32767.0 *
				sin(2.0 * G_PI * p->tone.freq * t));
			for (int c = 0; c < ch; c++) {
				buf[i * (guint64)ch + (guint64)c] = v;
			}
		}
		spice_record_channel_send_data(p->ch.record, buf, n * (guint64)ch * 2,
			(guint32)(g_get_monotonic_time() / 1000));
		g_free(buf);
		p->tone.sent = due;
	}
	if (p->tone.sent < p->tone.frames) {
		return G_SOURCE_CONTINUE;
	}
	p->tone.source = 0;
	char *line = g_strdup_printf("ok sent=%" G_GUINT64_FORMAT " rate=%d", p->tone.sent,
		p->tone.rec_rate);
	session_complete(p, line);
	g_free(line);
	return G_SOURCE_REMOVE;
}

static void tone_begin(struct probe *p) {
	clear_source(&p->wait.timeout_source);
	p->wait.kind = SESSION_WAIT_TONE_SEND;
	p->tone.frames = (guint64)llround(p->tone.seconds * p->tone.rec_rate);
	p->tone.sent = 0;
	p->tone.burst = (guint64)p->tone.rec_rate * TONE_BURST_MS / 1000;
	p->tone.start_us = g_get_monotonic_time();
	tone_tick(p);
	if (p->wait.kind == SESSION_WAIT_TONE_SEND) {
		p->tone.source = g_timeout_add(TONE_TICK_MS, tone_tick, p);
	}
}

static void on_record_start(SpiceRecordChannel *channel, gint format, gint channels, gint freq,
		gpointer data) {
	struct probe *p = data;
	probe_log(p, "record start: format %d, %d channels, %d Hz", format, channels, freq);
	p->tone.rec_format = format;
	p->tone.rec_channels = channels;
	p->tone.rec_rate = freq;
	p->tone.rec_started = format == SPICE_AUDIO_FMT_S16 && channels > 0 && freq > 0;
	if (p->wait.kind == SESSION_WAIT_TONE_START && p->tone.rec_started) {
		tone_begin(p);
	}
}

static void on_record_stop(SpiceRecordChannel *channel, gpointer data) {
	struct probe *p = data;
	probe_log(p, "record stop");
	p->tone.rec_started = false;
}

static enum cmd_result cmd_tone(struct probe *p, int argc, char **argv) {
	double freq = DEFAULT_TONE_FREQ, seconds = DEFAULT_TONE_SECONDS;
	double amplitude = DEFAULT_TONE_AMPLITUDE;
	guint timeout_ms = DEFAULT_TONE_TIMEOUT_MS;
	bool ok = true;
	int positional = 0;
	for (int i = 1; ok && i < argc; i++) {
		const char *value = NULL;
		if (take_option(argc, argv, &i, "--freq", &value)) {
			ok = parse_seconds(value, &freq);
		} else if (take_option(argc, argv, &i, "--seconds", &value)) {
			ok = parse_seconds(value, &seconds);
		} else if (take_option(argc, argv, &i, "--amplitude", &value)) {
			ok = parse_seconds(value, &amplitude);
		} else if (take_option(argc, argv, &i, "--timeout-ms", &value)) {
			ok = parse_ms(value, &timeout_ms);
		} else if (positional == 0) {
			ok = parse_seconds(argv[i], &freq);
			positional++;
		} else if (positional == 1) {
			ok = parse_seconds(argv[i], &seconds);
			positional++;
		} else if (positional == 2) {
			ok = parse_seconds(argv[i], &amplitude);
			positional++;
		} else {
			ok = false;
		}
	}
	if (!ok || freq < 1.0 || freq > 20000.0 || seconds <= 0.0 || seconds > MAX_AUDIO_SECONDS ||
			amplitude <= 0.0 || amplitude > 1.0) {
		cmd_reply(p, "error usage: tone [FREQ [SECONDS [AMPLITUDE]]] [--freq HZ] "
			"[--seconds S] [--amplitude 0..1] [--timeout-ms MS]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->ch.record == NULL) {
		cmd_reply(p, "error no record channel (spice-wl --no-audio?)");
		return CMD_DONE;
	}
	p->tone.freq = freq;
	p->tone.seconds = seconds;
	p->tone.amplitude = amplitude;
	if (p->tone.rec_started) {
		tone_begin(p);
		return p->wait.kind == SESSION_WAIT_TONE_SEND ? CMD_PENDING : CMD_DONE;
	}
	/* The timeout covers the wait for the server to start recording. */
	session_start_wait(p, SESSION_WAIT_TONE_START, timeout_ms);
	return CMD_PENDING;
}

/* ------------------------------------------------------------------ */
/* Agent commands: monitors configuration and clipboard (main channel) */

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

static bool agent_has_cap(struct probe *p, guint32 cap) {
	return p->ch.main != NULL && spice_main_channel_agent_test_capability(p->ch.main, cap);
}

static void clip_forget_grab(struct probe *p, guint selection) {
	p->clip.grab[selection].grabbed = false;
	if (p->clip.grab[selection].types != NULL) {
		g_array_set_size(p->clip.grab[selection].types, 0);
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
static bool resize_answered(struct probe *p) {
	return resize_done(p) || (p->primary.exists &&
		(p->primary.width != p->agent.resize_from_w || p->primary.height != p->agent.resize_from_h));
}

static char *resize_fail_line(struct probe *p) {
	return g_strdup_printf("fail %d %d", p->primary.exists ? p->primary.width : 0,
		p->primary.exists ? p->primary.height : 0);
}

static char *agent_timeout_line(struct probe *p) {
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
		spice_main_channel_update_display(p->ch.main, i, x, 0, p->agent.resize_w[i], p->agent.resize_h[i],
			FALSE);
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

/* clipboard get: the agent holds op_selection; ask for its data of op_type. */
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

/* clipboard set: own op_selection with op_text from now on. */
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

/* send-file: the agent is ready; copy the file at op_text to it. */
static char *file_send(struct probe *p) {
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

/*
 * The agent is ready: runs p->agent.op. Returns the command's result line,
 * or NULL when it now waits for something else (p->wait.kind).
 */
static char *agent_op_start(struct probe *p) {
	char *err;
	switch (p->agent.op) {
	case AGENT_OP_RESIZE:
		return resize_send(p);
	case AGENT_OP_CLIP_GET:
		/* An agent without the clipboard capabilities never grabs: fail no grab. */
		if (p->clip.grab[p->agent.selection].grabbed) {
			return clip_request_text(p);
		}
		p->wait.kind = SESSION_WAIT_CLIP_GRAB;
		return NULL;
	case AGENT_OP_CLIP_SET:
		if ((err = clip_check_caps(p, p->agent.selection)) != NULL) {
			return err;
		}
		return clip_grab(p);
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
static enum cmd_result agent_op_begin(struct probe *p, enum agent_op op, guint timeout_ms) {
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
static void agent_check(struct probe *p) {
	if (p->wait.kind != SESSION_WAIT_AGENT || !agent_ready(p)) {
		return;
	}
	char *line = agent_op_start(p);
	if (line != NULL) {
		session_complete(p, line);
		g_free(line);
	}
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

/*
 * In a session, argv[1] is the rest of the line: "set [primary] TEXT" keeps
 * TEXT as written after one blank (with backslash escapes); one-shot, TEXT
 * is the remaining arguments joined by spaces, taken literally. Returns an
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
		if (!clip_parse_sub(argv[1], &a->sub)) {
			return g_strdup(CLIP_USAGE);
		}
		if (a->sub == CLIP_SET) {
			int first = 2;
			if (argc > 2 && strcmp(argv[2], "primary") == 0) {
				a->selection = VD_AGENT_CLIPBOARD_SELECTION_PRIMARY;
				first = 3;
			}
			a->text = g_string_new(NULL);
			for (int i = first; i < argc; i++) {
				g_string_append_printf(a->text, "%s%s", i > first ? " " : "", argv[i]);
			}
			ok = true;
		} else {
			ok = clip_parse_words(a, argv + 2, argc - 2);
		}
	} else {
		const char *line = argv[1] + strspn(argv[1], " \t");
		size_t len = strcspn(line, " \t");
		char *name = g_strndup(line, len);
		const char *rest = line + len;
		if (*rest != '\0') {
			rest++;
		}
		ok = clip_parse_sub(name, &a->sub);
		g_free(name);
		if (ok && a->sub == CLIP_SET) {
			if (g_str_has_prefix(rest, "primary") &&
					(rest[7] == '\0' || rest[7] == ' ' || rest[7] == '\t')) {
				a->selection = VD_AGENT_CLIPBOARD_SELECTION_PRIMARY;
				rest += rest[7] != '\0' ? 8 : 7;
			}
			a->text = unescape_text(rest);
			if (a->text == NULL) {
				return g_strdup("error bad escape in text (\\n, \\t, \\r, \\\\ or \\xNN)");
			}
		} else if (ok) {
			char **words = g_strsplit_set(rest, " \t", -1);
			int n = 0;
			for (int i = 0; words[i] != NULL; i++) {
				if (words[i][0] != '\0') {
					char *w = words[i];
					words[i] = words[n];
					words[n++] = w;
				}
			}
			ok = clip_parse_words(a, words, n);
			g_strfreev(words);
		}
	}
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

/*
 * Session commands. argv[0] is the command name; argc counts it. Commands
 * with needs_primary get "error no primary surface" while the primary is
 * being re-created. A command either prints exactly one result line and
 * returns CMD_DONE, or returns CMD_PENDING and later calls
 * session_complete() exactly once; later lines stay queued until then.
 * Commands with CMD_INPUTS get "error inputs channel not ready" until the
 * inputs channel is linked and has sent its initial LED state.
 *
 * CMD_CLI commands also run one-shot from the command line. They print their
 * result with cmd_reply() and must stand a dry run (p->oneshot.dry_run): check the
 * arguments, reply an error if they are bad, and return before touching any
 * channel.
 *
 * Agent commands (resize, clipboard get/set) wait for the agent within their
 * timeout: see agent_op_begin().
 */
#define CMD_INPUT (CMD_INPUTS | CMD_CLI | CMD_SENDS)
static const struct session_cmd session_cmds[] = {
	{"wait-pixel", "X Y RRGGBB TIMEOUT_MS", 4, 4, true, cmd_wait_pixel, 0},
	{"wait-update", "TIMEOUT_MS", 1, 1, false, cmd_wait_update, 0},
	{"quiet", "MS TIMEOUT_MS", 2, 2, false, cmd_quiet, 0},
	{"pixel", "X Y", 2, 2, true, cmd_pixel, 0},
	{"size", "", 0, 0, true, cmd_size, 0},
	{"screenshot", "FILE", 1, 1, true, cmd_screenshot, 0},
	{"stats", "", 0, 0, false, cmd_stats, 0},
	{"quit", "", 0, 0, false, cmd_quit, 0},
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
	{"volume", "", 0, 0, false, cmd_volume, 0},
	{"wait-volume", "playback|record MUTE VOLUME|any TIMEOUT_MS", 4, 4, false, cmd_wait_volume,
		0},
	{"cursor", "", 0, 0, false, cmd_cursor, CMD_CLI},
	{"wait-cursor", "TIMEOUT_MS [W H]", 1, 3, false, cmd_wait_cursor, CMD_CLI},
	{"latency", "[N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] [--key SCANCODE]", 0, 8,
		false, cmd_latency, CMD_INPUTS | CMD_CLI},
	{"agent", "[TIMEOUT_MS]", 0, 1, false, cmd_agent, CMD_CLI},
	{"display-mm", "ID WIDTH_MM HEIGHT_MM", 3, 3, false, cmd_display_mm, 0},
	{"resize", "W H [W H ...] [TIMEOUT_MS]", 2, 2 * MAX_MONITORS + 1, false, cmd_resize,
		CMD_CLI | CMD_SENDS},
	{"monitors", "", 0, 0, false, cmd_monitors, CMD_CLI},
	{"send-file", "PATH [TIMEOUT_MS] [--cancel-after BYTES] [--exit-after BYTES]", 1, 6, false,
		cmd_send_file, CMD_CLI},
	{"clipboard", "get|set|types|served ...", 1, MAX_KEY_ARGS, false, cmd_clipboard,
		CMD_CLI | CMD_RAW},
	{"audio", "[SECONDS] [--seconds S]", 0, 2, false, cmd_audio, CMD_CLI | CMD_AUDIO},
	{"audio-start", "", 0, 0, false, cmd_audio_start, 0},
	{"audio-wait", "TIMEOUT_MS", 1, 1, false, cmd_audio_wait, 0},
	{"audio-stats", "", 0, 0, false, cmd_audio_stats, 0},
	{"tone", "[FREQ [SECONDS [AMPLITUDE]]] [--freq HZ] [--seconds S] [--amplitude A] "
		"[--timeout-ms MS]", 0, 8, false, cmd_tone, CMD_CLI | CMD_AUDIO | CMD_SENDS},
};
#undef CMD_INPUT

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
	const struct session_cmd *cmd = NULL;
	for (size_t i = 0; argc > 0 && i < G_N_ELEMENTS(session_cmds); i++) {
		if (strcmp(argv[0], session_cmds[i].name) == 0) {
			cmd = &session_cmds[i];
			break;
		}
	}
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

static void session_announce(struct probe *p) {
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

static void session_update(struct probe *p, bool primary_changed) {
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

/* ------------------------------------------------------------------ */
/* Mode: one session command from the command line (key, type, move, ...) */

static const struct session_cmd *find_cli_cmd(const char *name) {
	for (size_t i = 0; i < G_N_ELEMENTS(session_cmds); i++) {
		if ((session_cmds[i].flags & CMD_CLI) != 0 && strcmp(name, session_cmds[i].name) == 0) {
			return &session_cmds[i];
		}
	}
	return NULL;
}

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
static void oneshot_result(struct probe *p, const char *line) {
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
		p->settle_source = g_timeout_add(MAX(p->oneshot.hold_ms, INPUT_SETTLE_MS), oneshot_held, p);
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
static void oneshot_try_start(struct probe *p) {
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

static const struct probe_mode oneshot_mode = {
	"oneshot", oneshot_parse, oneshot_connected, session_update, true, false,
};

static const struct probe_mode probe_modes[] = {
	{"screenshot", screenshot_parse, screenshot_connected, screenshot_update, true, false},
	{"expect", expect_parse, expect_connected, expect_update, false, false},
	{"stats", stats_parse, stats_connected, NULL, false, false},
	{"session", session_parse, session_connected, session_update, false, true},
};

/* ------------------------------------------------------------------ */
/* SPICE plumbing */

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

static void display_update(struct probe *p, bool primary_changed) {
	if (p->connected && p->mode->update != NULL) {
		p->mode->update(p, primary_changed);
	}
}

static void probe_connected(struct probe *p) {
	if (p->connected || p->finished || !p->primary.exists) {
		return;
	}
	clear_source(&p->mark_fallback_source);
	p->connected = true;
	p->connected_at = g_get_monotonic_time();
	probe_log(p, "connected, primary %dx%d", p->primary.width, p->primary.height);
	if (!p->mode->deadline_after_connect) {
		clear_source(&p->deadline_source);
	}
	p->mode->connected(p);
}

static gboolean mark_fallback(gpointer data) {
	struct probe *p = data;
	p->mark_fallback_source = 0;
	probe_log(p, "no display mark from the server, assuming the display is ready");
	probe_connected(p);
	return G_SOURCE_REMOVE;
}

static void on_display_mark(SpiceChannel *channel, gboolean mark, gpointer data) {
	struct probe *p = data;
	probe_log(p, "display mark %d", (int)mark);
	if (mark) {
		probe_connected(p);
	}
}

static void on_primary_create(SpiceChannel *channel, gint format, gint width, gint height,
		gint stride, gint shmid, gpointer imgdata, gpointer data) {
	struct probe *p = data;
	probe_log(p, "primary surface %dx%d format %d stride %d", width, height, format, stride);
	p->primary.exists = true;
	p->primary.format = (enum SpiceSurfaceFmt)format;
	p->primary.width = width;
	p->primary.height = height;
	p->primary.stride = stride;
	p->primary.data = imgdata;
	if (!primary_format_supported(p->primary.format)) {
		fprintf(stderr, PROBE_NAME ": unsupported surface format %d\n", format);
	}
	if (p->finished) {
		return;
	}
	if (!p->connected) {
		/* Wait for the mark that follows the initial image. */
		clear_source(&p->mark_fallback_source);
		p->mark_fallback_source = g_timeout_add(MARK_FALLBACK_MS, mark_fallback, p);
		return;
	}
	if (p->mode->line_protocol) {
		out_line("primary %d %d", width, height);
	}
	display_update(p, true);
}

static void on_primary_destroy(SpiceChannel *channel, gpointer data) {
	struct probe *p = data;
	probe_log(p, "primary surface destroyed");
	p->primary.exists = false;
	p->primary.data = NULL;
}

static void clip_serve_deferred(struct probe *p);

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

static void clip_serve_deferred(struct probe *p) {
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
		for (guint i = 0; i < CLIP_SELECTIONS; i++) {
			clip_forget_grab(p, i);
			p->clip.owned[i] = false;
		}
	}
	agent_check(p);
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
static void inputs_opened(struct probe *p) {
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

static void on_invalidate(SpiceChannel *channel, gint x, gint y, gint w, gint h, gpointer data) {
	struct probe *p = data;
	p->primary.updates++;
	if (p->verbose >= 2) {
		probe_log(p, "invalidate %d,%d %dx%d", x, y, w, h);
	}
	display_update(p, false);
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
		p->input.opened = false;
		p->input.leds_known = false;
		p->input.buttons = 0;
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

static void on_channel_new(SpiceSession *session, SpiceChannel *channel, gpointer data) {
	struct probe *p = data;
	int type = 0, id = 0;
	g_object_get(channel, "channel-type", &type, "channel-id", &id, NULL);
	const char *name = spice_channel_type_to_string(type);
	probe_log(p, "new %s channel %d", name, id);

	struct probe_channel *pc = g_new0(struct probe_channel, 1);
	pc->channel = channel;
	if (strchr(name, ' ') != NULL) {
		pc->key = g_strdup_printf("type%d_%d", type, id); /* "unknown channel type" */
	} else {
		pc->key = id == 0 ? g_strdup(name) : g_strdup_printf("%s%d", name, id);
	}
	g_ptr_array_add(p->ch.seen, pc);

	bool keep = false;
	if (SPICE_IS_MAIN_CHANNEL(channel)) {
		p->ch.main = SPICE_MAIN_CHANNEL(channel);
		/* spice_session_connect() connects the main channel itself. */
		/*
		 * Monitors configs carry positions (VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS)
		 * unless both of these are TRUE; "disable-display-position" defaults to TRUE.
		 */
		g_object_set(channel, "disable-display-position", FALSE, "disable-display-align",
			FALSE, NULL);
		g_signal_connect(channel, "main-agent-update", G_CALLBACK(on_agent_update), p);
		g_signal_connect(channel, "new-file-transfer", G_CALLBACK(on_new_file_transfer), p);
		g_signal_connect(channel, "main-clipboard-selection-grab",
			G_CALLBACK(on_clipboard_grab), p);
		g_signal_connect(channel, "main-clipboard-selection-release",
			G_CALLBACK(on_clipboard_release), p);
		g_signal_connect(channel, "main-clipboard-selection-request",
			G_CALLBACK(on_clipboard_request), p);
		g_signal_connect(channel, "main-clipboard-selection", G_CALLBACK(on_clipboard_data),
			p);
	} else if (SPICE_IS_DISPLAY_CHANNEL(channel) && id == 0) {
		p->ch.display = SPICE_DISPLAY_CHANNEL(channel);
		g_signal_connect(channel, "display-primary-create", G_CALLBACK(on_primary_create), p);
		g_signal_connect(channel, "display-primary-destroy",
			G_CALLBACK(on_primary_destroy), p);
		g_signal_connect(channel, "display-invalidate", G_CALLBACK(on_invalidate), p);
		g_signal_connect(channel, "display-mark", G_CALLBACK(on_display_mark), p);
		keep = true;
	} else if (SPICE_IS_INPUTS_CHANNEL(channel)) {
		p->ch.inputs = SPICE_INPUTS_CHANNEL(channel);
		g_signal_connect(channel, "inputs-modifiers", G_CALLBACK(on_inputs_modifiers), p);
		keep = true;
	} else if (SPICE_IS_PLAYBACK_CHANNEL(channel)) {
		/* Connected here, before spice-glib's audio backend could take it. */
		p->ch.playback = SPICE_PLAYBACK_CHANNEL(channel);
		g_signal_connect(channel, "playback-start", G_CALLBACK(on_playback_start), p);
		g_signal_connect(channel, "playback-data", G_CALLBACK(on_playback_data), p);
		g_signal_connect(channel, "playback-stop", G_CALLBACK(on_playback_stop), p);
		g_signal_connect(channel, "notify::volume", G_CALLBACK(on_volume_notify), p);
		g_signal_connect(channel, "notify::mute", G_CALLBACK(on_volume_notify), p);
		keep = true;
	} else if (SPICE_IS_RECORD_CHANNEL(channel)) {
		p->ch.record = SPICE_RECORD_CHANNEL(channel);
		g_signal_connect(channel, "record-start", G_CALLBACK(on_record_start), p);
		g_signal_connect(channel, "record-stop", G_CALLBACK(on_record_stop), p);
		g_signal_connect(channel, "notify::volume", G_CALLBACK(on_volume_notify), p);
		g_signal_connect(channel, "notify::mute", G_CALLBACK(on_volume_notify), p);
		keep = true;
	} else if (SPICE_IS_CURSOR_CHANNEL(channel)) {
		p->ch.cursor = SPICE_CURSOR_CHANNEL(channel);
		/* "cursor-set" is deprecated since 0.34 in favour of notify::cursor. */
		g_signal_connect(channel, "notify::cursor", G_CALLBACK(on_cursor_shape), p);
		g_signal_connect(channel, "cursor-hide", G_CALLBACK(on_cursor_hide), p);
		g_signal_connect(channel, "cursor-move", G_CALLBACK(on_cursor_move), p);
		g_signal_connect(channel, "cursor-reset", G_CALLBACK(on_cursor_reset), p);
		keep = true;
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
		for (guint i = 0; i < CLIP_SELECTIONS; i++) {
			clip_forget_grab(p, i);
			p->clip.owned[i] = false;
		}
	} else if ((gpointer)channel == (gpointer)p->ch.display) {
		p->ch.display = NULL;
		p->primary.exists = false;
		p->primary.data = NULL;
	} else if ((gpointer)channel == (gpointer)p->ch.inputs) {
		p->ch.inputs = NULL;
		p->input.opened = false;
		p->input.leds_known = false;
		p->input.buttons = 0;
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

static void probe_channel_free(gpointer data) {
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

/* ------------------------------------------------------------------ */
/* Command line */

static const char usage_text[] =
	"Usage: " PROBE_NAME " [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"Headless SPICE client for testing spice-wl.\n"
	"\n"
	"Options:\n"
	"  --host H            server host (default " DEFAULT_HOST ")\n"
	"  --port N            server port (default " DEFAULT_PORT ")\n"
	"  --uri spice://H:P   server URI (overrides --host/--port)\n"
	"  --unix PATH         connect to a unix socket instead\n"
	"  --tls-port N        connect with TLS to port N (plain --port only if given)\n"
	"  --ca-file FILE      CA certificate the server's must be signed by\n"
	"  --password-file F   password is the first line of F\n"
	"                      (default: $SPICE_WL_PASSWORD, else no password)\n"
	"  --username USER     user name, for a server with SASL (spice-wl --sasl);\n"
	"                      the password as above\n"
	"  --timeout S         seconds allowed until the display is ready (primary\n"
	"                      surface and initial image received; default 20;\n"
	"                      for screenshot: the whole run)\n"
	"  --hold MS           one-shot clipboard set: stay connected MS (default\n"
	"                      " G_STRINGIFY(DEFAULT_HOLD_MS) ", at least "
		G_STRINGIFY(INPUT_SETTLE_MS) ") serving the agent's requests\n"
	"  -v, --verbose       log progress to stderr (twice: spice-glib debug too)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Commands:\n"
	"  screenshot --out FILE [--settle MS]\n"
	"      wait until no display update arrived for MS (default 300), write FILE\n"
	"      (PNG if it ends in .png, else binary PPM), print WxH\n"
	"  expect [--timeout-ms MS] X,Y=RRGGBB [X,Y=RRGGBB ...]\n"
	"      wait until every listed pixel has its colour and print ok; after MS\n"
	"      (default 5000, from connect) print 'fail X,Y got RRGGBB want RRGGBB'\n"
	"      for each mismatch and exit 1\n"
	"  stats [--seconds S]\n"
	"      stay connected S seconds (default 1) and print JSON statistics\n"
	"  session\n"
	"      line commands on stdin, one result line each on stdout:\n"
	"        wait-pixel X Y RRGGBB TIMEOUT_MS  -> ok | fail got RRGGBB\n"
	"        wait-update TIMEOUT_MS            -> ok | fail\n"
	"        quiet MS TIMEOUT_MS               -> ok | fail\n"
	"        pixel X Y                         -> RRGGBB\n"
	"        size                              -> W H\n"
	"        screenshot FILE                   -> ok\n"
	"        stats                             -> JSON\n"
	"        quit                              -> ok, exit 0\n"
	"      and the input and agent commands below (-> ok unless shown otherwise).\n"
	"      asynchronous lines: 'connected WxH' (first line, then commands run;\n"
	"      earlier input is queued), 'primary W H' (primary re-created),\n"
	"      'disconnected' (connection lost or failed; exit 1, or 3 on timeout).\n"
	"      Results come in command order; EOF on stdin acts like quit. After\n"
	"      input was sent, quit exits " G_STRINGIFY(INPUT_SETTLE_MS) " ms later, so the server\n"
	"      reads it all.\n"
	"\n"
	"Input commands (session commands, and one-shot: '" PROBE_NAME " key 1e'):\n"
	"  key SC [SC ...]         press and release each key in order; SC is a\n"
	"                          hex PC XT (set 1) scancode: 1e, e048 (E0 key) or\n"
	"                          e11d45 (Pause)\n"
	"  keydown SC [SC ...]     press keys (hold, e.g. shift: keydown 2a)\n"
	"  keyup SC [SC ...]       release keys\n"
	"  type TEXT               type TEXT on a US layout (shift added as needed;\n"
	"                          newline -> Enter, tab -> Tab); in a session TEXT\n"
	"                          is the rest of the line (use key 1c for Enter);\n"
	"                          nothing is sent if a character has no key:\n"
	"                          error unsupported character 'X'\n"
	"  move X Y [DISPLAY]      absolute pointer position on a display (default\n"
	"                          0; client mouse mode), relative to that display\n"
	"  rmove DX DY             relative motion (server mouse mode)\n"
	"  click [BUTTON]          press and release BUTTON (default left) where the\n"
	"                          pointer is; BUTTON: left, middle, right, side,\n"
	"                          extra, up, down or SPICE_MOUSE_BUTTON_* 1-7\n"
	"  buttondown BUTTON       hold a button (later pointer input keeps it held)\n"
	"  buttonup BUTTON         release a button\n"
	"  wheel N                 N wheel steps, negative up, positive down (SPICE\n"
	"                          has no horizontal wheel)\n"
	"  mouse-mode              -> client | server\n"
	"  leds                    -> caps=0|1 num=0|1 scroll=0|1 (server LED state)\n"
	"  volume                  -> volume playback VOLUME MUTE record VOLUME MUTE: what\n"
	"                          the server told the audio channels to apply (VOLUME\n"
	"                          of the first channel, 0..65535, -1 if never told)\n"
	"  wait-volume playback|record MUTE VOLUME|any TIMEOUT_MS\n"
	"                          -> ok once the channel has that mute (0|1) and volume,\n"
	"                          else fail playback ... (as volume) after TIMEOUT_MS\n"
	"  wait-leds caps=0|1 [num=0|1] [scroll=0|1] TIMEOUT_MS\n"
	"                          -> ok once the LEDs match | fail caps=.. num=.. ..\n"
	"  cursor                  -> cursor W H HOTX HOTY visible=0|1 | none\n"
	"  wait-cursor TIMEOUT_MS [W H]\n"
	"                          -> ok once a cursor shape (of size WxH) was\n"
	"                          received | fail\n"
	"  latency [N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] [--key SC]\n"
	"                          N times (default 10): wait until the display was\n"
	"                          quiet for 200 ms, press and release SC (default 1e,\n"
	"                          'a'), time the next display update; -> latency n=N\n"
	"                          median_ms=X p90_ms=X min_ms=X max_ms=X, or error\n"
	"                          timeout after K samples when a sample waits longer\n"
	"                          than TIMEOUT_MS (default 2000)\n"
	"  Input is sent in order and 'ok' means it was written to the socket. Input\n"
	"  commands need the inputs channel (else 'error inputs channel not ready').\n"
	"  One-shot: wait for the display and inputs channel (within --timeout), run\n"
	"  the command, print its result line (errors go to stderr), and after sending\n"
	"  input stay connected " G_STRINGIFY(INPUT_SETTLE_MS) " ms so the server reads it all.\n"
	"\n"
	"Agent commands (in a session, and one-shot: '" PROBE_NAME " resize 1024 768'):\n"
	"  agent [TIMEOUT_MS]      -> ok once the SPICE agent is connected and has sent\n"
	"                          its capabilities, fail after TIMEOUT_MS (default\n"
	"                          " G_STRINGIFY(DEFAULT_AGENT_TIMEOUT_MS) ")\n"
	"  display-mm ID WIDTH_MM HEIGHT_MM  -> ok (sent with the next resize)\n"
	"  resize W H [W H ...] [TIMEOUT_MS]\n"
	"                          send a monitors config with one display per W H,\n"
	"                          side by side; -> ok W H (the primary surface's size)\n"
	"                          once it is W1+W2+... x max(H) or was re-created\n"
	"                          with another size than before (the server's\n"
	"                          choice, e.g. clamped), else fail W H after\n"
	"                          TIMEOUT_MS (default " G_STRINGIFY(DEFAULT_RESIZE_TIMEOUT_MS) ")\n"
	"  monitors                -> monitors N ID:X,Y,WxH ... (the server's config)\n"
	"  clipboard get [primary] [TIMEOUT_MS]\n"
	"                          wait for the agent to grab the clipboard (or the\n"
	"                          primary selection; an earlier grab counts), request\n"
	"                          its text; -> text ESCAPED (backslash and control\n"
	"                          characters as \\xNN), or after TIMEOUT_MS (default\n"
	"                          " G_STRINGIFY(DEFAULT_CLIPBOARD_TIMEOUT_MS)
		"): fail no agent | fail no grab | fail timeout;\n"
	"                          fail no text (no UTF-8 type offered), fail no data\n"
	"  clipboard set [primary] TEXT\n"
	"                          grab the clipboard with TEXT (a session takes the\n"
	"                          rest of the line and unescapes \\n \\t \\r \\\\ \\xNN;\n"
	"                          one-shot takes the arguments literally); -> ok once\n"
	"                          the grab is sent (fail no agent after "
		G_STRINGIFY(DEFAULT_CLIPBOARD_TIMEOUT_MS) " ms).\n"
	"                          The agent's requests for TEXT are answered (silently)\n"
	"                          while connected, one-shot for --hold MS\n"
	"  clipboard get-file [primary] TYPE FILE [TIMEOUT_MS]\n"
	"                          as get, for TYPE (text png bmp tiff jpeg): the data\n"
	"                          goes to FILE; -> file SIZE | fail no such type | ...\n"
	"  clipboard set-file [primary] TYPE FILE\n"
	"                          as set, grabbing with TYPE and FILE's contents\n"
	"  clipboard types [primary]\n"
	"                          -> types N ... (VD_AGENT_CLIPBOARD_* of the agent's\n"
	"                          last grab) | none\n"
	"  clipboard served        -> served N (requests answered with our text)\n"
	"  send-file PATH [TIMEOUT_MS] [--cancel-after BYTES] [--exit-after BYTES]\n"
	"                          copy the file to the agent (as a file dropped on\n"
	"                          remote-viewer); -> ok once the agent saved it, fail\n"
	"                          MESSAGE when it refused it or the copy was cancelled,\n"
	"                          fail timeout after TIMEOUT_MS (default "
		G_STRINGIFY(DEFAULT_SEND_FILE_TIMEOUT_MS) ").\n"
	"                          --cancel-after: cancel once BYTES are sent;\n"
	"                          --exit-after: exit abruptly (status 1) once BYTES\n"
	"                          are sent, as a client that dies mid-way\n"
	"  Agent commands wait for the agent within their timeout; 'error agent lacks\n"
	"  ...' if it does not support them.\n"
	"\n"
	"Audio commands (in a session, and one-shot: '" PROBE_NAME " audio --seconds 3'):\n"
	"  audio [SECONDS] [--seconds S]\n"
	"                          record what the playback channel delivers for S\n"
	"                          seconds (default 1); -> audio format=s16 channels=2\n"
	"                          rate=R starts=N stops=N frames=N sound_s=X rms=X\n"
	"                          rms_dbfs=X peak=X freq_hz=X first_sound_us=T, where\n"
	"                          sound_s, rms, peak and freq_hz (zero crossings of\n"
	"                          the left channel) cover the first to the last sample\n"
	"                          above 1% of full scale and T is its arrival\n"
	"                          (CLOCK_MONOTONIC, us); 'fail no sound: ...' if none\n"
	"  audio-start             (session) start such a capture -> ok\n"
	"  audio-wait TIMEOUT_MS   (session) -> ok once playback stopped after sound\n"
	"                          since audio-start, else fail no sound | fail still\n"
	"                          playing\n"
	"  audio-stats             (session) -> audio ... of the capture so far\n"
	"  tone [FREQ [SECONDS [AMPLITUDE]]] [--freq HZ] [--seconds S]\n"
	"       [--amplitude 0..1] [--timeout-ms MS]\n"
	"                          once the server started recording (within MS,\n"
	"                          default " G_STRINGIFY(DEFAULT_TONE_TIMEOUT_MS) "), send a sine\n"
	"                          (default 440 Hz, 1 s, 0.5) on the record channel\n"
	"                          in real time; -> ok sent=FRAMES rate=R\n"
	"  The probe handles the audio channels itself: nothing plays or records on\n"
	"  its machine.\n"
	"\n"
	"Exit status: 0 ok, 1 failure, 2 usage, 3 timeout.\n";

static int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static int usage_error(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	fprintf(stderr, PROBE_NAME ": ");
	vfprintf(stderr, fmt, args);
	fprintf(stderr, " (try --help)\n");
	va_end(args);
	return PROBE_EXIT_USAGE;
}

/* Matches "--name VALUE" or "--name=VALUE"; advances *i past a separate value. */
static bool take_option(int argc, char **argv, int *i, const char *name, const char **value) {
	const char *a = argv[*i];
	size_t len = strlen(name);
	if (strncmp(a, name, len) != 0) {
		return false;
	}
	if (a[len] == '=') {
		*value = a + len + 1;
		return true;
	}
	if (a[len] != '\0') {
		return false;
	}
	*value = *i + 1 < argc ? argv[++*i] : NULL;
	return true;
}

static char *read_password_file(const char *path, char **err) {
	char *contents = NULL;
	GError *error = NULL;
	if (!g_file_get_contents(path, &contents, NULL, &error)) {
		*err = g_strdup(error->message);
		g_error_free(error);
		return NULL;
	}
	contents[strcspn(contents, "\r\n")] = '\0';
	return contents;
}

int main(int argc, char **argv) {
	struct probe probe = {0};
	struct probe *p = &probe;
	const char *host = NULL, *port = NULL, *uri = NULL, *password_file = NULL;
	const char *unix_path = NULL, *tls_port = NULL, *ca_file = NULL, *username = NULL;
	const char *command = NULL;
	GPtrArray *cmd_args = g_ptr_array_new();
	p->timeout_s = DEFAULT_TIMEOUT_S;
	p->oneshot.hold_ms = DEFAULT_HOLD_MS;

	/* Global options are accepted anywhere; the rest belongs to COMMAND. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return PROBE_EXIT_OK;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			p->verbose++;
		} else if (strcmp(a, "-vv") == 0) {
			p->verbose += 2;
		} else if (take_option(argc, argv, &i, "--host", &value)) {
			if (value == NULL || *value == '\0') {
				return usage_error("--host needs a value");
			}
			host = value;
		} else if (take_option(argc, argv, &i, "--port", &value)) {
			long v;
			if (!parse_long(value, 1, 65535, &v)) {
				return usage_error("--port needs a number in 1..65535");
			}
			port = value;
		} else if (take_option(argc, argv, &i, "--tls-port", &value)) {
			long v;
			if (!parse_long(value, 1, 65535, &v)) {
				return usage_error("--tls-port needs a number in 1..65535");
			}
			tls_port = value;
		} else if (take_option(argc, argv, &i, "--ca-file", &value)) {
			if (value == NULL || *value == '\0') {
				return usage_error("--ca-file needs a file");
			}
			ca_file = value;
		} else if (take_option(argc, argv, &i, "--unix", &value)) {
			if (value == NULL || *value == '\0') {
				return usage_error("--unix needs a socket path");
			}
			unix_path = value;
		} else if (take_option(argc, argv, &i, "--uri", &value)) {
			if (value == NULL || !g_str_has_prefix(value, "spice://")) {
				return usage_error("--uri needs a spice://HOST:PORT URI");
			}
			uri = value;
		} else if (take_option(argc, argv, &i, "--password-file", &value)) {
			if (value == NULL) {
				return usage_error("--password-file needs a file");
			}
			password_file = value;
		} else if (take_option(argc, argv, &i, "--username", &value)) {
			if (value == NULL || *value == '\0') {
				return usage_error("--username needs a user name");
			}
			username = value;
		} else if (take_option(argc, argv, &i, "--timeout", &value)) {
			if (!parse_seconds(value, &p->timeout_s) || p->timeout_s <= 0.0) {
				return usage_error("--timeout needs a positive number of seconds");
			}
		} else if (take_option(argc, argv, &i, "--hold", &value)) {
			if (!parse_ms(value, &p->oneshot.hold_ms)) {
				return usage_error("--hold needs a number of milliseconds");
			}
		} else if (command == NULL) {
			if (a[0] == '-') {
				return usage_error("unknown option %s", a);
			}
			command = a;
		} else {
			g_ptr_array_add(cmd_args, argv[i]);
		}
	}
	if (command == NULL) {
		return usage_error("missing COMMAND");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(probe_modes); i++) {
		if (strcmp(command, probe_modes[i].name) == 0) {
			p->mode = &probe_modes[i];
		}
	}
	if (p->mode == NULL) {
		p->oneshot.cmd = find_cli_cmd(command);
		if (p->oneshot.cmd != NULL) {
			p->mode = &oneshot_mode;
		}
	}
	if (p->mode == NULL) {
		return usage_error("unknown command %s", command);
	}
	if (!p->mode->parse(p, (int)cmd_args->len, (char **)cmd_args->pdata)) {
		return usage_error("bad arguments for %s", command);
	}
	g_ptr_array_free(cmd_args, TRUE);

	char *password = NULL;
	if (password_file != NULL) {
		char *err = NULL;
		password = read_password_file(password_file, &err);
		if (password == NULL) {
			fprintf(stderr, PROBE_NAME ": cannot read password file: %s\n", err);
			g_free(err);
			return PROBE_EXIT_USAGE;
		}
	} else if (g_getenv("SPICE_WL_PASSWORD") != NULL) {
		password = g_strdup(g_getenv("SPICE_WL_PASSWORD"));
	}

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
	if (unix_path != NULL) {
		g_object_set(p->session, "host", NULL, "unix-path", unix_path, NULL);
	} else if (uri != NULL) {
		/* spice-glib ignores an unparsable URI (with a warning); detect that. */
		g_object_set(p->session, "host", NULL, NULL);
		g_object_set(p->session, "uri", uri, NULL);
	} else if (tls_port != NULL) {
		/* TLS only, unless a plain port is given too. */
		g_object_set(p->session, "host", host != NULL ? host : DEFAULT_HOST, "port", port,
			"tls-port", tls_port, NULL);
	} else {
		g_object_set(p->session, "host", host != NULL ? host : DEFAULT_HOST, "port",
			port != NULL ? port : DEFAULT_PORT, NULL);
	}
	if (ca_file != NULL) {
		g_object_set(p->session, "ca-file", ca_file, NULL);
	}
	if (unix_path != NULL) {
		/* Messages name the socket as "unix:PATH". */
		p->host = g_strdup("unix");
		p->port = g_strdup(unix_path);
	} else {
		g_object_get(p->session, "host", &p->host, "port", &p->port, NULL);
	}
	if (p->host == NULL || p->host[0] == '\0') {
		return usage_error("invalid URI %s (want spice://HOST:PORT)", uri);
	}
	if (p->port == NULL) {
		/* The URI gave only a TLS port. */
		g_object_get(p->session, "tls-port", &p->port, NULL);
	}
	if (p->port == NULL) {
		return usage_error("invalid URI %s", uri);
	}
	if (password != NULL) {
		g_object_set(p->session, "password", password, NULL);
	}
	if (username != NULL) {
		g_object_set(p->session, "username", username, NULL);
	}
	g_signal_connect(p->session, "channel-new", G_CALLBACK(on_channel_new), p);
	g_signal_connect(p->session, "channel-destroy", G_CALLBACK(on_channel_destroy), p);

	probe_log(p, "connecting to %s:%s%s%s%s", p->host, p->port,
		username != NULL ? " as " : "", username != NULL ? username : "",
		password != NULL ? " with password" : "");
	p->deadline_source = g_timeout_add(seconds_to_ms(p->timeout_s), deadline_expired, p);
	if (!spice_session_connect(p->session)) {
		fprintf(stderr, PROBE_NAME ": %s:%s: cannot connect: spice_session_connect failed\n",
			p->host, p->port);
		return PROBE_EXIT_FAIL;
	}

	g_main_loop_run(p->loop);

	fflush(stdout);
	clear_source(&p->deadline_source);
	clear_source(&p->mark_fallback_source);
	clear_source(&p->settle_source);
	clear_source(&p->expect.source);
	clear_source(&p->stats.source);
	clear_source(&p->wait.timeout_source);
	clear_source(&p->wait.quiet_source);
	clear_source(&p->queue.stdin_source);
	clear_source(&p->lock_sync_source);
	clear_source(&p->tone.source);
	spice_session_disconnect(p->session);
	g_object_unref(p->session);
	g_ptr_array_free(p->ch.seen, TRUE);
	if (p->queue.stdin_channel != NULL) {
		g_io_channel_unref(p->queue.stdin_channel);
		g_string_free(p->queue.stdin_buf, TRUE);
		g_queue_free_full(p->queue.lines, g_free);
	}
	if (p->expect.pixels != NULL) {
		g_array_free(p->expect.pixels, TRUE);
	}
	if (p->latency.samples != NULL) {
		g_array_free(p->latency.samples, TRUE);
	}
	if (p->audio.capture != NULL) {
		g_array_free(p->audio.capture, TRUE);
	}
	for (guint i = 0; i < CLIP_SELECTIONS; i++) {
		if (p->clip.grab[i].types != NULL) {
			g_array_free(p->clip.grab[i].types, TRUE);
		}
		g_free(p->clip.text[i]);
	}
	if (p->clip.deferred != NULL) {
		g_array_free(p->clip.deferred, TRUE);
	}
	g_free(p->agent.text);
	g_free(p->oneshot.argv);
	g_free(p->oneshot.error);
	g_free(p->oneshot.line);
	g_main_loop_unref(p->loop);
	g_free(password);
	g_free(p->host);
	g_free(p->port);
	return p->exit_code;
}
