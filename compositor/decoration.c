/*
 * Server-side window frames (desktop mode): a title bar with the window's
 * title and minimize / maximize / close buttons, and thin borders to resize
 * by. X11 windows get one unless their Motif hints ask for none; Wayland
 * windows only when they ask, through xdg-decoration or KDE's
 * server-decoration (client-side stays the default, so GTK keeps its header
 * bars). The title bar is drawn with pango/cairo, as sway does, into an
 * image that a wlr_buffer wraps, and redrawn only when what it shows changes.
 */
#include <drm_fourcc.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_server_decoration.h>
#include <wlr/types/wlr_xdg_decoration_v1.h>
#include <wlr/util/log.h>
#include "decoration.h"
#include "placement.h"
#include "server.h"

#define TITLE_FONT "sans 10"

struct swl_decoration {
	struct swl_view *view;
	struct wlr_scene_tree *tree; // child of the view's node; NULL once gone with it
	struct wlr_scene_buffer *title; // the title bar image
	struct wlr_scene_rect *borders[3]; // left, right, bottom
	struct wl_listener tree_destroy;

	// What the title bar image shows, to redraw only on change.
	char *drawn_title;
	int drawn_width;
	bool drawn_activated;
	bool drawn_maximized;
	bool drawn;
};

/* A wlr_buffer around a cairo image surface's pixels (read-only). */
struct swl_cairo_buffer {
	struct wlr_buffer base;
	cairo_surface_t *surface;
};

static void cairo_buffer_destroy(struct wlr_buffer *wlr_buffer) {
	struct swl_cairo_buffer *buffer = wl_container_of(wlr_buffer, buffer, base);
	cairo_surface_destroy(buffer->surface);
	free(buffer);
}

static bool cairo_buffer_begin_data_ptr_access(struct wlr_buffer *wlr_buffer, uint32_t flags,
		void **data, uint32_t *format, size_t *stride) {
	struct swl_cairo_buffer *buffer = wl_container_of(wlr_buffer, buffer, base);
	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE) {
		return false;
	}
	*data = cairo_image_surface_get_data(buffer->surface);
	*format = DRM_FORMAT_ARGB8888; // cairo's ARGB32 in native byte order
	*stride = cairo_image_surface_get_stride(buffer->surface);
	return true;
}

static void cairo_buffer_end_data_ptr_access(struct wlr_buffer *wlr_buffer) {
}

static const struct wlr_buffer_impl cairo_buffer_impl = {
	.destroy = cairo_buffer_destroy,
	.begin_data_ptr_access = cairo_buffer_begin_data_ptr_access,
	.end_data_ptr_access = cairo_buffer_end_data_ptr_access,
};

/* sway's default colours: focused title blue, others grey. */
static void set_colour(cairo_t *cr, uint32_t rgb) {
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			(rgb & 0xff) / 255.0);
}

static uint32_t frame_colour(bool activated) {
	return activated ? 0x285577 : 0x333333;
}

static void draw_button(cairo_t *cr, enum swl_frame_part part, int x, int size) {
	double pad = size * 0.32;
	double x0 = x + pad, y0 = pad, x1 = x + size - pad, y1 = size - pad;
	cairo_set_line_width(cr, 1.5);
	switch (part) {
	case SWL_FRAME_CLOSE:
		cairo_move_to(cr, x0, y0);
		cairo_line_to(cr, x1, y1);
		cairo_move_to(cr, x1, y0);
		cairo_line_to(cr, x0, y1);
		break;
	case SWL_FRAME_MAXIMIZE:
		cairo_rectangle(cr, x0 + 0.5, y0 + 0.5, x1 - x0 - 1, y1 - y0 - 1);
		break;
	case SWL_FRAME_MINIMIZE:
		cairo_move_to(cr, x0, y1 - 0.5);
		cairo_line_to(cr, x1, y1 - 0.5);
		break;
	default:
		return;
	}
	cairo_stroke(cr);
}

