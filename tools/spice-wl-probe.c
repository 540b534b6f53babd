/*
 * spice-wl-probe: a headless SPICE client for testing spice-wl.
 *
 * It connects to a SPICE server with spice-client-glib (no GTK), tracks the
 * primary surface of display channel 0 and answers questions about it:
 * screenshots, pixel expectations, traffic statistics, and an interactive
 * line-based "session" mode that test harnesses drive over a pipe.
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
 * start once connected.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <png.h>
#include <spice-client.h>
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

	SpiceMainChannel *main;
	SpiceDisplayChannel *display;
	SpiceInputsChannel *inputs;
	SpiceCursorChannel *cursor;
	GPtrArray *channels; /* struct probe_channel * */

	/* Primary surface of display channel 0, owned by spice-glib. */
	bool has_primary;
	enum SpiceSurfaceFmt format;
	int width, height, stride;
	const guint8 *data;

	guint mark_fallback_source;
	bool connected;
	gint64 connected_at; /* g_get_monotonic_time() */
	guint64 display_updates;

	/* screenshot */
	const char *out_path;
	guint settle_ms;
	guint settle_source;

	/* expect */
	GArray *expect; /* struct expect_pixel */
	guint expect_timeout_ms;
	guint expect_source;

	/* stats */
	double stats_seconds;
	guint stats_source;

	/* session */
	GIOChannel *stdin_channel;
	guint stdin_source;
	GString *stdin_buf;
	GQueue *lines; /* char *, commands not yet run */
	bool stdin_eof;
	bool running_queue;
	bool pending; /* a command returned CMD_PENDING and has not completed */
	enum session_wait wait;
	struct expect_pixel wait_pixel;
	guint wait_quiet_ms;
	guint wait_timeout_source;
	guint wait_quiet_source;
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
	if (!p->has_primary || x < 0 || y < 0 || x >= p->width || y >= p->height) {
		return false;
	}
	const guint8 *row = p->data + (ptrdiff_t)y * p->stride;
	switch (p->format) {
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
		if (p->format == SPICE_SURFACE_FMT_16_555) {
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
	for (int x = 0; x < p->width; x++) {
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
	png_set_IHDR(png, info, (png_uint_32)p->width, (png_uint_32)p->height, 8,
		PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < p->height; y++) {
		fill_rgb_row(p, y, row);
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return true;
}

static bool write_ppm(struct probe *p, FILE *f, guint8 *row) {
	fprintf(f, "P6\n%d %d\n255\n", p->width, p->height);
	for (int y = 0; y < p->height; y++) {
		fill_rgb_row(p, y, row);
		if (fwrite(row, 3, (size_t)p->width, f) != (size_t)p->width) {
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
	if (!p->has_primary) {
		*err = g_strdup("no primary surface");
		return false;
	}
	if (!primary_format_supported(p->format)) {
		*err = g_strdup_printf("unsupported surface format %d", (int)p->format);
		return false;
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		*err = g_strdup_printf("cannot open %s: %s", path, g_strerror(errno));
		return false;
	}
	guint8 *row = g_malloc((size_t)p->width * 3);
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
	for (guint i = 0; i < p->channels->len; i++) {
		struct probe_channel *pc = g_ptr_array_index(p->channels, i);
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
		total, p->display_updates, p->has_primary ? p->width : 0,
		p->has_primary ? p->height : 0);

	g_ptr_array_free(keys, TRUE);
	g_array_free(bytes, TRUE);
	return g_string_free(json, FALSE);
}

/* ------------------------------------------------------------------ */
/* Mode: screenshot */

static gboolean screenshot_settled(gpointer data) {
	struct probe *p = data;
	p->settle_source = 0;
	if (!p->has_primary) {
		return G_SOURCE_REMOVE; /* re-armed when the primary comes back */
	}
	char *err = NULL;
	if (!save_screenshot(p, p->out_path, &err)) {
		fprintf(stderr, PROBE_NAME ": screenshot: %s\n", err);
		g_free(err);
		probe_finish(p, PROBE_EXIT_FAIL);
		return G_SOURCE_REMOVE;
	}
	out_line("%dx%d", p->width, p->height);
	probe_finish(p, PROBE_EXIT_OK);
	return G_SOURCE_REMOVE;
}

static void screenshot_arm(struct probe *p) {
	clear_source(&p->settle_source);
	p->settle_source = g_timeout_add(p->settle_ms, screenshot_settled, p);
}

static void screenshot_connected(struct probe *p) {
	screenshot_arm(p);
}

static void screenshot_update(struct probe *p, bool primary_changed) {
	screenshot_arm(p);
}

static bool screenshot_parse(struct probe *p, int argc, char **argv) {
	p->settle_ms = DEFAULT_SETTLE_MS;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--out") == 0 && i + 1 < argc) {
			p->out_path = argv[++i];
		} else if (g_str_has_prefix(a, "--out=")) {
			p->out_path = a + strlen("--out=");
		} else if (strcmp(a, "--settle") == 0 && i + 1 < argc) {
			if (!parse_ms(argv[++i], &p->settle_ms)) {
				return false;
			}
		} else if (g_str_has_prefix(a, "--settle=")) {
			if (!parse_ms(a + strlen("--settle="), &p->settle_ms)) {
				return false;
			}
		} else {
			return false;
		}
	}
	return p->out_path != NULL && p->out_path[0] != '\0';
}

/* ------------------------------------------------------------------ */
/* Mode: expect */

static void expect_check(struct probe *p) {
	for (guint i = 0; i < p->expect->len; i++) {
		if (!pixel_matches(p, &g_array_index(p->expect, struct expect_pixel, i))) {
			return;
		}
	}
	out_line("ok");
	probe_finish(p, PROBE_EXIT_OK);
}

static gboolean expect_timeout(gpointer data) {
	struct probe *p = data;
	p->expect_source = 0;
	for (guint i = 0; i < p->expect->len; i++) {
		struct expect_pixel *px = &g_array_index(p->expect, struct expect_pixel, i);
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
	p->expect_source = g_timeout_add(p->expect_timeout_ms, expect_timeout, p);
	expect_check(p);
}

static void expect_update(struct probe *p, bool primary_changed) {
	expect_check(p);
}

static bool expect_parse(struct probe *p, int argc, char **argv) {
	p->expect_timeout_ms = DEFAULT_EXPECT_TIMEOUT_MS;
	p->expect = g_array_new(FALSE, TRUE, sizeof(struct expect_pixel));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct expect_pixel px;
		if (strcmp(a, "--timeout-ms") == 0 && i + 1 < argc) {
			if (!parse_ms(argv[++i], &p->expect_timeout_ms)) {
				return false;
			}
		} else if (g_str_has_prefix(a, "--timeout-ms=")) {
			if (!parse_ms(a + strlen("--timeout-ms="), &p->expect_timeout_ms)) {
				return false;
			}
		} else if (parse_pixel_spec(a, &px)) {
			g_array_append_val(p->expect, px);
		} else {
			return false;
		}
	}
	return p->expect->len > 0;
}

/* ------------------------------------------------------------------ */
/* Mode: stats */

static gboolean stats_done(gpointer data) {
	struct probe *p = data;
	p->stats_source = 0;
	char *json = stats_json(p, p->stats_seconds);
	out_line("%s", json);
	g_free(json);
	probe_finish(p, PROBE_EXIT_OK);
	return G_SOURCE_REMOVE;
}

static void stats_connected(struct probe *p) {
	p->stats_source = g_timeout_add(seconds_to_ms(p->stats_seconds), stats_done, p);
}

static bool stats_parse(struct probe *p, int argc, char **argv) {
	p->stats_seconds = DEFAULT_STATS_SECONDS;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
			if (!parse_seconds(argv[++i], &p->stats_seconds)) {
				return false;
			}
		} else if (g_str_has_prefix(a, "--seconds=")) {
			if (!parse_seconds(a + strlen("--seconds="), &p->stats_seconds)) {
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

struct session_cmd {
	const char *name;
	const char *args; /* usage, for "error usage: ..." */
	int min_args, max_args;
	bool needs_primary;
	enum cmd_result (*run)(struct probe *p, int argc, char **argv);
};

static void session_run_queue(struct probe *p);

/* Prints the result of the pending command and resumes the queue. */
static void session_complete(struct probe *p, const char *result) {
	clear_source(&p->wait_timeout_source);
	clear_source(&p->wait_quiet_source);
	p->wait = SESSION_WAIT_NONE;
	p->pending = false;
	out_line("%s", result);
	session_run_queue(p);
}

static gboolean session_wait_timeout(gpointer data) {
	struct probe *p = data;
	p->wait_timeout_source = 0;
	if (p->wait == SESSION_WAIT_PIXEL) {
		char got[8];
		format_pixel(p, p->wait_pixel.x, p->wait_pixel.y, got);
		char *line = g_strdup_printf("fail got %s", got);
		session_complete(p, line);
		g_free(line);
	} else {
		session_complete(p, "fail");
	}
	return G_SOURCE_REMOVE;
}

static gboolean session_quiet_elapsed(gpointer data) {
	struct probe *p = data;
	p->wait_quiet_source = 0;
	session_complete(p, "ok");
	return G_SOURCE_REMOVE;
}

static void session_arm_quiet(struct probe *p) {
	clear_source(&p->wait_quiet_source);
	p->wait_quiet_source = g_timeout_add(p->wait_quiet_ms, session_quiet_elapsed, p);
}

static void session_start_wait(struct probe *p, enum session_wait wait, guint timeout_ms) {
	p->wait = wait;
	p->wait_timeout_source = g_timeout_add(timeout_ms, session_wait_timeout, p);
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
	if (px.x >= p->width || px.y >= p->height) {
		out_line("error out of bounds");
		return CMD_DONE;
	}
	if (pixel_matches(p, &px)) {
		out_line("ok");
		return CMD_DONE;
	}
	p->wait_pixel = px;
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
	p->wait_quiet_ms = quiet_ms;
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
	out_line("%d %d", p->width, p->height);
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

static enum cmd_result cmd_quit(struct probe *p, int argc, char **argv) {
	out_line("ok");
	probe_finish(p, PROBE_EXIT_OK);
	return CMD_DONE;
}

/*
 * Session commands. argv[0] is the command name; argc counts it. Commands
 * with needs_primary get "error no primary surface" while the primary is
 * being re-created. A command either prints exactly one result line and
 * returns CMD_DONE, or returns CMD_PENDING and later calls
 * session_complete() exactly once; later lines stay queued until then.
 * Add input/clipboard/resize commands here (p->inputs, p->main).
 */
static const struct session_cmd session_cmds[] = {
	{"wait-pixel", "X Y RRGGBB TIMEOUT_MS", 4, 4, true, cmd_wait_pixel},
	{"wait-update", "TIMEOUT_MS", 1, 1, false, cmd_wait_update},
	{"quiet", "MS TIMEOUT_MS", 2, 2, false, cmd_quiet},
	{"pixel", "X Y", 2, 2, true, cmd_pixel},
	{"size", "", 0, 0, true, cmd_size},
	{"screenshot", "FILE", 1, 1, true, cmd_screenshot},
	{"stats", "", 0, 0, false, cmd_stats},
	{"quit", "", 0, 0, false, cmd_quit},
};

static enum cmd_result session_dispatch(struct probe *p, char *line) {
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
	if (argc == 0) {
		/* blank line: not a command, no reply */
	} else if (cmd == NULL) {
		out_line("error unknown command");
	} else if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		out_line("error usage: %s%s%s", cmd->name, cmd->args[0] != '\0' ? " " : "",
			cmd->args);
	} else if (cmd->needs_primary && !p->has_primary) {
		out_line("error no primary surface");
	} else {
		probe_log(p, "session: %s", line);
		res = cmd->run(p, argc, argv);
	}
	g_strfreev(argv);
	return res;
}

/* Runs queued commands in order until one is pending or the queue is empty. */
static void session_run_queue(struct probe *p) {
	if (p->running_queue) {
		return;
	}
	p->running_queue = true;
	while (!p->finished && p->connected && !p->pending && !g_queue_is_empty(p->lines)) {
		char *line = g_queue_pop_head(p->lines);
		if (session_dispatch(p, line) == CMD_PENDING) {
			p->pending = true;
		}
		g_free(line);
	}
	p->running_queue = false;
	if (!p->finished && p->stdin_eof && p->connected && !p->pending &&
			g_queue_is_empty(p->lines)) {
		probe_finish(p, PROBE_EXIT_OK);
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
		g_string_append_len(p->stdin_buf, buf, (gssize)n);
		char *nl;
		while ((nl = memchr(p->stdin_buf->str, '\n', p->stdin_buf->len)) != NULL) {
			gsize len = (gsize)(nl - p->stdin_buf->str);
			g_queue_push_tail(p->lines, g_strndup(p->stdin_buf->str, len));
			g_string_erase(p->stdin_buf, 0, (gssize)len + 1);
		}
		session_run_queue(p);
		return G_SOURCE_CONTINUE;
	}
	/* EOF or error: run what is left (including an unterminated line), then exit. */
	if (p->stdin_buf->len > 0) {
		g_queue_push_tail(p->lines, g_strdup(p->stdin_buf->str));
		g_string_truncate(p->stdin_buf, 0);
	}
	p->stdin_eof = true;
	p->stdin_source = 0;
	session_run_queue(p);
	return G_SOURCE_REMOVE;
}

static void session_connected(struct probe *p) {
	out_line("connected %dx%d", p->width, p->height);
	session_run_queue(p);
}

static void session_update(struct probe *p, bool primary_changed) {
	switch (p->wait) {
	case SESSION_WAIT_NONE:
		break;
	case SESSION_WAIT_PIXEL:
		if (pixel_matches(p, &p->wait_pixel)) {
			session_complete(p, "ok");
		}
		break;
	case SESSION_WAIT_UPDATE:
		session_complete(p, "ok");
		break;
	case SESSION_WAIT_QUIET:
		session_arm_quiet(p);
		break;
	}
}

static bool session_parse(struct probe *p, int argc, char **argv) {
	if (argc != 0) {
		return false;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	p->lines = g_queue_new();
	p->stdin_buf = g_string_new(NULL);
	p->stdin_channel = g_io_channel_unix_new(STDIN_FILENO);
	g_io_channel_set_encoding(p->stdin_channel, NULL, NULL);
	g_io_channel_set_buffered(p->stdin_channel, FALSE);
	p->stdin_source = g_io_add_watch(p->stdin_channel, G_IO_IN | G_IO_HUP | G_IO_ERR,
		session_stdin_ready, p);
	return true;
}

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
	fprintf(stderr, PROBE_NAME ": %s:%s: timed out after %gs waiting for %s\n", p->host,
		p->port, p->timeout_s,
		p->connected ? "the display to settle" : "the display");
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
	if (p->connected || p->finished || !p->has_primary) {
		return;
	}
	clear_source(&p->mark_fallback_source);
	p->connected = true;
	p->connected_at = g_get_monotonic_time();
	probe_log(p, "connected, primary %dx%d", p->width, p->height);
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
	p->has_primary = true;
	p->format = (enum SpiceSurfaceFmt)format;
	p->width = width;
	p->height = height;
	p->stride = stride;
	p->data = imgdata;
	if (!primary_format_supported(p->format)) {
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
	p->has_primary = false;
	p->data = NULL;
}

static void on_invalidate(SpiceChannel *channel, gint x, gint y, gint w, gint h, gpointer data) {
	struct probe *p = data;
	p->display_updates++;
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
		return;
	}
	if (event == SPICE_CHANNEL_SWITCHING || event == SPICE_CHANNEL_NONE) {
		return;
	}
	const char *reason = channel_event_reason(channel, event);
	probe_log(p, "%s channel event %d: %s", name, (int)event, reason);
	if (p->finished) {
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
	g_ptr_array_add(p->channels, pc);

	bool keep = false;
	if (SPICE_IS_MAIN_CHANNEL(channel)) {
		p->main = SPICE_MAIN_CHANNEL(channel);
		/* spice_session_connect() connects the main channel itself. */
	} else if (SPICE_IS_DISPLAY_CHANNEL(channel) && id == 0) {
		p->display = SPICE_DISPLAY_CHANNEL(channel);
		g_signal_connect(channel, "display-primary-create", G_CALLBACK(on_primary_create), p);
		g_signal_connect(channel, "display-primary-destroy",
			G_CALLBACK(on_primary_destroy), p);
		g_signal_connect(channel, "display-invalidate", G_CALLBACK(on_invalidate), p);
		g_signal_connect(channel, "display-mark", G_CALLBACK(on_display_mark), p);
		keep = true;
	} else if (SPICE_IS_INPUTS_CHANNEL(channel)) {
		p->inputs = SPICE_INPUTS_CHANNEL(channel);
		keep = true;
	} else if (SPICE_IS_CURSOR_CHANNEL(channel)) {
		p->cursor = SPICE_CURSOR_CHANNEL(channel);
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
	for (guint i = 0; i < p->channels->len; i++) {
		struct probe_channel *pc = g_ptr_array_index(p->channels, i);
		if (pc->channel == channel) {
			channel_snapshot(pc);
			pc->channel = NULL;
		}
	}
	if ((gpointer)channel == (gpointer)p->main) {
		p->main = NULL;
	} else if ((gpointer)channel == (gpointer)p->display) {
		p->display = NULL;
		p->has_primary = false;
		p->data = NULL;
	} else if ((gpointer)channel == (gpointer)p->inputs) {
		p->inputs = NULL;
	} else if ((gpointer)channel == (gpointer)p->cursor) {
		p->cursor = NULL;
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
	bool show = p->verbose >= 2 ||
		(p->verbose == 1 && (level & G_LOG_LEVEL_DEBUG) == 0) ||
		(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0;
	if (show) {
		fprintf(stderr, "%s: %s\n", domain != NULL ? domain : PROBE_NAME, message);
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
	"  --password-file F   password is the first line of F\n"
	"                      (default: $SPICE_WL_PASSWORD, else no password)\n"
	"  --timeout S         seconds allowed until the display is ready (primary\n"
	"                      surface and initial image received; default 20;\n"
	"                      for screenshot: the whole run)\n"
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
	"      asynchronous lines: 'connected WxH' (first line, then commands run;\n"
	"      earlier input is queued), 'primary W H' (primary re-created),\n"
	"      'disconnected' (connection lost or failed; exit 1, or 3 on timeout).\n"
	"      Results come in command order; EOF on stdin acts like quit.\n"
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
	const char *command = NULL;
	GPtrArray *cmd_args = g_ptr_array_new();
	p->timeout_s = DEFAULT_TIMEOUT_S;

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
		} else if (take_option(argc, argv, &i, "--timeout", &value)) {
			if (!parse_seconds(value, &p->timeout_s) || p->timeout_s <= 0.0) {
				return usage_error("--timeout needs a positive number of seconds");
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
	if (p->verbose >= 2) {
		spice_util_set_debug(TRUE);
	}

	p->loop = g_main_loop_new(NULL, FALSE);
	p->channels = g_ptr_array_new_with_free_func(probe_channel_free);
	p->session = spice_session_new();
	g_object_set(p->session, "enable-audio", FALSE, "enable-usbredir", FALSE,
		"enable-smartcard", FALSE, NULL);
	if (uri != NULL) {
		/* spice-glib ignores an unparsable URI (with a warning); detect that. */
		g_object_set(p->session, "host", NULL, NULL);
		g_object_set(p->session, "uri", uri, NULL);
	} else {
		g_object_set(p->session, "host", host != NULL ? host : DEFAULT_HOST, "port",
			port != NULL ? port : DEFAULT_PORT, NULL);
	}
	g_object_get(p->session, "host", &p->host, "port", &p->port, NULL);
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
	g_signal_connect(p->session, "channel-new", G_CALLBACK(on_channel_new), p);
	g_signal_connect(p->session, "channel-destroy", G_CALLBACK(on_channel_destroy), p);

	probe_log(p, "connecting to %s:%s%s", p->host, p->port,
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
	clear_source(&p->expect_source);
	clear_source(&p->stats_source);
	clear_source(&p->wait_timeout_source);
	clear_source(&p->wait_quiet_source);
	clear_source(&p->stdin_source);
	spice_session_disconnect(p->session);
	g_object_unref(p->session);
	g_ptr_array_free(p->channels, TRUE);
	if (p->stdin_channel != NULL) {
		g_io_channel_unref(p->stdin_channel);
		g_string_free(p->stdin_buf, TRUE);
		g_queue_free_full(p->lines, g_free);
	}
	if (p->expect != NULL) {
		g_array_free(p->expect, TRUE);
	}
	g_main_loop_unref(p->loop);
	g_free(password);
	g_free(p->host);
	g_free(p->port);
	return p->exit_code;
}
