/*
 * swl-test-client: a small xdg-shell Wayland client for the spice-wl
 * end-to-end tests.
 *
 * It maps one toplevel, fills it with a known four-quadrant colour pattern
 * drawn into wl_shm buffers, takes line-based commands on stdin and reports
 * what it did and which input events it received on stdout, one event per
 * line. Tests drive it through stdin/stdout and check the pixels that the
 * compositor forwards to SPICE.
 *
 * stdin commands:
 *   pattern N                 redraw the whole surface with pattern N (0..7)
 *   rect X Y W H RRGGBB       fill a rectangle, damaging only that rectangle
 *   animate on|off            toggle the moving 64x64 yellow square
 *   stats                     print "frames N" (buffers committed so far)
 *   quit                      exit with status 0
 *   exit N                    exit with status N (0..255)
 *
 * stdout lines:
 *   configure W H, ready W H, drawn pattern N, drawn rect, frames N, closed,
 *   keyboard enter|leave, key pressed|released CODE SYM UTF8,
 *   modifiers DEPRESSED LATCHED LOCKED GROUP, pointer enter X Y,
 *   pointer leave, pointer motion X Y, pointer button BUTTON pressed|released,
 *   pointer axis AXIS VALUE, pointer axis_discrete AXIS N,
 *   error unknown command, error invalid arguments, error line too long,
 *   error all buffers busy
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "xdg-shell-client-protocol.h"

/* Listener callbacks must match the protocol signatures, most ignore some arguments. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define DEFAULT_NAME "swl-test-client"
#define DEFAULT_WIDTH 640
#define DEFAULT_HEIGHT 480
#define MAX_SIZE 8192
#define POOL_BUFFERS 3
#define MAX_BUFFERS 4
#define MAX_DAMAGE 16
#define BUSY_TIMEOUT_MS 1000
#define SQUARE_SIZE 64
#define SQUARE_STEP 8
#define SQUARE_COLOR 0xffff00
#define PATTERN_COUNT 8
#define RECT_COORD_LIMIT 65536
#define INPUT_MAX 4096

/* Colours of the [top-left, top-right, bottom-left, bottom-right] quadrants. */
static const uint32_t patterns[PATTERN_COUNT][4] = {
	{0xff0000, 0x00ff00, 0x0000ff, 0xffffff},
	{0x00ffff, 0xff00ff, 0xffff00, 0x000000},
	{0x800000, 0x008000, 0x000080, 0x808080},
	{0xff8000, 0x0080ff, 0x80ff00, 0xff0080},
	{0x404040, 0xc0c0c0, 0x204080, 0x804020},
	{0x10f0a0, 0xa010f0, 0xf0a010, 0x102030},
	{0xffffff, 0x000000, 0xff0000, 0x00ff00},
	{0x123456, 0x654321, 0xabcdef, 0xfedcba},
};

struct rect {
	int x, y, width, height;
};

struct client;

struct buffer {
	struct wl_list link; /* client.buffers */
	struct client *client;
	struct wl_buffer *wl_buffer;
	uint32_t *data;
	size_t size;
	int width, height;
	bool busy;
};

/* A "drawn ..." line to print once the change it reports has been committed. */
struct note {
	bool is_rect;
	int pattern;
};

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;

	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;

	struct xkb_context *xkb_context;
	struct xkb_keymap *xkb_keymap;
	struct xkb_state *xkb_state;

	const char *title, *app_id;
	int default_width, default_height;
	int pending_width, pending_height; /* from the last toplevel configure */
	int width, height; /* size of content, 0 until the first configure */
	int ready_width, ready_height; /* last size reported with "ready" */
	uint32_t *content; /* persistent copy of the surface content */
	int pattern;

	struct wl_list buffers; /* buffer.link */

	/* Changes not committed yet */
	bool dirty;
	bool full_damage;
	struct rect damage[MAX_DAMAGE];
	int damage_count;
	struct note *notes;
	size_t note_count, note_cap;

	bool animate;
	bool echo_keys; /* draw a mark for every key press, for latency runs */
	bool own_cursor; /* set a cursor surface of our own on pointer enter */
	struct wl_surface *cursor_surface;
	struct wl_buffer *cursor_buffer;
	int echo_count;
	int square_x;
	struct wl_callback *frame_callback;
	uint64_t frames;

	/* A commit is waiting for a buffer to be released */
	bool waiting;
	bool busy_reported;
	struct timespec wait_start;

	char input[INPUT_MAX];
	size_t input_len;
	bool input_overflow;
	bool stdin_open;

	bool running;
	int exit_status;
};

static void fatal(struct client *client, const char *msg) {
	fprintf(stderr, "swl-test-client: %s\n", msg);
	client->running = false;
	client->exit_status = 1;
}

