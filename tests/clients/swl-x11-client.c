/*
 * swl-x11-client: a small X11 (xcb) client for the spice-wl end-to-end tests
 * of Xwayland.
 *
 * It is the X11 twin of swl-test-client: it maps one top-level window, fills
 * it with the same four-quadrant colour patterns, takes the same line-based
 * commands on stdin and reports the same lines on stdout, so one harness can
 * drive both; client-common.c holds what the two share. Keysyms and text
 * come from the server's keymap through xkbcommon-x11; key and button codes
 * are reported as Linux evdev codes.
 *
 * stdin commands:
 *   pattern N                 redraw the whole window with pattern N (0..7)
 *   rect X Y W H RRGGBB       fill a rectangle of the window
 *   popup X Y W H RRGGBB      map an override-redirect window of that colour at
 *                             root position X,Y (replaces an earlier popup)
 *   popup-close               destroy the popup
 *   move X Y                  ask to move the window to root position X,Y
 *   resize W H                ask to resize the window
 *   quit                      exit with status 0
 *   exit N                    exit with status N (0..255)
 *
 * stdout lines:
 *   configure W H, position X Y, mapped, ready W H, drawn pattern N,
 *   drawn rect, popup mapped X Y, popup closed, closed,
 *   keyboard enter|leave, key pressed|released CODE SYM UTF8,
 *   modifiers DEPRESSED LATCHED LOCKED GROUP, pointer enter X Y,
 *   pointer leave, pointer motion X Y, pointer button BUTTON pressed|released,
 *   pointer axis_discrete AXIS N, error unknown command,
 *   error invalid arguments, error line too long, error no popup
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/xcb.h>
#include <xcb/xcb_icccm.h>
#include <xcb/xkb.h>
#include <xkbcommon/xkbcommon.h>
#include <xkbcommon/xkbcommon-x11.h>
#include "client-common.h"

#define DEFAULT_NAME "swl-x11-client"
#define PUT_IMAGE_HEADER 24
#define CHUNK_MAX (256 * 1024)
#define EVDEV_OFFSET 8
#define BTN_LEFT 0x110
#define BTN_RIGHT 0x111
#define BTN_MIDDLE 0x112
#define BTN_SIDE 0x113

enum atom_name {
	ATOM_WM_PROTOCOLS,
	ATOM_WM_DELETE_WINDOW,
	ATOM_NET_WM_NAME,
	ATOM_UTF8_STRING,
	ATOM_NET_WM_STATE,
	ATOM_NET_WM_STATE_FULLSCREEN,
	ATOM_COUNT,
};

static const char *const atom_names[ATOM_COUNT] = {
	[ATOM_WM_PROTOCOLS] = "WM_PROTOCOLS",
	[ATOM_WM_DELETE_WINDOW] = "WM_DELETE_WINDOW",
	[ATOM_NET_WM_NAME] = "_NET_WM_NAME",
	[ATOM_UTF8_STRING] = "UTF8_STRING",
	[ATOM_NET_WM_STATE] = "_NET_WM_STATE",
	[ATOM_NET_WM_STATE_FULLSCREEN] = "_NET_WM_STATE_FULLSCREEN",
};

/* The XKB extension's events share one event code, told apart by xkbType. */
union xkb_event {
	struct {
		uint8_t response_type;
		uint8_t xkb_type;
		uint16_t sequence;
		xcb_timestamp_t time;
		uint8_t device_id;
	} any;
	xcb_xkb_new_keyboard_notify_event_t new_keyboard_notify;
	xcb_xkb_map_notify_event_t map_notify;
	xcb_xkb_state_notify_event_t state_notify;
};

struct modifiers {
	xkb_mod_mask_t depressed, latched, locked;
	xkb_layout_index_t group;
};

struct client {
	xcb_connection_t *conn;
	xcb_screen_t *screen;
	xcb_window_t window;
	xcb_gcontext_t gc;
	xcb_atom_t atoms[ATOM_COUNT];
	size_t chunk_size; /* bytes of pixel data per PutImage request */
	uint8_t *chunk;

	xcb_window_t popup;
	int popup_x, popup_y;
	uint32_t popup_color;

	struct xkb_context *xkb_context;
	struct xkb_keymap *xkb_keymap;
	struct xkb_state *xkb_state;
	int32_t xkb_device_id;
	uint8_t xkb_first_event;
	uint8_t keys_down[32]; /* bitmap of X keycodes, to drop autorepeat presses */
	struct modifiers last_modifiers;
	bool modifiers_reported;

	const char *title, *wm_class;
	int width, height; /* size of the window and of content */
	int ready_width, ready_height; /* last size reported with "ready" */
	bool have_position;
	int root_x, root_y; /* last position reported with "position" */
	bool want_position;
	int position_x, position_y; /* from --position */
	bool fullscreen;
	bool fullscreen_requested; /* sent the _NET_WM_STATE message after mapping */
	uint32_t *content; /* what the window should show */
	int pattern;

