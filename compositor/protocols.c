/*
 * The wlroots protocols that need no window policy, wired as sway and cage
 * do: xdg-output, viewporter, presentation-time, data-control, screencopy,
 * idle and idle-inhibit, relative-pointer and pointer-constraints, virtual
 * keyboard and pointer. Text input and layer-shell have files of their own.
 */
#include <stdlib.h>
#include <wlr/types/wlr_data_control_v1.h>
#include <wlr/types/wlr_idle.h>
#include <wlr/types/wlr_idle_inhibit_v1.h>
#include <wlr/types/wlr_pointer_constraints_v1.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_relative_pointer_v1.h>
#include <wlr/types/wlr_screencopy_v1.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_virtual_pointer_v1.h>
#include <wlr/types/wlr_xdg_output_v1.h>
#include <wlr/util/log.h>
#include "seat.h"
#include "server.h"

struct swl_protocols {
	struct swl_server *server;
	struct wlr_idle *idle;
	struct wlr_idle_inhibit_manager_v1 *idle_inhibit;
	int inhibitors; // live idle inhibitors
	struct wlr_relative_pointer_manager_v1 *relative_pointer;
	struct wlr_pointer_constraints_v1 *pointer_constraints;
	struct wlr_pointer_constraint_v1 *active_constraint; // on the pointer's surface
	struct wlr_virtual_keyboard_manager_v1 *virtual_keyboard;
	struct wlr_virtual_pointer_manager_v1 *virtual_pointer;

	struct wl_listener new_inhibitor;
	struct wl_listener new_constraint;
	struct wl_listener pointer_focus_change;
	struct wl_listener new_virtual_keyboard;
	struct wl_listener new_virtual_pointer;
	struct wl_listener constraint_destroy; // on active_constraint
};

/* One idle inhibitor, counted while it lives. */
struct swl_idle_inhibitor {
	struct swl_protocols *protocols;
	struct wl_listener destroy;
};

static void update_idle(struct swl_protocols *protocols) {
	// While a surface inhibits idleness (a video playing), idle timeouts stop.
	wlr_idle_set_enabled(protocols->idle, protocols->server->seat, protocols->inhibitors == 0);
}

static void inhibitor_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_idle_inhibitor *inhibitor = wl_container_of(listener, inhibitor, destroy);
	struct swl_protocols *protocols = inhibitor->protocols;
	wl_list_remove(&inhibitor->destroy.link);
	free(inhibitor);
	protocols->inhibitors--;
	update_idle(protocols);
}

static void handle_new_inhibitor(struct wl_listener *listener, void *data) {
	struct swl_protocols *protocols = wl_container_of(listener, protocols, new_inhibitor);
	struct wlr_idle_inhibitor_v1 *wlr_inhibitor = data;
	struct swl_idle_inhibitor *inhibitor = calloc(1, sizeof(*inhibitor));
	if (inhibitor == NULL) {
		return;
	}
	inhibitor->protocols = protocols;
	inhibitor->destroy.notify = inhibitor_handle_destroy;
	wl_signal_add(&wlr_inhibitor->events.destroy, &inhibitor->destroy);
	protocols->inhibitors++;
	update_idle(protocols);
}

static void deactivate_constraint(struct swl_protocols *protocols) {
	if (protocols->active_constraint == NULL) {
		return;
	}
	wl_list_remove(&protocols->constraint_destroy.link);
	wlr_pointer_constraint_v1_send_deactivated(protocols->active_constraint);
	protocols->active_constraint = NULL;
}

static void handle_constraint_destroy(struct wl_listener *listener, void *data) {
	struct swl_protocols *protocols = wl_container_of(listener, protocols, constraint_destroy);
	wl_list_remove(&protocols->constraint_destroy.link);
	protocols->active_constraint = NULL;
}

static void activate_constraint(
		struct swl_protocols *protocols, struct wlr_pointer_constraint_v1 *constraint) {
	if (constraint == protocols->active_constraint) {
		return;
	}
	deactivate_constraint(protocols);
	if (constraint == NULL) {
		return;
	}
	protocols->active_constraint = constraint;
	protocols->constraint_destroy.notify = handle_constraint_destroy;
	wl_signal_add(&constraint->events.destroy, &protocols->constraint_destroy);
	wlr_pointer_constraint_v1_send_activated(constraint);
}

static void handle_new_constraint(struct wl_listener *listener, void *data) {
	struct swl_protocols *protocols = wl_container_of(listener, protocols, new_constraint);
	struct wlr_pointer_constraint_v1 *constraint = data;
	// A constraint is active while its surface has the pointer.
	if (protocols->server->seat->pointer_state.focused_surface == constraint->surface) {
		activate_constraint(protocols, constraint);
	}
}

static void handle_pointer_focus_change(struct wl_listener *listener, void *data) {
	struct swl_protocols *protocols = wl_container_of(listener, protocols, pointer_focus_change);
	struct wlr_seat_pointer_focus_change_event *event = data;
	struct wlr_pointer_constraint_v1 *constraint = NULL;
	if (event->new_surface != NULL) {
		constraint = wlr_pointer_constraints_v1_constraint_for_surface(
				protocols->pointer_constraints, event->new_surface, event->seat);
	}
	activate_constraint(protocols, constraint);
}

