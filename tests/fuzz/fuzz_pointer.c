/*
 * libFuzzer target for backend/pointer.c: the input is a stream of SPICE
 * pointer events (tablet size, position, wheel and buttons, mouse motion and
 * buttons, agent mouse states on arbitrary heads, client departures), each an
 * op byte and its int32 arguments, run through the pointer state machine.
 * Every action list must keep the invariants the compositor relies on:
 *
 *   - at most SPB_POINTER_MAX_ACTIONS, ending in exactly one frame, and
 *     empty when nothing changed
 *   - absolute positions finite, in [0, 1), and on a pixel of the tablet's
 *     space or of the agent's head (clipped to the layout); one per tablet
 *     position when its size is known, one per agent state with a usable head
 *   - relative motion exactly the deltas, only from the mouse
 *   - a button pressed only when not held, released only when held, all
 *     releases before presses, and afterwards exactly the buttons asked for
 *   - wheel steps non-zero, of the asked direction, at most
 *     SPB_POINTER_MAX_STEPS; the agent's only on a new up/down press
 *   - release_all releases exactly what is held, and nothing is held after
 *
 * Built with -DSPB_FUZZ_REPLAY it is a plain program instead that runs
 * the files named on its command line through the target once.
 */
#include <linux/input-event-codes.h>
#include <math.h>
#include <spice/vd_agent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "pointer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum op {
	OP_TABLET_SIZE, // w h
	OP_TABLET_POSITION, // x y buttons
	OP_TABLET_WHEEL, // steps buttons
	OP_BUTTONS, // buttons
	OP_MOUSE_MOTION, // dx dy dz buttons
	OP_AGENT, // has_head x y w h layout_w layout_h px py agent_buttons
	OP_RELEASE_ALL,
	OP_COUNT,
};

static const struct {
	uint32_t local, agent, button;
} buttons[] = {
	{ SPB_LOCAL_LEFT, VD_AGENT_LBUTTON_MASK, BTN_LEFT },
	{ SPB_LOCAL_RIGHT, VD_AGENT_RBUTTON_MASK, BTN_RIGHT },
	{ SPB_LOCAL_MIDDLE, VD_AGENT_MBUTTON_MASK, BTN_MIDDLE },
	{ SPB_LOCAL_SIDE, VD_AGENT_SBUTTON_MASK, BTN_SIDE },
	{ SPB_LOCAL_EXTRA, VD_AGENT_EBUTTON_MASK, BTN_EXTRA },
};
#define N_BUTTONS (sizeof(buttons) / sizeof(buttons[0]))

struct reader {
	const uint8_t *data;
	size_t size, pos;
};

/* Little-endian int32 from the input; zeros once it runs out. */
static int32_t next_int(struct reader *r) {
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t byte = r->pos < r->size ? r->data[r->pos++] : 0;
		v |= byte << (8 * i);
	}
	int32_t out;
	memcpy(&out, &v, sizeof(out));
	return out;
}

/* What the compositor was told: the model the actions must agree with. */
struct model {
	bool held[N_BUTTONS];
	uint32_t agent_wheel;
};

static size_t button_index(uint32_t code) {
	for (size_t i = 0; i < N_BUTTONS; i++) {
		if (buttons[i].button == code) {
			return i;
		}
	}
	CHECK(!"unknown button code");
	return 0;
}

/* A unit coordinate must be pixel lo..hi of a space size wide. */
static void check_unit(double u, long long size, long long lo, long long hi) {
	CHECK(isfinite(u));
	CHECK(u >= 0.0 && u < 1.0);
	double px = u * (double)size;
	long long pixel = (long long)(px + 0.5); // px >= 0: rounds to nearest
	double off = px - (double)pixel;
	CHECK(off < 1e-6 && off > -1e-6);
	CHECK(pixel >= lo && pixel <= hi);
}

static long long max_ll(long long a, long long b) {
	return a > b ? a : b;
}

static long long min_ll(long long a, long long b) {
	return a < b ? a : b;
}