/* The title bar image: width x height, the title left, buttons right. */
static struct wlr_buffer *render_title_bar(const char *title, int width, int height, int border,
		int content_width, bool activated) {
	struct swl_cairo_buffer *buffer = calloc(1, sizeof(*buffer));
	if (buffer == NULL) {
		return NULL;
	}
	buffer->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
	if (cairo_surface_status(buffer->surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(buffer->surface);
		free(buffer);
		return NULL;
	}
	cairo_t *cr = cairo_create(buffer->surface);
	set_colour(cr, frame_colour(activated));
	cairo_paint(cr);

	uint32_t text = activated ? 0xffffff : 0x888888;
	int buttons_x = swl_frame_button_x(content_width, height, border, SWL_FRAME_MINIMIZE);
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *font = pango_font_description_from_string(TITLE_FONT);
	pango_layout_set_font_description(layout, font);
	pango_font_description_free(font);
	pango_layout_set_text(layout, title, -1);
	pango_layout_set_single_paragraph_mode(layout, TRUE);
	pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
	int text_width = buttons_x - 2 * border - 8;
	pango_layout_set_width(layout, (text_width > 0 ? text_width : 0) * PANGO_SCALE);
	int text_w, text_h;
	pango_layout_get_pixel_size(layout, &text_w, &text_h);
	set_colour(cr, text);
	cairo_move_to(cr, border + 6, (height - text_h) / 2.0);
	pango_cairo_show_layout(cr, layout);
	g_object_unref(layout);

	static const enum swl_frame_part buttons[] = {
		SWL_FRAME_MINIMIZE, SWL_FRAME_MAXIMIZE, SWL_FRAME_CLOSE,
	};
	for (size_t i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++) {
		int x = swl_frame_button_x(content_width, height, border, buttons[i]);
		if (x >= 0) {
			draw_button(cr, buttons[i], x, height);
		}
	}
	cairo_destroy(cr);
	cairo_surface_flush(buffer->surface);
	wlr_buffer_init(&buffer->base, &cairo_buffer_impl, width, height);
	return &buffer->base;
}

static void handle_tree_destroy(struct wl_listener *listener, void *data) {
	struct swl_decoration *deco = wl_container_of(listener, deco, tree_destroy);
	// The view's node went first (an xdg surface's does by itself): the
	// frame's nodes went with it.
	wl_list_remove(&deco->tree_destroy.link);
	deco->tree = NULL;
	deco->title = NULL;
	memset(deco->borders, 0, sizeof(deco->borders));
}

struct swl_decoration *swl_decoration_create(struct swl_view *view) {
	struct swl_decoration *deco = calloc(1, sizeof(*deco));
	if (deco == NULL) {
		return NULL;
	}
	deco->view = view;
	deco->tree = wlr_scene_tree_create(view->scene_node);
	if (deco->tree == NULL) {
		free(deco);
		return NULL;
	}
	// Below the window's surfaces, so its popups cover the title bar.
	wlr_scene_node_lower_to_bottom(&deco->tree->node);
	deco->tree_destroy.notify = handle_tree_destroy;
	wl_signal_add(&deco->tree->node.events.destroy, &deco->tree_destroy);
	return deco;
}

void swl_decoration_destroy(struct swl_decoration *deco) {
	if (deco == NULL) {
		return;
	}
	if (deco->tree != NULL) {
		wl_list_remove(&deco->tree_destroy.link);
		wlr_scene_node_destroy(&deco->tree->node);
	}
	free(deco->drawn_title);
	free(deco);
}

static int frame_border(struct swl_view *view) {
	return view->maximized ? 0 : SWL_FRAME_BORDER;
}

void swl_decoration_update(struct swl_decoration *deco) {
	if (deco == NULL || deco->tree == NULL) {
		return;
	}
	struct swl_view *view = deco->view;
	int title_height = swl_view_title_height(view);
	wlr_scene_node_set_enabled(&deco->tree->node, title_height > 0);
	if (title_height == 0) {
		return;
	}
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	int border = frame_border(view);

	float colour[4] = { 0, 0, 0, 1 };
	uint32_t rgb = frame_colour(view->activated);
	colour[0] = ((rgb >> 16) & 0xff) / 255.0f;
	colour[1] = ((rgb >> 8) & 0xff) / 255.0f;
	colour[2] = (rgb & 0xff) / 255.0f;
	const struct wlr_box sides[3] = {
		{ -border, 0, border, geo.height + border },
		{ geo.width, 0, border, geo.height + border },
		{ 0, geo.height, geo.width, border },
	};
	for (int i = 0; i < 3; i++) {
		if (deco->borders[i] == NULL) {
			deco->borders[i] = wlr_scene_rect_create(&deco->tree->node, 1, 1, colour);
			if (deco->borders[i] == NULL) {
				continue;
			}
		}
		struct wlr_scene_rect *rect = deco->borders[i];
		wlr_scene_node_set_enabled(&rect->node, border > 0);
		wlr_scene_node_set_position(&rect->node, sides[i].x, sides[i].y);
		wlr_scene_rect_set_size(rect, sides[i].width, sides[i].height);
		wlr_scene_rect_set_color(rect, colour);
	}

	const char *title = view->impl->get_title(view);
	if (title == NULL) {
		title = "";
	}
	if (deco->drawn && deco->drawn_width == geo.width &&
			deco->drawn_activated == view->activated &&
			deco->drawn_maximized == view->maximized && deco->drawn_title != NULL &&
			strcmp(deco->drawn_title, title) == 0) {
		return;
	}
	if (geo.width <= 0) {
		return;
	}
	struct wlr_buffer *buffer = render_title_bar(title, geo.width + 2 * border, title_height,
			border, geo.width, view->activated);
	if (buffer == NULL) {
		return;
	}
	// wlroots 0.15's scene buffer cannot change its buffer: a new node.
	if (deco->title != NULL) {
		wlr_scene_node_destroy(&deco->title->node);
	}
	deco->title = wlr_scene_buffer_create(&deco->tree->node, buffer);
	wlr_buffer_drop(buffer); // the node holds it now
	if (deco->title == NULL) {
		deco->drawn = false;
		return;
	}
	wlr_scene_node_set_position(&deco->title->node, -border, -title_height);
	free(deco->drawn_title);
	deco->drawn_title = strdup(title);
	deco->drawn_width = geo.width;
	deco->drawn_activated = view->activated;
	deco->drawn_maximized = view->maximized;
	deco->drawn = deco->drawn_title != NULL;
}

int swl_decoration_hit(struct swl_view *view, double lx, double ly, uint32_t *edges) {
	*edges = 0;
	int title_height = swl_view_title_height(view);
	if (title_height == 0) {
		return SWL_FRAME_NONE;
	}
	struct wlr_box geo;
	view->impl->get_geometry(view, &geo);
	int x = (int)lx - view->x, y = (int)ly - view->y;
	return swl_frame_hit(geo.width, geo.height, title_height, frame_border(view), x, y, edges);
}

/* xdg-decoration: server-side when the client asks for it, else its own. */
struct swl_xdg_decoration {
	struct wlr_xdg_toplevel_decoration_v1 *wlr_decoration;
	struct wl_listener request_mode;
	struct wl_listener destroy;
};

static struct swl_view *view_of_wlr_surface(struct wlr_surface *surface) {
	if (surface == NULL || !wlr_surface_is_xdg_surface(surface)) {
		return NULL;
	}
	struct wlr_xdg_surface *xdg_surface = wlr_xdg_surface_from_wlr_surface(surface);
	if (xdg_surface == NULL || xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL ||
			xdg_surface->data == NULL) {
		return NULL;
	}
	struct wlr_scene_node *node = xdg_surface->data;
	return node->data;
}

static void xdg_decoration_handle_request_mode(struct wl_listener *listener, void *data) {
	struct swl_xdg_decoration *deco = wl_container_of(listener, deco, request_mode);
	struct wlr_xdg_toplevel_decoration_v1 *wlr_decoration = deco->wlr_decoration;
	bool server_side = wlr_decoration->requested_mode ==
			WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE;
	wlr_xdg_toplevel_decoration_v1_set_mode(wlr_decoration, server_side ?
			WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE :
			WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	struct swl_view *view = view_of_wlr_surface(wlr_decoration->surface->surface);
	if (view != NULL) {
		swl_view_set_decorated(view, server_side);
	}
}

static void xdg_decoration_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_xdg_decoration *deco = wl_container_of(listener, deco, destroy);
	// The window (if it is still there) goes back to drawing its own.
	struct swl_view *view = view_of_wlr_surface(deco->wlr_decoration->surface->surface);
	if (view != NULL) {
		swl_view_set_decorated(view, false);
	}
	wl_list_remove(&deco->request_mode.link);
	wl_list_remove(&deco->destroy.link);
	free(deco);
}

static void handle_new_toplevel_decoration(struct wl_listener *listener, void *data) {
	struct wlr_xdg_toplevel_decoration_v1 *wlr_decoration = data;
	struct swl_xdg_decoration *deco = calloc(1, sizeof(*deco));
	if (deco == NULL) {
		return;
	}
	deco->wlr_decoration = wlr_decoration;
	deco->request_mode.notify = xdg_decoration_handle_request_mode;
	wl_signal_add(&wlr_decoration->events.request_mode, &deco->request_mode);
	deco->destroy.notify = xdg_decoration_handle_destroy;
	wl_signal_add(&wlr_decoration->events.destroy, &deco->destroy);
	// A client that states no preference gets client-side.
	xdg_decoration_handle_request_mode(&deco->request_mode, wlr_decoration);
}

/* KDE's server-decoration (Qt, older GTK): the mode the client picks. */
struct swl_kde_decoration {
	struct wlr_server_decoration *wlr_decoration;
	struct wl_listener mode;
	struct wl_listener destroy;
};

static void kde_decoration_handle_mode(struct wl_listener *listener, void *data) {
	struct swl_kde_decoration *deco = wl_container_of(listener, deco, mode);
	struct swl_view *view = view_of_wlr_surface(deco->wlr_decoration->surface);
	if (view != NULL) {
		swl_view_set_decorated(view,
				deco->wlr_decoration->mode == WLR_SERVER_DECORATION_MANAGER_MODE_SERVER);
	}
}

static void kde_decoration_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_kde_decoration *deco = wl_container_of(listener, deco, destroy);
	wl_list_remove(&deco->mode.link);
	wl_list_remove(&deco->destroy.link);
	free(deco);
}

