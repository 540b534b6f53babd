/*
 * A tiny wlr-layer-shell client for the end-to-end tests: a panel (or any
 * layer surface) of one colour.
 *
 *   swl-layer-client LAYER ANCHOR SIZE RRGGBB EXCLUSIVE KEYBOARD
 *
 * LAYER background|bottom|top|overlay; ANCHOR top|bottom (a bar across
 * the output, SIZE pixels high) or none (SIZE x SIZE, centred); EXCLUSIVE
 * the exclusive zone; KEYBOARD none|exclusive|on-demand. Prints
 * "configure W H", then "committed W H" once its buffer is committed, and
 * "keyboard enter" / "keyboard leave" / "closed". Runs until closed or killed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>
#include "client-common.h"
#include "wlr-layer-shell-unstable-v1-client-protocol.h"

struct layer_client {
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct zwlr_layer_shell_v1 *layer_shell;
	struct wl_surface *surface;
	struct zwlr_layer_surface_v1 *layer_surface;
	uint32_t color;
	bool running;
};

static void keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format, int fd,
		uint32_t size) {
	close(fd);
}

static void keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		struct wl_surface *surface, struct wl_array *keys) {
	printf("keyboard enter\n");
}

static void keyboard_leave(
		void *data, struct wl_keyboard *keyboard, uint32_t serial, struct wl_surface *surface) {
	printf("keyboard leave\n");
}

static void keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial, uint32_t time,
		uint32_t key, uint32_t state) {
}

static void keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group) {
}

static void keyboard_repeat_info(
		void *data, struct wl_keyboard *keyboard, int32_t rate, int32_t delay) {
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = keyboard_modifiers,
	.repeat_info = keyboard_repeat_info,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct layer_client *c = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && c->seat == NULL) {
		c->seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
	} else if (strcmp(interface, zwlr_layer_shell_v1_interface.name) == 0) {
		c->layer_shell = wl_registry_bind(registry, name, &zwlr_layer_shell_v1_interface, 4);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static struct wl_buffer *make_buffer(struct layer_client *c, int width, int height) {
	int stride = width * 4;
	size_t size = (size_t)stride * height;
	int fd = memfd_create("swl-layer-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		return NULL;
	}
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < size / 4; i++) {
		pixels[i] = 0xff000000 | c->color;
	}
	munmap(pixels, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	struct wl_buffer *buffer =
			wl_shm_pool_create_buffer(pool, 0, width, height, stride, WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

static void layer_configure(void *data, struct zwlr_layer_surface_v1 *layer_surface,
		uint32_t serial, uint32_t width, uint32_t height) {
	struct layer_client *c = data;
	printf("configure %u %u\n", width, height);
	zwlr_layer_surface_v1_ack_configure(layer_surface, serial);
	struct wl_buffer *buffer = make_buffer(c, (int)width, (int)height);
	if (buffer == NULL) {
		fprintf(stderr, "swl-layer-client: cannot make a buffer\n");
		c->running = false;
		return;
	}
	wl_surface_attach(c->surface, buffer, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, (int32_t)width, (int32_t)height);
	wl_surface_commit(c->surface);
	// One buffer a configure: the old one is released by the compositor.
	printf("committed %u %u\n", width, height);
}

static void layer_closed(void *data, struct zwlr_layer_surface_v1 *layer_surface) {
	struct layer_client *c = data;
	printf("closed\n");
	c->running = false;
}

static const struct zwlr_layer_surface_v1_listener layer_listener = {
	.configure = layer_configure,
	.closed = layer_closed,
};

static bool parse_choice(const char *arg, const char *const *names, int n, int *out) {
	for (int i = 0; i < n; i++) {
		if (strcmp(arg, names[i]) == 0) {
			*out = i;
			return true;
		}
	}
	return false;
}

int main(int argc, char *argv[]) {
	static const char *const layers[] = { "background", "bottom", "top", "overlay" };
	static const char *const anchors[] = { "top", "bottom", "none" };
	static const char *const keyboards[] = { "none", "exclusive", "on-demand" };
	struct layer_client c = { .running = true };
	int layer, anchor, size, exclusive, keyboard;
	if (argc != 7 || !parse_choice(argv[1], layers, 4, &layer) ||
			!parse_choice(argv[2], anchors, 3, &anchor) ||
			!tc_parse_int(argv[3], 1, TC_MAX_SIZE, &size) ||
			!tc_parse_color(argv[4], &c.color) || !tc_parse_int(argv[5], -1, 4096, &exclusive) ||
			!parse_choice(argv[6], keyboards, 3, &keyboard)) {
		fprintf(stderr, "usage: swl-layer-client LAYER top|bottom|none SIZE RRGGBB EXCLUSIVE "
				"none|exclusive|on-demand\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct wl_display *display = wl_display_connect(NULL);
	if (display == NULL) {
		fprintf(stderr, "swl-layer-client: cannot connect to the Wayland display\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	wl_display_roundtrip(display);
	if (c.compositor == NULL || c.shm == NULL || c.layer_shell == NULL) {
		fprintf(stderr, "swl-layer-client: no wl_compositor, wl_shm or zwlr_layer_shell_v1\n");
		return 1;
	}
	if (c.seat != NULL) {
		wl_keyboard_add_listener(wl_seat_get_keyboard(c.seat), &keyboard_listener, &c);
	}

	c.surface = wl_compositor_create_surface(c.compositor);
	c.layer_surface = zwlr_layer_shell_v1_get_layer_surface(
			c.layer_shell, c.surface, NULL, (uint32_t)layer, "swl-test");
	zwlr_layer_surface_v1_add_listener(c.layer_surface, &layer_listener, &c);
	const uint32_t across = ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT |
			ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
	if (anchor == 0) {
		zwlr_layer_surface_v1_set_anchor(
				c.layer_surface, ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP | across);
		zwlr_layer_surface_v1_set_size(c.layer_surface, 0, (uint32_t)size);
	} else if (anchor == 1) {
		zwlr_layer_surface_v1_set_anchor(
				c.layer_surface, ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM | across);
		zwlr_layer_surface_v1_set_size(c.layer_surface, 0, (uint32_t)size);
	} else {
		zwlr_layer_surface_v1_set_size(c.layer_surface, (uint32_t)size, (uint32_t)size);
	}
	zwlr_layer_surface_v1_set_exclusive_zone(c.layer_surface, exclusive);
	zwlr_layer_surface_v1_set_keyboard_interactivity(c.layer_surface, (uint32_t)keyboard);
	wl_surface_commit(c.surface);

	while (c.running && wl_display_dispatch(display) != -1) {
	}
	wl_display_disconnect(display);
	return 0;
}
