/*
 * Views: xdg toplevels and their popups in the scene, under two policies.
 * Kiosk: every toplevel fills the outputs, newest on top and focused.
 * Desktop: toplevels keep their own size, cascade, click focuses and raises.
 */
#include <stdlib.h>
#include <wlr/util/log.h>
#include "server.h"

#define CASCADE_STEP 32

static void view_configure_policy(struct swl_view *view) {
	struct swl_server *server = view->server;
	struct wlr_box box;
	swl_output_layout_box(server, &box);
	if (server->kiosk) {
		view->x = box.x;
		view->y = box.y;
		wlr_xdg_toplevel_set_fullscreen(view->xdg_surface, true);
		wlr_xdg_toplevel_set_size(view->xdg_surface, box.width, box.height);
		wlr_scene_node_set_position(view->scene_node, view->x, view->y);
	}
}

void swl_views_arrange(struct swl_server *server) {
	struct swl_view *view;
	wl_list_for_each(view, &server->views, link) {
		view_configure_policy(view);
	}
}

void swl_view_focus(struct swl_view *view) {
	if (view == NULL) {
		return;
	}
	struct swl_server *server = view->server;
	struct wlr_seat *seat = server->seat;
	struct wlr_surface *surface = view->xdg_surface->surface;
	struct wlr_surface *prev = seat->keyboard_state.focused_surface;
	if (prev == surface) {
		return;
	}
	if (prev != NULL && wlr_surface_is_xdg_surface(prev)) {
		struct wlr_xdg_surface *prev_xdg = wlr_xdg_surface_from_wlr_surface(prev);
		if (prev_xdg != NULL && prev_xdg->role == WLR_XDG_SURFACE_ROLE_TOPLEVEL) {
			wlr_xdg_toplevel_set_activated(prev_xdg, false);
		}
	}
	wlr_scene_node_raise_to_top(view->scene_node);
	wl_list_remove(&view->link);
	wl_list_insert(&server->views, &view->link);
	wlr_xdg_toplevel_set_activated(view->xdg_surface, true);

	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat);
	if (keyboard != NULL) {
		wlr_seat_keyboard_notify_enter(seat, surface, keyboard->keycodes,
			keyboard->num_keycodes, &keyboard->modifiers);
	} else {
		wlr_seat_keyboard_notify_enter(seat, surface, NULL, 0, NULL);
	}
}

struct swl_view *swl_view_at(struct swl_server *server, double lx, double ly,
		struct wlr_surface **surface, double *sx, double *sy) {
	struct wlr_scene_node *node = wlr_scene_node_at(&server->view_tree->node, lx, ly, sx, sy);
	if (node == NULL || node->type != WLR_SCENE_NODE_SURFACE) {
		return NULL;
	}
	*surface = wlr_scene_surface_from_node(node)->surface;
	// Walk up to the view's tree node, which carries the view as data.
	while (node != NULL && node->data == NULL) {
		node = node->parent;
	}
	return node != NULL ? node->data : NULL;
}

static struct swl_view *topmost_mapped(struct swl_server *server) {
	struct swl_view *view;
	wl_list_for_each(view, &server->views, link) {
		if (view->mapped) {
			return view;
		}
	}
	return NULL;
}

static void handle_map(struct wl_listener *listener, void *data) {
	struct swl_view *view = wl_container_of(listener, view, map);
	struct swl_server *server = view->server;
	view->mapped = true;
	if (!server->kiosk) {
		struct wlr_box box;
		swl_output_layout_box(server, &box);
		struct wlr_box geo;
		wlr_xdg_surface_get_geometry(view->xdg_surface, &geo);
		// The first window is centred, later ones cascade from there.
		int n = (wl_list_length(&server->views) - 1) % 8;
		int x = box.x + (box.width - geo.width) / 2 + n * CASCADE_STEP;
		int y = box.y + (box.height - geo.height) / 2 + n * CASCADE_STEP;
		view->x = x < box.x ? box.x : x;
		view->y = y < box.y ? box.y : y;
		wlr_scene_node_set_position(view->scene_node, view->x - geo.x, view->y - geo.y);
	}
	wlr_scene_node_set_enabled(view->scene_node, true);
	swl_view_focus(view);
}