static struct rect clip_rect(struct rect r, int width, int height) {
	int x1 = r.x < 0 ? 0 : r.x;
	int y1 = r.y < 0 ? 0 : r.y;
	int64_t x2 = (int64_t)r.x + r.width;
	int64_t y2 = (int64_t)r.y + r.height;
	if (x2 > width) {
		x2 = width;
	}
	if (y2 > height) {
		y2 = height;
	}
	if (x2 <= x1 || y2 <= y1) {
		return (struct rect){0};
	}
	return (struct rect){x1, y1, (int)(x2 - x1), (int)(y2 - y1)};
}

static void fill_rect(uint32_t *data, int width, int height, struct rect r, uint32_t rgb) {
	struct rect c = clip_rect(r, width, height);
	uint32_t pixel = 0xff000000 | rgb;
	for (int y = c.y; y < c.y + c.height; y++) {
		uint32_t *row = data + (size_t)y * width;
		for (int x = c.x; x < c.x + c.width; x++) {
			row[x] = pixel;
		}
	}
}

static void draw_pattern(uint32_t *data, int width, int height, int pattern) {
	const uint32_t *colors = patterns[pattern];
	int half_w = width / 2, half_h = height / 2;
	fill_rect(data, width, height, (struct rect){0, 0, half_w, half_h}, colors[0]);
	fill_rect(data, width, height, (struct rect){half_w, 0, width - half_w, half_h}, colors[1]);
	fill_rect(data, width, height, (struct rect){0, half_h, half_w, height - half_h}, colors[2]);
	fill_rect(data, width, height,
		(struct rect){half_w, half_h, width - half_w, height - half_h}, colors[3]);
}

static struct rect square_rect(struct client *client) {
	return (struct rect){
		client->square_x,
		client->height / 2 - SQUARE_SIZE / 2,
		SQUARE_SIZE,
		SQUARE_SIZE,
	};
}

static void add_damage(struct client *client, struct rect r) {
	client->dirty = true;
	if (client->full_damage) {
		return;
	}
	struct rect c = clip_rect(r, client->width, client->height);
	if (c.width == 0) {
		return;
	}
	if (client->damage_count == MAX_DAMAGE) {
		client->full_damage = true;
		return;
	}
	client->damage[client->damage_count++] = c;
}

static void add_full_damage(struct client *client) {
	client->dirty = true;
	client->full_damage = true;
}

static void add_note(struct client *client, bool is_rect, int pattern) {
	if (client->note_count == client->note_cap) {
		size_t cap = client->note_cap ? client->note_cap * 2 : 8;
		struct note *notes = realloc(client->notes, cap * sizeof(*notes));
		if (notes == NULL) {
			fatal(client, "out of memory");
			return;
		}
		client->notes = notes;
		client->note_cap = cap;
	}
	client->notes[client->note_count++] = (struct note){is_rect, pattern};
	client->dirty = true;
}

static int64_t ms_since(const struct timespec *start) {
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - start->tv_sec) * 1000 +
		(now.tv_nsec - start->tv_nsec) / 1000000;
}

static void buffer_destroy(struct buffer *buffer) {
	wl_list_remove(&buffer->link);
	wl_buffer_destroy(buffer->wl_buffer);
	munmap(buffer->data, buffer->size);
	free(buffer);
}

static bool buffer_is_current(struct buffer *buffer) {
	return buffer->width == buffer->client->width && buffer->height == buffer->client->height;
}

static int current_buffer_count(struct client *client) {
	int count = 0;
	struct buffer *buffer;
	wl_list_for_each(buffer, &client->buffers, link) {
		if (buffer_is_current(buffer)) {
			count++;
		}
	}
	return count;
}

static void render(struct client *client);

static void buffer_handle_release(void *data, struct wl_buffer *wl_buffer) {
	struct buffer *buffer = data;
	struct client *client = buffer->client;
	buffer->busy = false;
	if (!buffer_is_current(buffer)) {
		buffer_destroy(buffer);
	} else if (client->waiting) {
		render(client);
	} else if (current_buffer_count(client) > POOL_BUFFERS) {
		buffer_destroy(buffer);
	}
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_handle_release,
};

static struct buffer *buffer_create(struct client *client) {
	int width = client->width, height = client->height;
	int stride = width * 4;
	size_t size = (size_t)stride * height;

