/*
 * Display channel 0: its primary surface (pixels, screenshots), when the
 * display counts as connected (the server's display mark), the display
 * updates that drive the mode in use, traffic statistics, and the session
 * commands that read the screen.
 */
#include <errno.h>
#include <inttypes.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include "probe.h"

/* Servers that never send a display mark are treated as ready after this. */
#define MARK_FALLBACK_MS 1000

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
void format_pixel(struct probe *p, int x, int y, char buf[static 8]) {
	uint32_t rgb;
	if (primary_pixel(p, x, y, &rgb)) {
		snprintf(buf, 8, "%06" PRIx32, rgb);
	} else {
		snprintf(buf, 8, "none");
	}
}

bool pixel_matches(struct probe *p, const struct expect_pixel *px) {
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
bool save_screenshot(struct probe *p, const char *path, char **err) {
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

/* Statistics */

void channel_snapshot(struct probe_channel *pc) {
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

/* {"seconds":S,"channels":{...},"total_bytes":B,"display_updates":N,...,"watch":[N,...]} */
char *stats_json(struct probe *p, double seconds) {
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
		",\"width\":%d,\"height\":%d,\"watch\":[",
		total, p->primary.updates, p->primary.exists ? p->primary.width : 0,
		p->primary.exists ? p->primary.height : 0);
	for (int i = 0; i < p->watch.count; i++) {
		g_string_append_printf(json, "%s%" G_GUINT64_FORMAT, i > 0 ? "," : "",
			p->watch.pixels[i].changes);
	}
	g_string_append(json, "]}");

	g_ptr_array_free(keys, TRUE);
	g_array_free(bytes, TRUE);
	return g_string_free(json, FALSE);
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

/*
 * watch X Y [X Y ...]: from now on count, per pixel, the display updates that
 * change its colour. In a video where every pixel changes every frame, that
 * is the frames delivered there, whatever the encoding; stats reports them.
 */
static enum cmd_result cmd_watch(struct probe *p, int argc, char **argv) {
	struct watch_pixel watch[MAX_WATCH];
	int n = (argc - 1) / 2;
	if ((argc - 1) % 2 != 0) {
		out_line("error usage: watch X Y [X Y ...]");
		return CMD_DONE;
	}
	for (int i = 0; i < n; i++) {
		struct watch_pixel *w = &watch[i];
		if (!parse_xy(argv[1 + 2 * i], argv[2 + 2 * i], &w->x, &w->y)) {
			out_line("error usage: watch X Y [X Y ...]");
			return CMD_DONE;
		}
		w->changes = 0;
		w->known = primary_pixel(p, w->x, w->y, &w->rgb);
		if (!w->known) {
			out_line("error out of bounds");
			return CMD_DONE;
		}
	}
	memcpy(p->watch.pixels, watch, sizeof(watch[0]) * (size_t)n);
	p->watch.count = n;
	out_line("ok");
	return CMD_DONE;
}

static void watch_update(struct probe *p, bool primary_changed) {
	for (int i = 0; i < p->watch.count; i++) {
		struct watch_pixel *w = &p->watch.pixels[i];
		uint32_t rgb;
		if (!primary_pixel(p, w->x, w->y, &rgb)) {
			w->known = false;
			continue;
		}
		// A re-created primary is a new picture, not a frame.
		if (w->known && rgb != w->rgb && !primary_changed) {
			w->changes++;
		}
		w->rgb = rgb;
		w->known = true;
	}
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

static const struct session_cmd cmds[] = {
	{"wait-pixel", "X Y RRGGBB TIMEOUT_MS", 4, 4, true, cmd_wait_pixel, 0},
	{"wait-update", "TIMEOUT_MS", 1, 1, false, cmd_wait_update, 0},
	{"quiet", "MS TIMEOUT_MS", 2, 2, false, cmd_quiet, 0},
	{"pixel", "X Y", 2, 2, true, cmd_pixel, 0},
	{"watch", "X Y [X Y ...]", 2, 2 * MAX_WATCH, true, cmd_watch, 0},
	{"size", "", 0, 0, true, cmd_size, 0},
	{"screenshot", "FILE", 1, 1, true, cmd_screenshot, 0},
	{"stats", "", 0, 0, false, cmd_stats, 0},
};

const struct probe_cmd_table probe_display_cmds = {cmds, G_N_ELEMENTS(cmds)};

static void display_update(struct probe *p, bool primary_changed) {
	watch_update(p, primary_changed);
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

static void on_invalidate(SpiceChannel *channel, gint x, gint y, gint w, gint h, gpointer data) {
	struct probe *p = data;
	p->primary.updates++;
	if (p->verbose >= 2) {
		probe_log(p, "invalidate %d,%d %dx%d", x, y, w, h);
	}
	display_update(p, false);
}

void display_channel_new(struct probe *p, SpiceChannel *channel) {
	p->ch.display = SPICE_DISPLAY_CHANNEL(channel);
	g_signal_connect(channel, "display-primary-create", G_CALLBACK(on_primary_create), p);
	g_signal_connect(channel, "display-primary-destroy", G_CALLBACK(on_primary_destroy), p);
	g_signal_connect(channel, "display-invalidate", G_CALLBACK(on_invalidate), p);
	g_signal_connect(channel, "display-mark", G_CALLBACK(on_display_mark), p);
}
