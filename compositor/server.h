/*
 * The compositor's shared state: display, backend, renderer, scene, shell
 * and seat, and the views and outputs it manages.
 */
#ifndef SWL_SERVER_H
#define SWL_SERVER_H

#include <stdbool.h>
#include <sys/types.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <xkbcommon/xkbcommon.h>
#include "options.h"

struct swl_activation;
struct swl_audio;
struct swl_clipboard;
struct swl_decoration;
struct swl_decorations;
struct swl_foreign_toplevel;
struct swl_layer_shell;
struct swl_protocols;
struct swl_seat;
struct swl_text_input_relay;
struct swl_view;
struct swl_xwayland;
struct wlr_foreign_toplevel_manager_v1;
struct wlr_input_method_keyboard_grab_v2;


struct swl_server {
	struct wl_display *display;
	struct wl_event_loop *loop;
	const struct swl_options *options;
	int listen_fd; // socket activation: the listening socket systemd gave us, or -1
	bool kiosk;

	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_scene *scene;
	struct wlr_scene_tree *view_tree; // stacking order of toplevel views
	struct wlr_scene_tree *unmanaged_tree; // X11 override-redirect windows, above views
	struct wlr_compositor *compositor;
	struct swl_xwayland *xwayland; // xwayland.h; NULL with --xwayland=off or if it cannot start
	struct wl_event_source *arrange_idle; // pending swl_views_arrange_later
	struct wl_event_source *reap_timer; // looks for exited children again
	bool shutting_down; // set once the session is ending
	struct wlr_output_layout *output_layout;
	struct wlr_xdg_shell *xdg_shell;
	struct swl_seat *input; // seat.h: devices, cursor events, the grab
	struct wlr_seat *seat; // these three made by swl_seat_create, for every module
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *xcursor_manager;
	struct xkb_keymap *keymap; // for every keyboard, from --keyboard-*

	struct wl_list outputs; // swl_output.link
	struct wl_list views; // swl_view.link, topmost first

	struct swl_audio *audio; // NULL with --no-audio
	struct swl_clipboard *clipboard; // clipboard.h; NULL with --no-clipboard
	struct swl_protocols *protocols; // protocols.c
	struct swl_text_input_relay *text_input; // text_input.c
	struct swl_layer_shell *layers; // layer_shell.c
	struct swl_decorations *decorations; // decoration.h
	struct swl_activation *activation; // activation.h
	struct wlr_foreign_toplevel_manager_v1 *foreign_toplevel_manager; // taskbars

	pid_t command_pid; // 0 when no command is running
	int exit_status;

	struct wl_listener new_output;
	struct wl_listener client_disconnected; // the SPICE client left
	struct wl_listener new_xdg_surface;
};

struct swl_output {
	struct swl_server *server;
	struct wlr_output *wlr_output;
	struct wlr_scene_output *scene_output;
	struct wl_list link; // swl_server.outputs
	// Layout coordinates left to windows by layer-shell exclusive zones;
	// empty until the layer surfaces are first arranged.
	struct wlr_box usable_area;

	struct wl_listener frame;
	struct wl_listener mode;
	struct wl_listener destroy;
};

/* What differs between xdg-shell and X11 windows. */
struct swl_view_impl {
	struct wlr_surface *(*get_surface)(struct swl_view *view);
	void (*set_activated)(struct swl_view *view, bool activated);
	/* Asks the client for a size (0 = its own choice) at a layout position. */
	void (*configure)(struct swl_view *view, int x, int y, int width, int height);
	void (*set_fullscreen)(struct swl_view *view, bool fullscreen);
	/* The window's size as the client drew it, and where its content starts. */
	void (*get_geometry)(struct swl_view *view, struct wlr_box *box);
	/* The window it is a dialog or transient of, NULL if none. */
	struct swl_view *(*get_parent)(struct swl_view *view);
	void (*set_maximized)(struct swl_view *view, bool maximized);
	/* Tells the client it was (un)minimized; NULL if the shell has no such state. */
	void (*set_minimized)(struct swl_view *view, bool minimized);
	/* Whether the keyboard should go to this window rather than its parent. */
	bool (*is_modal)(struct swl_view *view);
	/* The window's minimum size, 0 if none. */
	void (*get_min_size)(struct swl_view *view, int *width, int *height);
	/* Tells the client an interactive resize runs; NULL if the shell cannot. */
	void (*set_resizing)(struct swl_view *view, bool resizing);
	/* The window's title, NULL if none. */
	const char *(*get_title)(struct swl_view *view);
	/* What app it is (xdg app_id, X11 WM_CLASS class), NULL if unknown. */
	const char *(*get_app_id)(struct swl_view *view);
	/* Asks the client to close the window (its frame's close button). */
	void (*close)(struct swl_view *view);
};