	int fd = memfd_create("swl-test-client", MFD_CLOEXEC);
	if (fd < 0) {
		perror("swl-test-client: memfd_create");
		return NULL;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		perror("swl-test-client: ftruncate");
		close(fd);
		return NULL;
	}
	void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		perror("swl-test-client: mmap");
		close(fd);
		return NULL;
	}
	struct buffer *buffer = calloc(1, sizeof(*buffer));
	if (buffer == NULL) {
		munmap(data, size);
		close(fd);
		return NULL;
	}

	struct wl_shm_pool *pool = wl_shm_create_pool(client->shm, fd, (int32_t)size);
	buffer->wl_buffer =
		wl_shm_pool_create_buffer(pool, 0, width, height, stride, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);

	buffer->client = client;
	buffer->data = data;
	buffer->size = size;
	buffer->width = width;
	buffer->height = height;
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
	wl_list_insert(client->buffers.prev, &buffer->link);
	return buffer;
}

/* Returns a buffer the compositor doesn't use, or NULL if we must wait for one. */
static struct buffer *get_free_buffer(struct client *client) {
	struct buffer *buffer;
	wl_list_for_each(buffer, &client->buffers, link) {
		if (!buffer->busy && buffer_is_current(buffer)) {
			return buffer;
		}
	}
	if (current_buffer_count(client) >= MAX_BUFFERS) {
		return NULL;
	}
	buffer = buffer_create(client);
	if (buffer == NULL) {
		fatal(client, "failed to create a buffer");
	}
	return buffer;
}

static void frame_handle_done(void *data, struct wl_callback *callback, uint32_t time);

static const struct wl_callback_listener frame_listener = {
	.done = frame_handle_done,
};

/* Commits the pending changes, if any, in a fresh copy of the content. */
static void render(struct client *client) {
	if (!client->dirty || client->content == NULL || !client->running) {
		return;
	}
	struct buffer *buffer = get_free_buffer(client);
	if (buffer == NULL) {
		if (!client->waiting) {
			client->waiting = true;
			client->busy_reported = false;
			clock_gettime(CLOCK_MONOTONIC, &client->wait_start);
		}
		return;
	}
	client->waiting = false;

	memcpy(buffer->data, client->content, buffer->size);
	if (client->animate) {
		fill_rect(buffer->data, buffer->width, buffer->height, square_rect(client),
			SQUARE_COLOR);
	}

	wl_surface_attach(client->surface, buffer->wl_buffer, 0, 0);
	if (client->full_damage) {
		wl_surface_damage_buffer(client->surface, 0, 0, buffer->width, buffer->height);
	} else {
		for (int i = 0; i < client->damage_count; i++) {
			struct rect *r = &client->damage[i];
			wl_surface_damage_buffer(client->surface, r->x, r->y, r->width, r->height);
		}
	}
	if (client->animate && client->frame_callback == NULL) {
		client->frame_callback = wl_surface_frame(client->surface);
		wl_callback_add_listener(client->frame_callback, &frame_listener, client);
	}
	wl_surface_commit(client->surface);
	wl_display_flush(client->display);
	buffer->busy = true;
	client->frames++;
	client->dirty = false;
	client->full_damage = false;
	client->damage_count = 0;

	if (buffer->width != client->ready_width || buffer->height != client->ready_height) {
		client->ready_width = buffer->width;
		client->ready_height = buffer->height;
		printf("ready %d %d\n", buffer->width, buffer->height);
	}
	for (size_t i = 0; i < client->note_count; i++) {
		if (client->notes[i].is_rect) {
			printf("drawn rect\n");
		} else {
			printf("drawn pattern %d\n", client->notes[i].pattern);
		}
	}
	client->note_count = 0;
}

static void frame_handle_done(void *data, struct wl_callback *callback, uint32_t time) {
	struct client *client = data;
	wl_callback_destroy(callback);
	client->frame_callback = NULL;
	if (!client->animate) {
		return;
	}
	add_damage(client, square_rect(client));
	client->square_x += SQUARE_STEP;
	if (client->square_x >= client->width) {
		client->square_x = 0;
	}
	add_damage(client, square_rect(client));
	render(client);
}

static void resize(struct client *client, int width, int height) {
	uint32_t *content = malloc((size_t)width * height * sizeof(*content));
	if (content == NULL) {
		fatal(client, "out of memory");
		return;
	}
	free(client->content);
	client->content = content;
	client->width = width;
	client->height = height;
	draw_pattern(content, width, height, client->pattern);
	if (client->square_x >= width) {
		client->square_x = 0;
	}

	/* Buffers of the old size still in use go away when released. */
	struct buffer *buffer, *tmp;
	wl_list_for_each_safe(buffer, tmp, &client->buffers, link) {
		if (!buffer->busy) {
			buffer_destroy(buffer);
		}
	}
	client->damage_count = 0;
	add_full_damage(client);
}

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
		uint32_t serial) {
	struct client *client = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	if (client->pending_width != client->width || client->pending_height != client->height) {
		resize(client, client->pending_width, client->pending_height);
	}
	if (client->dirty) {
		render(client);
	} else {
		/* Nothing to draw, but apply the acknowledged state. */
		wl_surface_commit(client->surface);
	}
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static int clamp_size(int size, int fallback) {
	if (size <= 0) {
		return fallback;
	}
	return size > MAX_SIZE ? MAX_SIZE : size;
}

static void xdg_toplevel_handle_configure(void *data, struct xdg_toplevel *xdg_toplevel,
		int32_t width, int32_t height, struct wl_array *states) {
	struct client *client = data;
	client->pending_width = clamp_size(width, client->default_width);
	client->pending_height = clamp_size(height, client->default_height);
	printf("configure %d %d\n", client->pending_width, client->pending_height);
}

static void xdg_toplevel_handle_close(void *data, struct xdg_toplevel *xdg_toplevel) {
	struct client *client = data;
	printf("closed\n");
	client->running = false;
	client->exit_status = 0;
}

static const struct xdg_toplevel_listener xdg_toplevel_listener = {
	.configure = xdg_toplevel_handle_configure,
	.close = xdg_toplevel_handle_close,
};

static void wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_handle_ping,
};

