/*
 * Xwayland: starts the X server through wlroots (lazily by default) and
 * turns X windows into views. Managed windows follow the window policy;
 * override-redirect windows (menus, tooltips, drop-downs) sit above all
 * views at the position they chose.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include <wlr/xcursor.h>
#include <wlr/xwayland.h>
#include <xcb/xcb_icccm.h>
#include "placement.h"
#include "seat.h"
#include "server.h"
#include "xwayland.h"

struct swl_xwayland_view {
	struct swl_view view;
	struct wlr_xwayland_surface *xsurface;
	struct wlr_scene_node *surface_tree; // while mapped
	struct wl_listener surface_tree_destroy;

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener request_configure;
	struct wl_listener request_fullscreen;
	struct wl_listener request_activate;
	struct wl_listener request_maximize;
	struct wl_listener request_minimize;
	struct wl_listener request_move;
	struct wl_listener request_resize;
	struct wl_listener set_geometry;
	struct wl_listener set_title;
	struct wl_listener set_class;
	struct wl_listener set_decorations;
};

struct swl_xwayland_unmanaged {
	struct swl_server *server;
	struct wlr_xwayland_surface *xsurface;
	struct wlr_scene_node *surface_tree; // while mapped
	struct wl_listener surface_tree_destroy;
	struct wl_list link; // swl_xwayland.unmanaged

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener set_geometry;
	struct wl_listener request_configure;
};

/*
 * A surface tree also goes away by itself with its wl_surface (when Xwayland
 * dies, say): track it, so it is never destroyed twice.
 */
static struct wlr_scene_node *add_surface_tree(struct wlr_scene_node *parent,
		struct wlr_surface *surface, struct wl_listener *destroy, wl_notify_func_t notify) {
	struct wlr_scene_node *tree = wlr_scene_subsurface_tree_create(parent, surface);
	if (tree != NULL) {
		destroy->notify = notify;
		wl_signal_add(&tree->events.destroy, destroy);
	}
	return tree;
}

static void remove_surface_tree(struct wlr_scene_node **tree, struct wl_listener *destroy) {
	if (*tree != NULL && destroy->notify != NULL) {
		wl_list_remove(&destroy->link);
		destroy->notify = NULL;
		wlr_scene_node_destroy(*tree);
	}
	*tree = NULL;
}

static void view_handle_surface_tree_destroy(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, surface_tree_destroy);
	wl_list_remove(&listener->link);
	listener->notify = NULL;
	xview->surface_tree = NULL;
}

static void unmanaged_handle_surface_tree_destroy(struct wl_listener *listener, void *data) {
	struct swl_xwayland_unmanaged *u = wl_container_of(listener, u, surface_tree_destroy);
	wl_list_remove(&listener->link);
	listener->notify = NULL;
	u->surface_tree = NULL;
}

static struct swl_xwayland_view *xview_from_view(struct swl_view *view) {
	struct swl_xwayland_view *xview = wl_container_of(view, xview, view);
	return xview;
}

static struct wlr_surface *x_get_surface(struct swl_view *view) {
	return xview_from_view(view)->xsurface->surface;
}

static void x_set_activated(struct swl_view *view, bool activated) {
	struct wlr_xwayland_surface *xsurface = xview_from_view(view)->xsurface;
	wlr_xwayland_surface_activate(xsurface, activated);
	if (activated) {
		wlr_xwayland_surface_restack(xsurface, NULL, XCB_STACK_MODE_ABOVE);
	}
}

static void x_configure(struct swl_view *view, int x, int y, int width, int height) {
	struct wlr_xwayland_surface *xsurface = xview_from_view(view)->xsurface;
	if (width <= 0 || height <= 0) {
		width = xsurface->width;
		height = xsurface->height;
	}
	wlr_xwayland_surface_configure(xsurface, x, y, width, height);
}

static void x_set_fullscreen(struct swl_view *view, bool fullscreen) {
	wlr_xwayland_surface_set_fullscreen(xview_from_view(view)->xsurface, fullscreen);
}

static void x_get_geometry(struct swl_view *view, struct wlr_box *box) {
	struct wlr_xwayland_surface *xsurface = xview_from_view(view)->xsurface;
	*box = (struct wlr_box){
		.x = 0, .y = 0, .width = xsurface->width, .height = xsurface->height
	};
}

