/*
 * Private state of the SPICE backend shared by its files: the backend, its
 * single output, the QXL instance and the SpiceCoreInterface glue.
 */
#ifndef WLR_SPICE_BACKEND_PRIV_H
#define WLR_SPICE_BACKEND_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <spice.h>
#include <wlr/backend/interface.h>
#include <wlr/interfaces/wlr_output.h>
#include "agent.h"
#include "heads.h"
#include "audio.h"
#include "frame_policy.h"
#include "listener.h"
#include "link_pace.h"
#include "motion.h"
#include "pointer.h"
#include "ring.h"
#include "scancode.h"
#include "wlr_spice.h"

/* Commands waiting for the worker above which new damage is coalesced. */
#define WLR_SPICE_QUEUE_BOUND 64
/* Capacity of the command ring; larger than the bound so a flush never fails. */
#define WLR_SPICE_RING_SIZE 1024
/* Most draw commands one flush produces. */
#define WLR_SPICE_MAX_RECTS_PER_OP 32
#define WLR_SPICE_MAX_RECTS_DFPS 16
/* The thinnest band of a large region sent on a slow link, in rows. */
#define WLR_SPICE_PACE_MIN_ROWS 8
/* Unreleased drawables above which the main thread flushes spice's tree. */
#define WLR_SPICE_OUTSTANDING_FLUSH 512

/* Cursor commands waiting for the worker; moves are coalesced in place. */
#define WLR_SPICE_CURSOR_RING_SIZE 64

struct wlr_spice_backend;
struct wlr_spice_draw;
struct wlr_spice_cursor_cmd;

/*
 * What the main thread and spice-server's worker thread share, only ever
 * touched in qxl.c with wlr_spice_qxl.lock held: the rings the worker pops
 * commands from, and every command it has not released yet.
 */
struct wlr_spice_qxl_shared {
	struct wlr_spice_ring draws, cursors;
	QXLCommandExt draw_slots[WLR_SPICE_RING_SIZE];
	QXLCommandExt cursor_slots[WLR_SPICE_CURSOR_RING_SIZE];
	// wlr_spice_resource.link: every command queued or held by spice-server
	struct wl_list outstanding;
	size_t outstanding_count; // draws only
	uint64_t released; // draws spice-server released, for the stats
};

struct wlr_spice_qxl {
	QXLInstance instance;
	struct wlr_spice_backend *backend;

	pthread_mutex_t lock; // guards shared
	struct wlr_spice_qxl_shared shared;

	// Main thread only. The worker renders into primary, which is freed only
	// once spice-server has let go of it (section 3 of docs/ARCHITECTURE.md).
	uint8_t *primary; // memory spice-server renders the primary surface into
	int width, height;
	bool primary_active;
};

struct wlr_spice_input {
	struct wlr_spice_backend *backend;
	SpiceKbdInstance kbd;
	SpiceTabletInstance tablet;
	SpiceMouseInstance mouse;
	bool kbd_added;

	struct wlr_spice_scancode_decoder decoder;
	uint32_t unknown_logged[8]; // bitmap of unknown scancodes already logged
	uint8_t spice_leds; // SPICE_KEYBOARD_MODIFIER_FLAGS_*, as get_leds reports
	struct wlr_spice_pointer_state pointer_state; // buttons held, tablet size
	bool client_mouse_mode; // the last motion came from the tablet or agent
	bool view_only; // input from clients is ignored

	struct wlr_input_device *keyboard, *pointer;
};

struct wlr_spice_output {
	struct wlr_output wlr_output;
	struct wlr_spice_backend *backend;

	struct wlr_spice_frame_policy policy;
	struct wl_event_source *frame_timer; // paces frame events after a commit
	struct wl_event_source *flush_timer; // dfps deadline or per-op backlog retry
	struct wlr_buffer *front; // latest committed buffer, locked
	int frame_delay_ms;
	int cursor_x, cursor_y; // hotspot position, buffer coordinates
	int client_width_mm, client_height_mm; // the client monitor's size; 0 when not known

	struct saved_cursor {
		bool known, hidden;
		uint8_t *pixels; // premultiplied ARGB8888, width * 4 bytes a row
		int width, height, hotspot_x, hotspot_y;
	} saved_cursor; // head 0: the image to set again after a surface reset

	// What the client shows of this head, kept to find copies: pixels, and
	// where they are known (nowhere after a surface reset). NULL without
	// copy-bits.
	uint8_t *shadow;
	int shadow_width, shadow_height;
	pixman_region32_t shadow_valid;
	// Moves the compositor announced: before the commit that shows them, and
	// committed, waiting for the next flush.
	struct wlr_spice_move_hint incoming_hints[WLR_SPICE_MAX_HINTS];
	struct wlr_spice_move_hint hints[WLR_SPICE_MAX_HINTS];
	int n_incoming_hints, n_hints;

	int index; // head number, position in wlr_spice_backend.outputs
	int x; // where this head starts on the shared primary surface
	int pace_row; // on a slow link, where the next band of large regions starts
	int width, height; // the mode
};