static void keyboard_handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
		int32_t fd, uint32_t size) {
	struct client *client = data;
	if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 || size == 0) {
		close(fd);
		return;
	}
	char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		perror("swl-test-client: mmap keymap");
		return;
	}
	struct xkb_keymap *keymap = xkb_keymap_new_from_buffer(client->xkb_context, map,
		strnlen(map, size), XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
	munmap(map, size);
	if (keymap == NULL) {
		fprintf(stderr, "swl-test-client: failed to compile the keymap\n");
		return;
	}
	struct xkb_state *state = xkb_state_new(keymap);
	if (state == NULL) {
		xkb_keymap_unref(keymap);
		return;
	}
	xkb_state_unref(client->xkb_state);
	xkb_keymap_unref(client->xkb_keymap);
	client->xkb_keymap = keymap;
	client->xkb_state = state;
}

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	printf("keyboard enter\n");
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface) {
	printf("keyboard leave\n");
}

/*
 * Whitespace, control characters and backslash would break the line format;
 * '-' alone means "no text", so a typed minus is escaped too.
 */
static void escape_text(const char *in, char *out, size_t out_size) {
	size_t len = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		if (len + 5 > out_size) {
			break;
		}
		if (*p <= 0x20 || *p == 0x7f || *p == '\\' || *p == '-') {
			len += (size_t)snprintf(out + len, out_size - len, "\\x%02x", *p);
		} else {
			out[len++] = (char)*p;
		}
	}
	out[len] = '\0';
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	struct client *client = data;
	const char *action = state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released";
	char name[64] = "-";
	char utf8[64] = "";
	char text[sizeof(utf8) * 4 + 1] = "-";
	if (client->xkb_state != NULL) {
		xkb_keysym_t sym = xkb_state_key_get_one_sym(client->xkb_state, key + 8);
		if (xkb_keysym_get_name(sym, name, sizeof(name)) < 0) {
			strcpy(name, "-");
		}
		xkb_state_key_get_utf8(client->xkb_state, key + 8, utf8, sizeof(utf8));
		if (utf8[0] != '\0') {
			escape_text(utf8, text, sizeof(text));
		}
	}
	printf("key %s %u %s %s\n", action, key, name, text);

	if (client->echo_keys && state == WL_KEYBOARD_KEY_STATE_PRESSED &&
			client->content != NULL) {
		// A 16x16 mark marching along the top row, a new colour each press.
		int n = client->echo_count++;
		struct rect r = {8 + (n % 32) * 16, 8, 16, 16};
		uint32_t color = 0x400000u * (uint32_t)(n % 4) + 0x2040c0u + 0x10u * (uint32_t)(n % 8);
		fill_rect(client->content, client->width, client->height, r, color & 0xffffff);
		add_damage(client, r);
		render(client);
	}
}

static void keyboard_handle_modifiers(void *data, struct wl_keyboard *keyboard,
		uint32_t serial, uint32_t depressed, uint32_t latched, uint32_t locked,
		uint32_t group) {
	struct client *client = data;
	if (client->xkb_state != NULL) {
		xkb_state_update_mask(client->xkb_state, depressed, latched, locked, 0, 0, group);
	}
	printf("modifiers %u %u %u %u\n", depressed, latched, locked, group);
}

static void keyboard_handle_repeat_info(void *data, struct wl_keyboard *keyboard,
		int32_t rate, int32_t delay) {
	/* Key repeat is not simulated: tests want the raw events. */
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_handle_keymap,
	.enter = keyboard_handle_enter,
	.leave = keyboard_handle_leave,
	.key = keyboard_handle_key,
	.modifiers = keyboard_handle_modifiers,
	.repeat_info = keyboard_handle_repeat_info,
};

#define CURSOR_SIZE 16
#define CURSOR_HOTSPOT_X 3
#define CURSOR_HOTSPOT_Y 5