static struct swl_view *x_get_parent(struct swl_view *view) {
	// WM_TRANSIENT_FOR; wlroots keeps only managed parents it knows.
	struct wlr_xwayland_surface *parent = xview_from_view(view)->xsurface->parent;
	if (parent == NULL || parent->override_redirect || parent->data == NULL) {
		return NULL;
	}
	struct swl_xwayland_view *xparent = parent->data;
	return &xparent->view;
}

static void x_set_maximized(struct swl_view *view, bool maximized) {
	wlr_xwayland_surface_set_maximized(xview_from_view(view)->xsurface, maximized);
}

static void x_set_minimized(struct swl_view *view, bool minimized) {
	wlr_xwayland_surface_set_minimized(xview_from_view(view)->xsurface, minimized);
}

static bool x_is_modal(struct swl_view *view) {
	return xview_from_view(view)->xsurface->modal;
}

static void x_get_min_size(struct swl_view *view, int *width, int *height) {
	const struct wlr_xwayland_surface_size_hints *hints =
			xview_from_view(view)->xsurface->size_hints;
	*width = hints != NULL && hints->min_width > 0 ? hints->min_width : 0;
	*height = hints != NULL && hints->min_height > 0 ? hints->min_height : 0;
}

static const char *x_get_title(struct swl_view *view) {
	return xview_from_view(view)->xsurface->title;
}

static const char *x_get_app_id(struct swl_view *view) {
	// WM_CLASS's class part, as sway reports X11 windows.
	return xview_from_view(view)->xsurface->class;
}

static void x_close(struct swl_view *view) {
	wlr_xwayland_surface_close(xview_from_view(view)->xsurface);
}

static const struct swl_view_impl xwayland_view_impl = {
	.get_surface = x_get_surface,
	.set_activated = x_set_activated,
	.configure = x_configure,
	.set_fullscreen = x_set_fullscreen,
	.get_geometry = x_get_geometry,
	.get_parent = x_get_parent,
	.set_maximized = x_set_maximized,
	.set_minimized = x_set_minimized,
	.is_modal = x_is_modal,
	.get_min_size = x_get_min_size,
	.get_title = x_get_title,
	.get_app_id = x_get_app_id,
	.close = x_close,
};

static bool has_position_hint(struct wlr_xwayland_surface *xsurface) {
	const struct wlr_xwayland_surface_size_hints *hints = xsurface->size_hints;
	return hints != NULL &&
			(hints->flags & (XCB_ICCCM_SIZE_HINT_US_POSITION | XCB_ICCCM_SIZE_HINT_P_POSITION));
}

static void view_handle_map(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, map);
	struct wlr_xwayland_surface *xsurface = xview->xsurface;
	xview->surface_tree = add_surface_tree(xview->view.scene_node, xsurface->surface,
			&xview->surface_tree_destroy, view_handle_surface_tree_destroy);
	if (xview->surface_tree == NULL) {
		wlr_log(WLR_ERROR, "cannot add X window 0x%x to the scene", xsurface->window_id);
		return;
	}
	xview->view.fullscreen = xsurface->fullscreen;
	xview->view.maximized = xsurface->maximized_horz && xsurface->maximized_vert;
	bool has_position = has_position_hint(xsurface);
	if (has_position) {
		swl_view_move(&xview->view, xsurface->x, xsurface->y);
	}
	swl_view_map(&xview->view, has_position);
}

static void view_handle_unmap(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, unmap);
	swl_view_unmap(&xview->view);
	remove_surface_tree(&xview->surface_tree, &xview->surface_tree_destroy);
}

static void view_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, destroy);
	wl_list_remove(&xview->map.link);
	wl_list_remove(&xview->unmap.link);
	wl_list_remove(&xview->destroy.link);
	wl_list_remove(&xview->request_configure.link);
	wl_list_remove(&xview->request_fullscreen.link);
	wl_list_remove(&xview->request_activate.link);
	wl_list_remove(&xview->request_maximize.link);
	wl_list_remove(&xview->request_minimize.link);
	wl_list_remove(&xview->request_move.link);
	wl_list_remove(&xview->request_resize.link);
	wl_list_remove(&xview->set_geometry.link);
	wl_list_remove(&xview->set_title.link);
	wl_list_remove(&xview->set_class.link);
	wl_list_remove(&xview->set_decorations.link);
	swl_view_finish(&xview->view);
	remove_surface_tree(&xview->surface_tree, &xview->surface_tree_destroy);
	wlr_scene_node_destroy(xview->view.scene_node);
	free(xview);
}

