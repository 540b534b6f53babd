/*
 * swl-test-client: a small xdg-shell Wayland client for the spice-wl
 * end-to-end tests.
 *
 * It maps one toplevel, fills it with a known four-quadrant colour pattern
 * drawn into wl_shm buffers, takes line-based commands on stdin and reports
 * what it did and which input events it received on stdout, one event per
 * line. Tests drive it through stdin/stdout and check the pixels that the
 * compositor forwards to SPICE. The patterns, the stdin reader and the
 * argument parsing are shared with swl-x11-client in client-common.c.
 *
 * stdin commands:
 *   pattern N                 redraw the whole surface with pattern N (0..7)
 *   rect X Y W H RRGGBB       fill a rectangle, damaging only that rectangle
 *   animate on|off            toggle the moving 64x64 yellow square
 *   stats                     print "frames N" (buffers committed so far)
 *   protocol-error            acknowledge a configure the compositor never
 *                             sent: a protocol error, which ends the client
 *                             (status 1, the error on stderr)
 *   quit                      exit with status 0
 *   exit N                    exit with status N (0..255)
 *
 * With --decoration server|client it asks for that mode through
 * xdg-decoration and reports the compositor's answer ("decoration server" or
 * "decoration client") before drawing.
 *
 * stdout lines:
 *   configure W H, decoration MODE, ready W H, drawn pattern N, drawn rect, frames N, closed,
 *   protocol-error sent,
 *   keyboard enter|leave, key pressed|released CODE SYM UTF8,
 *   modifiers DEPRESSED LATCHED LOCKED GROUP, pointer enter X Y,
 *   pointer leave, pointer motion X Y, pointer button BUTTON pressed|released,
 *   pointer axis AXIS VALUE, pointer axis_discrete AXIS N,
 *   error unknown command, error invalid arguments, error line too long,
 *   error all buffers busy
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include "client-common.h"
#include "xdg-shell-client-protocol.h"
#include "xdg-decoration-unstable-v1-client-protocol.h"

/* Listener callbacks must match the protocol signatures, most ignore some arguments. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define DEFAULT_NAME "swl-test-client"
#define POOL_BUFFERS 3
#define MAX_BUFFERS 4
#define MAX_DAMAGE 16
#define BUSY_TIMEOUT_MS 1000
#define SQUARE_SIZE 64
#define SQUARE_STEP 8
#define SQUARE_COLOR 0xffff00
/* Pixels are XRGB8888, written with an opaque alpha byte. */
#define OPAQUE 0xff000000u

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
	struct zxdg_decoration_manager_v1 *decoration_manager;
	struct zxdg_toplevel_decoration_v1 *decoration;
	const char *decoration_mode; /* --decoration: "server", "client" or NULL */
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
	struct tc_rect damage[MAX_DAMAGE];
	int damage_count;
	struct note *notes;
	size_t note_count, note_cap;

	bool animate;
	bool echo_keys; /* draw a mark for every key press, for latency runs */
	bool start_fullscreen, start_maximized; /* asked for before the first commit */
	bool video; /* a 480x360 area at 0,40 where every pixel changes every frame */
	uint32_t video_frame;
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

	struct tc_input input;

	bool running;
	int exit_status;
};

static void fatal(struct client *client, const char *msg) {
	fprintf(stderr, "swl-test-client: %s\n", msg);
	client->running = false;
	client->exit_status = 1;
}

static struct tc_rect square_rect(struct client *client) {
	return (struct tc_rect){
		client->square_x,
		client->height / 2 - SQUARE_SIZE / 2,
		SQUARE_SIZE,
		SQUARE_SIZE,
	};
}