/* A 16x16 magenta square cursor with a known hotspot, so tests can spot it. */
static void create_cursor(struct client *client) {
	size_t size = CURSOR_SIZE * CURSOR_SIZE * 4;
	int fd = memfd_create("swl-test-client-cursor", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		fatal(client, "cannot create the cursor buffer");
		if (fd >= 0) {
			close(fd);
		}
		return;
	}
	uint32_t *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		fatal(client, "cannot map the cursor buffer");
		close(fd);
		return;
	}
	for (int i = 0; i < CURSOR_SIZE * CURSOR_SIZE; i++) {
		data[i] = 0xffff00ff;
	}
	munmap(data, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(client->shm, fd, (int32_t)size);
	client->cursor_buffer = wl_shm_pool_create_buffer(pool, 0, CURSOR_SIZE, CURSOR_SIZE,
		CURSOR_SIZE * 4, WL_SHM_FORMAT_ARGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	client->cursor_surface = wl_compositor_create_surface(client->compositor);
	wl_surface_attach(client->cursor_surface, client->cursor_buffer, 0, 0);
	wl_surface_damage_buffer(client->cursor_surface, 0, 0, CURSOR_SIZE, CURSOR_SIZE);
	wl_surface_commit(client->cursor_surface);
}

static void pointer_handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface, wl_fixed_t sx, wl_fixed_t sy) {
	struct client *client = data;
	printf("pointer enter %.1f %.1f\n", wl_fixed_to_double(sx), wl_fixed_to_double(sy));
	if (client->own_cursor) {
		if (client->cursor_surface == NULL) {
			create_cursor(client);
		}
		if (client->cursor_surface == NULL) {
			return;
		}
		wl_pointer_set_cursor(pointer, serial, client->cursor_surface, CURSOR_HOTSPOT_X,
			CURSOR_HOTSPOT_Y);
	}
}

static void pointer_handle_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		struct wl_surface *surface) {
	printf("pointer leave\n");
}

static void pointer_handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
		wl_fixed_t sx, wl_fixed_t sy) {
	printf("pointer motion %.1f %.1f\n", wl_fixed_to_double(sx), wl_fixed_to_double(sy));
}

static void pointer_handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		uint32_t time, uint32_t button, uint32_t state) {
	const char *action = state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released";
	printf("pointer button %u %s\n", button, action);
}

static void pointer_handle_axis(void *data, struct wl_pointer *pointer, uint32_t time,
		uint32_t axis, wl_fixed_t value) {
	printf("pointer axis %u %.2f\n", axis, wl_fixed_to_double(value));
}

static void pointer_handle_frame(void *data, struct wl_pointer *pointer) {
	/* Too noisy to report. */
}

static void pointer_handle_axis_source(void *data, struct wl_pointer *pointer,
		uint32_t source) {
}

static void pointer_handle_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
		uint32_t axis) {
}

static void pointer_handle_axis_discrete(void *data, struct wl_pointer *pointer,
		uint32_t axis, int32_t discrete) {
	printf("pointer axis_discrete %u %d\n", axis, discrete);
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_handle_enter,
	.leave = pointer_handle_leave,
	.motion = pointer_handle_motion,
	.button = pointer_handle_button,
	.axis = pointer_handle_axis,
	.frame = pointer_handle_frame,
	.axis_source = pointer_handle_axis_source,
	.axis_stop = pointer_handle_axis_stop,
	.axis_discrete = pointer_handle_axis_discrete,
};

static void release_keyboard(struct client *client) {
	if (client->keyboard == NULL) {
		return;
	}
	if (wl_keyboard_get_version(client->keyboard) >= WL_KEYBOARD_RELEASE_SINCE_VERSION) {
		wl_keyboard_release(client->keyboard);
	} else {
		wl_keyboard_destroy(client->keyboard);
	}
	client->keyboard = NULL;
}

static void release_pointer(struct client *client) {
	if (client->pointer == NULL) {
		return;
	}
	if (wl_pointer_get_version(client->pointer) >= WL_POINTER_RELEASE_SINCE_VERSION) {
		wl_pointer_release(client->pointer);
	} else {
		wl_pointer_destroy(client->pointer);
	}
	client->pointer = NULL;
}

static void seat_handle_capabilities(void *data, struct wl_seat *seat, uint32_t caps) {
	struct client *client = data;
	bool has_keyboard = caps & WL_SEAT_CAPABILITY_KEYBOARD;
	bool has_pointer = caps & WL_SEAT_CAPABILITY_POINTER;
	if (has_keyboard && client->keyboard == NULL) {
		client->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(client->keyboard, &keyboard_listener, client);
	} else if (!has_keyboard) {
		release_keyboard(client);
	}
	if (has_pointer && client->pointer == NULL) {
		client->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(client->pointer, &pointer_listener, client);
	} else if (!has_pointer) {
		release_pointer(client);
	}
}

