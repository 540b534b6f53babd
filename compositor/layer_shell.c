/*
 * wlr-layer-shell: panels, docks, launchers, notifications and wallpapers.
 * Each layer is a scene tree: background and bottom below the windows, top
 * above them, overlay above X11 menus too. Surfaces are arranged per output
 * as sway does (layer_arrange.c); their exclusive zones shrink the output's
 * usable area, which the window policy reads through swl_output_usable_area.
 */
#include <stdlib.h>
#include <wlr/types/wlr_layer_shell_v1.h>
#include <wlr/util/log.h>
#include "layer_arrange.h"
#include "server.h"

#define LAYER_COUNT 4 // background, bottom, top, overlay

struct swl_layer_shell {
	struct swl_server *server;
	struct wlr_layer_shell_v1 *shell;
	struct wlr_scene_tree *trees[LAYER_COUNT];
	struct wl_list surfaces; // swl_layer_surface.link
	bool arranging; // a surface closed while arranging needs no new pass
	struct wl_listener new_surface;
};

struct swl_layer_surface {
	struct swl_layer_shell *layers;
	struct wlr_layer_surface_v1 *layer_surface;
	struct wlr_scene_node *node; // a tree holding the surface and its subsurfaces
	struct wl_list link;
	struct wlr_box geometry; // layout coordinates, once arranged
	enum zwlr_layer_shell_v1_layer layer; // the tree node is in

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
	struct wl_listener new_popup;
};

static struct swl_output *output_of(struct swl_server *server, struct wlr_output *wlr_output) {
	struct swl_output *output;
	wl_list_for_each(output, &server->outputs, link) {
		if (output->wlr_output == wlr_output) {
			return output;
		}
	}
	return NULL;
}

static void arrange_pass(struct swl_layer_shell *layers, struct swl_output *output,
		const struct wlr_box *where, struct swl_layer_rect *usable, bool exclusive) {
	struct swl_layer_rect full = { where->x, where->y, where->width, where->height };
	// Upper layers claim their zones first, as in sway.
	for (int layer = LAYER_COUNT - 1; layer >= 0; layer--) {
		struct swl_layer_surface *surface, *tmp;
		wl_list_for_each_safe(surface, tmp, &layers->surfaces, link) {
			struct wlr_layer_surface_v1 *ls = surface->layer_surface;
			struct wlr_layer_surface_v1_state *state = &ls->current;
			if (ls->output != output->wlr_output || (int)state->layer != layer ||
					(state->exclusive_zone > 0) != exclusive) {
				continue;
			}
			struct swl_layer_request request = {
				.anchor = state->anchor,
				.exclusive_zone = state->exclusive_zone,
				.margin_top = state->margin.top,
				.margin_right = state->margin.right,
				.margin_bottom = state->margin.bottom,
				.margin_left = state->margin.left,
				.width = state->desired_width,
				.height = state->desired_height,
			};
			struct swl_layer_rect box;
			if (!swl_layer_arrange(&request, &full, usable, &box)) {
				wlr_log(WLR_INFO, "layer surface %s does not fit its output: closed",
						ls->namespace);
				wlr_layer_surface_v1_destroy(ls);
				continue;
			}
			surface->geometry = (struct wlr_box){ box.x, box.y, box.width, box.height };
			wlr_scene_node_set_position(surface->node, box.x, box.y);
			wlr_layer_surface_v1_configure(ls, box.width, box.height);
		}
	}
}

/* Places every layer surface of output and computes its usable area. */
static void arrange_output(struct swl_layer_shell *layers, struct swl_output *output) {
	struct wlr_box *where =
			wlr_output_layout_get_box(layers->server->output_layout, output->wlr_output);
	if (where == NULL) {
		return;
	}
	struct swl_layer_rect usable = { where->x, where->y, where->width, where->height };
	layers->arranging = true;
	arrange_pass(layers, output, where, &usable, true);
	arrange_pass(layers, output, where, &usable, false);
	layers->arranging = false;
	struct wlr_box area = { usable.x, usable.y, usable.width, usable.height };
	if (area.x != output->usable_area.x || area.y != output->usable_area.y ||
			area.width != output->usable_area.width ||
			area.height != output->usable_area.height) {
		output->usable_area = area;
		swl_views_arrange_later(layers->server);
	}
}

void swl_layers_arrange(struct swl_server *server) {
	struct swl_layer_shell *layers = server->layers;
	if (layers == NULL) {
		return;
	}
	struct swl_output *output;
	wl_list_for_each(output, &server->outputs, link) {
		arrange_output(layers, output);
	}
}

void swl_output_usable_area(struct swl_server *server, double lx, double ly, struct wlr_box *box) {
	struct wlr_output *wlr_output =
			wlr_output_layout_output_at(server->output_layout, lx, ly);
	struct swl_output *output = wlr_output != NULL ? output_of(server, wlr_output) : NULL;
	if (output == NULL && !wl_list_empty(&server->outputs)) {
		output = wl_container_of(server->outputs.next, output, link);
	}
	if (output == NULL || output->usable_area.width <= 0 || output->usable_area.height <= 0) {
		swl_output_layout_box(server, box);
		return;
	}
	*box = output->usable_area;
}

