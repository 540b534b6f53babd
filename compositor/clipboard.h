/*
 * The clipboard and primary selection shared with the SPICE client
 * (clipboard.c): the backend's agent signals <-> the seat's selections.
 */
#ifndef SWL_CLIPBOARD_H
#define SWL_CLIPBOARD_H

#include <wayland-server-core.h>

struct swl_server;

struct swl_clipboard {
	struct swl_server *server;

	// From the backend's agent; unwired when the backend has no agent.
	struct wl_listener offer;
	struct wl_listener release;
	struct wl_listener request;
	// From the seat.
	struct wl_listener set_selection;
	struct wl_listener set_primary_selection;
};

/* Shares the seat's selections with the SPICE client; NULL if out of memory. */
struct swl_clipboard *swl_clipboard_create(struct swl_server *server);
/* Accepts NULL. */
void swl_clipboard_destroy(struct swl_clipboard *clipboard);

#endif
