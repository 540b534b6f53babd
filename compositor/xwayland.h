/*
 * Xwayland (xwayland.c): the X server wlroots starts for spice-wl, its
 * restarts, and X windows as views (managed) or above them (override-redirect).
 */
#ifndef SWL_XWAYLAND_H
#define SWL_XWAYLAND_H

#include <stdbool.h>
#include <sys/types.h>
#include <wayland-server-core.h>

struct swl_server;
struct wlr_xwayland;

struct swl_xwayland {
	struct swl_server *server;
	struct wlr_xwayland *wlr_xwayland;
	int starts; // times Xwayland became ready: more than one is a restart
	struct wl_list unmanaged; // swl_xwayland_unmanaged.link

	struct wl_listener ready;
	struct wl_listener new_surface;
	struct wl_listener client_created; // spots Xwayland's connection
	struct wl_listener client_destroy; // on that connection, once spotted
};

/*
 * Starts Xwayland as the options say and sets DISPLAY for COMMAND. NULL with
 * --xwayland=off or when Xwayland cannot start (logged): X clients do not
 * run then, and DISPLAY is unset.
 */
struct swl_xwayland *swl_xwayland_create(struct swl_server *server);
/* Ends Xwayland and its helper; accepts NULL. */
void swl_xwayland_destroy(struct swl_xwayland *xwayland);
/* Whether pid is wlroots' Xwayland helper, which wlroots will reap itself; accepts NULL. */
bool swl_xwayland_helper_pending(struct swl_xwayland *xwayland, pid_t pid);

#endif