/* An interactive resize of a view, until the client has drawn the last size asked. */
struct swl_resize {
	bool pending;
	struct wlr_box start; // the view's box when it began
	uint32_t edges; // the edges dragged; the opposite ones stay
	int width, height; // the size last asked for
};

struct swl_view {
	struct swl_server *server;
	const struct swl_view_impl *impl;
	struct wlr_scene_node *scene_node; // a tree; node->data is the view
	struct wl_list link; // swl_server.views
	bool mapped;
	bool fullscreen;
	bool maximized;
	bool minimized;
	int x, y; // layout position of the window geometry's origin
	int width, height; // its size when last placed (desktop mode)
	struct wlr_box saved; // the box before maximize or fullscreen
	bool has_saved;
	bool activated; // has the keyboard: its frame shows it
	struct swl_decoration *decoration; // server-side frame, NULL if none
	struct swl_foreign_toplevel *foreign_toplevel; // taskbars' handle while mapped
	struct swl_resize resize;
};

/* Wires a new view into the server; it starts unmapped. */
void swl_view_init(struct swl_view *view, struct swl_server *server,
		const struct swl_view_impl *impl, struct wlr_scene_node *scene_node);
void swl_view_finish(struct swl_view *view);
/* Policy placement on map: kiosk fills the screen, desktop centres. */
void swl_view_map(struct swl_view *view, bool has_position);
void swl_view_unmap(struct swl_view *view);
/* Places the view at a layout position (its geometry origin). */
void swl_view_move(struct swl_view *view, int x, int y);
void swl_view_set_fullscreen(struct swl_view *view, bool fullscreen);
/* Applies the window policy to a view (kiosk: fullscreen at the layout size). */
void swl_view_apply_policy(struct swl_view *view);
void swl_view_set_maximized(struct swl_view *view, bool maximized);
void swl_view_set_minimized(struct swl_view *view, bool minimized);
/* The client drew a new size: keep it on the screen (or anchored while resized). */
void swl_view_size_changed(struct swl_view *view);
/*
 * Interactive resize: asks for width x height, edges dragged from start
 * (the box the resize began with); the opposite edges stay where they were,
 * also when the client draws the size after the button's release.
 */
void swl_view_resize(struct swl_view *view, const struct wlr_box *start, uint32_t edges,
		int width, int height);
/* Alt+Tab: the least recently used window (minimized ones too) to the front. */
void swl_views_cycle(struct swl_server *server);
/* Gives the view a server-side frame, or takes it away; re-placed on the screen. */
void swl_view_set_decorated(struct swl_view *view, bool decorated);
/* The height of the frame's title bar above the content now (0: none shown). */
int swl_view_title_height(struct swl_view *view);
/* The window's title or app id changed: its frame and taskbars show the new one. */
void swl_view_title_changed(struct swl_view *view);

bool swl_server_init(struct swl_server *server, const struct swl_options *options);
bool swl_server_start(struct swl_server *server);
void swl_server_finish(struct swl_server *server);
/* Begins the shutdown: the event loop ends, Xwayland is not restarted. */
void swl_server_terminate(struct swl_server *server);

/* output.c */
void swl_output_handle_new(struct wl_listener *listener, void *data);
/* The usable area for views: the bounding box of all outputs. */
void swl_output_layout_box(struct swl_server *server, struct wlr_box *box);
/* Content now at box (layout coordinates) moved there by (dx, dy) since the last frame. */
void swl_outputs_hint_move(struct swl_server *server, const struct wlr_box *box, int dx, int dy);

/* view.c */
void swl_view_focus(struct swl_view *view);
/* Keyboard focus to a surface that is not a view (X11 menus that ask for it). */
void swl_seat_focus_surface(struct swl_server *server, struct wlr_surface *surface);
struct swl_view *swl_view_at(struct swl_server *server, double lx, double ly,
		struct wlr_surface **surface, double *sx, double *sy);
