/*
 * xdg-shell windows as views, and their popups: parents (dialogs), maximize,
 * minimize, fullscreen and the client's move and resize requests (its own
 * title bar dragged) go to the window policy in view.c and seat.c.
 */
#include <stdlib.h>
#include <wlr/util/log.h>
#include "seat.h"
#include "server.h"

struct swl_xdg_view {
	struct swl_view view;
	struct wlr_xdg_surface *xdg_surface;
	bool initial_commit_seen;

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
	struct wl_listener request_fullscreen;
	struct wl_listener request_maximize;
	struct wl_listener request_minimize;
	struct wl_listener request_move;
	struct wl_listener request_resize;
	struct wl_listener set_title;
	struct wl_listener set_app_id;
};

static struct swl_xdg_view *xdg_view_from_view(struct swl_view *view) {
	struct swl_xdg_view *xdg_view = wl_container_of(view, xdg_view, view);
	return xdg_view;
}

static struct wlr_surface *xdg_get_surface(struct swl_view *view) {
	return xdg_view_from_view(view)->xdg_surface->surface;
}

static void xdg_set_activated(struct swl_view *view, bool activated) {
	wlr_xdg_toplevel_set_activated(xdg_view_from_view(view)->xdg_surface, activated);
}

static void xdg_configure(struct swl_view *view, int x, int y, int width, int height) {
	struct wlr_xdg_surface *xdg_surface = xdg_view_from_view(view)->xdg_surface;
	struct wlr_box geo;
	wlr_xdg_surface_get_geometry(xdg_surface, &geo);
	// Only a size change needs a configure; xdg clients don't know positions.
	if (width != geo.width || height != geo.height) {
		wlr_xdg_toplevel_set_size(xdg_surface, width, height);
	}
}

static void xdg_set_fullscreen(struct swl_view *view, bool fullscreen) {
	wlr_xdg_toplevel_set_fullscreen(xdg_view_from_view(view)->xdg_surface, fullscreen);
}

static void xdg_get_geometry(struct swl_view *view, struct wlr_box *box) {
	wlr_xdg_surface_get_geometry(xdg_view_from_view(view)->xdg_surface, box);
}

static struct swl_view *xdg_get_parent(struct swl_view *view) {
	struct wlr_xdg_surface *parent = xdg_view_from_view(view)->xdg_surface->toplevel->parent;
	if (parent == NULL || parent->data == NULL) {
		return NULL;
	}
	struct wlr_scene_node *node = parent->data;
	return node->data;
}

static void xdg_set_maximized(struct swl_view *view, bool maximized) {
	wlr_xdg_toplevel_set_maximized(xdg_view_from_view(view)->xdg_surface, maximized);
}

static bool xdg_is_modal(struct swl_view *view) {
	// xdg-shell in wlroots 0.15 cannot tell a modal dialog from others.
	return false;
}

static void xdg_get_min_size(struct swl_view *view, int *width, int *height) {
	struct wlr_xdg_toplevel *toplevel = xdg_view_from_view(view)->xdg_surface->toplevel;
	*width = toplevel->current.min_width;
	*height = toplevel->current.min_height;
}

static void xdg_set_resizing(struct swl_view *view, bool resizing) {
	wlr_xdg_toplevel_set_resizing(xdg_view_from_view(view)->xdg_surface, resizing);
}

static const char *xdg_get_title(struct swl_view *view) {
	return xdg_view_from_view(view)->xdg_surface->toplevel->title;
}

static const char *xdg_get_app_id(struct swl_view *view) {
	return xdg_view_from_view(view)->xdg_surface->toplevel->app_id;
}

static void xdg_close(struct swl_view *view) {
	wlr_xdg_toplevel_send_close(xdg_view_from_view(view)->xdg_surface);
}

static const struct swl_view_impl xdg_view_impl = {
	.get_surface = xdg_get_surface,
	.set_activated = xdg_set_activated,
	.configure = xdg_configure,
	.set_fullscreen = xdg_set_fullscreen,
	.get_geometry = xdg_get_geometry,
	.get_parent = xdg_get_parent,
	.set_maximized = xdg_set_maximized,
	.set_minimized = NULL,
	.is_modal = xdg_is_modal,
	.get_min_size = xdg_get_min_size,
	.set_resizing = xdg_set_resizing,
	.get_title = xdg_get_title,
	.get_app_id = xdg_get_app_id,
	.close = xdg_close,
};