static void handle_new_kde_decoration(struct wl_listener *listener, void *data) {
	struct wlr_server_decoration *wlr_decoration = data;
	struct swl_kde_decoration *deco = calloc(1, sizeof(*deco));
	if (deco == NULL) {
		return;
	}
	deco->wlr_decoration = wlr_decoration;
	deco->mode.notify = kde_decoration_handle_mode;
	wl_signal_add(&wlr_decoration->events.mode, &deco->mode);
	deco->destroy.notify = kde_decoration_handle_destroy;
	wl_signal_add(&wlr_decoration->events.destroy, &deco->destroy);
	kde_decoration_handle_mode(&deco->mode, NULL);
}

struct swl_decorations *swl_decorations_create(struct swl_server *server) {
	struct swl_decorations *decorations = calloc(1, sizeof(*decorations));
	if (decorations == NULL) {
		return NULL;
	}
	decorations->xdg_manager = wlr_xdg_decoration_manager_v1_create(server->display);
	decorations->kde_manager = wlr_server_decoration_manager_create(server->display);
	if (decorations->xdg_manager == NULL || decorations->kde_manager == NULL) {
		// A manager made goes with the display.
		free(decorations);
		return NULL;
	}
	wlr_server_decoration_manager_set_default_mode(
			decorations->kde_manager, WLR_SERVER_DECORATION_MANAGER_MODE_CLIENT);
	decorations->new_xdg_decoration.notify = handle_new_toplevel_decoration;
	wl_signal_add(&decorations->xdg_manager->events.new_toplevel_decoration,
			&decorations->new_xdg_decoration);
	decorations->new_kde_decoration.notify = handle_new_kde_decoration;
	wl_signal_add(&decorations->kde_manager->events.new_decoration,
			&decorations->new_kde_decoration);
	return decorations;
}

void swl_decorations_destroy(struct swl_decorations *decorations) {
	if (decorations == NULL) {
		return;
	}
	wl_list_remove(&decorations->new_xdg_decoration.link);
	wl_list_remove(&decorations->new_kde_decoration.link);
	free(decorations);
}
