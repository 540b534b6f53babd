/*
 * Views: the window policy common to xdg-shell and X11 windows.
 * Kiosk: every toplevel fills the outputs, newest on top and focused.
 * Desktop: windows keep their size but always fit on the screen with their
 * top on it; new ones are centred and cascade (dialogs centre on their
 * parent, or go where they asked); a click focuses and raises, and a
 * window's dialogs and transients always stay above it. Maximize, minimize
 * (back through Alt+Tab) and fullscreen save and restore the window's box.
 * A window with a server-side frame keeps its title bar on the screen too.
 */
#include <stdlib.h>
#include <wlr/util/log.h>
#include "decoration.h"
#include "placement.h"
#include "seat.h"
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
	swl_seat_end_grab(view->server, view);
	swl_decoration_destroy(view->decoration);
	view->decoration = NULL;
	swl_foreign_toplevel_destroy(view);
	wl_list_remove(&view->link);
}

/* Where floating windows go: the screen less the panels' zones. */
static struct swl_rect layout_area(struct swl_server *server) {
	struct wlr_box box;
	swl_output_usable_box(server, &box);
	return (struct swl_rect){ box.x, box.y, box.width, box.height };
}

static struct swl_rect view_rect(struct swl_view *view) {
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	return (struct swl_rect){ view->x, view->y, geo.width, geo.height };
}

static bool is_floating(struct swl_view *view) {
	return !view->server->kiosk && !view->fullscreen && !view->maximized;
}

int swl_view_title_height(struct swl_view *view) {
	bool shown = view->decoration != NULL && !view->server->kiosk && !view->fullscreen;
	return shown ? SWL_FRAME_TITLE_HEIGHT : 0;
}

/*
 * Where a maximized window's content goes: its output less the panels'
 * exclusive zones (layer-shell), below its title bar.
 */
static void maximized_box(struct swl_view *view, struct wlr_box *box) {
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	swl_output_usable_area(
			view->server, view->x + geo.width / 2.0, view->y + geo.height / 2.0, box);
	int top = swl_view_title_height(view);
	box->y += top;
	box->height -= top;
}

void swl_view_move(struct swl_view *view, int x, int y) {
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	if (view->mapped && (x != view->x || y != view->y)) {
		// The SPICE client can move what it already shows of the window,
		// its frame included.
		int top = swl_view_title_height(view);
		int border = top > 0 && !view->maximized ? SWL_FRAME_BORDER : 0;
		struct wlr_box box = { x - border, y - top, geo.width + 2 * border,
			geo.height + top + border };
		swl_outputs_hint_move(view->server, &box, x - view->x, y - view->y);
	}
	view->x = x;
	view->y = y;
	// The node is the geometry's origin: wlroots' xdg scene tree already
	// shifts the surface by the geometry's offset (the client's shadow).
	wlr_scene_node_set_position(view->scene_node, x, y);
	swl_decoration_update(view->decoration);
	// Every maximize, fullscreen and restore ends here: taskbars see the state.
	swl_foreign_toplevel_update(view);
}

/*
 * Keeps a floating window on the screen: one too big is asked to shrink
 * (shrink), and it goes where all of it, or at least its top-left, shows.
 */
static void place_on_screen(struct swl_view *view, struct swl_rect win, bool shrink) {
	struct swl_rect area = layout_area(view->server);
	// What the client drew is what the next size change is compared with.
	struct swl_rect drawn = view_rect(view);
	int top = swl_view_title_height(view);
	int width = win.width, height = win.height;
	swl_place_fit_size(&area, top, &width, &height);
	if (shrink && (width != win.width || height != win.height)) {
		wlr_log(WLR_DEBUG, "window %dx%d does not fit: asking for %dx%d", win.width,
				win.height, width, height);
		win.width = width;
		win.height = height;
		view->impl->configure(view, win.x, win.y, width, height);
	}
	swl_place_clamp(&area, top, &win);
	swl_view_move(view, win.x, win.y);
	view->width = drawn.width;
	view->height = drawn.height;
}

/* Where a window of win's size goes in an interactive resize. */
static void resize_anchor(const struct swl_resize *resize, struct swl_rect *win) {
	win->x = resize->start.x;
	win->y = resize->start.y;
	if (resize->edges & SWL_EDGE_LEFT) {
		win->x = resize->start.x + resize->start.width - win->width;
	}
	if (resize->edges & SWL_EDGE_TOP) {
		win->y = resize->start.y + resize->start.height - win->height;
	}
}