static void view_handle_request_configure(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, request_configure);
	struct wlr_xwayland_surface_configure_event *event = data;
	struct swl_view *view = &xview->view;
	if (view->server->kiosk || view->fullscreen || view->maximized) {
		// The policy decides: the answer (a configure is always sent) is
		// the size the window has to have.
		swl_view_apply_policy(view);
		return;
	}
	if (!view->mapped) {
		// Placed on the screen when it maps.
		wlr_xwayland_surface_configure(
				xview->xsurface, event->x, event->y, event->width, event->height);
		return;
	}
	// Granted, but a window never grows past the screen or leaves it.
	struct wlr_box area;
	swl_output_usable_box(view->server, &area);
	struct swl_rect screen = { area.x, area.y, area.width, area.height };
	struct swl_rect win = { event->x, event->y, event->width, event->height };
	int top = swl_view_title_height(view);
	swl_place_fit_size(&screen, top, &win.width, &win.height);
	swl_place_clamp(&screen, top, &win);
	wlr_xwayland_surface_configure(xview->xsurface, win.x, win.y, win.width, win.height);
	swl_view_move(view, win.x, win.y);
	view->width = win.width;
	view->height = win.height;
}

static void view_handle_request_maximize(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, request_maximize);
	struct wlr_xwayland_surface *xsurface = xview->xsurface;
	bool maximized = xsurface->maximized_horz || xsurface->maximized_vert;
	if (!xview->view.mapped) {
		xview->view.maximized = maximized;
		return;
	}
	swl_view_set_maximized(&xview->view, maximized);
}

static void view_handle_request_minimize(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, request_minimize);
	struct wlr_xwayland_minimize_event *event = data;
	swl_view_set_minimized(&xview->view, event->minimize);
}

/* _NET_WM_MOVERESIZE: the client's own title bar or border was pressed. */
static void view_handle_request_move(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, request_move);
	struct swl_server *server = xview->view.server;
	if (!server->kiosk && xview->view.mapped) {
		swl_seat_begin_grab(server, &xview->view, SWL_GRAB_MOVE, 0);
	}
}

static void view_handle_request_resize(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, request_resize);
	struct wlr_xwayland_resize_event *event = data;
	struct swl_server *server = xview->view.server;
	if (!server->kiosk && xview->view.mapped) {
		swl_seat_begin_grab(server, &xview->view, SWL_GRAB_RESIZE, event->edges);
	}
}

static void view_handle_request_fullscreen(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, request_fullscreen);
	struct swl_view *view = &xview->view;
	bool fullscreen = view->server->kiosk || xview->xsurface->fullscreen;
	swl_view_set_fullscreen(view, fullscreen);
}

static void view_handle_request_activate(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, request_activate);
	swl_view_focus(&xview->view);
}

static void view_handle_set_geometry(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, set_geometry);
	struct swl_view *view = &xview->view;
	if (view->mapped && !view->server->kiosk && !view->fullscreen) {
		swl_view_move(view, xview->xsurface->x, xview->xsurface->y);
		swl_view_size_changed(view);
	}
}

static void view_handle_set_title(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, set_title);
	swl_view_title_changed(&xview->view);
}

static void view_handle_set_class(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, set_class);
	swl_view_title_changed(&xview->view);
}

/* X11 windows get a frame unless _MOTIF_WM_HINTS asks for none (no title or border). */
static void update_decorated(struct swl_xwayland_view *xview) {
	swl_view_set_decorated(&xview->view,
			xview->xsurface->decorations == WLR_XWAYLAND_SURFACE_DECORATIONS_ALL);
}

static void view_handle_set_decorations(struct wl_listener *listener, void *data) {
	struct swl_xwayland_view *xview = wl_container_of(listener, xview, set_decorations);
	update_decorated(xview);
}

