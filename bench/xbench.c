/*
 * xbench: the X11 workload client of bench/run.py, identical on every X
 * target (Xwayland under spice-wl and sway, Xorg+spiceqxl for XSpice).
 *
 *   xbench square [SECONDS]   1280x800 window at 0,0 with the four-quadrant
 *                             pattern of tests/clients/swl-test-client and a
 *                             64x64 yellow square moving 8 px per frame,
 *                             30 frames/s on a fixed clock
 *   xbench video [SECONDS]    1280x800 window at 0,0, every frame (30/s) a
 *                             new full-window image ("plasma": smooth moving
 *                             colour fields, like video, no two frames alike)
 *   xbench move WID [SECONDS] move window WID (ConfigureWindow, what
 *                             `xdotool windowmove` sends) 30 times a second
 *                             along a fixed path across the screen
 *   xbench slowlink [SECONDS] what `swl-test-client --echo-keys --video`
 *                             shows, for bench/slowlink.py: 1280x800 window
 *                             at 0,0 with the four-quadrant pattern, its
 *                             480x360 video at 0,40 (the same formula, a new
 *                             frame 30 times a second) and, on every key
 *                             press, the same 16x16 mark along the top row
 *   xbench echo [SECONDS]     the same without the video (the pattern and
 *                             the marks only)
 *
 * Pixels are drawn client-side and sent with PutImage (as toolkits that
 * render client-side do), so no target can turn them into solid fills.
 * After each frame a round trip keeps the client from running ahead of a
 * slow server; a late frame is dropped (the clock does not slip).
 * slowlink answers key presses between frames, as soon as they arrive.
 * Prints "mapped" once its window is mapped, then "done FRAMES" at the end.
 * Build: cc -O2 -o xbench xbench.c -lxcb -lm
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xcb/xcb.h>

#define W 1280
#define H 800
#define FPS 30
#define SQ 64
#define STEP 8
/* slowlink: swl-test-client's video area and key marks */
#define VIDEO_X 0
#define VIDEO_Y 40
#define VIDEO_W 480
#define VIDEO_H 360
#define MARK 16

static const uint32_t quad[4] = {0xff0000, 0x00ff00, 0x0000ff, 0xffffff};

static xcb_connection_t *c;
static xcb_screen_t *screen;

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t) {
	struct timespec ts;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void sync_server(void) {
	free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL));
}

static xcb_window_t make_window(const char *title, uint32_t event_mask) {
	xcb_window_t win = xcb_generate_id(c);
	uint32_t mask = XCB_CW_BACK_PIXMAP | XCB_CW_EVENT_MASK;
	uint32_t values[] = {XCB_BACK_PIXMAP_NONE,
		XCB_EVENT_MASK_STRUCTURE_NOTIFY | XCB_EVENT_MASK_EXPOSURE | event_mask};
	xcb_create_window(c, XCB_COPY_FROM_PARENT, win, screen->root, 0, 0, W, H, 0,
		XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, mask, values);
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8,
		strlen(title), title);
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8,
		strlen("xbench") * 2 + 2, "xbench\0xbench\0");
	/* WM_NORMAL_HINTS: USPosition|USSize|PPosition|PSize|PMinSize|PMaxSize at 0,0. */
	uint32_t hints[18] = {0};
	hints[0] = 1 | 2 | 4 | 8 | 16 | 32;
	hints[3] = W;
	hints[4] = H;
	hints[5] = W;
	hints[6] = H;
	hints[7] = W;
	hints[8] = H;
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, win, XCB_ATOM_WM_NORMAL_HINTS,
		XCB_ATOM_WM_SIZE_HINTS, 32, 18, hints);
	xcb_map_window(c, win);
	xcb_flush(c);
	xcb_generic_event_t *ev;
	while ((ev = xcb_wait_for_event(c)) != NULL) {
		int type = ev->response_type & 0x7f;
		free(ev);
		if (type == XCB_MAP_NOTIFY) {
			break;
		}
	}
	return win;
}

/* Puts a w x h block of 32-bit pixels in strips small enough for any server. */
static void put(xcb_window_t win, xcb_gcontext_t gc, const uint32_t *px, int stride, int x,
		int y, int w, int h) {
	int rows = (256 * 1024) / (w * 4);
	if (rows < 1) {
		rows = 1;
	}
	static uint32_t *tmp;
	if (tmp == NULL) {
		tmp = malloc((size_t)W * H * 4);
	}
	for (int y0 = 0; y0 < h; y0 += rows) {
		int n = h - y0 < rows ? h - y0 : rows;
		for (int r = 0; r < n; r++) {
			memcpy(tmp + (size_t)r * w, px + (size_t)(y + y0 + r) * stride + x,
				(size_t)w * 4);
		}
		xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, win, gc, w, n, x, y + y0, 0,
			screen->root_depth, (uint32_t)(w * n * 4), (const uint8_t *)tmp);
	}
}