struct expect {
	int absolute; // how many ABSOLUTE actions, 0 or 1
	long long size_x, size_y, lo_x, hi_x, lo_y, hi_y;
	bool relative;
	double dx, dy;
	int wheel_sign; // tablet/mouse: the one step's sign, 0 for none
	bool agent_wheel; // the agent's edge rule applies instead
	uint32_t up_edge, down_edge;
	uint32_t want; // local bits that must be held afterwards
};

static void check(struct model *m, const struct spb_pointer_state *state,
		const struct spb_pointer_actions *out, const struct expect *e) {
	CHECK(out->len <= SPB_POINTER_MAX_ACTIONS);
	CHECK((state->buttons & ~SPB_LOCAL_ALL) == 0);
	int absolute = 0, relative = 0, wheels_up = 0, wheels_down = 0, frames = 0;
	int button_actions = 0;
	bool pressed_any = false;
	for (size_t i = 0; i < out->len; i++) {
		const struct spb_pointer_action *a = &out->actions[i];
		CHECK(frames == 0); // nothing after the frame
		switch (a->type) {
		case SPB_POINTER_ABSOLUTE:
			absolute++;
			check_unit(a->x, e->size_x, e->lo_x, e->hi_x);
			check_unit(a->y, e->size_y, e->lo_y, e->hi_y);
			break;
		case SPB_POINTER_RELATIVE:
			relative++;
			CHECK(a->dx == e->dx && a->dy == e->dy);
			break;
		case SPB_POINTER_BUTTON:;
			size_t b = button_index(a->button);
			if (a->pressed) {
				CHECK(!m->held[b]);
				pressed_any = true;
			} else {
				CHECK(m->held[b]);
				CHECK(!pressed_any); // releases first
			}
			m->held[b] = a->pressed;
			button_actions++;
			break;
		case SPB_POINTER_WHEEL:
			CHECK(a->steps != 0);
			CHECK(a->steps >= -SPB_POINTER_MAX_STEPS &&
					a->steps <= SPB_POINTER_MAX_STEPS);
			if (a->steps < 0) {
				wheels_up++;
			} else {
				wheels_down++;
			}
			if (!e->agent_wheel) {
				CHECK((a->steps < 0 ? -1 : 1) == e->wheel_sign);
			} else {
				CHECK(a->steps == -1 || a->steps == 1);
			}
			break;
		case SPB_POINTER_FRAME:
			frames++;
			break;
		default:
			CHECK(!"unknown action type");
		}
	}
	CHECK(out->len == 0 ||
			(frames == 1 && out->actions[out->len - 1].type == SPB_POINTER_FRAME));
	CHECK(absolute == e->absolute);
	CHECK(relative == (e->relative ? 1 : 0));
	if (e->agent_wheel) {
		CHECK(wheels_up == (e->up_edge ? 1 : 0));
		CHECK(wheels_down == (e->down_edge ? 1 : 0));
	} else {
		CHECK(wheels_up + wheels_down == (e->wheel_sign != 0 ? 1 : 0));
	}
	for (size_t i = 0; i < N_BUTTONS; i++) {
		CHECK(m->held[i] == ((e->want & buttons[i].local) != 0));
		CHECK(m->held[i] == ((state->buttons & buttons[i].local) != 0));
	}
	CHECK(state->agent_wheel == m->agent_wheel);
	// Something is said exactly when something happened.
	CHECK((out->len > 0) == (absolute + relative + wheels_up + wheels_down + button_actions > 0));
}

