/*
 * The seat: keyboards and pointers from the backend, the cursor, pointer
 * focus, click-to-focus, and the client-set cursor image and selections.
 * Desktop mode: Alt+Tab, and the grab that moves or resizes a window while
 * a button is held (a client's title bar request, our frame's title bar or
 * border, or Alt+drag), and the frame's buttons.
 */
#include <stdarg.h>
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_input_method_v2.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/util/edges.h>
#include <wlr/util/log.h>
#include <wlr/xcursor.h>
#include <xkbcommon/xkbcommon.h>
#include "decoration.h"
#include "placement.h"
#include "seat.h"
#include "server.h"

struct swl_keyboard {
	struct swl_server *server;
	struct wlr_input_device *device;

	struct wl_listener key;
	struct wl_listener modifiers;
	struct wl_listener destroy;
};

static bool alt_held(struct wlr_keyboard *keyboard) {
	return keyboard != NULL && (wlr_keyboard_get_modifiers(keyboard) & WLR_MODIFIER_ALT);
}

/* Compositor shortcuts (desktop mode); true if the key was one, and is eaten. */
static bool handle_shortcut(struct swl_keyboard *keyboard, struct wlr_event_keyboard_key *event) {
	struct wlr_keyboard *wlr_keyboard = keyboard->device->keyboard;
	if (!alt_held(wlr_keyboard)) {
		return false;
	}
	const xkb_keysym_t *syms;
	int n = xkb_state_key_get_syms(wlr_keyboard->xkb_state, event->keycode + 8, &syms);
	for (int i = 0; i < n; i++) {
		if (syms[i] == XKB_KEY_Tab || syms[i] == XKB_KEY_ISO_Left_Tab) {
			// The release is eaten too: the client never saw the press.
			if (event->state == WL_KEYBOARD_KEY_STATE_PRESSED) {
				swl_views_cycle(keyboard->server);
			}
			return true;
		}
	}
	return false;
}

static void keyboard_handle_key(struct wl_listener *listener, void *data) {
	struct swl_keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct wlr_event_keyboard_key *event = data;
	struct swl_server *server = keyboard->server;
	struct wlr_seat *seat = server->seat;
	swl_protocols_notify_activity(server);
	if (!server->kiosk && handle_shortcut(keyboard, event)) {
		return;
	}
	// An input method that grabbed the keyboard composes from the keys.
	struct wlr_input_method_keyboard_grab_v2 *grab =
			swl_text_input_keyboard_grab(server, keyboard->device);
	if (grab != NULL) {
		wlr_input_method_keyboard_grab_v2_set_keyboard(grab, keyboard->device->keyboard);
		wlr_input_method_keyboard_grab_v2_send_key(
				grab, event->time_msec, event->keycode, event->state);
		return;
	}
	wlr_seat_set_keyboard(seat, keyboard->device);
	wlr_seat_keyboard_notify_key(seat, event->time_msec, event->keycode, event->state);
}

static void keyboard_handle_modifiers(struct wl_listener *listener, void *data) {
	struct swl_keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);
	struct wlr_seat *seat = keyboard->server->seat;
	struct wlr_input_method_keyboard_grab_v2 *grab =
			swl_text_input_keyboard_grab(keyboard->server, keyboard->device);
	if (grab != NULL) {
		wlr_input_method_keyboard_grab_v2_set_keyboard(grab, keyboard->device->keyboard);
		wlr_input_method_keyboard_grab_v2_send_modifiers(
				grab, &keyboard->device->keyboard->modifiers);
		return;
	}
	wlr_seat_set_keyboard(seat, keyboard->device);
	wlr_seat_keyboard_notify_modifiers(seat, &keyboard->device->keyboard->modifiers);
}

static void keyboard_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_keyboard *keyboard = wl_container_of(listener, keyboard, destroy);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->destroy.link);
	free(keyboard);
}