	bool keyboard_focus;
	bool pointer_inside;

	struct tc_input input;

	bool running;
	int exit_status;
};

static void fatal(struct client *client, const char *msg) {
	fprintf(stderr, "swl-x11-client: %s\n", msg);
	client->running = false;
	client->exit_status = 1;
}

static bool check_connection(struct client *client) {
	if (xcb_connection_has_error(client->conn)) {
		fatal(client, "xcb connection error");
		return false;
	}
	return true;
}

/* Waits until the server has handled every request sent so far. */
static bool round_trip(struct client *client) {
	xcb_get_input_focus_reply_t *reply = xcb_get_input_focus_reply(client->conn,
		xcb_get_input_focus(client->conn), NULL);
	free(reply);
	return reply != NULL && check_connection(client);
}

/* Sends part of content to the window, in requests that fit the server's limit. */
static void upload_rect(struct client *client, struct tc_rect r) {
	struct tc_rect c = tc_clip_rect(r, client->width, client->height);
	if (c.width == 0 || client->content == NULL) {
		return;
	}
	int max_cols = (int)(client->chunk_size / 4);
	for (int x = c.x; x < c.x + c.width; x += max_cols) {
		int cols = c.x + c.width - x < max_cols ? c.x + c.width - x : max_cols;
		size_t row_bytes = (size_t)cols * 4;
		int max_rows = (int)(client->chunk_size / row_bytes);
		for (int y = c.y; y < c.y + c.height; y += max_rows) {
			int rows = c.y + c.height - y < max_rows ? c.y + c.height - y : max_rows;
			for (int i = 0; i < rows; i++) {
				const uint32_t *src = client->content +
					(size_t)(y + i) * client->width + x;
				memcpy(client->chunk + (size_t)i * row_bytes, src, row_bytes);
			}
			xcb_put_image(client->conn, XCB_IMAGE_FORMAT_Z_PIXMAP, client->window,
				client->gc, (uint16_t)cols, (uint16_t)rows, (int16_t)x, (int16_t)y, 0,
				client->screen->root_depth, (uint32_t)(rows * row_bytes),
				client->chunk);
		}
	}
}

static void upload_all(struct client *client) {
	upload_rect(client, (struct tc_rect){0, 0, client->width, client->height});
}

static bool resize_content(struct client *client, int width, int height) {
	uint32_t *content = tc_pattern_image(width, height, client->pattern, 0);
	if (content == NULL) {
		fatal(client, "out of memory");
		return false;
	}
	free(client->content);
	client->content = content;
	client->width = width;
	client->height = height;
	return true;
}

static void update_position(struct client *client) {
	xcb_translate_coordinates_reply_t *reply = xcb_translate_coordinates_reply(client->conn,
		xcb_translate_coordinates(client->conn, client->window, client->screen->root, 0, 0),
		NULL);
	if (reply == NULL) {
		check_connection(client);
		return;
	}
	if (!client->have_position || reply->dst_x != client->root_x ||
			reply->dst_y != client->root_y) {
		client->have_position = true;
		client->root_x = reply->dst_x;
		client->root_y = reply->dst_y;
		printf("position %d %d\n", client->root_x, client->root_y);
	}
	free(reply);
}

static void handle_expose(struct client *client, xcb_expose_event_t *ev) {
	if (ev->window == client->popup) {
		struct tc_rect r = {ev->x, ev->y, ev->width, ev->height};
		xcb_rectangle_t rect = {(int16_t)r.x, (int16_t)r.y, (uint16_t)r.width,
			(uint16_t)r.height};
		uint32_t color = client->popup_color;
		xcb_change_gc(client->conn, client->gc, XCB_GC_FOREGROUND, &color);
		xcb_poly_fill_rectangle(client->conn, client->popup, client->gc, 1, &rect);
		return;
	}
	if (ev->window != client->window) {
		return;
	}
	bool first_at_size = client->width != client->ready_width ||
		client->height != client->ready_height;
	if (!first_at_size) {
		upload_rect(client, (struct tc_rect){ev->x, ev->y, ev->width, ev->height});
		return;
	}
	if (ev->count > 0) {
		/* The full draw below covers this part too. */
		return;
	}
	upload_all(client);
	if (!round_trip(client)) {
		return;
	}
	client->ready_width = client->width;
	client->ready_height = client->height;
	printf("ready %d %d\n", client->width, client->height);
}

static void handle_configure(struct client *client, xcb_configure_notify_event_t *ev) {
	if (ev->window != client->window) {
		return;
	}
	if (ev->width != client->width || ev->height != client->height) {
		printf("configure %d %d\n", ev->width, ev->height);
		/* With ForgetGravity the server sends Expose for the new size. */
		if (!resize_content(client, ev->width, ev->height)) {
			return;
		}
	}
	update_position(client);
}

/*
 * EWMH: a mapped window asks the window manager with a client message. The
 * property set before mapping is not enough for wlroots 0.15, whose XWM
 * overwrites _NET_WM_STATE on MapRequest before it reads it.
 */