static int sign(int v) {
	return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct reader r = { data, size, 0 };
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	struct model m = { 0 };
	spb_pointer_state_init(&state);

	while (r.pos < r.size) {
		enum op op = r.data[r.pos++] % OP_COUNT;
		struct expect e = { 0 };
		e.want = state.buttons;
		// Poison the output: every call must set the length.
		memset(&out, 0xa5, sizeof(out));
		switch (op) {
		case OP_TABLET_SIZE:;
			int w = next_int(&r), h = next_int(&r);
			spb_pointer_tablet_size(&state, w, h);
			continue;
		case OP_TABLET_POSITION:;
			int x = next_int(&r), y = next_int(&r);
			uint32_t b = (uint32_t)next_int(&r);
			spb_pointer_tablet_position(&state, x, y, b, &out);
			if (state.logical_width > 0 && state.logical_height > 0) {
				e.absolute = 1;
				e.size_x = e.hi_x = state.logical_width;
				e.size_y = e.hi_y = state.logical_height;
				e.hi_x--;
				e.hi_y--;
			}
			e.want = b & SPB_LOCAL_ALL;
			break;
		case OP_TABLET_WHEEL:;
			int steps = next_int(&r);
			b = (uint32_t)next_int(&r);
			spb_pointer_tablet_wheel(&state, steps, b, &out);
			e.wheel_sign = sign(steps);
			e.want = b & SPB_LOCAL_ALL;
			break;
		case OP_BUTTONS:
			b = (uint32_t)next_int(&r);
			spb_pointer_buttons(&state, b, &out);
			e.want = b & SPB_LOCAL_ALL;
			break;
		case OP_MOUSE_MOTION:;
			int dx = next_int(&r), dy = next_int(&r), dz = next_int(&r);
			b = (uint32_t)next_int(&r);
			spb_pointer_mouse_motion(&state, dx, dy, dz, b, &out);
			e.relative = dx != 0 || dy != 0;
			e.dx = dx;
			e.dy = dy;
			e.wheel_sign = sign(dz);
			e.want = b & SPB_LOCAL_ALL;
			break;
		case OP_AGENT:;
			bool has_head = next_int(&r) & 1;
			struct spb_pointer_head head = {
				.x = next_int(&r),
				.y = next_int(&r),
				.width = next_int(&r),
				.height = next_int(&r),
				.layout_width = next_int(&r),
				.layout_height = next_int(&r),
			};
			int px = next_int(&r), py = next_int(&r);
			uint32_t ab = (uint32_t)next_int(&r);
			spb_pointer_agent(&state, has_head ? &head : NULL, px, py, ab, &out);
			if (has_head && head.width > 0 && head.height > 0 && head.layout_width > 0 &&
					head.layout_height > 0) {
				e.absolute = 1;
				e.size_x = head.layout_width;
				e.size_y = head.layout_height;
				// On the head where it overlaps the layout, else on the
				// layout's edge nearest to it.
				long long hx1 = (long long)head.x + head.width - 1;
				long long hy1 = (long long)head.y + head.height - 1;
				e.lo_x = min_ll(max_ll(head.x, 0), head.layout_width - 1);
				e.hi_x = max_ll(min_ll(hx1, head.layout_width - 1), 0);
				e.lo_y = min_ll(max_ll(head.y, 0), head.layout_height - 1);
				e.hi_y = max_ll(min_ll(hy1, head.layout_height - 1), 0);
				if (e.lo_x > e.hi_x) {
					e.lo_x = 0;
					e.hi_x = head.layout_width - 1;
				}
				if (e.lo_y > e.hi_y) {
					e.lo_y = 0;
					e.hi_y = head.layout_height - 1;
				}
			}
			e.want = 0;
			for (size_t i = 0; i < N_BUTTONS; i++) {
				e.want |= (ab & buttons[i].agent) ? buttons[i].local : 0;
			}
			e.agent_wheel = true;
			e.up_edge = (ab & VD_AGENT_UBUTTON_MASK) & ~m.agent_wheel;
			e.down_edge = (ab & VD_AGENT_DBUTTON_MASK) & ~m.agent_wheel;
			m.agent_wheel = ab & (VD_AGENT_UBUTTON_MASK | VD_AGENT_DBUTTON_MASK);
			break;
		case OP_RELEASE_ALL:
			spb_pointer_release_all(&state, &out);
			e.want = 0;
			m.agent_wheel = 0;
			break;
		default:
			CHECK(!"unreachable");
		}
		check(&m, &state, &out, &e);
	}

	// The client leaves: everything it held is released, nothing else.
	spb_pointer_release_all(&state, &out);
	m.agent_wheel = 0;
	struct expect e = { 0 };
	check(&m, &state, &out, &e);
	CHECK(state.buttons == 0 && state.agent_wheel == 0);
	return 0;
}

#ifdef SPB_FUZZ_REPLAY
#include "fuzz_replay.h"
#endif