static void add_keyboard(struct swl_server *server, struct wlr_input_device *device) {
	struct swl_keyboard *keyboard = calloc(1, sizeof(*keyboard));
	if (keyboard == NULL) {
		return;
	}
	keyboard->server = server;
	keyboard->device = device;

	// A virtual keyboard comes with its client's keymap.
	if (wlr_input_device_get_virtual_keyboard(device) == NULL) {
		wlr_keyboard_set_keymap(device->keyboard, server->keymap);
	}
	wlr_keyboard_set_repeat_info(
			device->keyboard, server->options->repeat_rate, server->options->repeat_delay);

	keyboard->key.notify = keyboard_handle_key;
	wl_signal_add(&device->keyboard->events.key, &keyboard->key);
	keyboard->modifiers.notify = keyboard_handle_modifiers;
	wl_signal_add(&device->keyboard->events.modifiers, &keyboard->modifiers);
	keyboard->destroy.notify = keyboard_handle_destroy;
	wl_signal_add(&device->events.destroy, &keyboard->destroy);
	wlr_seat_set_keyboard(server->seat, device);
}

static void handle_new_input(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, new_input);
	swl_seat_add_input(seat->server, data);
}

void swl_seat_add_input(struct swl_server *server, struct wlr_input_device *device) {
	switch (device->type) {
	case WLR_INPUT_DEVICE_KEYBOARD:
		add_keyboard(server, device);
		break;
	case WLR_INPUT_DEVICE_POINTER:
		wlr_cursor_attach_input_device(server->cursor, device);
		break;
	default:
		break;
	}
	uint32_t caps = WL_SEAT_CAPABILITY_POINTER | WL_SEAT_CAPABILITY_KEYBOARD;
	wlr_seat_set_capabilities(server->seat, caps);
}

void swl_seat_begin_grab(struct swl_server *server, struct swl_view *view,
		enum swl_grab_mode mode, uint32_t edges) {
	struct swl_grab *grab = &server->input->grab;
	if (view == NULL || !view->mapped || view->fullscreen) {
		return;
	}
	if (view->maximized) {
		if (mode == SWL_GRAB_RESIZE) {
			return;
		}
		// Dragging a maximized window takes it out, under the cursor.
		swl_view_set_maximized(view, false);
	}
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	grab->mode = mode;
	grab->view = view;
	grab->cursor_x = server->cursor->x;
	grab->cursor_y = server->cursor->y;
	grab->start = (struct wlr_box){ view->x, view->y, geo.width, geo.height };
	grab->edges = edges;
	if (mode == SWL_GRAB_RESIZE && view->impl->set_resizing != NULL) {
		view->impl->set_resizing(view, true);
	}
	wlr_log(WLR_DEBUG, "interactive %s begins", mode == SWL_GRAB_MOVE ? "move" : "resize");
	// The pointer leaves the client while the compositor drives it.
	wlr_seat_pointer_notify_clear_focus(server->seat);
	// swl_edges are wlr_edges.
	wlr_xcursor_manager_set_cursor_image(server->xcursor_manager,
			mode == SWL_GRAB_MOVE ? "grabbing" : wlr_xcursor_get_resize_name(edges),
			server->cursor);
}

void swl_seat_end_grab(struct swl_server *server, struct swl_view *view) {
	struct swl_grab *grab = &server->input->grab;
	if (grab->mode == SWL_GRAB_NONE || (view != NULL && grab->view != view)) {
		return;
	}
	struct swl_view *resized = grab->mode == SWL_GRAB_RESIZE ? grab->view : NULL;
	if (resized != NULL && resized->impl->set_resizing != NULL) {
		resized->impl->set_resizing(resized, false);
	}
	*grab = (struct swl_grab){ .mode = SWL_GRAB_NONE };
	if (resized != NULL) {
		// A resize whose last size is drawn already is over.
		swl_view_size_changed(resized);
	}
}

