/*
 * Server-side window frames (decoration.c): a frame per view that has one,
 * and the xdg-decoration and KDE server-decoration managers through which
 * Wayland windows ask for one.
 */
#ifndef SWL_DECORATION_H
#define SWL_DECORATION_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

struct swl_server;
struct swl_view;
struct wlr_server_decoration_manager;
struct wlr_xdg_decoration_manager_v1;

/* The decoration protocols' managers; they go with the display. */
struct swl_decorations {
	struct wlr_xdg_decoration_manager_v1 *xdg_manager;
	struct wlr_server_decoration_manager *kde_manager;

	struct wl_listener new_xdg_decoration;
	struct wl_listener new_kde_decoration;
};

/* Creates the xdg-decoration and KDE server-decoration managers; NULL on failure. */
struct swl_decorations *swl_decorations_create(struct swl_server *server);
/* Accepts NULL. */
void swl_decorations_destroy(struct swl_decorations *decorations);

/* A frame for view (its scene tree under the view's node); NULL on failure. */
struct swl_decoration *swl_decoration_create(struct swl_view *view);
/* Accepts NULL. */
void swl_decoration_destroy(struct swl_decoration *decoration);
/* Places the frame and redraws its title bar if what it shows changed. */
void swl_decoration_update(struct swl_decoration *decoration);
/* The frame part (enum swl_frame_part) at a layout point; *edges for a border. */
int swl_decoration_hit(struct swl_view *view, double lx, double ly, uint32_t *edges);

#endif