static void create_view(struct swl_server *server, struct wlr_xwayland_surface *xsurface) {
	struct swl_xwayland_view *xview = calloc(1, sizeof(*xview));
	if (xview == NULL) {
		return;
	}
	struct wlr_scene_tree *tree = wlr_scene_tree_create(&server->view_tree->node);
	if (tree == NULL) {
		free(xview);
		return;
	}
	xview->xsurface = xsurface;
	xsurface->data = xview;
	swl_view_init(&xview->view, server, &xwayland_view_impl, &tree->node);

	xview->map.notify = view_handle_map;
	wl_signal_add(&xsurface->events.map, &xview->map);
	xview->unmap.notify = view_handle_unmap;
	wl_signal_add(&xsurface->events.unmap, &xview->unmap);
	xview->destroy.notify = view_handle_destroy;
	wl_signal_add(&xsurface->events.destroy, &xview->destroy);
	xview->request_configure.notify = view_handle_request_configure;
	wl_signal_add(&xsurface->events.request_configure, &xview->request_configure);
	xview->request_fullscreen.notify = view_handle_request_fullscreen;
	wl_signal_add(&xsurface->events.request_fullscreen, &xview->request_fullscreen);
	xview->request_activate.notify = view_handle_request_activate;
	wl_signal_add(&xsurface->events.request_activate, &xview->request_activate);
	xview->request_maximize.notify = view_handle_request_maximize;
	wl_signal_add(&xsurface->events.request_maximize, &xview->request_maximize);
	xview->request_minimize.notify = view_handle_request_minimize;
	wl_signal_add(&xsurface->events.request_minimize, &xview->request_minimize);
	xview->request_move.notify = view_handle_request_move;
	wl_signal_add(&xsurface->events.request_move, &xview->request_move);
	xview->request_resize.notify = view_handle_request_resize;
	wl_signal_add(&xsurface->events.request_resize, &xview->request_resize);
	xview->set_geometry.notify = view_handle_set_geometry;
	wl_signal_add(&xsurface->events.set_geometry, &xview->set_geometry);
	xview->set_title.notify = view_handle_set_title;
	wl_signal_add(&xsurface->events.set_title, &xview->set_title);
	xview->set_class.notify = view_handle_set_class;
	wl_signal_add(&xsurface->events.set_class, &xview->set_class);
	xview->set_decorations.notify = view_handle_set_decorations;
	wl_signal_add(&xsurface->events.set_decorations, &xview->set_decorations);
	update_decorated(xview);
}

static void unmanaged_handle_map(struct wl_listener *listener, void *data) {
	struct swl_xwayland_unmanaged *u = wl_container_of(listener, u, map);
	struct wlr_xwayland_surface *xsurface = u->xsurface;
	u->surface_tree = add_surface_tree(&u->server->unmanaged_tree->node, xsurface->surface,
			&u->surface_tree_destroy, unmanaged_handle_surface_tree_destroy);
	if (u->surface_tree == NULL) {
		return;
	}
	wlr_scene_node_set_position(u->surface_tree, xsurface->x, xsurface->y);
	if (wlr_xwayland_or_surface_wants_focus(xsurface)) {
		swl_seat_focus_surface(u->server, xsurface->surface);
	}
}

static void unmanaged_handle_unmap(struct wl_listener *listener, void *data) {
	struct swl_xwayland_unmanaged *u = wl_container_of(listener, u, unmap);
	struct swl_server *server = u->server;
	remove_surface_tree(&u->surface_tree, &u->surface_tree_destroy);
	if (server->seat->keyboard_state.focused_surface == u->xsurface->surface) {
		// A menu that had the keyboard goes: give it back to the top window.
		struct swl_view *view;
		wl_list_for_each(view, &server->views, link) {
			if (view->mapped) {
				wlr_seat_keyboard_notify_clear_focus(server->seat);
				swl_view_focus(view);
				break;
			}
		}
	}
}

static void unmanaged_handle_set_geometry(struct wl_listener *listener, void *data) {
	struct swl_xwayland_unmanaged *u = wl_container_of(listener, u, set_geometry);
	struct wlr_xwayland_surface *xsurface = u->xsurface;
	if (u->surface_tree == NULL) {
		return;
	}
	int dx = xsurface->x - u->surface_tree->state.x;
	int dy = xsurface->y - u->surface_tree->state.y;
	if (dx != 0 || dy != 0) {
		struct wlr_box box = { xsurface->x, xsurface->y, xsurface->width, xsurface->height };
		swl_outputs_hint_move(u->server, &box, dx, dy);
	}
	wlr_scene_node_set_position(u->surface_tree, xsurface->x, xsurface->y);
}