static void save_box(struct swl_view *view) {
	// Maximize and fullscreen end what is left of an interactive resize.
	view->resize.pending = false;
	if (!is_floating(view) || view->has_saved) {
		return;
	}
	struct swl_rect r = view_rect(view);
	view->saved = (struct wlr_box){ r.x, r.y, r.width, r.height };
	view->has_saved = true;
}

/* Back to the box saved before maximize or fullscreen, kept on the screen. */
static void restore_box(struct swl_view *view) {
	struct swl_rect win = view_rect(view);
	if (view->has_saved) {
		win = (struct swl_rect){ view->saved.x, view->saved.y, view->saved.width,
			view->saved.height };
		view->has_saved = false;
	}
	view->impl->configure(view, win.x, win.y, win.width, win.height);
	place_on_screen(view, win, true);
}

void swl_view_set_fullscreen(struct swl_view *view, bool fullscreen) {
	struct wlr_box box;
	swl_output_layout_box(view->server, &box);
	if (fullscreen) {
		save_box(view);
	}
	bool was = view->fullscreen;
	view->fullscreen = fullscreen;
	view->impl->set_fullscreen(view, fullscreen);
	if (fullscreen) {
		view->impl->configure(view, box.x, box.y, box.width, box.height);
		swl_view_move(view, box.x, box.y);
	} else if (was && !view->server->kiosk) {
		if (view->maximized) {
			view->maximized = false;
			swl_view_set_maximized(view, true);
		} else {
			restore_box(view);
		}
	}
}

/* Tells the client it is maximized and gives it the maximized box. */
static void fill_maximized(struct swl_view *view) {
	struct wlr_box box;
	maximized_box(view, &box);
	view->impl->set_maximized(view, true);
	view->impl->configure(view, box.x, box.y, box.width, box.height);
	swl_view_move(view, box.x, box.y);
}

void swl_view_set_maximized(struct swl_view *view, bool maximized) {
	if (view->server->kiosk || view->fullscreen) {
		// Answer the request with the state the window keeps.
		view->impl->set_maximized(view, view->maximized);
		return;
	}
	if (maximized) {
		save_box(view);
	}
	bool was = view->maximized;
	view->maximized = maximized;
	if (maximized) {
		fill_maximized(view);
		return;
	}
	view->impl->set_maximized(view, false);
	if (was) {
		restore_box(view);
	}
}

void swl_view_apply_policy(struct swl_view *view) {
	if (view->server->kiosk || view->fullscreen) {
		swl_view_set_fullscreen(view, true);
	} else if (view->maximized) {
		fill_maximized(view);
	} else if (view->mapped) {
		// The screen changed under a floating window: keep it on it.
		place_on_screen(view, view_rect(view), true);
	}
}

void swl_view_size_changed(struct swl_view *view) {
	if (!view->mapped) {
		return;
	}
	// Where the content starts in the buffer may change too (GTK drops its
	// shadow when maximized): wlroots' xdg scene tree follows the geometry,
	// so the geometry's origin stays put.
	swl_decoration_update(view->decoration);
	if (!is_floating(view)) {
		return;
	}
	struct swl_rect win = view_rect(view);
	struct swl_resize *resize = &view->resize;
	if (win.width != view->width || win.height != view->height) {
		if (resize->pending) {
			// The edges being dragged move; the opposite ones stay.
			resize_anchor(resize, &win);
			swl_view_move(view, win.x, win.y);
			view->width = win.width;
			view->height = win.height;
		} else {
			// A window that grew past the screen is asked to shrink, once per size.
			place_on_screen(view, win, true);
		}
	}
	// The client may draw the last size asked for after the button's release.
	struct swl_grab *grab = &view->server->input->grab;
	bool held = grab->mode == SWL_GRAB_RESIZE && grab->view == view;
	if (resize->pending && !held && win.width == resize->width &&
			win.height == resize->height) {
		resize->pending = false;
	}
}