void swl_output_usable_box(struct swl_server *server, struct wlr_box *box) {
	swl_output_layout_box(server, box);
	struct swl_layer_rect layout = { box->x, box->y, box->width, box->height };
	struct swl_layer_zones zones = { 0 };
	struct swl_output *output;
	wl_list_for_each(output, &server->outputs, link) {
		struct wlr_box *out = wlr_output_layout_get_box(server->output_layout, output->wlr_output);
		if (out != NULL) {
			const struct wlr_box *use = &output->usable_area;
			swl_layer_zones_add(&zones, &layout,
					&(struct swl_layer_rect){ out->x, out->y, out->width, out->height },
					&(struct swl_layer_rect){ use->x, use->y, use->width, use->height });
		}
	}
	swl_layer_zones_trim(&zones, &layout);
	*box = (struct wlr_box){ layout.x, layout.y, layout.width, layout.height };
}

static void focus_layer(struct swl_server *server, struct wlr_layer_surface_v1 *ls) {
	if (ls->current.keyboard_interactive == ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_NONE) {
		return;
	}
	swl_seat_focus_surface(server, ls->surface);
}

static void focus_topmost_view(struct swl_server *server) {
	struct swl_view *view;
	wl_list_for_each(view, &server->views, link) {
		if (view->mapped) {
			swl_view_focus(view);
			return;
		}
	}
	wlr_seat_keyboard_notify_clear_focus(server->seat);
}

static void handle_map(struct wl_listener *listener, void *data) {
	struct swl_layer_surface *surface = wl_container_of(listener, surface, map);
	struct wlr_layer_surface_v1 *ls = surface->layer_surface;
	wlr_scene_node_set_enabled(surface->node, true);
	// A launcher asks for the keyboard exclusively and gets it at once.
	if (ls->current.keyboard_interactive ==
					ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_EXCLUSIVE &&
			ls->current.layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP) {
		focus_layer(surface->layers->server, ls);
	}
}

static void handle_unmap(struct wl_listener *listener, void *data) {
	struct swl_layer_surface *surface = wl_container_of(listener, surface, unmap);
	struct swl_server *server = surface->layers->server;
	wlr_scene_node_set_enabled(surface->node, false);
	if (server->seat->keyboard_state.focused_surface == surface->layer_surface->surface) {
		focus_topmost_view(server);
	}
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct swl_layer_surface *surface = wl_container_of(listener, surface, commit);
	struct wlr_layer_surface_v1 *ls = surface->layer_surface;
	struct swl_layer_shell *layers = surface->layers;
	struct swl_output *output = output_of(layers->server, ls->output);
	if (output == NULL) {
		return;
	}
	if (ls->current.layer != surface->layer) {
		surface->layer = ls->current.layer;
		wlr_scene_node_reparent(surface->node, &layers->trees[surface->layer]->node);
	}
	// The first commit asks for a configure; later ones may move others.
	if (ls->current.committed != 0 || !ls->configured) {
		arrange_output(layers, output);
	}
}

static void handle_new_popup(struct wl_listener *listener, void *data) {
	struct swl_layer_surface *surface = wl_container_of(listener, surface, new_popup);
	struct wlr_xdg_popup *popup = data;
	struct wlr_scene_node *node = wlr_scene_xdg_surface_create(surface->node, popup->base);
	if (node == NULL) {
		return;
	}
	// Nested popups find their parent's node here (xdg_shell.c).
	popup->base->data = node;
	// Keep the popup on the output: the box is relative to the layer surface.
	struct swl_server *server = surface->layers->server;
	struct wlr_box *where = surface->layer_surface->output != NULL ?
			wlr_output_layout_get_box(server->output_layout, surface->layer_surface->output) :
			NULL;
	if (where != NULL) {
		struct wlr_box box = {
			.x = where->x - surface->geometry.x,
			.y = where->y - surface->geometry.y,
			.width = where->width,
			.height = where->height,
		};
		wlr_xdg_popup_unconstrain_from_box(popup, &box);
	}
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_layer_surface *surface = wl_container_of(listener, surface, destroy);
	struct swl_layer_shell *layers = surface->layers;
	struct swl_output *output = output_of(layers->server, surface->layer_surface->output);
	wl_list_remove(&surface->map.link);
	wl_list_remove(&surface->unmap.link);
	wl_list_remove(&surface->destroy.link);
	wl_list_remove(&surface->commit.link);
	wl_list_remove(&surface->new_popup.link);
	wl_list_remove(&surface->link);
	wlr_scene_node_destroy(surface->node);
	free(surface);
	// Its exclusive zone is free again.
	if (output != NULL && !layers->arranging && !layers->server->shutting_down) {
		arrange_output(layers, output);
	}
}

