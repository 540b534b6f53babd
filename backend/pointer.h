/*
 * Pointer input from SPICE clients as a pure state machine: tablet (client
 * mouse mode), mouse (server mode) and agent mouse events, plus what is held,
 * become a short list of wlr_pointer actions. No wlroots or spice-server
 * calls, so the unit tests and the fuzzer (tests/fuzz/fuzz_pointer.c) drive
 * exactly the logic input.c runs; input.c only turns the actions into
 * wlr_pointer signals.
 */
#ifndef WLR_SPICE_POINTER_H
#define WLR_SPICE_POINTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Button bits in spice-server's local (PS/2) order, as the tablet and mouse
 * interfaces get them (RED_MOUSE_STATE_TO_LOCAL): not the
 * SPICE_MOUSE_BUTTON_MASK_* bits the client sent.
 */
#define WLR_SPICE_LOCAL_LEFT 0x01u
#define WLR_SPICE_LOCAL_RIGHT 0x02u
#define WLR_SPICE_LOCAL_MIDDLE 0x04u
#define WLR_SPICE_LOCAL_SIDE 0x40u
#define WLR_SPICE_LOCAL_EXTRA 0x80u
#define WLR_SPICE_LOCAL_ALL                                                                       \
	(WLR_SPICE_LOCAL_LEFT | WLR_SPICE_LOCAL_RIGHT | WLR_SPICE_LOCAL_MIDDLE |                      \
			WLR_SPICE_LOCAL_SIDE | WLR_SPICE_LOCAL_EXTRA)

/* Wheel steps one event may carry; spice-server sends one at a time. */
#define WLR_SPICE_POINTER_MAX_STEPS 100

enum wlr_spice_pointer_action_type {
	WLR_SPICE_POINTER_ABSOLUTE, // x, y: 0..1 of the output layout
	WLR_SPICE_POINTER_RELATIVE, // dx, dy in pixels
	WLR_SPICE_POINTER_BUTTON, // button (BTN_*), pressed
	WLR_SPICE_POINTER_WHEEL, // steps: negative up, positive down
	WLR_SPICE_POINTER_FRAME, // ends a group of actions that belong together
};

struct wlr_spice_pointer_action {
	enum wlr_spice_pointer_action_type type;
	double x, y;
	double dx, dy;
	uint32_t button;
	bool pressed;
	int steps;
};

/* Motion, 5 buttons, 2 wheel steps and a frame: the most one event yields. */
#define WLR_SPICE_POINTER_MAX_ACTIONS 9

struct wlr_spice_pointer_actions {
	struct wlr_spice_pointer_action actions[WLR_SPICE_POINTER_MAX_ACTIONS];
	size_t len;
};

struct wlr_spice_pointer_state {
	uint32_t buttons; // WLR_SPICE_LOCAL_* held, as the compositor was told
	uint32_t agent_wheel; // VD_AGENT_[UD]BUTTON_MASK the agent reported held
	int logical_width, logical_height; // the tablet's coordinate space
};

/* Where an agent's display is: its box on the layout, and the layout's size. */
struct wlr_spice_pointer_head {
	int x, y, width, height;
	int layout_width, layout_height;
};

void wlr_spice_pointer_state_init(struct wlr_spice_pointer_state *state);

void wlr_spice_pointer_tablet_size(struct wlr_spice_pointer_state *state, int width, int height);
void wlr_spice_pointer_tablet_position(struct wlr_spice_pointer_state *state, int x, int y,
		uint32_t buttons, struct wlr_spice_pointer_actions *out);
void wlr_spice_pointer_tablet_wheel(struct wlr_spice_pointer_state *state, int steps,
		uint32_t buttons, struct wlr_spice_pointer_actions *out);
/* Buttons alone, from the tablet or the mouse. */
void wlr_spice_pointer_buttons(struct wlr_spice_pointer_state *state, uint32_t buttons,
		struct wlr_spice_pointer_actions *out);
void wlr_spice_pointer_mouse_motion(struct wlr_spice_pointer_state *state, int dx, int dy, int dz,
		uint32_t buttons, struct wlr_spice_pointer_actions *out);
/*
 * An agent mouse state: x, y relative to the display's window, buttons as
 * VD_AGENT_*BUTTON_MASK. head is NULL when that display has no output: the
 * buttons still count (a release must never be lost), the position not.
 */
void wlr_spice_pointer_agent(struct wlr_spice_pointer_state *state,
		const struct wlr_spice_pointer_head *head, int x, int y, uint32_t agent_buttons,
		struct wlr_spice_pointer_actions *out);
/* Releases every button held (a client left). */
void wlr_spice_pointer_release_all(
		struct wlr_spice_pointer_state *state, struct wlr_spice_pointer_actions *out);

#endif
