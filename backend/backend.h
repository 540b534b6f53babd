/*
 * Private state of the SPICE backend shared by its files: the backend, its
 * single output, the QXL instance and the SpiceCoreInterface glue.
 */
#ifndef SPB_BACKEND_PRIV_H
#define SPB_BACKEND_PRIV_H

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
#define SPB_QUEUE_BOUND 64
/* Capacity of the command ring; larger than the bound so a flush never fails. */
#define SPB_RING_SIZE 1024
/* Most draw commands one flush produces. */
#define SPB_MAX_RECTS_PER_OP 32
#define SPB_MAX_RECTS_DFPS 16
/* The thinnest band of a large region sent on a slow link, in rows. */
#define SPB_PACE_MIN_ROWS 8
/* Unreleased drawables above which the main thread flushes spice's tree. */
#define SPB_OUTSTANDING_FLUSH 512

/* Cursor commands waiting for the worker; moves are coalesced in place. */
#define SPB_CURSOR_RING_SIZE 64

struct spb_backend;
struct spb_draw;
struct spb_cursor_cmd;

/*
 * What the main thread and spice-server's worker thread share, only ever
 * touched in qxl.c with spb_qxl.lock held: the rings the worker pops
 * commands from, and every command it has not released yet.
 */
struct spb_qxl_shared {
	struct spb_ring draws, cursors;
	QXLCommandExt draw_slots[SPB_RING_SIZE];
	QXLCommandExt cursor_slots[SPB_CURSOR_RING_SIZE];
	// spb_resource.link: every command queued or held by spice-server
	struct wl_list outstanding;
	size_t outstanding_count; // draws only
	uint64_t released; // draws spice-server released, for the stats
};

struct spb_qxl {
	QXLInstance instance;
	struct spb_backend *backend;

	pthread_mutex_t lock; // guards shared
	struct spb_qxl_shared shared;

	// Main thread only. The worker renders into primary, which is freed only
	// once spice-server has let go of it (section 3 of docs/ARCHITECTURE.md).
	uint8_t *primary; // memory spice-server renders the primary surface into
	int width, height;
	bool primary_active;
};

struct spb_input {
	struct spb_backend *backend;
	SpiceKbdInstance kbd;
	SpiceTabletInstance tablet;
	SpiceMouseInstance mouse;
	bool kbd_added;

	struct spb_scancode_decoder decoder;
	uint32_t unknown_logged[8]; // bitmap of unknown scancodes already logged
	uint8_t spice_leds; // SPICE_KEYBOARD_MODIFIER_FLAGS_*, as get_leds reports
	struct spb_pointer_state pointer_state; // buttons held, tablet size
	bool client_mouse_mode; // the last motion came from the tablet or agent
	bool view_only; // input from clients is ignored

	struct wlr_input_device *keyboard, *pointer;
};

struct spb_output {
	struct wlr_output wlr_output;
	struct spb_backend *backend;

	struct spb_frame_policy policy;
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
	struct spb_move_hint incoming_hints[SPB_MAX_HINTS];
	struct spb_move_hint hints[SPB_MAX_HINTS];
	int n_incoming_hints, n_hints;

	int index; // head number, position in spb_backend.outputs
	int x; // where this head starts on the shared primary surface
	int pace_row; // on a slow link, where the next band of large regions starts
	int width, height; // the mode
};

struct spb_backend {
	struct wlr_backend backend;
	struct wl_display *display;
	struct wl_event_loop *loop;

	struct wlr_spice_backend_options options; // strings owned
	char address[136]; // for messages: host:port or unix:PATH (sun_path fits)
	char uri[176]; // what clients connect to

	SpiceServer *server;
	struct spb_listener listener; // the listening sockets; spice-server opens none
	// Holds large regions back for the slowest client's link.
	struct spb_link_pace link_pace;
	struct spb_qxl qxl;
	bool qxl_added;
	struct spb_input input;
	struct spb_agent agent;
	struct spb_audio audio;
	// Heads side by side on one primary surface; outputs[0] always exists.
	struct spb_output *outputs[WLR_SPICE_MAX_HEADS];
	bool started;