static void unmanaged_handle_request_configure(struct wl_listener *listener, void *data) {
	struct swl_xwayland_unmanaged *u = wl_container_of(listener, u, request_configure);
	struct wlr_xwayland_surface_configure_event *event = data;
	wlr_xwayland_surface_configure(u->xsurface, event->x, event->y, event->width, event->height);
}

static void unmanaged_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_xwayland_unmanaged *u = wl_container_of(listener, u, destroy);
	wl_list_remove(&u->map.link);
	wl_list_remove(&u->unmap.link);
	wl_list_remove(&u->destroy.link);
	wl_list_remove(&u->set_geometry.link);
	wl_list_remove(&u->request_configure.link);
	wl_list_remove(&u->link);
	remove_surface_tree(&u->surface_tree, &u->surface_tree_destroy);
	free(u);
}

static void create_unmanaged(
		struct swl_xwayland *xwayland, struct wlr_xwayland_surface *xsurface) {
	struct swl_xwayland_unmanaged *u = calloc(1, sizeof(*u));
	if (u == NULL) {
		return;
	}
	u->server = xwayland->server;
	u->xsurface = xsurface;
	wl_list_insert(xwayland->unmanaged.prev, &u->link);

	u->map.notify = unmanaged_handle_map;
	wl_signal_add(&xsurface->events.map, &u->map);
	u->unmap.notify = unmanaged_handle_unmap;
	wl_signal_add(&xsurface->events.unmap, &u->unmap);
	u->destroy.notify = unmanaged_handle_destroy;
	wl_signal_add(&xsurface->events.destroy, &u->destroy);
	u->set_geometry.notify = unmanaged_handle_set_geometry;
	wl_signal_add(&xsurface->events.set_geometry, &u->set_geometry);
	u->request_configure.notify = unmanaged_handle_request_configure;
	wl_signal_add(&xsurface->events.request_configure, &u->request_configure);
}

static void handle_new_surface(struct wl_listener *listener, void *data) {
	struct swl_xwayland *xwayland = wl_container_of(listener, xwayland, new_surface);
	struct wlr_xwayland_surface *xsurface = data;
	if (xsurface->override_redirect) {
		create_unmanaged(xwayland, xsurface);
	} else {
		create_view(xwayland->server, xsurface);
	}
}

/*
 * wlroots 0.15 closes Xwayland's window-manager socket when Xwayland dies,
 * and the window manager's xcb connection closes the same fd number again
 * later. In between, the restart has reused the number for one of its own
 * sources, which the second close silently kills: epoll keeps reporting it
 * after it is freed (a crash about one time in five when Xwayland was
 * killed). Running before wlroots' handler, we leave that fd to xcb alone.
 */
static void handle_client_destroy(struct wl_listener *listener, void *data) {
	struct swl_xwayland *xwayland = wl_container_of(listener, xwayland, client_destroy);
	wl_list_remove(&listener->link);
	listener->notify = NULL;
	struct wlr_xwayland_server *xserver =
			xwayland->wlr_xwayland != NULL ? xwayland->wlr_xwayland->server : NULL;
	if (xserver == NULL) {
		return;
	}
	if (xserver->pipe_source != NULL) {
		// Xwayland died before it was ready. wlroots 0.15 then keeps the
		// destroyed client and destroys it again when its helper reports
		// the failure (a crash): it is gone, so forget it. No window
		// manager was made yet: the fd is wlroots' to close.
		xserver->client = NULL;
	} else {
		xserver->wm_fd[0] = -1;
	}
	if (xwayland->server->shutting_down) {
		// wlroots restarts an Xwayland that ran over 5 s: not while ending.
		xserver->server_start = time(NULL);
		return;
	}
	wlr_log(WLR_ERROR, "Xwayland exited; the next X client gets a new one");
}

static void handle_client_created(struct wl_listener *listener, void *data) {
	struct swl_xwayland *xwayland = wl_container_of(listener, xwayland, client_created);
	struct wl_client *client = data;
	pid_t pid = 0;
	wl_client_get_credentials(client, &pid, NULL, NULL);
	// Xwayland's connection is a socketpair wlroots made: its peer is us.
	// This runs inside wl_client_create, before wlroots adds its listeners.
	if (pid != getpid() || xwayland->client_destroy.notify != NULL) {
		return;
	}
	xwayland->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(client, &xwayland->client_destroy);
}