static void grab_motion(struct swl_server *server) {
	struct swl_grab *grab = &server->input->grab;
	struct swl_view *view = grab->view;
	int dx = (int)(server->cursor->x - grab->cursor_x);
	int dy = (int)(server->cursor->y - grab->cursor_y);
	struct wlr_box area;
	swl_output_usable_box(server, &area);
	struct swl_rect screen = { area.x, area.y, area.width, area.height };
	struct swl_rect start = { grab->start.x, grab->start.y, grab->start.width,
		grab->start.height };
	int top = swl_view_title_height(view);
	if (grab->mode == SWL_GRAB_MOVE) {
		struct swl_rect win = start;
		win.x += dx;
		win.y += dy;
		swl_place_drag(&screen, top, &win);
		swl_view_move(view, win.x, win.y);
		if (view->impl->configure != NULL) {
			// X11 windows learn where they are (menus open there).
			view->impl->configure(view, win.x, win.y, start.width, start.height);
		}
		return;
	}
	int min_width = 0, min_height = 0;
	view->impl->get_min_size(view, &min_width, &min_height);
	struct swl_rect win;
	swl_place_resize(&start, grab->edges, dx, dy, min_width > 1 ? min_width : 1,
			min_height > 1 ? min_height : 1, &win);
	swl_place_fit_size(&screen, top, &win.width, &win.height);
	swl_view_resize(view, &grab->start, grab->edges, win.width, win.height);
}

static void process_motion(struct swl_server *server, uint32_t time) {
	if (server->input->grab.mode != SWL_GRAB_NONE) {
		grab_motion(server);
		return;
	}
	double sx, sy;
	struct wlr_surface *surface = NULL;
	struct swl_view *view =
			swl_view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
	if (surface == NULL) {
		// Over a frame's border the cursor shows which way it resizes.
		uint32_t edges = 0;
		if (view != NULL && !server->kiosk) {
			swl_decoration_hit(view, server->cursor->x, server->cursor->y, &edges);
		}
		wlr_xcursor_manager_set_cursor_image(server->xcursor_manager,
				edges != 0 ? wlr_xcursor_get_resize_name(edges) : "left_ptr",
				server->cursor);
		wlr_seat_pointer_clear_focus(server->seat);
		return;
	}
	wlr_seat_pointer_notify_enter(server->seat, surface, sx, sy);
	wlr_seat_pointer_notify_motion(server->seat, time, sx, sy);
}

static void handle_cursor_motion(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, cursor_motion);
	struct swl_server *server = seat->server;
	struct wlr_event_pointer_motion *event = data;
	swl_protocols_notify_activity(server);
	// Relative motion (the SPICE mouse in server mode, virtual pointers).
	if (swl_protocols_pointer_motion(server, event->time_msec, event->delta_x, event->delta_y,
				event->unaccel_dx, event->unaccel_dy)) {
		wlr_cursor_move(server->cursor, event->device, event->delta_x, event->delta_y);
	}
	process_motion(server, event->time_msec);
}

static void handle_cursor_motion_absolute(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, cursor_motion_absolute);
	struct swl_server *server = seat->server;
	struct wlr_event_pointer_motion_absolute *event = data;
	swl_protocols_notify_activity(server);
	wlr_cursor_warp_absolute(server->cursor, event->device, event->x, event->y);
	process_motion(server, event->time_msec);
}

/*
 * A press on a window's server-side frame: its buttons act, its title bar
 * and borders start a move or resize. True if the press was the frame's.
 */
static bool frame_press(struct swl_server *server, struct swl_view *view, uint32_t button) {
	uint32_t edges = 0;
	enum swl_frame_part part =
			swl_decoration_hit(view, server->cursor->x, server->cursor->y, &edges);
	if (part == SWL_FRAME_NONE) {
		return false;
	}
	if (button != BTN_LEFT) {
		return true;
	}
	switch (part) {
	case SWL_FRAME_CLOSE:
		view->impl->close(view);
		break;
	case SWL_FRAME_MAXIMIZE:
		swl_view_set_maximized(view, !view->maximized);
		break;
	case SWL_FRAME_MINIMIZE:
		swl_view_set_minimized(view, true);
		break;
	case SWL_FRAME_TITLE:
	case SWL_FRAME_EDGE:
		swl_seat_begin_grab(server, view, part == SWL_FRAME_TITLE ? SWL_GRAB_MOVE
									 : SWL_GRAB_RESIZE, edges);
		server->input->grab.button_consumed = server->input->grab.mode != SWL_GRAB_NONE;
		break;
	case SWL_FRAME_NONE:
		break;
	}
	return true;
}

