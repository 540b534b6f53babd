/*
 * The one-shot modes that watch the display: screenshot (write the screen
 * once it settled), expect (wait for pixel colours) and stats (traffic over
 * a while). Each is a struct probe_mode that main.c selects by name.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "probe.h"

#define DEFAULT_SETTLE_MS 300
#define DEFAULT_EXPECT_TIMEOUT_MS 5000
#define DEFAULT_STATS_SECONDS 1.0

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
		const char *value = NULL;
		if (take_option(argc, argv, &i, "--out", &value)) {
			p->shot.out_path = value;
		} else if (!take_option(argc, argv, &i, "--settle", &value) ||
				!parse_ms(value, &p->shot.settle_ms)) {
			return false;
		}
	}
	return p->shot.out_path != NULL && p->shot.out_path[0] != '\0';
}

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
		const char *value = NULL;
		struct expect_pixel px;
		if (take_option(argc, argv, &i, "--timeout-ms", &value)) {
			if (!parse_ms(value, &p->expect.timeout_ms)) {
				return false;
			}
		} else if (parse_pixel_spec(argv[i], &px)) {
			g_array_append_val(p->expect.pixels, px);
		} else {
			return false;
		}
	}
	return p->expect.pixels->len > 0;
}

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
		const char *value = NULL;
		if (!take_option(argc, argv, &i, "--seconds", &value) ||
				!parse_seconds(value, &p->stats.seconds)) {
			return false;
		}
	}
	return true;
}

const struct probe_mode probe_screenshot_mode = {
	"screenshot", screenshot_parse, screenshot_connected, screenshot_update, true, false,
};

const struct probe_mode probe_expect_mode = {
	"expect", expect_parse, expect_connected, expect_update, false, false,
};

const struct probe_mode probe_stats_mode = {
	"stats", stats_parse, stats_connected, NULL, false, false,
};