static void handle_new_surface(struct wl_listener *listener, void *data) {
	struct swl_layer_shell *layers = wl_container_of(listener, layers, new_surface);
	struct swl_server *server = layers->server;
	struct wlr_layer_surface_v1 *ls = data;
	if (ls->output == NULL) {
		// The client lets us choose: the head under the pointer.
		ls->output = wlr_output_layout_output_at(
				server->output_layout, server->cursor->x, server->cursor->y);
		if (ls->output == NULL && !wl_list_empty(&server->outputs)) {
			struct swl_output *first = wl_container_of(server->outputs.next, first, link);
			ls->output = first->wlr_output;
		}
	}
	if (ls->output == NULL || ls->pending.layer >= LAYER_COUNT) {
		wlr_layer_surface_v1_destroy(ls);
		return;
	}
	struct swl_layer_surface *surface = calloc(1, sizeof(*surface));
	if (surface == NULL) {
		wlr_layer_surface_v1_destroy(ls);
		return;
	}
	surface->layer = ls->pending.layer;
	surface->node = wlr_scene_subsurface_tree_create(
			&layers->trees[surface->layer]->node, ls->surface);
	if (surface->node == NULL) {
		free(surface);
		wlr_layer_surface_v1_destroy(ls);
		return;
	}
	wlr_scene_node_set_enabled(surface->node, false);
	surface->layers = layers;
	surface->layer_surface = ls;
	ls->data = surface;
	// Oldest first: a new panel goes after those already there.
	wl_list_insert(layers->surfaces.prev, &surface->link);

	surface->map.notify = handle_map;
	wl_signal_add(&ls->events.map, &surface->map);
	surface->unmap.notify = handle_unmap;
	wl_signal_add(&ls->events.unmap, &surface->unmap);
	surface->destroy.notify = handle_destroy;
	wl_signal_add(&ls->events.destroy, &surface->destroy);
	surface->commit.notify = handle_commit;
	wl_signal_add(&ls->surface->events.commit, &surface->commit);
	surface->new_popup.notify = handle_new_popup;
	wl_signal_add(&ls->events.new_popup, &surface->new_popup);
}

bool swl_layers_init(struct swl_server *server) {
	struct swl_layer_shell *layers = calloc(1, sizeof(*layers));
	if (layers == NULL) {
		return false;
	}
	layers->server = server;
	server->layers = layers;
	wl_list_init(&layers->surfaces);
	for (int i = 0; i < LAYER_COUNT; i++) {
		layers->trees[i] = wlr_scene_tree_create(&server->scene->node);
		if (layers->trees[i] == NULL) {
			return false;
		}
	}
	struct wlr_scene_node *views = &server->view_tree->node;
	wlr_scene_node_place_below(&layers->trees[ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND]->node, views);
	wlr_scene_node_place_below(&layers->trees[ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM]->node, views);
	wlr_scene_node_place_above(&layers->trees[ZWLR_LAYER_SHELL_V1_LAYER_TOP]->node, views);
	// Overlay (notifications, lock screens) goes above everything.
	wlr_scene_node_raise_to_top(&layers->trees[ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY]->node);

	layers->shell = wlr_layer_shell_v1_create(server->display);
	if (layers->shell == NULL) {
		return false;
	}
	layers->new_surface.notify = handle_new_surface;
	wl_signal_add(&layers->shell->events.new_surface, &layers->new_surface);
	return true;
}

void swl_layers_finish(struct swl_server *server) {
	struct swl_layer_shell *layers = server->layers;
	if (layers == NULL) {
		return;
	}
	// Layer surfaces went with their clients; the trees go with the scene.
	if (layers->new_surface.notify != NULL) {
		wl_list_remove(&layers->new_surface.link);
	}
	free(layers);
	server->layers = NULL;
}

void swl_layers_output_destroyed(struct swl_server *server, struct swl_output *output) {
	struct swl_layer_shell *layers = server->layers;
	if (layers == NULL) {
		return;
	}
	// Panels on a head that goes are closed; they may ask again for another.
	struct swl_layer_surface *surface, *tmp;
	wl_list_for_each_safe(surface, tmp, &layers->surfaces, link) {
		if (surface->layer_surface->output == output->wlr_output) {
			surface->layer_surface->output = NULL;
			wlr_layer_surface_v1_destroy(surface->layer_surface);
		}
	}
}

bool swl_layers_click_focus(struct swl_server *server, struct wlr_surface *surface) {
	if (surface == NULL || !wlr_surface_is_layer_surface(surface)) {
		return false;
	}
	struct wlr_layer_surface_v1 *ls = wlr_layer_surface_v1_from_wlr_surface(surface);
	if (ls == NULL) {
		return false;
	}
	focus_layer(server, ls);
	return true;
}