static void add_damage(struct client *client, struct tc_rect r) {
	client->dirty = true;
	if (client->full_damage) {
		return;
	}
	struct tc_rect c = tc_clip_rect(r, client->width, client->height);
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
		tc_fill_rect(buffer->data, buffer->width, buffer->height, square_rect(client),
			OPAQUE | SQUARE_COLOR);
	}

	wl_surface_attach(client->surface, buffer->wl_buffer, 0, 0);
	if (client->full_damage) {
		wl_surface_damage_buffer(client->surface, 0, 0, buffer->width, buffer->height);
	} else {
		for (int i = 0; i < client->damage_count; i++) {
			struct tc_rect *r = &client->damage[i];
			wl_surface_damage_buffer(client->surface, r->x, r->y, r->width, r->height);
		}
	}
	if ((client->animate || client->video) && client->frame_callback == NULL) {
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

/* The next frame of the video area: moving colour bands, no two frames alike. */
static void video_frame(struct client *client) {
	struct tc_rect r = {0, 40, 480, 360};
	if (client->content == NULL || client->width < r.x + r.width ||
			client->height < r.y + r.height) {
		return;
	}
	uint32_t t = client->video_frame++;
	for (int y = 0; y < r.height; y++) {
		uint32_t *row = client->content + (size_t)(r.y + y) * client->width + r.x;
		for (int x = 0; x < r.width; x++) {
			uint32_t red = (uint32_t)(x * 3 + t * 7) & 0xff;
			uint32_t green = (uint32_t)(y * 2 + t * 5 + (x ^ y)) & 0xff;
			uint32_t blue = (uint32_t)((x + y) * t) & 0xff;
			row[x] = OPAQUE | red << 16 | green << 8 | blue;
		}
	}
	add_damage(client, r);
}

static void frame_handle_done(void *data, struct wl_callback *callback, uint32_t time) {
	struct client *client = data;
	wl_callback_destroy(callback);
	client->frame_callback = NULL;
	if (client->video) {
		video_frame(client);
	}
	if (!client->animate) {
		render(client);
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
	uint32_t *content = tc_pattern_image(width, height, client->pattern, OPAQUE);
	if (content == NULL) {
		fatal(client, "out of memory");
		return;
	}
	free(client->content);
	client->content = content;
	client->width = width;
	client->height = height;
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
	return size > TC_MAX_SIZE ? TC_MAX_SIZE : size;
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

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t time, uint32_t key, uint32_t state) {
	struct client *client = data;
	const char *action = state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released";
	struct tc_key_text kt;
	tc_key_text(client->xkb_state, key + 8, &kt);
	printf("key %s %u %s %s\n", action, key, kt.name, kt.text);

	if (client->echo_keys && state == WL_KEYBOARD_KEY_STATE_PRESSED &&
			client->content != NULL) {
		// A 16x16 mark marching along the top row, a new colour each press.
		int n = client->echo_count++;
		struct tc_rect r = {8 + (n % 32) * 16, 8, 16, 16};
		uint32_t color = 0x400000u * (uint32_t)(n % 4) + 0x2040c0u + 0x10u * (uint32_t)(n % 8);
		tc_fill_rect(client->content, client->width, client->height, r,
			OPAQUE | (color & 0xffffff));
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
	} else if (strcmp(interface, zxdg_decoration_manager_v1_interface.name) == 0 &&
			client->decoration_manager == NULL) {
		client->decoration_manager = wl_registry_bind(registry, name,
			&zxdg_decoration_manager_v1_interface, 1);
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

static bool cmd_pattern(void *data, char *args[]) {
	struct client *client = data;
	if (!tc_pattern_command(args, client->content, client->width, client->height, OPAQUE,
			&client->pattern)) {
		return false;
	}
	add_full_damage(client);
	add_note(client, false, client->pattern);
	render(client);
	return true;
}

static bool cmd_rect(void *data, char *args[]) {
	struct client *client = data;
	struct tc_rect r;
	if (!tc_rect_command(args, client->content, client->width, client->height, OPAQUE, &r)) {
		return false;
	}
	if (client->content != NULL) {
		add_damage(client, r);
	}
	add_note(client, true, 0);
	render(client);
	return true;
}

static bool cmd_animate(void *data, char *args[]) {
	struct client *client = data;
	if (strcmp(args[0], "on") != 0 && strcmp(args[0], "off") != 0) {
		return false;
	}
	set_animate(client, strcmp(args[0], "on") == 0);
	render(client);
	return true;
}

static bool cmd_stats(void *data, char *args[]) {
	struct client *client = data;
	printf("frames %llu\n", (unsigned long long)client->frames);
	return true;
}

static bool cmd_protocol_error(void *data, char *args[]) {
	struct client *client = data;
	if (client->xdg_surface == NULL) {
		return false;
	}
	// No configure has this serial: xdg-shell makes it a protocol
	// error, and the compositor must survive its clients' mistakes.
	xdg_surface_ack_configure(client->xdg_surface, UINT32_MAX);
	wl_display_flush(client->display);
	printf("protocol-error sent\n");
	return true;
}

static const struct tc_command commands[] = {
	{"pattern", 1, cmd_pattern},
	{"rect", 5, cmd_rect},
	{"animate", 1, cmd_animate},
	{"stats", TC_ANY_ARGS, cmd_stats},
	{"protocol-error", 0, cmd_protocol_error},
};

static bool handle_command(void *data, int argc, char *args[]) {
	struct client *client = data;
	if (!tc_run_command(commands, sizeof(commands) / sizeof(commands[0]), client, argc, args,
			&client->exit_status)) {
		client->running = false;
	}
	return client->running;
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
			{.fd = client->input.open ? STDIN_FILENO : -1, .events = POLLIN},
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
			tc_input_read(&client->input, "swl-test-client", handle_command, client);
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
	if (client->decoration != NULL) {
		zxdg_toplevel_decoration_v1_destroy(client->decoration);
	}
	if (client->decoration_manager != NULL) {
		zxdg_decoration_manager_v1_destroy(client->decoration_manager);
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

static void decoration_handle_configure(void *data,
		struct zxdg_toplevel_decoration_v1 *decoration, uint32_t mode) {
	printf("decoration %s\n",
		mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE ? "server" : "client");
}

static const struct zxdg_toplevel_decoration_v1_listener decoration_listener = {
	.configure = decoration_handle_configure,
};

static const char usage[] =
	"Usage: swl-test-client [options]\n"
	"  --title T      toplevel title (default " DEFAULT_NAME ")\n"
	"  --app-id ID    toplevel app id (default " DEFAULT_NAME ")\n"
	"  --size WxH     size used when the compositor lets us choose (default 640x480)\n"
	"  --pattern N    initial pattern 0..7 (default 0)\n"
	"  --animate      start with the moving square\n"
	"  --echo-keys    draw a small mark on every key press (latency runs)\n"
	"  --fullscreen   ask for fullscreen before the first commit\n"
	"  --maximized    ask to be maximized before the first commit\n"
	"  --video        a 480x360 area at 0,40 changing every pixel every frame\n"
	"  --cursor       set a 16x16 magenta cursor, hotspot 3,5, on pointer enter\n"
	"  --decoration server|client  ask for that decoration mode (xdg-decoration)\n"
	"  --help         show this help\n";

static bool check_decoration(const char *value, void *data) {
	return strcmp(value, "server") == 0 || strcmp(value, "client") == 0;
}

/* Returns -1 to go on, else the status to exit with. */
static int parse_options(struct client *client, int argc, char *argv[]) {
	const struct tc_option own[] = {
		{"app-id", NULL, &client->app_id, NULL, NULL},
		{"animate", &client->animate, NULL, NULL, NULL},
		{"echo-keys", &client->echo_keys, NULL, NULL, NULL},
		{"fullscreen", &client->start_fullscreen, NULL, NULL, NULL},
		{"maximized", &client->start_maximized, NULL, NULL, NULL},
		{"video", &client->video, NULL, NULL, NULL},
		{"cursor", &client->own_cursor, NULL, NULL, NULL},
		{"decoration", NULL, &client->decoration_mode, check_decoration, NULL},
	};
	const struct tc_options options = {
		&client->title, &client->default_width, &client->default_height, &client->pattern,
	};
	return tc_parse_options(argc, argv, "swl-test-client", usage, own,
		sizeof(own) / sizeof(own[0]), &options);
}

/* The toplevel with what was asked for before its first commit. */
static void create_toplevel(struct client *client) {
	client->surface = wl_compositor_create_surface(client->compositor);
	client->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, client->surface);
	xdg_surface_add_listener(client->xdg_surface, &xdg_surface_listener, client);
	client->xdg_toplevel = xdg_surface_get_toplevel(client->xdg_surface);
	xdg_toplevel_add_listener(client->xdg_toplevel, &xdg_toplevel_listener, client);
	xdg_toplevel_set_title(client->xdg_toplevel, client->title);
	xdg_toplevel_set_app_id(client->xdg_toplevel, client->app_id);
	if (client->start_fullscreen) {
		xdg_toplevel_set_fullscreen(client->xdg_toplevel, NULL);
	}
	if (client->start_maximized) {
		xdg_toplevel_set_maximized(client->xdg_toplevel);
	}
	if (client->decoration_mode != NULL) {
		client->decoration = zxdg_decoration_manager_v1_get_toplevel_decoration(
			client->decoration_manager, client->xdg_toplevel);
		zxdg_toplevel_decoration_v1_add_listener(client->decoration, &decoration_listener,
			client);
		zxdg_toplevel_decoration_v1_set_mode(client->decoration,
			strcmp(client->decoration_mode, "server") == 0 ?
			ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE :
			ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	}
	wl_surface_commit(client->surface);
}

int main(int argc, char *argv[]) {
	struct client client = {
		.title = DEFAULT_NAME,
		.app_id = DEFAULT_NAME,
		.default_width = TC_DEFAULT_WIDTH,
		.default_height = TC_DEFAULT_HEIGHT,
		.input.open = true,
		.running = true,
	};
	wl_list_init(&client.buffers);
	int status = parse_options(&client, argc, argv);
	if (status >= 0) {
		return status;
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
	} else if (client.decoration_mode != NULL && client.decoration_manager == NULL) {
		missing = "zxdg_decoration_manager_v1";
	}
	if (missing != NULL) {
		fprintf(stderr, "swl-test-client: the compositor lacks %s\n", missing);
		cleanup(&client);
		return 1;
	}

	create_toplevel(&client);
	run(&client);

	status = client.exit_status;
	cleanup(&client);
	return status;
}