static void handle_cursor_button(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, cursor_button);
	struct swl_server *server = seat->server;
	struct wlr_event_pointer_button *event = data;
	swl_protocols_notify_activity(server);
	struct swl_grab *grab = &server->input->grab;
	if (event->state == WLR_BUTTON_RELEASED && grab->mode != SWL_GRAB_NONE) {
		bool consumed = grab->button_consumed;
		swl_seat_end_grab(server, NULL);
		process_motion(server, event->time_msec);
		if (consumed) {
			return;
		}
	}
	if (event->state == WLR_BUTTON_PRESSED && grab->mode == SWL_GRAB_NONE) {
		double sx, sy;
		struct wlr_surface *surface = NULL;
		struct swl_view *view =
				swl_view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
		if (view == NULL && swl_layers_click_focus(server, surface)) {
			// A panel or launcher took the keyboard; the click is its own.
			wlr_seat_pointer_notify_button(
					server->seat, event->time_msec, event->button, event->state);
			return;
		}
		swl_view_focus(view);
		if (!server->kiosk && view != NULL && surface == NULL &&
				frame_press(server, view, event->button)) {
			// Not the client's: it never sees the press nor its release.
			return;
		}
		// Alt+left drag moves the window under the cursor, Alt+right resizes it.
		uint32_t button = event->button;
		if (!server->kiosk && view != NULL && alt_held(wlr_seat_get_keyboard(server->seat)) &&
				(button == BTN_LEFT || button == BTN_RIGHT)) {
			uint32_t edges = 0;
			if (button == BTN_RIGHT) {
				struct wlr_box geo;
				view->impl->get_geometry(view, &geo);
				// The nearest corner follows the cursor.
				edges |= server->cursor->x < view->x + geo.width / 2 ? SWL_EDGE_LEFT
										     : SWL_EDGE_RIGHT;
				edges |= server->cursor->y < view->y + geo.height / 2 ? SWL_EDGE_TOP
										      : SWL_EDGE_BOTTOM;
			}
			swl_seat_begin_grab(server, view, button == BTN_LEFT ? SWL_GRAB_MOVE
									     : SWL_GRAB_RESIZE, edges);
			if (grab->mode != SWL_GRAB_NONE) {
				grab->button_consumed = true;
				return;
			}
		}
	}
	wlr_seat_pointer_notify_button(server->seat, event->time_msec, event->button, event->state);
}

static void handle_cursor_axis(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, cursor_axis);
	struct swl_server *server = seat->server;
	struct wlr_event_pointer_axis *event = data;
	swl_protocols_notify_activity(server);
	wlr_seat_pointer_notify_axis(server->seat, event->time_msec, event->orientation, event->delta,
			event->delta_discrete, event->source);
}

static void handle_cursor_frame(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, cursor_frame);
	struct swl_server *server = seat->server;
	wlr_seat_pointer_notify_frame(server->seat);
}

static void handle_request_set_cursor(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, request_set_cursor);
	struct swl_server *server = seat->server;
	struct wlr_seat_pointer_request_set_cursor_event *event = data;
	// Only the client with pointer focus may set the cursor.
	if (server->seat->pointer_state.focused_client == event->seat_client) {
		wlr_cursor_set_surface(server->cursor, event->surface, event->hotspot_x, event->hotspot_y);
	}
}

static void handle_request_set_selection(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, request_set_selection);
	struct swl_server *server = seat->server;
	struct wlr_seat_request_set_selection_event *event = data;
	wlr_seat_set_selection(server->seat, event->source, event->serial);
}