/* Re-applies the window policy after outputs change. */
void swl_views_arrange(struct swl_server *server);
/* The same from an idle callback, once the output layout has settled. */
void swl_views_arrange_later(struct swl_server *server);

/* protocols.c: protocols that need no window policy */
bool swl_protocols_init(struct swl_server *server);
void swl_protocols_finish(struct swl_server *server);
/* User input happened: idle timeouts start again. */
void swl_protocols_notify_activity(struct swl_server *server);
/*
 * Relative pointer motion: sent to relative-pointer clients; false when a
 * pointer constraint (lock, or confinement the motion would leave) holds the
 * cursor where it is.
 */
bool swl_protocols_pointer_motion(struct swl_server *server, uint32_t time_msec,
		double dx, double dy, double dx_unaccel, double dy_unaccel);

/* text_input.c: text-input v3 <-> input-method v2 relay */
bool swl_text_input_init(struct swl_server *server);
void swl_text_input_finish(struct swl_server *server);
/* The input method's keyboard grab that keys from device go to, or NULL. */
struct wlr_input_method_keyboard_grab_v2 *swl_text_input_keyboard_grab(
		struct swl_server *server, struct wlr_input_device *device);

/* layer_shell.c */
bool swl_layers_init(struct swl_server *server);
void swl_layers_finish(struct swl_server *server);
/* Places every layer surface again (outputs changed). */
void swl_layers_arrange(struct swl_server *server);
/* Closes the layer surfaces on an output that goes away. */
void swl_layers_output_destroyed(struct swl_server *server, struct swl_output *output);
/*
 * The area windows may use on the output at (lx, ly) (else the first one),
 * in layout coordinates: the output less the layer-shell exclusive zones
 * (panels). For the window policy: placement, maximize.
 */
void swl_output_usable_area(struct swl_server *server, double lx, double ly, struct wlr_box *box);
/*
 * Where floating windows are kept: the outputs' bounding box less the
 * panels' exclusive zones along its edges.
 */
void swl_output_usable_box(struct swl_server *server, struct wlr_box *box);
/* A click on surface: true if it is a layer surface (focused if it takes keys). */
bool swl_layers_click_focus(struct swl_server *server, struct wlr_surface *surface);

/* foreign_toplevel.c: wlr-foreign-toplevel-management for taskbars */
bool swl_foreign_toplevel_init(struct swl_server *server);
/* A handle for a view that maps; taskbars list it. */
void swl_foreign_toplevel_create(struct swl_view *view);
/* The view unmaps or goes: taskbars hear it closed. Does nothing without a handle. */
void swl_foreign_toplevel_destroy(struct swl_view *view);
/* Sends taskbars what changed: title, app id, states, parent, outputs. */
void swl_foreign_toplevel_update(struct swl_view *view);

/* xdg_shell.c */
void swl_xdg_handle_new_surface(struct wl_listener *listener, void *data);

/* audio.c */
/* Names the audio FIFOs and tells COMMAND's environment; NULL on failure. */
struct swl_audio *swl_audio_create(struct swl_server *server);
const char *swl_audio_playback_path(struct swl_audio *audio);
const char *swl_audio_record_path(struct swl_audio *audio);
/* Attaches the FIFOs to the session's sound server, if one runs (async). */
void swl_audio_attach(struct swl_audio *audio);
/* A child exited; true if it was one of audio's (pactl). */
bool swl_audio_child_exited(struct swl_audio *audio, pid_t pid, int status);
/* Detaches from the sound server (waits briefly for pactl); accepts NULL. */
void swl_audio_destroy(struct swl_audio *audio);

/* children.c */
/* spice-wl becomes its children's subreaper; forked children inherit no fd at exec. */
bool swl_children_init(void);
/*
 * In a child of spice-wl just before exec: every fd >= 3 close-on-exec, and
 * death_signal when spice-wl dies. False if spice-wl is already gone.
 */
bool swl_children_exec_prepare(int death_signal);
/* Reaps exited children: COMMAND's exit ends the session, pactl's goes to audio. */
void swl_children_reap(struct swl_server *server);
/*
 * At exit: SIGTERM to every child (and orphan reparented to us), SIGKILL to
 * what is left after grace_ms, until none is left. False if some never went.
 */
bool swl_children_end(int grace_ms);

/* command.c */
bool swl_command_spawn(struct swl_server *server, char *const argv[]);
void swl_command_terminate(struct swl_server *server);

#endif