static uint32_t quad_color(int x, int y) {
	return quad[(y >= H / 2) * 2 + (x >= W / 2)];
}

static int run_frames(double seconds, void (*frame)(long n, void *), void *data) {
	double start = now();
	long n = 0, drawn = 0;
	while (seconds <= 0 || now() - start < seconds) {
		frame(n, data);
		xcb_flush(c);
		sync_server();
		drawn++;
		/* Next frame on the fixed clock; drop frames we are late for. */
		long next = (long)((now() - start) * FPS) + 1;
		n = n + 1 > next ? n + 1 : next;
		sleep_until(start + (double)n / FPS);
		if (xcb_connection_has_error(c)) {
			return -1;
		}
	}
	printf("done %ld\n", drawn);
	fflush(stdout);
	return 0;
}

struct draw {
	xcb_window_t win;
	xcb_gcontext_t gc;
	uint32_t *fb;
	int sq_x;
	xcb_window_t target;
	bool video;       /* slowlink: the video plays (not echo) */
	uint32_t video_t; /* slowlink: frames of the video drawn */
	uint32_t marks;   /* slowlink: key presses answered */
};

static void square_frame(long n, void *data) {
	struct draw *d = data;
	int y = H / 2 - SQ / 2;
	int old = d->sq_x;
	int x = (int)((n * STEP) % W);
	int x_end = x + SQ > W ? W : x + SQ;
	for (int r = y; r < y + SQ; r++) {
		for (int cx = old; cx < old + SQ && cx < W; cx++) {
			d->fb[r * W + cx] = quad_color(cx, r);
		}
		for (int cx = x; cx < x_end; cx++) {
			d->fb[r * W + cx] = 0xffff00;
		}
	}
	int lo = old < x ? old : x;
	int hi_old = old + SQ > W ? W : old + SQ;
	int hi = hi_old > x_end ? hi_old : x_end;
	if (hi - lo > 2 * SQ + STEP) {
		/* wrapped around: two separate blocks */
		put(d->win, d->gc, d->fb, W, old, y, hi_old - old, SQ);
		put(d->win, d->gc, d->fb, W, x, y, x_end - x, SQ);
	} else {
		put(d->win, d->gc, d->fb, W, lo, y, hi - lo, SQ);
	}
	d->sq_x = x;
}

static uint8_t sine[1024];

static void video_frame(long n, void *data) {
	struct draw *d = data;
	int t = (int)n;
	for (int y = 0; y < H; y++) {
		uint32_t *row = d->fb + (size_t)y * W;
		int a = sine[(y * 3 + t * 7) & 1023];
		int b = sine[(y * 2 - t * 5) & 1023];
		for (int x = 0; x < W; x++) {
			int r = sine[(x * 2 + t * 11 + a) & 1023];
			int g = sine[(x + y + t * 6) & 1023];
			int bl = sine[((x * 3) / 2 - t * 9 + b) & 1023];
			row[x] = (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)bl;
		}
	}
	put(d->win, d->gc, d->fb, W, 0, 0, W, H);
}

/* The next frame of swl-test-client's video: video_frame() there, same pixels. */
static void slowlink_video(struct draw *d) {
	uint32_t t = d->video_t++;
	for (int y = 0; y < VIDEO_H; y++) {
		uint32_t *row = d->fb + (size_t)(VIDEO_Y + y) * W + VIDEO_X;
		for (int x = 0; x < VIDEO_W; x++) {
			uint32_t red = (uint32_t)(x * 3 + t * 7) & 0xff;
			uint32_t green = (uint32_t)(y * 2 + t * 5 + (x ^ y)) & 0xff;
			uint32_t blue = (uint32_t)((x + y) * t) & 0xff;
			row[x] = red << 16 | green << 8 | blue;
		}
	}
	put(d->win, d->gc, d->fb, W, VIDEO_X, VIDEO_Y, VIDEO_W, VIDEO_H);
}

/* swl-test-client's echo of a key press: mark n along the top row. */
static void slowlink_mark(struct draw *d) {
	uint32_t n = d->marks++;
	int mx = 8 + (int)(n % 32) * MARK, my = 8;
	uint32_t color = (0x400000u * (n % 4) + 0x2040c0u + 0x10u * (n % 8)) & 0xffffff;
	for (int y = my; y < my + MARK; y++) {
		for (int x = mx; x < mx + MARK; x++) {
			d->fb[y * W + x] = color;
		}
	}
	put(d->win, d->gc, d->fb, W, mx, my, MARK, MARK);
	xcb_flush(c);
}