static void seat_handle_name(void *data, struct wl_seat *seat, const char *name) {
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_handle_capabilities,
	.name = seat_handle_name,
};

static uint32_t min_version(uint32_t a, uint32_t b) {
	return a < b ? a : b;
}

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct client *client = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		/* damage_buffer needs version 4 */
		if (version >= 4 && client->compositor == NULL) {
			client->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
		}
	} else if (strcmp(interface, wl_shm_interface.name) == 0 && client->shm == NULL) {
		client->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0 &&
			client->wm_base == NULL) {
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface,
			min_version(version, 3));
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && client->seat == NULL) {
		/* Version 8 replaces axis_discrete with axis_value120. */
		client->seat = wl_registry_bind(registry, name, &wl_seat_interface,
			min_version(version, 7));
		wl_seat_add_listener(client->seat, &seat_listener, client);
	}
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry,
		uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

static bool parse_int(const char *str, long min, long max, int *out) {
	if (str == NULL || *str == '\0') {
		return false;
	}
	char *end;
	errno = 0;
	long value = strtol(str, &end, 10);
	if (errno != 0 || *end != '\0' || value < min || value > max) {
		return false;
	}
	*out = (int)value;
	return true;
}

static bool parse_color(const char *str, uint32_t *out) {
	if (str == NULL || strlen(str) != 6) {
		return false;
	}
	for (const char *p = str; *p != '\0'; p++) {
		if (!strchr("0123456789abcdefABCDEF", *p)) {
			return false;
		}
	}
	*out = (uint32_t)strtoul(str, NULL, 16);
	return true;
}

static void set_pattern(struct client *client, int pattern) {
	client->pattern = pattern;
	if (client->content != NULL) {
		draw_pattern(client->content, client->width, client->height, pattern);
	}
	add_full_damage(client);
	add_note(client, false, pattern);
}

static void set_animate(struct client *client, bool animate) {
	if (client->animate == animate) {
		return;
	}
	if (client->animate) {
		add_damage(client, square_rect(client));
	}
	client->animate = animate;
	if (client->animate) {
		add_damage(client, square_rect(client));
	}
}

static void handle_command(struct client *client, char *line) {
	char *args[8] = {0};
	int argc = 0;
	char *saveptr = NULL;
	for (char *tok = strtok_r(line, " \t\r", &saveptr); tok != NULL;
			tok = strtok_r(NULL, " \t\r", &saveptr)) {
		if (argc == (int)(sizeof(args) / sizeof(args[0]))) {
			printf("error invalid arguments\n");
			return;
		}
		args[argc++] = tok;
	}
	if (argc == 0) {
		return;
	}

	const char *cmd = args[0];
	if (strcmp(cmd, "pattern") == 0) {
		int pattern;
		if (argc != 2 || !parse_int(args[1], 0, PATTERN_COUNT - 1, &pattern)) {
			printf("error invalid arguments\n");
			return;
		}
		set_pattern(client, pattern);
	} else if (strcmp(cmd, "rect") == 0) {
		struct rect r;
		uint32_t color;
		if (argc != 6 ||
				!parse_int(args[1], -RECT_COORD_LIMIT, RECT_COORD_LIMIT, &r.x) ||
				!parse_int(args[2], -RECT_COORD_LIMIT, RECT_COORD_LIMIT, &r.y) ||
				!parse_int(args[3], 0, RECT_COORD_LIMIT, &r.width) ||
				!parse_int(args[4], 0, RECT_COORD_LIMIT, &r.height) ||
				!parse_color(args[5], &color)) {
			printf("error invalid arguments\n");
			return;
		}
		if (client->content != NULL) {
			fill_rect(client->content, client->width, client->height, r, color);
			add_damage(client, r);
		}
		add_note(client, true, 0);
	} else if (strcmp(cmd, "animate") == 0) {
		if (argc == 2 && strcmp(args[1], "on") == 0) {
			set_animate(client, true);
		} else if (argc == 2 && strcmp(args[1], "off") == 0) {
			set_animate(client, false);
		} else {
			printf("error invalid arguments\n");
			return;
		}
	} else if (strcmp(cmd, "stats") == 0) {
		printf("frames %llu\n", (unsigned long long)client->frames);
		return;
	} else if (strcmp(cmd, "quit") == 0) {
		client->running = false;
		client->exit_status = 0;
		return;
	} else if (strcmp(cmd, "exit") == 0) {
		int status;
		if (argc != 2 || !parse_int(args[1], 0, 255, &status)) {
			printf("error invalid arguments\n");
			return;
		}
		client->running = false;
		client->exit_status = status;
		return;
	} else {
		printf("error unknown command\n");
		return;
	}
	render(client);
}

