/*
 * Pointer input from SPICE clients as a pure state machine (see pointer.h):
 * positions clamped onto the layout, button changes as presses and releases
 * of what is really held, wheel steps bounded. Everything here takes values
 * straight from the network, so nothing may overflow or go out of range.
 */
#include <linux/input-event-codes.h>
#include <spice/vd_agent.h>
#include <string.h>
#include "pointer.h"

static const struct {
	uint32_t mask;
	uint32_t button;
} button_map[] = {
	{ SPB_LOCAL_LEFT, BTN_LEFT },
	{ SPB_LOCAL_RIGHT, BTN_RIGHT },
	{ SPB_LOCAL_MIDDLE, BTN_MIDDLE },
	{ SPB_LOCAL_SIDE, BTN_SIDE },
	{ SPB_LOCAL_EXTRA, BTN_EXTRA },
};

#define BUTTON_COUNT (sizeof(button_map) / sizeof(button_map[0]))

static struct spb_pointer_action *push(
		struct spb_pointer_actions *out, enum spb_pointer_action_type type) {
	// The callers' sequences are fixed and fit; the check only keeps a future
	// mistake from writing past the array.
	if (out->len >= SPB_POINTER_MAX_ACTIONS) {
		return NULL;
	}
	struct spb_pointer_action *a = &out->actions[out->len++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

static void begin(struct spb_pointer_actions *out) {
	out->len = 0;
}

/* A frame closes whatever was emitted; an event that changed nothing emits nothing. */
static void end(struct spb_pointer_actions *out) {
	if (out->len > 0) {
		push(out, SPB_POINTER_FRAME);
	}
}

static long long clamp_ll(long long v, long long lo, long long hi) {
	return v < lo ? lo : (v > hi ? hi : v);
}

/*
 * Pixel v of a space size wide as a fraction that wlroots maps back onto
 * that pixel (v / size), kept on the last pixel at most: a fraction of 1.0
 * would be just outside the layout.
 */
static double to_unit(long long v, long long size) {
	return (double)clamp_ll(v, 0, size - 1) / (double)size;
}

static void absolute(struct spb_pointer_actions *out, double x, double y) {
	struct spb_pointer_action *a = push(out, SPB_POINTER_ABSOLUTE);
	if (a != NULL) {
		a->x = x;
		a->y = y;
	}
}

static void wheel(struct spb_pointer_actions *out, int steps) {
	if (steps == 0) {
		return;
	}
	struct spb_pointer_action *a = push(out, SPB_POINTER_WHEEL);
	if (a != NULL) {
		a->steps = (int)clamp_ll(steps, -SPB_POINTER_MAX_STEPS, SPB_POINTER_MAX_STEPS);
	}
}

static void emit_button(struct spb_pointer_actions *out, size_t i, bool pressed) {
	struct spb_pointer_action *a = push(out, SPB_POINTER_BUTTON);
	if (a != NULL) {
		a->button = button_map[i].button;
		a->pressed = pressed;
	}
}

/*
 * Moves the held set to buttons. Releases go first, so a client never sees
 * more buttons held at once than the SPICE client had.
 */
static void set_buttons(struct spb_pointer_state *state, uint32_t buttons,
		struct spb_pointer_actions *out) {
	buttons &= SPB_LOCAL_ALL;
	uint32_t released = state->buttons & ~buttons;
	uint32_t pressed = buttons & ~state->buttons;
	for (size_t i = 0; i < BUTTON_COUNT; i++) {
		if (released & button_map[i].mask) {
			emit_button(out, i, false);
		}
	}
	for (size_t i = 0; i < BUTTON_COUNT; i++) {
		if (pressed & button_map[i].mask) {
			emit_button(out, i, true);
		}
	}
	state->buttons = buttons;
}

void spb_pointer_state_init(struct spb_pointer_state *state) {
	memset(state, 0, sizeof(*state));
}

void spb_pointer_tablet_size(struct spb_pointer_state *state, int width, int height) {
	state->logical_width = width;
	state->logical_height = height;
}

void spb_pointer_tablet_position(struct spb_pointer_state *state, int x, int y,
		uint32_t buttons, struct spb_pointer_actions *out) {
	begin(out);
	// Before spice-server told the size there is no space to place x in.
	if (state->logical_width > 0 && state->logical_height > 0) {
		absolute(out, to_unit(x, state->logical_width), to_unit(y, state->logical_height));
	}
	set_buttons(state, buttons, out);
	end(out);
}

void spb_pointer_tablet_wheel(struct spb_pointer_state *state, int steps,
		uint32_t buttons, struct spb_pointer_actions *out) {
	begin(out);
	wheel(out, steps);
	set_buttons(state, buttons, out);
	end(out);
}

void spb_pointer_buttons(struct spb_pointer_state *state, uint32_t buttons,
		struct spb_pointer_actions *out) {
	begin(out);
	set_buttons(state, buttons, out);
	end(out);
}

void spb_pointer_mouse_motion(struct spb_pointer_state *state, int dx, int dy, int dz,
		uint32_t buttons, struct spb_pointer_actions *out) {
	begin(out);
	if (dx != 0 || dy != 0) {
		struct spb_pointer_action *a = push(out, SPB_POINTER_RELATIVE);
		if (a != NULL) {
			a->dx = dx;
			a->dy = dy;
		}
	}
	wheel(out, dz);
	set_buttons(state, buttons, out);
	end(out);
}

static bool head_usable(const struct spb_pointer_head *head) {
	return head != NULL && head->width > 0 && head->height > 0 && head->layout_width > 0 &&
			head->layout_height > 0;
}

void spb_pointer_agent(struct spb_pointer_state *state,
		const struct spb_pointer_head *head, int x, int y, uint32_t agent_buttons,
		struct spb_pointer_actions *out) {
	begin(out);
	if (head_usable(head)) {
		// Positions are relative to the client's window of that display:
		// keep them on that head, then on the layout (in 64 bits, as the
		// head's box is only as trustworthy as the layout code).
		long long px = (long long)head->x + clamp_ll(x, 0, head->width - 1);
		long long py = (long long)head->y + clamp_ll(y, 0, head->height - 1);
		absolute(out, to_unit(px, head->layout_width), to_unit(py, head->layout_height));
	}

	uint32_t buttons = 0;
	buttons |= (agent_buttons & VD_AGENT_LBUTTON_MASK) ? SPB_LOCAL_LEFT : 0;
	buttons |= (agent_buttons & VD_AGENT_RBUTTON_MASK) ? SPB_LOCAL_RIGHT : 0;
	buttons |= (agent_buttons & VD_AGENT_MBUTTON_MASK) ? SPB_LOCAL_MIDDLE : 0;
	buttons |= (agent_buttons & VD_AGENT_SBUTTON_MASK) ? SPB_LOCAL_SIDE : 0;
	buttons |= (agent_buttons & VD_AGENT_EBUTTON_MASK) ? SPB_LOCAL_EXTRA : 0;
	set_buttons(state, buttons, out);

	// The agent sends wheel steps as the up/down buttons held: a step is
	// the moment one becomes held.
	uint32_t held = agent_buttons & (VD_AGENT_UBUTTON_MASK | VD_AGENT_DBUTTON_MASK);
	uint32_t pressed = held & ~state->agent_wheel;
	state->agent_wheel = held;
	if (pressed & VD_AGENT_UBUTTON_MASK) {
		wheel(out, -1);
	}
	if (pressed & VD_AGENT_DBUTTON_MASK) {
		wheel(out, 1);
	}
	end(out);
}

void spb_pointer_release_all(
		struct spb_pointer_state *state, struct spb_pointer_actions *out) {
	begin(out);
	set_buttons(state, 0, out);
	// The next client's first wheel step must count even if this one left
	// with a wheel button held.
	state->agent_wheel = 0;
	end(out);
}
