/*
 * xdg-activation v1: a client hands a window a token it got for a user's
 * input (a click in a launcher, a notification); the window asks to be
 * activated with it and, as in sway, is focused and raised. wlroots checks
 * the token (known, not expired, its seat serial valid) before asking us.
 */
#include <stdlib.h>
#include <wlr/types/wlr_xdg_activation_v1.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>
#include "activation.h"
#include "server.h"

static void handle_request_activate(struct wl_listener *listener, void *data) {
	struct wlr_xdg_activation_v1_request_activate_event *event = data;
	if (!wlr_surface_is_xdg_surface(event->surface)) {
		return;
	}
	struct wlr_xdg_surface *xdg_surface = wlr_xdg_surface_from_wlr_surface(event->surface);
	if (xdg_surface == NULL || xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL ||
			xdg_surface->data == NULL) {
		return;
	}
	struct wlr_scene_node *node = xdg_surface->data;
	struct swl_view *view = node->data;
	if (view == NULL || !view->mapped) {
		return;
	}
	wlr_log(WLR_DEBUG, "xdg-activation: focusing a window");
	swl_view_focus(view);
}

struct swl_activation *swl_activation_create(struct swl_server *server) {
	struct swl_activation *activation = calloc(1, sizeof(*activation));
	if (activation == NULL) {
		return NULL;
	}
	activation->xdg_activation = wlr_xdg_activation_v1_create(server->display);
	if (activation->xdg_activation == NULL) {
		free(activation);
		return NULL;
	}
	activation->request_activate.notify = handle_request_activate;
	wl_signal_add(&activation->xdg_activation->events.request_activate,
			&activation->request_activate);
	return activation;
}

void swl_activation_destroy(struct swl_activation *activation) {
	if (activation == NULL) {
		return;
	}
	wl_list_remove(&activation->request_activate.link);
	free(activation);
}