static void handle_stdin(struct client *client) {
	size_t space = sizeof(client->input) - client->input_len - 1;
	ssize_t n = read(STDIN_FILENO, client->input + client->input_len, space);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			return;
		}
		perror("swl-test-client: read stdin");
		n = 0;
	}
	if (n == 0) {
		/* EOF: keep running without commands, finishing a last unterminated line. */
		client->stdin_open = false;
		if (client->input_len > 0 && !client->input_overflow) {
			client->input[client->input_len] = '\0';
			handle_command(client, client->input);
		}
		client->input_len = 0;
		return;
	}
	client->input_len += (size_t)n;
	client->input[client->input_len] = '\0';

	char *start = client->input;
	char *newline;
	while (client->running && (newline = strchr(start, '\n')) != NULL) {
		*newline = '\0';
		if (client->input_overflow) {
			client->input_overflow = false;
		} else {
			handle_command(client, start);
		}
		start = newline + 1;
	}
	size_t rest = client->input_len - (size_t)(start - client->input);
	memmove(client->input, start, rest);
	client->input_len = rest;
	if (client->input_len == sizeof(client->input) - 1) {
		printf("error line too long\n");
		client->input_overflow = true;
		client->input_len = 0;
	}
}

static void report_display_error(struct client *client) {
	int err = wl_display_get_error(client->display);
	if (err == EPROTO) {
		const struct wl_interface *interface;
		uint32_t id;
		uint32_t code = wl_display_get_protocol_error(client->display, &interface, &id);
		fprintf(stderr, "swl-test-client: protocol error %u on %s@%u\n", code,
			interface ? interface->name : "unknown", id);
	} else {
		fprintf(stderr, "swl-test-client: lost the compositor connection: %s\n",
			strerror(err ? err : errno));
	}
	client->running = false;
	client->exit_status = 1;
}

