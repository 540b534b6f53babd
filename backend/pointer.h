/*
 * Pointer input from SPICE clients as a pure state machine: tablet (client
 * mouse mode), mouse (server mode) and agent mouse events, plus what is held,
 * become a short list of wlr_pointer actions. No wlroots or spice-server
 * calls, so the unit tests and the fuzzer (tests/fuzz/fuzz_pointer.c) drive
 * exactly the logic input.c runs; input.c only turns the actions into
 * wlr_pointer signals.
 */
#ifndef SPB_POINTER_H
#define SPB_POINTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Button bits in spice-server's local (PS/2) order, as the tablet and mouse
 * interfaces get them (RED_MOUSE_STATE_TO_LOCAL): not the
 * SPICE_MOUSE_BUTTON_MASK_* bits the client sent.
 */
#define SPB_LOCAL_LEFT 0x01u
#define SPB_LOCAL_RIGHT 0x02u
#define SPB_LOCAL_MIDDLE 0x04u
#define SPB_LOCAL_SIDE 0x40u
#define SPB_LOCAL_EXTRA 0x80u
#define SPB_LOCAL_ALL                                                                       \
	(SPB_LOCAL_LEFT | SPB_LOCAL_RIGHT | SPB_LOCAL_MIDDLE |                      \
			SPB_LOCAL_SIDE | SPB_LOCAL_EXTRA)

/* Wheel steps one event may carry; spice-server sends one at a time. */
#define SPB_POINTER_MAX_STEPS 100

enum spb_pointer_action_type {
	SPB_POINTER_ABSOLUTE, // x, y: 0..1 of the output layout
	SPB_POINTER_RELATIVE, // dx, dy in pixels
	SPB_POINTER_BUTTON, // button (BTN_*), pressed
	SPB_POINTER_WHEEL, // steps: negative up, positive down
	SPB_POINTER_FRAME, // ends a group of actions that belong together
};

struct spb_pointer_action {
	enum spb_pointer_action_type type;
	double x, y;
	double dx, dy;
	uint32_t button;
	bool pressed;
	int steps;
};

/* Motion, 5 buttons, 2 wheel steps and a frame: the most one event yields. */
#define SPB_POINTER_MAX_ACTIONS 9

struct spb_pointer_actions {
	struct spb_pointer_action actions[SPB_POINTER_MAX_ACTIONS];
	size_t len;
};

struct spb_pointer_state {
	uint32_t buttons; // SPB_LOCAL_* held, as the compositor was told
	uint32_t agent_wheel; // VD_AGENT_[UD]BUTTON_MASK the agent reported held
	int logical_width, logical_height; // the tablet's coordinate space
};

/* Where an agent's display is: its box on the layout, and the layout's size. */
struct spb_pointer_head {
	int x, y, width, height;
	int layout_width, layout_height;
};

void spb_pointer_state_init(struct spb_pointer_state *state);

void spb_pointer_tablet_size(struct spb_pointer_state *state, int width, int height);
void spb_pointer_tablet_position(struct spb_pointer_state *state, int x, int y,
		uint32_t buttons, struct spb_pointer_actions *out);
void spb_pointer_tablet_wheel(struct spb_pointer_state *state, int steps,
		uint32_t buttons, struct spb_pointer_actions *out);
/* Buttons alone, from the tablet or the mouse. */
void spb_pointer_buttons(struct spb_pointer_state *state, uint32_t buttons,
		struct spb_pointer_actions *out);
void spb_pointer_mouse_motion(struct spb_pointer_state *state, int dx, int dy, int dz,
		uint32_t buttons, struct spb_pointer_actions *out);
/*
 * An agent mouse state: x, y relative to the display's window, buttons as
 * VD_AGENT_*BUTTON_MASK. head is NULL when that display has no output: the
 * buttons still count (a release must never be lost), the position not.
 */
void spb_pointer_agent(struct spb_pointer_state *state,
		const struct spb_pointer_head *head, int x, int y, uint32_t agent_buttons,
		struct spb_pointer_actions *out);
/* Releases every button held (a client left). */
void spb_pointer_release_all(
		struct spb_pointer_state *state, struct spb_pointer_actions *out);

#endif