static void request_fullscreen(struct client *client) {
	xcb_client_message_event_t ev = {
		.response_type = XCB_CLIENT_MESSAGE,
		.format = 32,
		.window = client->window,
		.type = client->atoms[ATOM_NET_WM_STATE],
		.data.data32 = {
			1, /* _NET_WM_STATE_ADD */
			client->atoms[ATOM_NET_WM_STATE_FULLSCREEN],
			0,
			1, /* source: a normal application */
		},
	};
	xcb_send_event(client->conn, 0, client->screen->root,
		XCB_EVENT_MASK_SUBSTRUCTURE_REDIRECT | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY,
		(const char *)&ev);
	xcb_flush(client->conn);
	client->fullscreen_requested = true;
}

static void handle_map(struct client *client, xcb_map_notify_event_t *ev) {
	if (ev->window == client->window) {
		printf("mapped\n");
		if (client->fullscreen && !client->fullscreen_requested) {
			request_fullscreen(client);
		}
		update_position(client);
	} else if (ev->window == client->popup) {
		printf("popup mapped %d %d\n", client->popup_x, client->popup_y);
	}
}

static bool key_is_down(struct client *client, xcb_keycode_t keycode) {
	return client->keys_down[keycode / 8] & (1u << (keycode % 8));
}

static void set_key_down(struct client *client, xcb_keycode_t keycode, bool down) {
	if (down) {
		client->keys_down[keycode / 8] |= (uint8_t)(1u << (keycode % 8));
	} else {
		client->keys_down[keycode / 8] &= (uint8_t)~(1u << (keycode % 8));
	}
}

static void handle_key(struct client *client, xcb_key_press_event_t *ev, bool pressed) {
	xcb_keycode_t keycode = ev->detail;
	if (pressed && key_is_down(client, keycode)) {
		/* Detectable autorepeat: Wayland clients get no repeated presses either. */
		return;
	}
	set_key_down(client, keycode, pressed);

	struct tc_key_text kt;
	tc_key_text(client->xkb_state, keycode, &kt);
	printf("key %s %d %s %s\n", pressed ? "pressed" : "released",
		(int)keycode - EVDEV_OFFSET, kt.name, kt.text);
}

static struct modifiers current_modifiers(struct client *client) {
	struct xkb_state *state = client->xkb_state;
	return (struct modifiers){
		.depressed = xkb_state_serialize_mods(state, XKB_STATE_MODS_DEPRESSED),
		.latched = xkb_state_serialize_mods(state, XKB_STATE_MODS_LATCHED),
		.locked = xkb_state_serialize_mods(state, XKB_STATE_MODS_LOCKED),
		.group = xkb_state_serialize_layout(state, XKB_STATE_LAYOUT_EFFECTIVE),
	};
}

/* Like wl_keyboard.modifiers: once on focus in, then on changes while focused. */
static void report_modifiers(struct client *client, bool force) {
	if (client->xkb_state == NULL || !client->keyboard_focus) {
		return;
	}
	struct modifiers mods = current_modifiers(client);
	if (!force && client->modifiers_reported &&
			memcmp(&mods, &client->last_modifiers, sizeof(mods)) == 0) {
		return;
	}
	client->last_modifiers = mods;
	client->modifiers_reported = true;
	printf("modifiers %u %u %u %u\n", mods.depressed, mods.latched, mods.locked, mods.group);
}

static void handle_focus(struct client *client, xcb_focus_in_event_t *ev, bool in) {
	if (ev->event != client->window || ev->detail == XCB_NOTIFY_DETAIL_POINTER ||
			ev->detail == XCB_NOTIFY_DETAIL_POINTER_ROOT ||
			ev->detail == XCB_NOTIFY_DETAIL_NONE) {
		return;
	}
	if (in == client->keyboard_focus) {
		return;
	}
	client->keyboard_focus = in;
	/* Releases go to the new focus, so forget which keys were down. */
	memset(client->keys_down, 0, sizeof(client->keys_down));
	printf("keyboard %s\n", in ? "enter" : "leave");
	if (in) {
		report_modifiers(client, true);
	}
}

static void handle_crossing(struct client *client, xcb_enter_notify_event_t *ev, bool enter) {
	if (ev->event != client->window || ev->detail == XCB_NOTIFY_DETAIL_INFERIOR) {
		return;
	}
	if (enter == client->pointer_inside) {
		return;
	}
	client->pointer_inside = enter;
	if (enter) {
		printf("pointer enter %.1f %.1f\n", (double)ev->event_x, (double)ev->event_y);
	} else {
		printf("pointer leave\n");
	}
}

static void handle_motion(struct client *client, xcb_motion_notify_event_t *ev) {
	if (ev->event != client->window) {
		return;
	}
	printf("pointer motion %.1f %.1f\n", (double)ev->event_x, (double)ev->event_y);
}