	struct wlr_spice_stats stats;

	struct wlr_spice_backend_events events;

	struct wl_listener display_destroy;
};

struct spb_backend *spb_backend_from_backend(struct wlr_backend *backend);

/* core.c: SpiceCoreInterface on the Wayland event loop. */
SpiceCoreInterface *spb_core_get(struct spb_backend *backend);

/* session.c: what channels connecting and leaving mean; emits events. */
void spb_session_init(struct spb_backend *backend);
void spb_session_channel_event(struct spb_backend *backend, int event,
		SpiceChannelEventInfo *info);

/* qxl.c */
void spb_qxl_init(struct spb_qxl *qxl, struct spb_backend *backend);
bool spb_qxl_add(struct spb_qxl *qxl, SpiceServer *server, int max_heads);
void spb_qxl_finish(struct spb_qxl *qxl);
bool spb_qxl_create_primary(struct spb_qxl *qxl, int width, int height);
/* Queues a draw and wakes the worker; false if the ring is full. */
bool spb_qxl_push_draw(struct spb_qxl *qxl, struct spb_draw *draw);
/* Draws waiting for the worker. */
int spb_qxl_queued(struct spb_qxl *qxl);
/* Draws spice-server has released so far. */
uint64_t spb_qxl_released(struct spb_qxl *qxl);
/* Queues a cursor command; a move replaces a move still waiting. */
bool spb_qxl_push_cursor(struct spb_qxl *qxl, struct spb_cursor_cmd *cmd);
/* Tells spice-server (and so the client) where each head is on the surface. */
void spb_qxl_set_heads(struct spb_qxl *qxl, const QXLHead *heads, int n, int max);
/* Lets spice-server free drawables it keeps while no client is connected. */
void spb_qxl_maybe_flush_tree(struct spb_qxl *qxl);

/* input.c */
void spb_input_init(struct spb_input *input, struct spb_backend *backend);
bool spb_input_add(struct spb_input *input, SpiceServer *server);
bool spb_input_create_devices(struct spb_input *input);
/*
 * Pointer state from the agent (several heads): a position on a head's
 * window and VD_AGENT_*BUTTON_MASK buttons.
 */
void spb_input_agent_mouse(
		struct spb_input *input, int display_id, int x, int y, uint32_t agent_buttons);
/* Releases keys and buttons a departed client left pressed. */
void spb_input_release_all(struct spb_input *input);
/* Unregisters the SPICE interfaces; before spice_server_destroy. */
void spb_input_remove(struct spb_input *input);
void spb_input_finish(struct spb_input *input);

/* output.c */
struct spb_output *spb_output_create(
		struct spb_backend *backend, int index, int width, int height);
void spb_output_client_connected(struct spb_output *output);
/* Sets the head's mode; the primary surface follows in spb_backend_layout. */
void spb_output_set_mode(struct spb_output *output, int width, int height);
/*
 * Sets the head's physical size: the client monitor's (0 when not known:
 * then one for 96 dpi, so toolkits do not guess from 0x0 mm).
 */
void spb_output_set_physical_size(struct spb_output *output, int width_mm,
		int height_mm);
/* The primary surface was recreated: everything must be sent again. */
void spb_output_repaint(struct spb_output *output);
/* Sends the last cursor image (or hide) again: a new surface resets it. */
void spb_output_restore_cursor(struct spb_output *output);

/* backend.c */
/*
 * Makes the heads what the client asked for: creates or destroys outputs,
 * sets their modes, and lays them out side by side on the primary surface.
 */
void spb_backend_set_heads(
		struct spb_backend *backend, const struct spb_head *heads, int n);
/* Recomputes head positions and the primary surface, tells spice-server. */
bool spb_backend_layout(struct spb_backend *backend);

#endif