static void handle_map(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, map);
	swl_view_map(&xdg_view->view, false);
}

static void handle_unmap(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, unmap);
	swl_view_unmap(&xdg_view->view);
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, destroy);
	wl_list_remove(&xdg_view->map.link);
	wl_list_remove(&xdg_view->unmap.link);
	wl_list_remove(&xdg_view->destroy.link);
	wl_list_remove(&xdg_view->commit.link);
	wl_list_remove(&xdg_view->request_fullscreen.link);
	wl_list_remove(&xdg_view->request_maximize.link);
	wl_list_remove(&xdg_view->request_minimize.link);
	wl_list_remove(&xdg_view->request_move.link);
	wl_list_remove(&xdg_view->request_resize.link);
	wl_list_remove(&xdg_view->set_title.link);
	wl_list_remove(&xdg_view->set_app_id.link);
	swl_view_finish(&xdg_view->view);
	// Its decoration objects may outlive it for a moment: they find no view.
	xdg_view->xdg_surface->data = NULL;
	free(xdg_view);
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, commit);
	// The first configure must follow the client's initial commit; sizing it
	// here folds the policy into that configure, so the client draws once.
	if (!xdg_view->initial_commit_seen) {
		xdg_view->initial_commit_seen = true;
		// wlroots 0.15 announces the surface on its first commit: states the
		// client asked for before it (weston-simple-egl -f, mpv --fs) came
		// with no listener to hear them, and wait in `requested`.
		struct wlr_xdg_toplevel_requested *requested = &xdg_view->xdg_surface->toplevel->requested;
		struct swl_view *view = &xdg_view->view;
		if (!view->server->kiosk) {
			view->fullscreen = view->fullscreen || requested->fullscreen;
			view->maximized = view->maximized || requested->maximized;
		}
		swl_view_apply_policy(view);
		return;
	}
	swl_view_size_changed(&xdg_view->view);
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, request_fullscreen);
	struct wlr_xdg_toplevel_set_fullscreen_event *event = data;
	struct swl_view *view = &xdg_view->view;
	if (view->server->kiosk) {
		// Kiosk views are always fullscreen; still answer the request.
		wlr_xdg_surface_schedule_configure(xdg_view->xdg_surface);
		return;
	}
	swl_view_set_fullscreen(view, event->fullscreen);
	if (!event->fullscreen && !view->mapped) {
		wlr_xdg_toplevel_set_size(xdg_view->xdg_surface, 0, 0);
	}
}

static void handle_request_maximize(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, request_maximize);
	struct wlr_xdg_surface *xdg_surface = xdg_view->xdg_surface;
	struct swl_view *view = &xdg_view->view;
	bool maximized = xdg_surface->toplevel->requested.maximized;
	if (!xdg_surface->configured || !view->mapped) {
		// Before the first configure: map places it maximized.
		view->maximized = maximized && !view->server->kiosk;
		if (xdg_surface->configured) {
			xdg_set_maximized(view, view->maximized);
		}
		return;
	}
	// xdg-shell requires a configure in reply even when nothing changes.
	wlr_xdg_surface_schedule_configure(xdg_surface);
	swl_view_set_maximized(view, maximized);
}

static void handle_set_title(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, set_title);
	swl_view_title_changed(&xdg_view->view);
}

static void handle_set_app_id(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, set_app_id);
	swl_view_title_changed(&xdg_view->view);
}

static void handle_request_minimize(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, request_minimize);
	swl_view_set_minimized(&xdg_view->view, true);
}

/* Move and resize come from a press on the client's title bar or border. */
static bool grab_serial_valid(struct swl_server *server, uint32_t serial) {
	return !server->kiosk && server->input->grab.mode == SWL_GRAB_NONE &&
			wlr_seat_validate_pointer_grab_serial(server->seat, NULL, serial);
}

static void handle_request_move(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, request_move);
	struct wlr_xdg_toplevel_move_event *event = data;
	struct swl_server *server = xdg_view->view.server;
	if (grab_serial_valid(server, event->serial)) {
		swl_seat_begin_grab(server, &xdg_view->view, SWL_GRAB_MOVE, 0);
	}
}