static void handle_new_virtual_keyboard(struct wl_listener *listener, void *data) {
	struct swl_protocols *protocols = wl_container_of(listener, protocols, new_virtual_keyboard);
	struct wlr_virtual_keyboard_v1 *keyboard = data;
	// Its keys go through the seat like the SPICE keyboard's (wtype, IMEs).
	swl_seat_add_input(protocols->server, &keyboard->input_device);
}

static void handle_new_virtual_pointer(struct wl_listener *listener, void *data) {
	struct swl_protocols *protocols = wl_container_of(listener, protocols, new_virtual_pointer);
	struct wlr_virtual_pointer_v1_new_pointer_event *event = data;
	struct wlr_input_device *device = &event->new_pointer->input_device;
	swl_seat_add_input(protocols->server, device);
	if (event->suggested_output != NULL) {
		wlr_cursor_map_input_to_output(protocols->server->cursor, device,
				event->suggested_output);
	}
}

bool swl_protocols_init(struct swl_server *server) {
	struct wl_display *display = server->display;
	struct swl_protocols *protocols = calloc(1, sizeof(*protocols));
	if (protocols == NULL) {
		return false;
	}
	protocols->server = server;
	server->protocols = protocols;

	struct wlr_presentation *presentation = wlr_presentation_create(display, server->backend);
	if (wlr_xdg_output_manager_v1_create(display, server->output_layout) == NULL ||
			wlr_viewporter_create(display) == NULL || presentation == NULL ||
			wlr_data_control_manager_v1_create(display) == NULL ||
			wlr_screencopy_manager_v1_create(display) == NULL) {
		return false;
	}
	// The scene sends presentation feedback for what each output commit shows.
	wlr_scene_set_presentation(server->scene, presentation);

	protocols->idle = wlr_idle_create(display);
	protocols->idle_inhibit = wlr_idle_inhibit_v1_create(display);
	protocols->relative_pointer = wlr_relative_pointer_manager_v1_create(display);
	protocols->pointer_constraints = wlr_pointer_constraints_v1_create(display);
	protocols->virtual_keyboard = wlr_virtual_keyboard_manager_v1_create(display);
	protocols->virtual_pointer = wlr_virtual_pointer_manager_v1_create(display);
	if (protocols->idle == NULL || protocols->idle_inhibit == NULL ||
			protocols->relative_pointer == NULL || protocols->pointer_constraints == NULL ||
			protocols->virtual_keyboard == NULL || protocols->virtual_pointer == NULL) {
		return false;
	}

	protocols->new_inhibitor.notify = handle_new_inhibitor;
	wl_signal_add(&protocols->idle_inhibit->events.new_inhibitor, &protocols->new_inhibitor);
	protocols->new_constraint.notify = handle_new_constraint;
	wl_signal_add(&protocols->pointer_constraints->events.new_constraint,
			&protocols->new_constraint);
	protocols->pointer_focus_change.notify = handle_pointer_focus_change;
	wl_signal_add(&server->seat->pointer_state.events.focus_change,
			&protocols->pointer_focus_change);
	protocols->new_virtual_keyboard.notify = handle_new_virtual_keyboard;
	wl_signal_add(&protocols->virtual_keyboard->events.new_virtual_keyboard,
			&protocols->new_virtual_keyboard);
	protocols->new_virtual_pointer.notify = handle_new_virtual_pointer;
	wl_signal_add(&protocols->virtual_pointer->events.new_virtual_pointer,
			&protocols->new_virtual_pointer);
	return true;
}

void swl_protocols_finish(struct swl_server *server) {
	struct swl_protocols *protocols = server->protocols;
	if (protocols == NULL) {
		return;
	}
	// The managers themselves go with the display.
	if (protocols->new_inhibitor.notify != NULL) {
		wl_list_remove(&protocols->new_inhibitor.link);
		wl_list_remove(&protocols->new_constraint.link);
		wl_list_remove(&protocols->pointer_focus_change.link);
		wl_list_remove(&protocols->new_virtual_keyboard.link);
		wl_list_remove(&protocols->new_virtual_pointer.link);
	}
	if (protocols->active_constraint != NULL) {
		wl_list_remove(&protocols->constraint_destroy.link);
	}
	free(protocols);
	server->protocols = NULL;
}

void swl_protocols_notify_activity(struct swl_server *server) {
	if (server->protocols != NULL) {
		wlr_idle_notify_activity(server->protocols->idle, server->seat);
	}
}

bool swl_protocols_pointer_motion(struct swl_server *server, uint32_t time_msec,
		double dx, double dy, double dx_unaccel, double dy_unaccel) {
	struct swl_protocols *protocols = server->protocols;
	if (protocols == NULL) {
		return true;
	}
	// Games and 3D apps read the motion itself, also where the cursor stops.
	wlr_relative_pointer_manager_v1_send_relative_motion(protocols->relative_pointer,
			server->seat, (uint64_t)time_msec * 1000, dx, dy, dx_unaccel, dy_unaccel);
	struct wlr_pointer_constraint_v1 *constraint = protocols->active_constraint;
	if (constraint == NULL) {
		return true;
	}
	if (constraint->type == WLR_POINTER_CONSTRAINT_V1_LOCKED) {
		return false;
	}
	// Confined: the cursor may not leave the region (surface coordinates).
	double sx = server->seat->pointer_state.sx + dx;
	double sy = server->seat->pointer_state.sy + dy;
	return pixman_region32_contains_point(&constraint->region, (int)sx, (int)sy, NULL);
}
