/*
 * wlr-foreign-toplevel-management v1: taskbars and docks list the windows
 * and act on them. Every mapped xdg and X11 toplevel has a handle while it
 * is mapped; view.c calls swl_foreign_toplevel_update whenever what a
 * taskbar shows may have changed (title, app id, states, parent, outputs).
 * A taskbar's requests go through the same window policy as the user's own
 * clicks and keys: activate focuses and raises (a minimized window comes
 * back), close asks the client, maximize, minimize and fullscreen as the
 * frame buttons and the clients' own requests do.
 */
#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_foreign_toplevel_management_v1.h>
#include <wlr/util/log.h>
#include "server.h"

struct swl_foreign_toplevel {
	struct swl_view *view;
	struct wlr_foreign_toplevel_handle_v1 *handle;

	struct wl_listener request_activate;
	struct wl_listener request_close;
	struct wl_listener request_maximize;
	struct wl_listener request_minimize;
	struct wl_listener request_fullscreen;
};

static void handle_request_activate(struct wl_listener *listener, void *data) {
	struct swl_foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_activate);
	wlr_log(WLR_DEBUG, "foreign-toplevel: activating a window");
	swl_view_focus(toplevel->view);
}

static void handle_request_close(struct wl_listener *listener, void *data) {
	struct swl_foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_close);
	toplevel->view->impl->close(toplevel->view);
}

static void handle_request_maximize(struct wl_listener *listener, void *data) {
	struct swl_foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_maximize);
	struct wlr_foreign_toplevel_handle_v1_maximized_event *event = data;
	swl_view_set_maximized(toplevel->view, event->maximized);
}

static void handle_request_minimize(struct wl_listener *listener, void *data) {
	struct swl_foreign_toplevel *toplevel = wl_container_of(listener, toplevel, request_minimize);
	struct wlr_foreign_toplevel_handle_v1_minimized_event *event = data;
	swl_view_set_minimized(toplevel->view, event->minimized);
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data) {
	struct swl_foreign_toplevel *toplevel =
			wl_container_of(listener, toplevel, request_fullscreen);
	struct wlr_foreign_toplevel_handle_v1_fullscreen_event *event = data;
	struct swl_view *view = toplevel->view;
	// Kiosk windows are always fullscreen; the output hint is moot with
	// outputs side by side: a fullscreen window covers them all.
	if (!view->server->kiosk && event->fullscreen != view->fullscreen) {
		swl_view_set_fullscreen(view, event->fullscreen);
	}
}

static bool same_string(const char *a, const char *b) {
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The outputs the window's content overlaps are the ones a taskbar shows it on. */
static void update_outputs(struct swl_foreign_toplevel *toplevel) {
	struct swl_view *view = toplevel->view;
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	struct wlr_box box = { view->x, view->y, geo.width, geo.height };
	struct swl_output *output;
	wl_list_for_each(output, &view->server->outputs, link) {
		struct wlr_output *wlr_output = output->wlr_output;
		// Both calls do nothing when the state is already so.
		if (wlr_output_layout_intersects(view->server->output_layout, wlr_output, &box)) {
			wlr_foreign_toplevel_handle_v1_output_enter(toplevel->handle, wlr_output);
		} else {
			wlr_foreign_toplevel_handle_v1_output_leave(toplevel->handle, wlr_output);
		}
	}
}

void swl_foreign_toplevel_update(struct swl_view *view) {
	struct swl_foreign_toplevel *toplevel = view->foreign_toplevel;
	if (toplevel == NULL) {
		return;
	}
	struct wlr_foreign_toplevel_handle_v1 *handle = toplevel->handle;
	// wlroots sends the title and app id every time they are set.
	const char *title = view->impl->get_title(view);
	if (title != NULL && !same_string(title, handle->title)) {
		wlr_foreign_toplevel_handle_v1_set_title(handle, title);
	}
	const char *app_id = view->impl->get_app_id(view);
	if (app_id != NULL && !same_string(app_id, handle->app_id)) {
		wlr_foreign_toplevel_handle_v1_set_app_id(handle, app_id);
	}
	// The state setters send only changes.
	wlr_foreign_toplevel_handle_v1_set_activated(handle, view->activated);
	wlr_foreign_toplevel_handle_v1_set_maximized(handle, view->maximized);
	wlr_foreign_toplevel_handle_v1_set_minimized(handle, view->minimized);
	wlr_foreign_toplevel_handle_v1_set_fullscreen(handle, view->fullscreen);
	struct swl_view *parent = view->impl->get_parent(view);
	struct swl_foreign_toplevel *parent_toplevel =
			parent != NULL ? parent->foreign_toplevel : NULL;
	wlr_foreign_toplevel_handle_v1_set_parent(
			handle, parent_toplevel != NULL ? parent_toplevel->handle : NULL);
	update_outputs(toplevel);
}

void swl_foreign_toplevel_create(struct swl_view *view) {
	struct swl_server *server = view->server;
	if (server->foreign_toplevel_manager == NULL || view->foreign_toplevel != NULL) {
		return;
	}
	struct swl_foreign_toplevel *toplevel = calloc(1, sizeof(*toplevel));
	if (toplevel == NULL) {
		return;
	}
	toplevel->handle = wlr_foreign_toplevel_handle_v1_create(server->foreign_toplevel_manager);
	if (toplevel->handle == NULL) {
		free(toplevel);
		return;
	}
	toplevel->view = view;
	toplevel->request_activate.notify = handle_request_activate;
	wl_signal_add(&toplevel->handle->events.request_activate, &toplevel->request_activate);
	toplevel->request_close.notify = handle_request_close;
	wl_signal_add(&toplevel->handle->events.request_close, &toplevel->request_close);
	toplevel->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&toplevel->handle->events.request_maximize, &toplevel->request_maximize);
	toplevel->request_minimize.notify = handle_request_minimize;
	wl_signal_add(&toplevel->handle->events.request_minimize, &toplevel->request_minimize);
	toplevel->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&toplevel->handle->events.request_fullscreen, &toplevel->request_fullscreen);
	view->foreign_toplevel = toplevel;
	swl_foreign_toplevel_update(view);
}

void swl_foreign_toplevel_destroy(struct swl_view *view) {
	struct swl_foreign_toplevel *toplevel = view->foreign_toplevel;
	if (toplevel == NULL) {
		return;
	}
	wl_list_remove(&toplevel->request_activate.link);
	wl_list_remove(&toplevel->request_close.link);
	wl_list_remove(&toplevel->request_maximize.link);
	wl_list_remove(&toplevel->request_minimize.link);
	wl_list_remove(&toplevel->request_fullscreen.link);
	// Taskbars hear `closed`; the dialogs' handles lose their parent.
	wlr_foreign_toplevel_handle_v1_destroy(toplevel->handle);
	free(toplevel);
	view->foreign_toplevel = NULL;
}

bool swl_foreign_toplevel_init(struct swl_server *server) {
	server->foreign_toplevel_manager = wlr_foreign_toplevel_manager_v1_create(server->display);
	return server->foreign_toplevel_manager != NULL;
}