static void handle_button(struct client *client, xcb_button_press_event_t *ev, bool pressed) {
	if (ev->event != client->window) {
		return;
	}
	/* Xwayland maps the wheel to buttons 4..7 and BTN_SIDE onwards to 8 onwards. */
	switch (ev->detail) {
	case 1:
		printf("pointer button %d %s\n", BTN_LEFT, pressed ? "pressed" : "released");
		return;
	case 2:
		printf("pointer button %d %s\n", BTN_MIDDLE, pressed ? "pressed" : "released");
		return;
	case 3:
		printf("pointer button %d %s\n", BTN_RIGHT, pressed ? "pressed" : "released");
		return;
	case 4:
	case 5:
	case 6:
	case 7:
		if (pressed) {
			int axis = ev->detail >= 6 ? 1 : 0;
			int step = ev->detail % 2 == 0 ? -1 : 1;
			printf("pointer axis_discrete %d %d\n", axis, step);
		}
		return;
	default:
		printf("pointer button %d %s\n", BTN_SIDE + ev->detail - 8,
			pressed ? "pressed" : "released");
		return;
	}
}

static void handle_client_message(struct client *client, xcb_client_message_event_t *ev) {
	if (ev->window == client->window && ev->format == 32 &&
			ev->type == client->atoms[ATOM_WM_PROTOCOLS] &&
			ev->data.data32[0] == client->atoms[ATOM_WM_DELETE_WINDOW]) {
		printf("closed\n");
		client->running = false;
		client->exit_status = 0;
	}
}

static bool load_keymap(struct client *client) {
	struct xkb_keymap *keymap = xkb_x11_keymap_new_from_device(client->xkb_context,
		client->conn, client->xkb_device_id, XKB_KEYMAP_COMPILE_NO_FLAGS);
	if (keymap == NULL) {
		fprintf(stderr, "swl-x11-client: failed to get the keymap\n");
		return false;
	}
	struct xkb_state *state = xkb_x11_state_new_from_device(keymap, client->conn,
		client->xkb_device_id);
	if (state == NULL) {
		fprintf(stderr, "swl-x11-client: failed to get the keyboard state\n");
		xkb_keymap_unref(keymap);
		return false;
	}
	xkb_state_unref(client->xkb_state);
	xkb_keymap_unref(client->xkb_keymap);
	client->xkb_keymap = keymap;
	client->xkb_state = state;
	return true;
}

static void handle_xkb_event(struct client *client, union xkb_event *ev) {
	if (ev->any.device_id != client->xkb_device_id) {
		return;
	}
	switch (ev->any.xkb_type) {
	case XCB_XKB_NEW_KEYBOARD_NOTIFY:
		if (ev->new_keyboard_notify.changed & XCB_XKB_NKN_DETAIL_KEYCODES) {
			load_keymap(client);
		}
		break;
	case XCB_XKB_MAP_NOTIFY:
		load_keymap(client);
		break;
	case XCB_XKB_STATE_NOTIFY:
		if (client->xkb_state != NULL) {
			xcb_xkb_state_notify_event_t *sn = &ev->state_notify;
			xkb_state_update_mask(client->xkb_state, sn->baseMods, sn->latchedMods,
				sn->lockedMods, (xkb_layout_index_t)sn->baseGroup,
				(xkb_layout_index_t)sn->latchedGroup, sn->lockedGroup);
			report_modifiers(client, false);
		}
		break;
	}
}

static void handle_event(struct client *client, xcb_generic_event_t *ev) {
	uint8_t type = ev->response_type & ~0x80;
	switch (type) {
	case 0: {
		xcb_generic_error_t *err = (xcb_generic_error_t *)ev;
		fprintf(stderr, "swl-x11-client: X error %u (request %u.%u)\n", err->error_code,
			err->major_code, err->minor_code);
		break;
	}
	case XCB_EXPOSE:
		handle_expose(client, (xcb_expose_event_t *)ev);
		break;
	case XCB_CONFIGURE_NOTIFY:
		handle_configure(client, (xcb_configure_notify_event_t *)ev);
		break;
	case XCB_MAP_NOTIFY:
		handle_map(client, (xcb_map_notify_event_t *)ev);
		break;
	case XCB_KEY_PRESS:
	case XCB_KEY_RELEASE:
		handle_key(client, (xcb_key_press_event_t *)ev, type == XCB_KEY_PRESS);
		break;
	case XCB_BUTTON_PRESS:
	case XCB_BUTTON_RELEASE:
		handle_button(client, (xcb_button_press_event_t *)ev, type == XCB_BUTTON_PRESS);
		break;
	case XCB_MOTION_NOTIFY:
		handle_motion(client, (xcb_motion_notify_event_t *)ev);
		break;
	case XCB_ENTER_NOTIFY:
	case XCB_LEAVE_NOTIFY:
		handle_crossing(client, (xcb_enter_notify_event_t *)ev, type == XCB_ENTER_NOTIFY);
		break;
	case XCB_FOCUS_IN:
	case XCB_FOCUS_OUT:
		handle_focus(client, (xcb_focus_in_event_t *)ev, type == XCB_FOCUS_IN);
		break;
	case XCB_CLIENT_MESSAGE:
		handle_client_message(client, (xcb_client_message_event_t *)ev);
		break;
	default:
		if (client->xkb_first_event != 0 && type == client->xkb_first_event) {
			handle_xkb_event(client, (union xkb_event *)ev);
		}
		break;
	}
}

