/*
 * The seat (seat.c): input devices, the cursor's events, pointer focus and
 * click-to-focus, and desktop mode's move/resize grab. The wlr_seat, cursor
 * and xcursor manager it creates stay in swl_server, for every module.
 */
#ifndef SWL_SEAT_H
#define SWL_SEAT_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

struct swl_options;
struct swl_server;
struct swl_view;
struct wlr_input_device;
struct xkb_keymap;

/* An interactive move or resize the cursor drives. */
enum swl_grab_mode {
	SWL_GRAB_NONE,
	SWL_GRAB_MOVE,
	SWL_GRAB_RESIZE,
};

struct swl_grab {
	enum swl_grab_mode mode;
	struct swl_view *view;
	double cursor_x, cursor_y; // where the grab began
	struct wlr_box start; // the view's box then
	uint32_t edges; // resize: wlr_edges being dragged
	uint32_t button; // the button whose release ends the grab
	bool button_consumed; // its press never reached the client
};

struct swl_seat {
	struct swl_server *server;
	struct swl_grab grab; // desktop mode: move/resize in progress

	struct wl_listener new_input; // from the backend
	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
	struct wl_listener cursor_button;
	struct wl_listener cursor_axis;
	struct wl_listener cursor_frame;
	struct wl_listener request_set_cursor;
	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
};

/* Compiles the keymap the options name; NULL if xkb cannot. */
struct xkb_keymap *swl_keymap_create(const struct swl_options *options);
/* Creates server->seat, ->cursor and ->xcursor_manager and takes the backend's devices. */
struct swl_seat *swl_seat_create(struct swl_server *server);
/* Accepts NULL. */
void swl_seat_destroy(struct swl_seat *seat);
/* Wires a keyboard or pointer into the seat: backend or virtual devices. */
void swl_seat_add_input(struct swl_server *server, struct wlr_input_device *device);
/* Starts an interactive move or resize of view with the button held down. */
void swl_seat_begin_grab(struct swl_server *server, struct swl_view *view,
		enum swl_grab_mode mode, uint32_t edges);
/* Ends the grab on view, if any (the view goes away). */
void swl_seat_end_grab(struct swl_server *server, struct swl_view *view);

#endif