static void handle_ready(struct wl_listener *listener, void *data) {
	struct swl_xwayland *xwayland = wl_container_of(listener, xwayland, ready);
	struct swl_server *server = xwayland->server;
	bool restarted = xwayland->starts++ > 0;
	wlr_log(restarted ? WLR_ERROR : WLR_INFO, "Xwayland ready on %s%s",
			xwayland->wlr_xwayland->display_name, restarted ? " (restarted)" : "");
	wlr_xwayland_set_seat(xwayland->wlr_xwayland, server->seat);

	// X clients that set no cursor of their own get the theme's arrow.
	struct wlr_xcursor *xcursor =
			wlr_xcursor_manager_get_xcursor(server->xcursor_manager, "left_ptr", 1);
	if (xcursor != NULL) {
		struct wlr_xcursor_image *image = xcursor->images[0];
		wlr_xwayland_set_cursor(xwayland->wlr_xwayland, image->buffer, image->width * 4,
				image->width, image->height, image->hotspot_x, image->hotspot_y);
	}
}

struct swl_xwayland *swl_xwayland_create(struct swl_server *server) {
	if (server->options->xwayland == SWL_XWAYLAND_OFF) {
		unsetenv("DISPLAY");
		return NULL;
	}
	struct swl_xwayland *xwayland = calloc(1, sizeof(*xwayland));
	if (xwayland == NULL) {
		goto error;
	}
	xwayland->server = server;
	wl_list_init(&xwayland->unmanaged);
	bool lazy = server->options->xwayland == SWL_XWAYLAND_LAZY;
	xwayland->client_created.notify = handle_client_created;
	wl_display_add_client_created_listener(server->display, &xwayland->client_created);
	xwayland->wlr_xwayland = wlr_xwayland_create(server->display, server->compositor, lazy);
	if (xwayland->wlr_xwayland == NULL) {
		goto error_listener;
	}
	xwayland->ready.notify = handle_ready;
	wl_signal_add(&xwayland->wlr_xwayland->events.ready, &xwayland->ready);
	xwayland->new_surface.notify = handle_new_surface;
	wl_signal_add(&xwayland->wlr_xwayland->events.new_surface, &xwayland->new_surface);
	// COMMAND and everything it starts find the X server here.
	setenv("DISPLAY", xwayland->wlr_xwayland->display_name, true);
	wlr_log(WLR_INFO, "X11 display %s (%s)", xwayland->wlr_xwayland->display_name,
			lazy ? "started on first use" : "started now");
	return xwayland;

error_listener:
	wl_list_remove(&xwayland->client_created.link);
	free(xwayland);
error:
	wlr_log(WLR_ERROR, "cannot start Xwayland; X11 clients will not run");
	unsetenv("DISPLAY");
	return NULL;
}

bool swl_xwayland_helper_pending(struct swl_xwayland *xwayland, pid_t pid) {
	struct wlr_xwayland_server *xserver = xwayland != NULL && xwayland->wlr_xwayland != NULL
			? xwayland->wlr_xwayland->server
			: NULL;
	return xserver != NULL && xserver->pipe_source != NULL && xserver->pid == pid;
}

void swl_xwayland_destroy(struct swl_xwayland *xwayland) {
	if (xwayland == NULL) {
		return;
	}
	if (xwayland->client_destroy.notify != NULL) {
		wl_list_remove(&xwayland->client_destroy.link);
	}
	wl_list_remove(&xwayland->client_created.link);
	wl_list_remove(&xwayland->ready.link);
	wl_list_remove(&xwayland->new_surface.link);
	struct wlr_xwayland_server *xserver = xwayland->wlr_xwayland->server;
	if (xserver != NULL && swl_xwayland_helper_pending(xwayland, xserver->pid) &&
			xserver->pid > 0) {
		// wlroots' helper still waits for Xwayland to be ready, with
		// SIGTERM blocked and a copy of the compositor's end of Xwayland's
		// Wayland connection: Xwayland would wait for it forever. It is
		// our child, not reaped yet (swl_children_reap leaves it): kill it.
		kill(xserver->pid, SIGKILL);
	}
	// Xwayland, now our child (we are its subreaper), sees its connection
	// close; swl_children_end() waits for it.
	wlr_xwayland_destroy(xwayland->wlr_xwayland);
	free(xwayland);
}