static void run(struct client *client) {
	int display_fd = wl_display_get_fd(client->display);
	while (client->running) {
		while (wl_display_prepare_read(client->display) != 0) {
			if (wl_display_dispatch_pending(client->display) < 0) {
				report_display_error(client);
				return;
			}
		}
		if (!client->running) {
			wl_display_cancel_read(client->display);
			return;
		}

		short display_events = POLLIN;
		if (wl_display_flush(client->display) < 0) {
			if (errno != EAGAIN) {
				wl_display_cancel_read(client->display);
				report_display_error(client);
				return;
			}
			display_events |= POLLOUT;
		}

		int timeout = -1;
		if (client->waiting && !client->busy_reported) {
			int64_t left = BUSY_TIMEOUT_MS - ms_since(&client->wait_start);
			timeout = left > 0 ? (int)left : 0;
		}

		struct pollfd fds[2] = {
			{.fd = display_fd, .events = display_events},
			{.fd = client->stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (poll(fds, 2, timeout) < 0 && errno != EINTR) {
			wl_display_cancel_read(client->display);
			fatal(client, "poll failed");
			return;
		}

		if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			if (wl_display_read_events(client->display) < 0) {
				report_display_error(client);
				return;
			}
		} else {
			wl_display_cancel_read(client->display);
		}
		if (wl_display_dispatch_pending(client->display) < 0) {
			report_display_error(client);
			return;
		}

		if (client->running && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			handle_stdin(client);
		}

		if (client->waiting && !client->busy_reported &&
				ms_since(&client->wait_start) >= BUSY_TIMEOUT_MS) {
			printf("error all buffers busy\n");
			client->busy_reported = true;
		}
	}
}

static void cleanup(struct client *client) {
	struct buffer *buffer, *tmp;
	wl_list_for_each_safe(buffer, tmp, &client->buffers, link) {
		buffer_destroy(buffer);
	}
	if (client->frame_callback != NULL) {
		wl_callback_destroy(client->frame_callback);
	}
	if (client->xdg_toplevel != NULL) {
		xdg_toplevel_destroy(client->xdg_toplevel);
	}
	if (client->xdg_surface != NULL) {
		xdg_surface_destroy(client->xdg_surface);
	}
	if (client->surface != NULL) {
		wl_surface_destroy(client->surface);
	}
	release_keyboard(client);
	release_pointer(client);
	if (client->seat != NULL) {
		if (wl_seat_get_version(client->seat) >= WL_SEAT_RELEASE_SINCE_VERSION) {
			wl_seat_release(client->seat);
		} else {
			wl_seat_destroy(client->seat);
		}
	}
	if (client->wm_base != NULL) {
		xdg_wm_base_destroy(client->wm_base);
	}
	if (client->shm != NULL) {
		wl_shm_destroy(client->shm);
	}
	if (client->compositor != NULL) {
		wl_compositor_destroy(client->compositor);
	}
	if (client->registry != NULL) {
		wl_registry_destroy(client->registry);
	}
	if (client->display != NULL) {
		wl_display_flush(client->display);
		wl_display_disconnect(client->display);
	}
	xkb_state_unref(client->xkb_state);
	xkb_keymap_unref(client->xkb_keymap);
	xkb_context_unref(client->xkb_context);
	free(client->content);
	free(client->notes);
}

static bool parse_size(const char *str, int *width, int *height) {
	char *end;
	errno = 0;
	long w = strtol(str, &end, 10);
	if (errno != 0 || *end != 'x' || w <= 0 || w > MAX_SIZE) {
		return false;
	}
	long h = strtol(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || h <= 0 || h > MAX_SIZE) {
		return false;
	}
	*width = (int)w;
	*height = (int)h;
	return true;
}

static void usage(FILE *f) {
	fprintf(f,
		"Usage: swl-test-client [options]\n"
		"  --title T      toplevel title (default " DEFAULT_NAME ")\n"
		"  --app-id ID    toplevel app id (default " DEFAULT_NAME ")\n"
		"  --size WxH     size used when the compositor lets us choose (default 640x480)\n"
		"  --pattern N    initial pattern 0..7 (default 0)\n"
		"  --animate      start with the moving square\n"
		"  --echo-keys    draw a small mark on every key press (latency runs)\n"
		"  --cursor       set a 16x16 magenta cursor, hotspot 3,5, on pointer enter\n"
		"  --help         show this help\n");
}

int main(int argc, char *argv[]) {
	struct client client = {
		.title = DEFAULT_NAME,
		.app_id = DEFAULT_NAME,
		.default_width = DEFAULT_WIDTH,
		.default_height = DEFAULT_HEIGHT,
		.stdin_open = true,
		.running = true,
	};
	wl_list_init(&client.buffers);

	static const struct option long_options[] = {
		{"title", required_argument, NULL, 't'},
		{"app-id", required_argument, NULL, 'a'},
		{"size", required_argument, NULL, 's'},
		{"pattern", required_argument, NULL, 'p'},
		{"animate", no_argument, NULL, 'A'},
		{"echo-keys", no_argument, NULL, 'E'},
		{"cursor", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 't':
			client.title = optarg;
			break;
		case 'a':
			client.app_id = optarg;
			break;
		case 's':
			if (!parse_size(optarg, &client.default_width, &client.default_height)) {
				fprintf(stderr, "swl-test-client: invalid size '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			if (!parse_int(optarg, 0, PATTERN_COUNT - 1, &client.pattern)) {
				fprintf(stderr, "swl-test-client: invalid pattern '%s'\n", optarg);
				return 2;
			}
			break;
		case 'A':
			client.animate = true;
			break;
		case 'E':
			client.echo_keys = true;
			break;
		case 'C':
			client.own_cursor = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);

	client.display = wl_display_connect(NULL);
	if (client.display == NULL) {
		fprintf(stderr, "swl-test-client: cannot connect to the Wayland display '%s'\n",
			getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY") : "(unset)");
		return 1;
	}
	client.xkb_context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (client.xkb_context == NULL) {
		fatal(&client, "failed to create an xkb context");
		cleanup(&client);
		return 1;
	}

	client.registry = wl_display_get_registry(client.display);
	wl_registry_add_listener(client.registry, &registry_listener, &client);
	if (wl_display_roundtrip(client.display) < 0) {
		report_display_error(&client);
		cleanup(&client);
		return 1;
	}
	const char *missing = NULL;
	if (client.compositor == NULL) {
		missing = "wl_compositor (version 4)";
	} else if (client.shm == NULL) {
		missing = "wl_shm";
	} else if (client.wm_base == NULL) {
		missing = "xdg_wm_base";
	}
	if (missing != NULL) {
		fprintf(stderr, "swl-test-client: the compositor lacks %s\n", missing);
		cleanup(&client);
		return 1;
	}

	client.surface = wl_compositor_create_surface(client.compositor);
	client.xdg_surface = xdg_wm_base_get_xdg_surface(client.wm_base, client.surface);
	xdg_surface_add_listener(client.xdg_surface, &xdg_surface_listener, &client);
	client.xdg_toplevel = xdg_surface_get_toplevel(client.xdg_surface);
	xdg_toplevel_add_listener(client.xdg_toplevel, &xdg_toplevel_listener, &client);
	xdg_toplevel_set_title(client.xdg_toplevel, client.title);
	xdg_toplevel_set_app_id(client.xdg_toplevel, client.app_id);
	wl_surface_commit(client.surface);

	run(&client);

	int status = client.exit_status;
	cleanup(&client);
	return status;
}