static void handle_request_set_primary_selection(struct wl_listener *listener, void *data) {
	struct swl_seat *seat = wl_container_of(listener, seat, request_set_primary_selection);
	struct swl_server *server = seat->server;
	struct wlr_seat_request_set_primary_selection_event *event = data;
	wlr_seat_set_primary_selection(server->seat, event->source, event->serial);
}

static void silent_xkb_log(
		struct xkb_context *context, enum xkb_log_level level, const char *format, va_list args) {
	// The caller reports a failed compile as one line of its own.
}

struct xkb_keymap *swl_keymap_create(const struct swl_options *options) {
	struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (context == NULL) {
		return NULL;
	}
	xkb_context_set_log_fn(context, silent_xkb_log);
	struct xkb_rule_names names = {
		.layout = options->keyboard_layout,
		.model = options->keyboard_model,
		.variant = options->keyboard_variant,
		.options = options->keyboard_options,
	};
	struct xkb_keymap *keymap =
			xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
	xkb_context_unref(context);
	return keymap;
}

struct swl_seat *swl_seat_create(struct swl_server *server) {
	struct swl_seat *seat = calloc(1, sizeof(*seat));
	if (seat == NULL) {
		return NULL;
	}
	seat->server = server;
	server->seat = wlr_seat_create(server->display, "seat0");
	server->cursor = wlr_cursor_create();
	server->xcursor_manager = wlr_xcursor_manager_create(NULL, 24);
	if (server->seat == NULL || server->cursor == NULL || server->xcursor_manager == NULL) {
		swl_seat_destroy(seat);
		return NULL;
	}
	wlr_cursor_attach_output_layout(server->cursor, server->output_layout);
	wlr_xcursor_manager_load(server->xcursor_manager, 1);

	seat->new_input.notify = handle_new_input;
	wl_signal_add(&server->backend->events.new_input, &seat->new_input);

	seat->cursor_motion.notify = handle_cursor_motion;
	wl_signal_add(&server->cursor->events.motion, &seat->cursor_motion);
	seat->cursor_motion_absolute.notify = handle_cursor_motion_absolute;
	wl_signal_add(&server->cursor->events.motion_absolute, &seat->cursor_motion_absolute);
	seat->cursor_button.notify = handle_cursor_button;
	wl_signal_add(&server->cursor->events.button, &seat->cursor_button);
	seat->cursor_axis.notify = handle_cursor_axis;
	wl_signal_add(&server->cursor->events.axis, &seat->cursor_axis);
	seat->cursor_frame.notify = handle_cursor_frame;
	wl_signal_add(&server->cursor->events.frame, &seat->cursor_frame);

	seat->request_set_cursor.notify = handle_request_set_cursor;
	wl_signal_add(&server->seat->events.request_set_cursor, &seat->request_set_cursor);
	seat->request_set_selection.notify = handle_request_set_selection;
	wl_signal_add(&server->seat->events.request_set_selection, &seat->request_set_selection);
	seat->request_set_primary_selection.notify = handle_request_set_primary_selection;
	wl_signal_add(&server->seat->events.request_set_primary_selection,
			&seat->request_set_primary_selection);
	return seat;
}

void swl_seat_destroy(struct swl_seat *seat) {
	if (seat == NULL) {
		return;
	}
	struct swl_server *server = seat->server;
	// Listeners are wired only once everything was created.
	if (seat->new_input.notify != NULL) {
		wl_list_remove(&seat->new_input.link);
		wl_list_remove(&seat->cursor_motion.link);
		wl_list_remove(&seat->cursor_motion_absolute.link);
		wl_list_remove(&seat->cursor_button.link);
		wl_list_remove(&seat->cursor_axis.link);
		wl_list_remove(&seat->cursor_frame.link);
		wl_list_remove(&seat->request_set_cursor.link);
		wl_list_remove(&seat->request_set_selection.link);
		wl_list_remove(&seat->request_set_primary_selection.link);
	}
	// The wlr_seat goes with the display.
	wlr_xcursor_manager_destroy(server->xcursor_manager);
	wlr_cursor_destroy(server->cursor);
	server->xcursor_manager = NULL;
	server->cursor = NULL;
	free(seat);
}