static void handle_request_resize(struct wl_listener *listener, void *data) {
	struct swl_xdg_view *xdg_view = wl_container_of(listener, xdg_view, request_resize);
	struct wlr_xdg_toplevel_resize_event *event = data;
	struct swl_server *server = xdg_view->view.server;
	if (grab_serial_valid(server, event->serial)) {
		swl_seat_begin_grab(server, &xdg_view->view, SWL_GRAB_RESIZE, event->edges);
	}
}

static struct swl_view *view_of_toplevel(struct wlr_xdg_surface *xdg_surface) {
	while (xdg_surface != NULL && xdg_surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		struct wlr_surface *parent = xdg_surface->popup->parent;
		if (parent == NULL || !wlr_surface_is_xdg_surface(parent)) {
			return NULL;
		}
		xdg_surface = wlr_xdg_surface_from_wlr_surface(parent);
	}
	if (xdg_surface == NULL || xdg_surface->data == NULL) {
		return NULL;
	}
	struct wlr_scene_node *node = xdg_surface->data;
	return node->data;
}

static void handle_new_popup(struct wlr_xdg_surface *xdg_surface) {
	// xdg-shell allows a popup without a parent (set later by other
	// protocols we don't offer): nothing to attach it to.
	struct wlr_surface *parent_surface = xdg_surface->popup->parent;
	if (parent_surface == NULL || !wlr_surface_is_xdg_surface(parent_surface)) {
		return;
	}
	struct wlr_xdg_surface *parent = wlr_xdg_surface_from_wlr_surface(parent_surface);
	if (parent == NULL || parent->data == NULL) {
		return;
	}
	struct wlr_scene_node *parent_node = parent->data;
	xdg_surface->data = wlr_scene_xdg_surface_create(parent_node, xdg_surface);

	// Keep popups on screen: the box is relative to the toplevel's origin.
	struct swl_view *view = view_of_toplevel(parent);
	if (view == NULL) {
		return;
	}
	struct wlr_box box;
	swl_output_layout_box(view->server, &box);
	box.x -= view->x;
	box.y -= view->y;
	wlr_xdg_popup_unconstrain_from_box(xdg_surface->popup, &box);
}

void swl_xdg_handle_new_surface(struct wl_listener *listener, void *data) {
	struct swl_server *server = wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;

	if (xdg_surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		handle_new_popup(xdg_surface);
		return;
	}
	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL) {
		return;
	}

	struct swl_xdg_view *xdg_view = calloc(1, sizeof(*xdg_view));
	if (xdg_view == NULL) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	struct wlr_scene_node *node =
			wlr_scene_xdg_surface_create(&server->view_tree->node, xdg_surface);
	if (node == NULL) {
		free(xdg_view);
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	xdg_view->xdg_surface = xdg_surface;
	xdg_surface->data = node;
	swl_view_init(&xdg_view->view, server, &xdg_view_impl, node);

	xdg_view->map.notify = handle_map;
	wl_signal_add(&xdg_surface->events.map, &xdg_view->map);
	xdg_view->unmap.notify = handle_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &xdg_view->unmap);
	xdg_view->destroy.notify = handle_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &xdg_view->destroy);
	xdg_view->commit.notify = handle_commit;
	wl_signal_add(&xdg_surface->surface->events.commit, &xdg_view->commit);
	xdg_view->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(
			&xdg_surface->toplevel->events.request_fullscreen, &xdg_view->request_fullscreen);
	xdg_view->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&xdg_surface->toplevel->events.request_maximize, &xdg_view->request_maximize);
	xdg_view->request_minimize.notify = handle_request_minimize;
	wl_signal_add(&xdg_surface->toplevel->events.request_minimize, &xdg_view->request_minimize);
	xdg_view->request_move.notify = handle_request_move;
	wl_signal_add(&xdg_surface->toplevel->events.request_move, &xdg_view->request_move);
	xdg_view->request_resize.notify = handle_request_resize;
	wl_signal_add(&xdg_surface->toplevel->events.request_resize, &xdg_view->request_resize);
	xdg_view->set_title.notify = handle_set_title;
	wl_signal_add(&xdg_surface->toplevel->events.set_title, &xdg_view->set_title);
	xdg_view->set_app_id.notify = handle_set_app_id;
	wl_signal_add(&xdg_surface->toplevel->events.set_app_id, &xdg_view->set_app_id);
}