/*
 * Answers the key presses that have arrived, and repaints what a window
 * manager's resize or a server without backing store lost; false once the
 * connection broke.
 */
static bool slowlink_events(struct draw *d) {
	xcb_generic_event_t *ev;
	while ((ev = xcb_poll_for_event(c)) != NULL) {
		int type = ev->response_type & 0x7f;
		if (type == XCB_KEY_PRESS) {
			slowlink_mark(d);
		} else if (type == XCB_EXPOSE) {
			xcb_expose_event_t *e = (xcb_expose_event_t *)ev;
			int w = e->x + e->width > W ? W - e->x : e->width;
			int h = e->y + e->height > H ? H - e->y : e->height;
			if (w > 0 && h > 0) {
				put(d->win, d->gc, d->fb, W, e->x, e->y, w, h);
				xcb_flush(c);
			}
		}
		free(ev);
	}
	return !xcb_connection_has_error(c);
}

/* The video on the fixed clock (late frames dropped), keys answered in between. */
static int run_slowlink(struct draw *d, double seconds) {
	double start = now();
	long n = 0;
	while (seconds <= 0 || now() - start < seconds) {
		if (d->video) {
			slowlink_video(d);
			xcb_flush(c);
			sync_server();
		}
		long next = (long)((now() - start) * FPS) + 1;
		n = n + 1 > next ? n + 1 : next;
		double due = start + (double)n / FPS;
		for (;;) {
			if (!slowlink_events(d)) {
				return -1;
			}
			double left = due - now();
			if (left <= 0) {
				break;
			}
			struct pollfd pfd = {.fd = xcb_get_file_descriptor(c), .events = POLLIN};
			poll(&pfd, 1, (int)ceil(left * 1000));
		}
	}
	printf("done %u\n", d->video_t);
	fflush(stdout);
	return 0;
}

/* Triangle wave between 0 and span, period seconds. */
static int tri(double t, double period, int span) {
	double p = fmod(t, period) / period;
	return (int)(p < 0.5 ? p * 2 * span : (1 - p) * 2 * span);
}

static void move_frame(long n, void *data) {
	struct draw *d = data;
	double t = (double)n / FPS;
	uint32_t v[2] = {(uint32_t)tri(t, 4.0, W - 200), (uint32_t)tri(t, 2.6, H - 200)};
	xcb_configure_window(c, d->target, XCB_CONFIG_WINDOW_X | XCB_CONFIG_WINDOW_Y, v);
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: xbench square|video|slowlink|echo [SECONDS] | "
			"move WID [SECONDS]\n");
		return 2;
	}
	c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c)) {
		fprintf(stderr, "xbench: cannot open display\n");
		return 1;
	}
	screen = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	for (int i = 0; i < 1024; i++) {
		sine[i] = (uint8_t)(127.5 + 127.5 * sin(i * 2 * M_PI / 1024));
	}
	struct draw d = {0};
	const char *mode = argv[1];
	if (strcmp(mode, "move") == 0) {
		if (argc < 3) {
			return 2;
		}
		d.target = (xcb_window_t)strtoul(argv[2], NULL, 0);
		printf("mapped\n");
		fflush(stdout);
		return run_frames(argc > 3 ? atof(argv[3]) : 0, move_frame, &d) ? 1 : 0;
	}
	double seconds = argc > 2 ? atof(argv[2]) : 0;
	d.fb = malloc((size_t)W * H * 4);
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			d.fb[y * W + x] = quad_color(x, y);
		}
	}
	char title[64];
	snprintf(title, sizeof(title), "xbench-%s", mode);
	d.video = strcmp(mode, "slowlink") == 0;
	bool slowlink = d.video || strcmp(mode, "echo") == 0;
	d.win = make_window(title, slowlink ? XCB_EVENT_MASK_KEY_PRESS : 0);
	d.gc = xcb_generate_id(c);
	xcb_create_gc(c, d.gc, d.win, 0, NULL);
	put(d.win, d.gc, d.fb, W, 0, 0, W, H);
	xcb_flush(c);
	sync_server();
	printf("mapped\n");
	fflush(stdout);
	if (strcmp(mode, "square") == 0) {
		return run_frames(seconds, square_frame, &d) ? 1 : 0;
	} else if (strcmp(mode, "video") == 0) {
		return run_frames(seconds, video_frame, &d) ? 1 : 0;
	} else if (slowlink) {
		return run_slowlink(&d, seconds) ? 1 : 0;
	}
	fprintf(stderr, "xbench: unknown mode %s\n", mode);
	return 2;
}