static void handle_unmap(struct wl_listener *listener, void *data) {
	struct swl_view *view = wl_container_of(listener, view, unmap);
	struct swl_server *server = view->server;
	view->mapped = false;
	wlr_scene_node_set_enabled(view->scene_node, false);
	if (server->seat->keyboard_state.focused_surface == view->xdg_surface->surface) {
		wlr_seat_keyboard_notify_clear_focus(server->seat);
		swl_view_focus(topmost_mapped(server));
	}
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_view *view = wl_container_of(listener, view, destroy);
	wl_list_remove(&view->map.link);
	wl_list_remove(&view->unmap.link);
	wl_list_remove(&view->destroy.link);
	wl_list_remove(&view->request_fullscreen.link);
	wl_list_remove(&view->request_maximize.link);
	wl_list_remove(&view->commit.link);
	wl_list_remove(&view->link);
	free(view);
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct swl_view *view = wl_container_of(listener, view, commit);
	// The first configure must follow the client's initial commit; sizing it
	// here folds the policy into that configure, so the client draws once.
	if (!view->initial_commit_seen) {
		view->initial_commit_seen = true;
		view_configure_policy(view);
	}
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data) {
	struct swl_view *view = wl_container_of(listener, view, request_fullscreen);
	struct wlr_xdg_toplevel_set_fullscreen_event *event = data;
	if (view->server->kiosk) {
		// Kiosk views are always fullscreen; still answer the request.
		wlr_xdg_surface_schedule_configure(view->xdg_surface);
		return;
	}
	struct wlr_box box;
	swl_output_layout_box(view->server, &box);
	wlr_xdg_toplevel_set_fullscreen(view->xdg_surface, event->fullscreen);
	if (event->fullscreen) {
		view->x = box.x;
		view->y = box.y;
		wlr_xdg_toplevel_set_size(view->xdg_surface, box.width, box.height);
		wlr_scene_node_set_position(view->scene_node, box.x, box.y);
	} else {
		wlr_xdg_toplevel_set_size(view->xdg_surface, 0, 0);
	}
}

static void handle_request_maximize(struct wl_listener *listener, void *data) {
	struct swl_view *view = wl_container_of(listener, view, request_maximize);
	// xdg-shell requires a configure in reply even when nothing changes.
	wlr_xdg_surface_schedule_configure(view->xdg_surface);
}

static void handle_new_popup_surface(struct wlr_xdg_surface *xdg_surface) {
	struct wlr_xdg_surface *parent = wlr_xdg_surface_from_wlr_surface(xdg_surface->popup->parent);
	if (parent == NULL) {
		return;
	}
	struct wlr_scene_node *parent_node = parent->data;
	xdg_surface->data = wlr_scene_xdg_surface_create(parent_node, xdg_surface);

	// Keep popups on screen: the box is relative to the toplevel's origin.
	struct wlr_xdg_surface *top = parent;
	while (top->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		top = wlr_xdg_surface_from_wlr_surface(top->popup->parent);
	}
	struct swl_view *view = top->data != NULL ? ((struct wlr_scene_node *)top->data)->data : NULL;
	if (view == NULL) {
		return;
	}
	struct wlr_box box;
	swl_output_layout_box(view->server, &box);
	box.x -= view->x;
	box.y -= view->y;
	wlr_xdg_popup_unconstrain_from_box(xdg_surface->popup, &box);
}

void swl_view_handle_new_xdg_surface(struct wl_listener *listener, void *data) {
	struct swl_server *server = wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;

	if (xdg_surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		handle_new_popup_surface(xdg_surface);
		return;
	}
	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL) {
		return;
	}

	struct swl_view *view = calloc(1, sizeof(*view));
	if (view == NULL) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view->server = server;
	view->xdg_surface = xdg_surface;
	view->scene_node = wlr_scene_xdg_surface_create(&server->view_tree->node, xdg_surface);
	if (view->scene_node == NULL) {
		free(view);
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view->scene_node->data = view;
	xdg_surface->data = view->scene_node;
	wlr_scene_node_set_enabled(view->scene_node, false);

	view->map.notify = handle_map;
	wl_signal_add(&xdg_surface->events.map, &view->map);
	view->unmap.notify = handle_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &view->unmap);
	view->destroy.notify = handle_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &view->destroy);
	view->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&xdg_surface->toplevel->events.request_fullscreen, &view->request_fullscreen);
	view->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&xdg_surface->toplevel->events.request_maximize, &view->request_maximize);
	view->commit.notify = handle_commit;
	wl_signal_add(&xdg_surface->surface->events.commit, &view->commit);
	wl_list_insert(&server->views, &view->link);
}
