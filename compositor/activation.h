/*
 * xdg-activation v1 (activation.c): a window that shows a token wlroots
 * accepted is focused and raised.
 */
#ifndef SWL_ACTIVATION_H
#define SWL_ACTIVATION_H

#include <wayland-server-core.h>

struct swl_server;
struct wlr_xdg_activation_v1;

struct swl_activation {
	struct wlr_xdg_activation_v1 *xdg_activation; // goes with the display

	struct wl_listener request_activate;
};

/* Creates the xdg-activation global; NULL on failure. */
struct swl_activation *swl_activation_create(struct swl_server *server);
/* Accepts NULL. */
void swl_activation_destroy(struct swl_activation *activation);

#endif