void swl_view_resize(struct swl_view *view, const struct wlr_box *start, uint32_t edges,
		int width, int height) {
	view->resize = (struct swl_resize){
		.pending = true, .start = *start, .edges = edges, .width = width, .height = height
	};
	struct swl_rect win = { start->x, start->y, width, height };
	resize_anchor(&view->resize, &win);
	view->impl->configure(view, win.x, win.y, width, height);
	// X11 windows have the new size at once, xdg ones once they commit it.
	swl_view_size_changed(view);
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

static bool is_visible(struct swl_view *view) {
	return view->mapped && !view->minimized;
}

static struct swl_view *topmost_visible(struct swl_server *server) {
	struct swl_view *view;
	wl_list_for_each(view, &server->views, link) {
		if (is_visible(view)) {
			return view;
		}
	}
	return NULL;
}

/*
 * Windows on the screen or minimized, this one included. Not all views:
 * toolkits keep unmapped ones (the X11 client leader of GTK and Qt), which
 * must not push the first window off the centre, and an app opening two
 * windows at once has the second one's surface before the first maps.
 */
static int count_mapped(struct swl_server *server) {
	int n = 0;
	struct swl_view *view;
	wl_list_for_each(view, &server->views, link) {
		n += view->mapped;
	}
	return n;
}

/* A parent that is itself mapped; dialogs of unmapped windows float freely. */
static struct swl_view *mapped_parent(struct swl_view *view) {
	struct swl_view *parent = view->impl->get_parent(view);
	return parent != NULL && parent->mapped ? parent : NULL;
}

void swl_view_map(struct swl_view *view, bool has_position) {
	struct swl_server *server = view->server;
	view->mapped = true;
	view->minimized = false;
	swl_foreign_toplevel_create(view);
	if (server->kiosk || view->fullscreen) {
		swl_view_set_fullscreen(view, true);
	} else if (view->maximized) {
		view->maximized = false;
		swl_view_set_maximized(view, true);
	} else {
		struct swl_rect area = layout_area(server);
		struct swl_rect win = view_rect(view);
		int top = swl_view_title_height(view);
		swl_place_fit_size(&area, top, &win.width, &win.height);
		struct swl_view *parent = mapped_parent(view);
		if (has_position) {
			// Where it asked (already moved there), but on the screen.
		} else if (parent != NULL) {
			struct swl_rect on = view_rect(parent);
			swl_place_centre(&area, top, &on, &win);
		} else {
			// The first window is centred, later ones cascade from there.
			int n = (count_mapped(server) - 1) % 8;
			win.x = area.x + (area.width - win.width) / 2 + n * CASCADE_STEP;
			win.y = area.y + (area.height - win.height + top) / 2 + n * CASCADE_STEP;
		}
		place_on_screen(view, win, true);
		// X11 windows learn their position, xdg ones a smaller size if needed.
		view->impl->configure(view, view->x, view->y, win.width, win.height);
	}
	wlr_scene_node_set_enabled(view->scene_node, true);
	swl_view_focus(view);
}

void swl_view_unmap(struct swl_view *view) {
	struct swl_server *server = view->server;
	swl_seat_end_grab(server, view);
	view->mapped = false;
	swl_foreign_toplevel_destroy(view);
	wlr_scene_node_set_enabled(view->scene_node, false);
	struct wlr_surface *surface = view->impl->get_surface(view);
	if (surface != NULL && server->seat->keyboard_state.focused_surface == surface) {
		wlr_seat_keyboard_notify_clear_focus(server->seat);
		swl_view_focus(topmost_visible(server));
	}
}

/* The client and the frame learn whether the window has the keyboard. */
static void set_activated(struct swl_view *view, bool activated) {
	view->activated = activated;
	view->impl->set_activated(view, activated);
	swl_decoration_update(view->decoration);
	swl_foreign_toplevel_update(view);
}

void swl_view_set_minimized(struct swl_view *view, bool minimized) {
	struct swl_server *server = view->server;
	if (server->kiosk || !view->mapped || view->minimized == minimized) {
		return;
	}
	view->minimized = minimized;
	swl_foreign_toplevel_update(view);
	if (view->impl->set_minimized != NULL) {
		view->impl->set_minimized(view, minimized);
	}
	wlr_scene_node_set_enabled(view->scene_node, !minimized);
	if (!minimized) {
		swl_view_focus(view);
		return;
	}
	swl_seat_end_grab(server, view);
	// To the bottom of the stack: the next Alt+Tab brings it back first.
	wlr_scene_node_lower_to_bottom(view->scene_node);
	wl_list_remove(&view->link);
	wl_list_insert(server->views.prev, &view->link);
	struct wlr_surface *surface = view->impl->get_surface(view);
	if (surface != NULL && server->seat->keyboard_state.focused_surface == surface) {
		set_activated(view, false);
		wlr_seat_keyboard_notify_clear_focus(server->seat);
		swl_view_focus(topmost_visible(server));
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

static bool is_descendant(struct swl_view *view, struct swl_view *ancestor) {
	// Bounded: a client could make a parent loop.
	for (int depth = 0; view != NULL && depth < 32; depth++) {
		view = view->impl->get_parent(view);
		if (view == ancestor) {
			return true;
		}
	}
	return false;
}

static void raise_one(struct swl_view *view) {
	struct swl_server *server = view->server;
	wlr_scene_node_raise_to_top(view->scene_node);
	wl_list_remove(&view->link);
	wl_list_insert(&server->views, &view->link);
}

/*
 * Raises view and, above it in their present order, its dialogs and
 * transients; returns the topmost modal one among them, else view.
 */
static struct swl_view *raise_with_children(struct swl_view *view) {
	struct swl_server *server = view->server;
	raise_one(view);
	int n = wl_list_length(&server->views);
	struct swl_view **order = calloc(n, sizeof(*order));
	struct swl_view *focus = view;
	if (order == NULL) {
		return focus;
	}
	int count = 0;
	struct swl_view *v;
	wl_list_for_each_reverse(v, &server->views, link) {
		if (v != view && is_visible(v) && is_descendant(v, view)) {
			order[count++] = v;
		}
	}
	for (int i = 0; i < count; i++) {
		raise_one(order[i]);
		if (order[i]->impl->is_modal(order[i])) {
			focus = order[i];
		}
	}
	free(order);
	return focus;
}

void swl_view_focus(struct swl_view *view) {
	if (view == NULL || !view->mapped) {
		return;
	}
	struct swl_server *server = view->server;
	if (view->minimized) {
		swl_view_set_minimized(view, false); // focuses it
		return;
	}
	// A dialog raised means its parent (and their parents) go up too, below it.
	struct swl_view *root = view;
	for (int depth = 0; depth < 32 && mapped_parent(root) != NULL; depth++) {
		root = mapped_parent(root);
	}
	struct swl_view *modal = raise_with_children(root);
	if (root == view && modal != view) {
		view = modal;
	} else if (root != view) {
		raise_with_children(view);
	}
	struct wlr_surface *surface = view->impl->get_surface(view);
	struct wlr_surface *prev = server->seat->keyboard_state.focused_surface;
	if (prev == surface || surface == NULL) {
		return;
	}
	struct swl_view *prev_view = prev != NULL ? view_from_surface(server, prev) : NULL;
	if (prev_view != NULL) {
		set_activated(prev_view, false);
	}
	set_activated(view, true);
	swl_seat_focus_surface(server, surface);
}

void swl_views_cycle(struct swl_server *server) {
	if (server->kiosk) {
		return;
	}
	struct swl_view *view, *last = NULL;
	wl_list_for_each(view, &server->views, link) {
		// Dialogs come with their parent.
		if (view->mapped && mapped_parent(view) == NULL) {
			last = view;
		}
	}
	if (last != NULL && last != topmost_visible(server)) {
		swl_view_focus(last);
	}
}

void swl_view_set_decorated(struct swl_view *view, bool decorated) {
	if (decorated == (view->decoration != NULL)) {
		return;
	}
	if (decorated) {
		view->decoration = swl_decoration_create(view);
		if (view->decoration == NULL) {
			return;
		}
	} else {
		swl_decoration_destroy(view->decoration);
		view->decoration = NULL;
	}
	if (view->mapped) {
		// The title bar comes or goes above the content: keep it on the screen.
		swl_view_apply_policy(view);
	}
	swl_decoration_update(view->decoration);
}

void swl_view_title_changed(struct swl_view *view) {
	swl_decoration_update(view->decoration);
	swl_foreign_toplevel_update(view);
}

struct swl_view *swl_view_at(struct swl_server *server, double lx, double ly,
		struct wlr_surface **surface, double *sx, double *sy) {
	*surface = NULL;
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->node, lx, ly, sx, sy);
	if (node == NULL) {
		return NULL;
	}
	// Not a surface: a window's frame (or nothing that is a view's).
	if (node->type == WLR_SCENE_NODE_SURFACE) {
		*surface = wlr_scene_surface_from_node(node)->surface;
	}
	// Walk up to the view's tree node, which carries the view as data.
	while (node != NULL && node->data == NULL) {
		node = node->parent;
	}
	return node != NULL ? node->data : NULL;
}