static void destroy_popup(struct client *client) {
	if (client->popup != XCB_WINDOW_NONE) {
		xcb_destroy_window(client->conn, client->popup);
		client->popup = XCB_WINDOW_NONE;
	}
}

static void create_popup(struct client *client, struct tc_rect r, uint32_t color) {
	destroy_popup(client);
	client->popup = xcb_generate_id(client->conn);
	client->popup_x = r.x;
	client->popup_y = r.y;
	client->popup_color = color;
	uint32_t values[] = {
		color,
		1,
		XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_STRUCTURE_NOTIFY,
	};
	xcb_create_window(client->conn, XCB_COPY_FROM_PARENT, client->popup,
		client->screen->root, (int16_t)r.x, (int16_t)r.y, (uint16_t)r.width,
		(uint16_t)r.height, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, client->screen->root_visual,
		XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
	xcb_map_window(client->conn, client->popup);
	xcb_flush(client->conn);
}

static bool cmd_pattern(void *data, char *args[]) {
	struct client *client = data;
	if (!tc_pattern_command(args, client->content, client->width, client->height, 0,
			&client->pattern)) {
		return false;
	}
	upload_all(client);
	if (round_trip(client)) {
		printf("drawn pattern %d\n", client->pattern);
	}
	return true;
}

static bool cmd_rect(void *data, char *args[]) {
	struct client *client = data;
	struct tc_rect r;
	if (!tc_rect_command(args, client->content, client->width, client->height, 0, &r)) {
		return false;
	}
	upload_rect(client, r);
	if (round_trip(client)) {
		printf("drawn rect\n");
	}
	return true;
}

static bool cmd_popup(void *data, char *args[]) {
	struct client *client = data;
	struct tc_rect r;
	uint32_t color;
	if (!tc_parse_int(args[0], INT16_MIN, INT16_MAX, &r.x) ||
			!tc_parse_int(args[1], INT16_MIN, INT16_MAX, &r.y) ||
			!tc_parse_int(args[2], 1, TC_MAX_SIZE, &r.width) ||
			!tc_parse_int(args[3], 1, TC_MAX_SIZE, &r.height) ||
			!tc_parse_color(args[4], &color)) {
		return false;
	}
	create_popup(client, r, color);
	return true;
}

static bool cmd_popup_close(void *data, char *args[]) {
	struct client *client = data;
	if (client->popup == XCB_WINDOW_NONE) {
		printf("error no popup\n");
		return true;
	}
	destroy_popup(client);
	if (round_trip(client)) {
		printf("popup closed\n");
	}
	return true;
}

/* move X Y and resize W H: a ConfigureWindow request with those two values. */
static bool configure(struct client *client, char *args[], uint16_t mask, long min, long max) {
	int a, b;
	if (!tc_parse_int(args[0], min, max, &a) || !tc_parse_int(args[1], min, max, &b)) {
		return false;
	}
	uint32_t values[] = {(uint32_t)a, (uint32_t)b};
	xcb_configure_window(client->conn, client->window, mask, values);
	xcb_flush(client->conn);
	return true;
}

static bool cmd_move(void *data, char *args[]) {
	return configure(data, args, XCB_CONFIG_WINDOW_X | XCB_CONFIG_WINDOW_Y, INT16_MIN,
		INT16_MAX);
}

static bool cmd_resize(void *data, char *args[]) {
	return configure(data, args, XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, 1,
		TC_MAX_SIZE);
}

static const struct tc_command commands[] = {
	{"pattern", 1, cmd_pattern},
	{"rect", 5, cmd_rect},
	{"popup", 5, cmd_popup},
	{"popup-close", 0, cmd_popup_close},
	{"move", 2, cmd_move},
	{"resize", 2, cmd_resize},
};

static bool handle_command(void *data, int argc, char *args[]) {
	struct client *client = data;
	if (!tc_run_command(commands, sizeof(commands) / sizeof(commands[0]), client, argc, args,
			&client->exit_status)) {
		client->running = false;
	}
	return client->running;
}

static void run(struct client *client) {
	int x_fd = xcb_get_file_descriptor(client->conn);
	while (client->running) {
		xcb_generic_event_t *ev;
		while (client->running && (ev = xcb_poll_for_event(client->conn)) != NULL) {
			handle_event(client, ev);
			free(ev);
		}
		if (!client->running || !check_connection(client)) {
			return;
		}
		if (xcb_flush(client->conn) <= 0) {
			check_connection(client);
			return;
		}

		struct pollfd fds[2] = {
			{.fd = x_fd, .events = POLLIN},
			{.fd = client->input.open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			fatal(client, "poll failed");
			return;
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			tc_input_read(&client->input, "swl-x11-client", handle_command, client);
		}
	}
}

static bool intern_atoms(struct client *client) {
	xcb_intern_atom_cookie_t cookies[ATOM_COUNT];
	for (int i = 0; i < ATOM_COUNT; i++) {
		cookies[i] = xcb_intern_atom(client->conn, 0, (uint16_t)strlen(atom_names[i]),
			atom_names[i]);
	}
	bool ok = true;
	for (int i = 0; i < ATOM_COUNT; i++) {
		xcb_intern_atom_reply_t *reply =
			xcb_intern_atom_reply(client->conn, cookies[i], NULL);
		if (reply == NULL) {
			ok = false;
			continue;
		}
		client->atoms[i] = reply->atom;
		free(reply);
	}
	if (!ok) {
		fatal(client, "cannot intern atoms");
	}
	return ok;
}

/* content holds 0xRRGGBB words, so the root visual must take them as they are. */
static bool check_visual(struct client *client) {
	const xcb_setup_t *setup = xcb_get_setup(client->conn);
	xcb_screen_t *screen = client->screen;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint8_t host_order = XCB_IMAGE_ORDER_LSB_FIRST;
#else
	uint8_t host_order = XCB_IMAGE_ORDER_MSB_FIRST;
#endif
	if (screen->root_depth != 24 || setup->image_byte_order != host_order) {
		return false;
	}
	bool bpp32 = false;
	xcb_format_iterator_t fmt = xcb_setup_pixmap_formats_iterator(setup);
	for (; fmt.rem > 0; xcb_format_next(&fmt)) {
		if (fmt.data->depth == 24) {
			bpp32 = fmt.data->bits_per_pixel == 32;
		}
	}
	if (!bpp32) {
		return false;
	}
	xcb_depth_iterator_t depth = xcb_screen_allowed_depths_iterator(screen);
	for (; depth.rem > 0; xcb_depth_next(&depth)) {
		xcb_visualtype_iterator_t visual = xcb_depth_visuals_iterator(depth.data);
		for (; visual.rem > 0; xcb_visualtype_next(&visual)) {
			xcb_visualtype_t *v = visual.data;
			if (v->visual_id == screen->root_visual) {
				return v->_class == XCB_VISUAL_CLASS_TRUE_COLOR &&
					v->red_mask == 0xff0000 && v->green_mask == 0x00ff00 &&
					v->blue_mask == 0x0000ff;
			}
		}
	}
	return false;
}

static bool setup_xkb(struct client *client) {
	if (!xkb_x11_setup_xkb_extension(client->conn, XKB_X11_MIN_MAJOR_XKB_VERSION,
			XKB_X11_MIN_MINOR_XKB_VERSION, XKB_X11_SETUP_XKB_EXTENSION_NO_FLAGS, NULL, NULL,
			&client->xkb_first_event, NULL)) {
		fatal(client, "the X server lacks the XKB extension");
		return false;
	}
	client->xkb_device_id = xkb_x11_get_core_keyboard_device_id(client->conn);
	if (client->xkb_device_id < 0) {
		fatal(client, "cannot find the core keyboard");
		return false;
	}
	client->xkb_context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (client->xkb_context == NULL) {
		fatal(client, "failed to create an xkb context");
		return false;
	}
	if (!load_keymap(client)) {
		fatal(client, "cannot load the keymap");
		return false;
	}

	enum {
		events = XCB_XKB_EVENT_TYPE_NEW_KEYBOARD_NOTIFY | XCB_XKB_EVENT_TYPE_MAP_NOTIFY |
			XCB_XKB_EVENT_TYPE_STATE_NOTIFY,
		nkn_details = XCB_XKB_NKN_DETAIL_KEYCODES,
		map_parts = XCB_XKB_MAP_PART_KEY_TYPES | XCB_XKB_MAP_PART_KEY_SYMS |
			XCB_XKB_MAP_PART_MODIFIER_MAP | XCB_XKB_MAP_PART_EXPLICIT_COMPONENTS |
			XCB_XKB_MAP_PART_KEY_ACTIONS | XCB_XKB_MAP_PART_VIRTUAL_MODS |
			XCB_XKB_MAP_PART_VIRTUAL_MOD_MAP,
		state_details = XCB_XKB_STATE_PART_MODIFIER_BASE | XCB_XKB_STATE_PART_MODIFIER_LATCH |
			XCB_XKB_STATE_PART_MODIFIER_LOCK | XCB_XKB_STATE_PART_GROUP_BASE |
			XCB_XKB_STATE_PART_GROUP_LATCH | XCB_XKB_STATE_PART_GROUP_LOCK,
	};
	const xcb_xkb_select_events_details_t details = {
		.affectNewKeyboard = nkn_details,
		.newKeyboardDetails = nkn_details,
		.affectState = state_details,
		.stateDetails = state_details,
	};
	xcb_generic_error_t *err = xcb_request_check(client->conn,
		xcb_xkb_select_events_aux_checked(client->conn,
			(xcb_xkb_device_spec_t)client->xkb_device_id, events, 0, 0, map_parts,
			map_parts, &details));
	if (err != NULL) {
		free(err);
		fatal(client, "cannot select XKB events");
		return false;
	}

	/* Held keys then repeat as presses only, which handle_key drops. */
	xcb_xkb_per_client_flags_cookie_t cookie = xcb_xkb_per_client_flags(client->conn,
		(xcb_xkb_device_spec_t)client->xkb_device_id,
		XCB_XKB_PER_CLIENT_FLAG_DETECTABLE_AUTO_REPEAT,
		XCB_XKB_PER_CLIENT_FLAG_DETECTABLE_AUTO_REPEAT, 0, 0, 0);
	xcb_discard_reply(client->conn, cookie.sequence);
	return true;
}

static void set_properties(struct client *client) {
	xcb_connection_t *conn = client->conn;
	xcb_window_t window = client->window;
	/* STRING is Latin-1: a title with other characters goes as UTF8_STRING. */
	size_t title_len = strlen(client->title);
	xcb_atom_t name_type = XCB_ATOM_STRING;
	for (const unsigned char *p = (const unsigned char *)client->title; *p != '\0'; p++) {
		if (*p >= 0x80) {
			name_type = client->atoms[ATOM_UTF8_STRING];
		}
	}
	xcb_icccm_set_wm_name(conn, window, name_type, 8, (uint32_t)title_len, client->title);
	xcb_change_property(conn, XCB_PROP_MODE_REPLACE, window, client->atoms[ATOM_NET_WM_NAME],
		client->atoms[ATOM_UTF8_STRING], 8, (uint32_t)title_len, client->title);

	/* WM_CLASS is "instance\0class\0"; both are the --class value. */
	size_t class_len = strlen(client->wm_class);
	char *wm_class = malloc(2 * (class_len + 1));
	if (wm_class != NULL) {
		memcpy(wm_class, client->wm_class, class_len + 1);
		memcpy(wm_class + class_len + 1, client->wm_class, class_len + 1);
		xcb_icccm_set_wm_class(conn, window, (uint32_t)(2 * (class_len + 1)), wm_class);
		free(wm_class);
	}

	xcb_atom_t delete_window = client->atoms[ATOM_WM_DELETE_WINDOW];
	xcb_icccm_set_wm_protocols(conn, window, client->atoms[ATOM_WM_PROTOCOLS], 1,
		&delete_window);

	xcb_icccm_wm_hints_t hints = {0};
	xcb_icccm_wm_hints_set_input(&hints, 1);
	xcb_icccm_wm_hints_set_normal(&hints);
	xcb_icccm_set_wm_hints(conn, window, &hints);

	xcb_size_hints_t size_hints = {0};
	xcb_icccm_size_hints_set_size(&size_hints, 0, client->width, client->height);
	if (client->want_position) {
		xcb_icccm_size_hints_set_position(&size_hints, 1, client->position_x,
			client->position_y);
		size_hints.flags |= XCB_ICCCM_SIZE_HINT_P_POSITION;
	}
	xcb_icccm_set_wm_normal_hints(conn, window, &size_hints);

	if (client->fullscreen) {
		xcb_atom_t state = client->atoms[ATOM_NET_WM_STATE_FULLSCREEN];
		xcb_change_property(conn, XCB_PROP_MODE_REPLACE, window,
			client->atoms[ATOM_NET_WM_STATE], XCB_ATOM_ATOM, 32, 1, &state);
	}
}

static bool create_window(struct client *client) {
	xcb_connection_t *conn = client->conn;
	if (!resize_content(client, client->width, client->height)) {
		return false;
	}
	/* The limit is in 4-byte units and counts the request header. */
	size_t max_bytes = (size_t)xcb_get_maximum_request_length(conn) * 4;
	client->chunk_size = max_bytes - PUT_IMAGE_HEADER;
	if (client->chunk_size > CHUNK_MAX) {
		client->chunk_size = CHUNK_MAX;
	}
	client->chunk_size &= ~(size_t)3;
	client->chunk = malloc(client->chunk_size);
	if (client->chunk == NULL) {
		fatal(client, "out of memory");
		return false;
	}

	client->window = xcb_generate_id(conn);
	uint32_t values[] = {
		XCB_BACK_PIXMAP_NONE,
		XCB_GRAVITY_BIT_FORGET,
		XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_STRUCTURE_NOTIFY |
			XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_KEY_RELEASE |
			XCB_EVENT_MASK_BUTTON_PRESS | XCB_EVENT_MASK_BUTTON_RELEASE |
			XCB_EVENT_MASK_POINTER_MOTION | XCB_EVENT_MASK_ENTER_WINDOW |
			XCB_EVENT_MASK_LEAVE_WINDOW | XCB_EVENT_MASK_FOCUS_CHANGE,
	};
	int x = client->want_position ? client->position_x : 0;
	int y = client->want_position ? client->position_y : 0;
	xcb_create_window(conn, XCB_COPY_FROM_PARENT, client->window, client->screen->root,
		(int16_t)x, (int16_t)y, (uint16_t)client->width, (uint16_t)client->height, 0,
		XCB_WINDOW_CLASS_INPUT_OUTPUT, client->screen->root_visual,
		XCB_CW_BACK_PIXMAP | XCB_CW_BIT_GRAVITY | XCB_CW_EVENT_MASK, values);

	client->gc = xcb_generate_id(conn);
	uint32_t gc_values[] = {0, 0};
	xcb_create_gc(conn, client->gc, client->window,
		XCB_GC_FOREGROUND | XCB_GC_GRAPHICS_EXPOSURES, gc_values);

	set_properties(client);
	xcb_map_window(conn, client->window);
	xcb_flush(conn);
	return check_connection(client);
}

static void cleanup(struct client *client) {
	if (client->conn != NULL) {
		if (!xcb_connection_has_error(client->conn)) {
			destroy_popup(client);
			if (client->gc != 0) {
				xcb_free_gc(client->conn, client->gc);
			}
			if (client->window != XCB_WINDOW_NONE) {
				xcb_destroy_window(client->conn, client->window);
			}
			xcb_flush(client->conn);
		}
		xcb_disconnect(client->conn);
	}
	xkb_state_unref(client->xkb_state);
	xkb_keymap_unref(client->xkb_keymap);
	xkb_context_unref(client->xkb_context);
	free(client->content);
	free(client->chunk);
}

static bool parse_position(const char *str, int *x, int *y) {
	char *end;
	errno = 0;
	long px = strtol(str, &end, 10);
	if (errno != 0 || end == str || *end != ',' || px < INT16_MIN || px > INT16_MAX) {
		return false;
	}
	const char *second = end + 1;
	long py = strtol(second, &end, 10);
	if (errno != 0 || end == second || *end != '\0' || py < INT16_MIN || py > INT16_MAX) {
		return false;
	}
	*x = (int)px;
	*y = (int)py;
	return true;
}

static const char usage[] =
	"Usage: swl-x11-client [options]\n"
	"  --title T      window title (default " DEFAULT_NAME ")\n"
	"  --class C      WM_CLASS instance and class (default " DEFAULT_NAME ")\n"
	"  --size WxH     initial size (default 640x480)\n"
	"  --position X,Y requested root position (sets USPosition|PPosition)\n"
	"  --pattern N    initial pattern 0..7 (default 0)\n"
	"  --fullscreen   ask for _NET_WM_STATE_FULLSCREEN before mapping\n"
	"  --help         show this help\n";

static bool check_position(const char *value, void *data) {
	struct client *client = data;
	client->want_position = parse_position(value, &client->position_x, &client->position_y);
	return client->want_position;
}

/* Returns -1 to go on, else the status to exit with. */
static int parse_options(struct client *client, int argc, char *argv[]) {
	const struct tc_option own[] = {
		{"class", NULL, &client->wm_class, NULL, NULL},
		{"position", NULL, NULL, check_position, client},
		{"fullscreen", &client->fullscreen, NULL, NULL, NULL},
	};
	const struct tc_options options = {
		&client->title, &client->width, &client->height, &client->pattern,
	};
	return tc_parse_options(argc, argv, "swl-x11-client", usage, own,
		sizeof(own) / sizeof(own[0]), &options);
}

int main(int argc, char *argv[]) {
	struct client client = {
		.title = DEFAULT_NAME,
		.wm_class = DEFAULT_NAME,
		.width = TC_DEFAULT_WIDTH,
		.height = TC_DEFAULT_HEIGHT,
		.input.open = true,
		.running = true,
	};
	int status = parse_options(&client, argc, argv);
	if (status >= 0) {
		return status;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);

	int screen_num = 0;
	client.conn = xcb_connect(NULL, &screen_num);
	if (xcb_connection_has_error(client.conn)) {
		fprintf(stderr, "swl-x11-client: cannot open the X display '%s'\n",
			getenv("DISPLAY") ? getenv("DISPLAY") : "(unset)");
		xcb_disconnect(client.conn);
		return 1;
	}
	xcb_screen_iterator_t screens = xcb_setup_roots_iterator(xcb_get_setup(client.conn));
	for (int i = 0; i < screen_num && screens.rem > 0; i++) {
		xcb_screen_next(&screens);
	}
	client.screen = screens.rem > 0 ? screens.data : NULL;
	if (client.screen == NULL) {
		fatal(&client, "no such screen");
	} else if (!check_visual(&client)) {
		fatal(&client, "the root visual is not 24-bit TrueColor with 32-bit pixels");
	}

	if (client.running && intern_atoms(&client) && setup_xkb(&client) &&
			create_window(&client)) {
		run(&client);
	}

	status = client.exit_status;
	cleanup(&client);
	return status;
}
