/*
 * Views: the window policy common to xdg-shell and X11 windows.
 * Kiosk: every toplevel fills the outputs, newest on top and focused.
 * Desktop: windows keep their size, new ones are centred and cascade (or go
 * where they asked), a click focuses and raises.
 */
#include <stdlib.h>
#include <wlr/util/log.h>
#include "server.h"

#define CASCADE_STEP 32

void swl_view_init(struct swl_view *view, struct swl_server *server,
		const struct swl_view_impl *impl, struct wlr_scene_node *scene_node) {
	view->server = server;
	view->impl = impl;
	view->scene_node = scene_node;
	scene_node->data = view;
	wlr_scene_node_set_enabled(scene_node, false);
	wl_list_insert(&server->views, &view->link);
}

void swl_view_finish(struct swl_view *view) {
	wl_list_remove(&view->link);
}

void swl_view_move(struct swl_view *view, int x, int y) {
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	if (view->mapped && (x != view->x || y != view->y)) {
		// The SPICE client can move what it already shows of the window.
		struct wlr_box box = { x, y, geo.width, geo.height };
		swl_outputs_hint_move(view->server, &box, x - view->x, y - view->y);
	}
	view->x = x;
	view->y = y;
	// The scene node holds the surface; its content starts geo.x/y inside.
	wlr_scene_node_set_position(view->scene_node, x - geo.x, y - geo.y);
}

void swl_view_set_fullscreen(struct swl_view *view, bool fullscreen) {
	struct wlr_box box;
	swl_output_layout_box(view->server, &box);
	view->fullscreen = fullscreen;
	view->impl->set_fullscreen(view, fullscreen);
	if (fullscreen) {
		view->impl->configure(view, box.x, box.y, box.width, box.height);
		swl_view_move(view, box.x, box.y);
	}
}

void swl_view_apply_policy(struct swl_view *view) {
	if (view->server->kiosk || view->fullscreen) {
		swl_view_set_fullscreen(view, true);
	}
}

void swl_views_arrange(struct swl_server *server) {
	struct swl_view *view;
	wl_list_for_each(view, &server->views, link) {
		swl_view_apply_policy(view);
	}
}

static void handle_arrange_idle(void *data) {
	struct swl_server *server = data;
	server->arrange_idle = NULL;
	swl_views_arrange(server);
}

void swl_views_arrange_later(struct swl_server *server) {
	// Outputs going away at shutdown need no new arrangement.
	if (server->arrange_idle == NULL && !server->shutting_down) {
		server->arrange_idle = wl_event_loop_add_idle(server->loop, handle_arrange_idle, server);
	}
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

void swl_view_map(struct swl_view *view, bool has_position) {
	struct swl_server *server = view->server;
	view->mapped = true;
	if (server->kiosk || view->fullscreen) {
		swl_view_set_fullscreen(view, true);
	} else if (!has_position) {
		struct wlr_box box;
		swl_output_layout_box(server, &box);
		struct wlr_box geo;
		view->impl->get_geometry(view, &geo);
		// The first window is centred, later ones cascade from there.
		int n = (wl_list_length(&server->views) - 1) % 8;
		int x = box.x + (box.width - geo.width) / 2 + n * CASCADE_STEP;
		int y = box.y + (box.height - geo.height) / 2 + n * CASCADE_STEP;
		swl_view_move(view, x < box.x ? box.x : x, y < box.y ? box.y : y);
		view->impl->configure(view, view->x, view->y, geo.width, geo.height);
	}
	wlr_scene_node_set_enabled(view->scene_node, true);
	swl_view_focus(view);
}

void swl_view_unmap(struct swl_view *view) {
	struct swl_server *server = view->server;
	view->mapped = false;
	wlr_scene_node_set_enabled(view->scene_node, false);
	struct wlr_surface *surface = view->impl->get_surface(view);
	if (surface != NULL && server->seat->keyboard_state.focused_surface == surface) {
		wlr_seat_keyboard_notify_clear_focus(server->seat);
		swl_view_focus(topmost_mapped(server));
	}
}

static struct swl_view *view_from_surface(struct swl_server *server, struct wlr_surface *surface) {
	struct swl_view *view;
	wl_list_for_each(view, &server->views, link) {
		if (view->impl->get_surface(view) == surface) {
			return view;
		}
	}
	return NULL;
}

void swl_seat_focus_surface(struct swl_server *server, struct wlr_surface *surface) {
	struct wlr_seat *seat = server->seat;
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat);
	if (keyboard != NULL) {
		wlr_seat_keyboard_notify_enter(
				seat, surface, keyboard->keycodes, keyboard->num_keycodes, &keyboard->modifiers);
	} else {
		wlr_seat_keyboard_notify_enter(seat, surface, NULL, 0, NULL);
	}
}

void swl_view_focus(struct swl_view *view) {
	if (view == NULL || !view->mapped) {
		return;
	}
	struct swl_server *server = view->server;
	struct wlr_surface *surface = view->impl->get_surface(view);
	struct wlr_surface *prev = server->seat->keyboard_state.focused_surface;

	wlr_scene_node_raise_to_top(view->scene_node);
	wl_list_remove(&view->link);
	wl_list_insert(&server->views, &view->link);
	if (prev == surface || surface == NULL) {
		return;
	}
	struct swl_view *prev_view = prev != NULL ? view_from_surface(server, prev) : NULL;
	if (prev_view != NULL) {
		prev_view->impl->set_activated(prev_view, false);
	}
	view->impl->set_activated(view, true);
	swl_seat_focus_surface(server, surface);
}

struct swl_view *swl_view_at(struct swl_server *server, double lx, double ly,
		struct wlr_surface **surface, double *sx, double *sy) {
	*surface = NULL;
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->node, lx, ly, sx, sy);
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