struct wlr_spice_backend {
	struct wlr_backend backend;
	struct wl_display *display;
	struct wl_event_loop *loop;

	struct wlr_spice_backend_options options; // strings owned
	char address[136]; // for messages: host:port or unix:PATH (sun_path fits)
	char uri[176]; // what clients connect to

	SpiceServer *server;
	struct wlr_spice_listener listener; // the listening sockets; spice-server opens none
	// Holds large regions back for the slowest client's link.
	struct wlr_spice_link_pace link_pace;
	struct wlr_spice_qxl qxl;
	bool qxl_added;
	struct wlr_spice_input input;
	struct wlr_spice_agent agent;
	struct wlr_spice_audio audio;
	// Heads side by side on one primary surface; outputs[0] always exists.
	struct wlr_spice_output *outputs[WLR_SPICE_MAX_HEADS];
	bool started;

	struct wlr_spice_stats stats;

	struct wl_listener display_destroy;
};

struct wlr_spice_backend *wlr_spice_backend_from_backend(struct wlr_backend *backend);

/* core.c: SpiceCoreInterface on the Wayland event loop. */
SpiceCoreInterface *wlr_spice_core_get(struct wlr_spice_backend *backend);

/* qxl.c */
void wlr_spice_qxl_init(struct wlr_spice_qxl *qxl, struct wlr_spice_backend *backend);
bool wlr_spice_qxl_add(struct wlr_spice_qxl *qxl, SpiceServer *server, int max_heads);
void wlr_spice_qxl_finish(struct wlr_spice_qxl *qxl);
bool wlr_spice_qxl_create_primary(struct wlr_spice_qxl *qxl, int width, int height);
/* Queues a draw and wakes the worker; false if the ring is full. */
bool wlr_spice_qxl_push_draw(struct wlr_spice_qxl *qxl, struct wlr_spice_draw *draw);
/* Draws waiting for the worker. */
int wlr_spice_qxl_queued(struct wlr_spice_qxl *qxl);
/* Draws spice-server has released so far. */
uint64_t wlr_spice_qxl_released(struct wlr_spice_qxl *qxl);
/* Queues a cursor command; a move replaces a move still waiting. */
bool wlr_spice_qxl_push_cursor(struct wlr_spice_qxl *qxl, struct wlr_spice_cursor_cmd *cmd);
/* Tells spice-server (and so the client) where each head is on the surface. */
void wlr_spice_qxl_set_heads(struct wlr_spice_qxl *qxl, const QXLHead *heads, int n, int max);
/* Lets spice-server free drawables it keeps while no client is connected. */
void wlr_spice_qxl_maybe_flush_tree(struct wlr_spice_qxl *qxl);

/* input.c */
void wlr_spice_input_init(struct wlr_spice_input *input, struct wlr_spice_backend *backend);
bool wlr_spice_input_add(struct wlr_spice_input *input, SpiceServer *server);
bool wlr_spice_input_create_devices(struct wlr_spice_input *input);
/*
 * Pointer state from the agent (several heads): a position on a head's
 * window and VD_AGENT_*BUTTON_MASK buttons.
 */
void wlr_spice_input_agent_mouse(
		struct wlr_spice_input *input, int display_id, int x, int y, uint32_t agent_buttons);
/* Releases keys and buttons a departed client left pressed. */
void wlr_spice_input_release_all(struct wlr_spice_input *input);
/* Unregisters the SPICE interfaces; before spice_server_destroy. */
void wlr_spice_input_remove(struct wlr_spice_input *input);
void wlr_spice_input_finish(struct wlr_spice_input *input);

/* output.c */
struct wlr_spice_output *wlr_spice_output_create(
		struct wlr_spice_backend *backend, int index, int width, int height);
void wlr_spice_output_client_connected(struct wlr_spice_output *output);
/* Sets the head's mode; the primary surface follows in wlr_spice_backend_layout. */
void wlr_spice_output_set_mode(struct wlr_spice_output *output, int width, int height);
/*
 * Sets the head's physical size: the client monitor's (0 when not known:
 * then one for 96 dpi, so toolkits do not guess from 0x0 mm).
 */
void wlr_spice_output_set_physical_size(struct wlr_spice_output *output, int width_mm,
		int height_mm);
/* The primary surface was recreated: everything must be sent again. */
void wlr_spice_output_repaint(struct wlr_spice_output *output);
/* Sends the last cursor image (or hide) again: a new surface resets it. */
void wlr_spice_output_restore_cursor(struct wlr_spice_output *output);

/* backend.c */
/*
 * Makes the heads what the client asked for: creates or destroys outputs,
 * sets their modes, and lays them out side by side on the primary surface.
 */
void wlr_spice_backend_set_heads(
		struct wlr_spice_backend *backend, const struct wlr_spice_head *heads, int n);
/* Recomputes head positions and the primary surface, tells spice-server. */
bool wlr_spice_backend_layout(struct wlr_spice_backend *backend);

#endif
