/*
 * Unit tests for backend/pointer.c: tablet positions clamped onto the
 * tablet's space (and nothing before its size is known), the PS/2-order
 * button bits mapped to BTN_* codes, releases before presses, no action for
 * no change, wheel steps bounded, relative motion, agent positions kept on
 * their head, agent buttons counted without a head, agent wheel edges, and
 * release_all releasing exactly what is held.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/input-event-codes.h>
#include <spice/vd_agent.h>

#include "pointer.h"

enum {
	ABS = SPB_POINTER_ABSOLUTE,
	REL = SPB_POINTER_RELATIVE,
	BUTTON = SPB_POINTER_BUTTON,
	WHEEL = SPB_POINTER_WHEEL,
	FRAME = SPB_POINTER_FRAME,
};

static void assert_types(const struct spb_pointer_actions *out, size_t n, ...) {
	assert_int_equal(out->len, n);
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out->actions[i].type, va_arg(ap, int));
	}
	va_end(ap);
}

static void assert_button(
		const struct spb_pointer_action *a, uint32_t button, bool pressed) {
	assert_int_equal(a->type, BUTTON);
	assert_int_equal(a->button, button);
	assert_int_equal(a->pressed, pressed);
}

static void init(struct spb_pointer_state *state, int width, int height) {
	spb_pointer_state_init(state);
	spb_pointer_tablet_size(state, width, height);
}

static void test_tablet_position(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 1280, 800);

	spb_pointer_tablet_position(&state, 640, 200, 0, &out);
	assert_types(&out, 2, ABS, FRAME);
	// x / size: wlroots multiplies back onto exactly that pixel
	assert_true(out.actions[0].x == 640.0 / 1280);
	assert_true(out.actions[0].y == 200.0 / 800);

	// Outside the space: onto the nearest pixel, never 1.0 (off the layout).
	spb_pointer_tablet_position(&state, -5, INT_MAX, 0, &out);
	assert_true(out.actions[0].x == 0.0);
	assert_true(out.actions[0].y == 799.0 / 800);
	spb_pointer_tablet_position(&state, INT_MIN, 800, 0, &out);
	assert_true(out.actions[0].x == 0.0);
	assert_true(out.actions[0].y == 799.0 / 800);
	spb_pointer_tablet_position(&state, 1280, 0, 0, &out);
	assert_true(out.actions[0].x == 1279.0 / 1280);
}

static void test_tablet_without_size(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 0, 0);
	// No space to place the position in: the buttons still count.
	spb_pointer_tablet_position(&state, 10, 10, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 2, BUTTON, FRAME);
	assert_button(&out.actions[0], BTN_LEFT, true);
	spb_pointer_tablet_size(&state, -1, 600);
	spb_pointer_tablet_position(&state, 10, 10, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 0);
}

static void test_button_mapping(void **unused) {
	static const struct {
		uint32_t bit, button;
	} map[] = {
		{ SPB_LOCAL_LEFT, BTN_LEFT },
		{ SPB_LOCAL_RIGHT, BTN_RIGHT }, // 0x02: PS/2 order, not SPICE's
		{ SPB_LOCAL_MIDDLE, BTN_MIDDLE },
		{ SPB_LOCAL_SIDE, BTN_SIDE },
		{ SPB_LOCAL_EXTRA, BTN_EXTRA },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct spb_pointer_state state;
		struct spb_pointer_actions out;
		init(&state, 100, 100);
		spb_pointer_buttons(&state, map[i].bit, &out);
		assert_types(&out, 2, BUTTON, FRAME);
		assert_button(&out.actions[0], map[i].button, true);
		spb_pointer_buttons(&state, 0, &out);
		assert_types(&out, 2, BUTTON, FRAME);
		assert_button(&out.actions[0], map[i].button, false);
	}

	// Bits with no button (wheel, unused) are ignored.
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 100, 100);
	spb_pointer_buttons(&state, ~SPB_LOCAL_ALL, &out);
	assert_types(&out, 0);
	assert_int_equal(state.buttons, 0);
}

static void test_releases_before_presses(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 100, 100);
	spb_pointer_buttons(&state, SPB_LOCAL_RIGHT | SPB_LOCAL_EXTRA, &out);
	assert_types(&out, 3, BUTTON, BUTTON, FRAME);
	assert_button(&out.actions[0], BTN_RIGHT, true);
	assert_button(&out.actions[1], BTN_EXTRA, true);

	spb_pointer_buttons(&state, SPB_LOCAL_LEFT | SPB_LOCAL_EXTRA, &out);
	assert_types(&out, 3, BUTTON, BUTTON, FRAME);
	assert_button(&out.actions[0], BTN_RIGHT, false);
	assert_button(&out.actions[1], BTN_LEFT, true);

	// The same state again changes nothing and says nothing.
	spb_pointer_buttons(&state, SPB_LOCAL_LEFT | SPB_LOCAL_EXTRA, &out);
	assert_types(&out, 0);
}

static void test_position_with_buttons(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 100, 100);
	// A drag: the motion goes first, so the press lands where the pointer is.
	spb_pointer_tablet_position(&state, 10, 20, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 3, ABS, BUTTON, FRAME);
	assert_button(&out.actions[1], BTN_LEFT, true);
	spb_pointer_tablet_position(&state, 30, 40, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 2, ABS, FRAME);
	spb_pointer_tablet_position(&state, 30, 40, 0, &out);
	assert_types(&out, 3, ABS, BUTTON, FRAME);
	assert_button(&out.actions[1], BTN_LEFT, false);
}

static void test_wheel(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 100, 100);
	spb_pointer_tablet_wheel(&state, -1, 0, &out);
	assert_types(&out, 2, WHEEL, FRAME);
	assert_int_equal(out.actions[0].steps, -1);
	spb_pointer_tablet_wheel(&state, 1, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 3, WHEEL, BUTTON, FRAME);
	assert_int_equal(out.actions[0].steps, 1);
	spb_pointer_tablet_wheel(&state, 0, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 0);
	// Absurd counts are bounded (clients scroll by the step count).
	spb_pointer_tablet_wheel(&state, INT_MIN, SPB_LOCAL_LEFT, &out);
	assert_int_equal(out.actions[0].steps, -SPB_POINTER_MAX_STEPS);
	spb_pointer_mouse_motion(&state, 0, 0, INT_MAX, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 2, WHEEL, FRAME);
	assert_int_equal(out.actions[0].steps, SPB_POINTER_MAX_STEPS);
}

static void test_mouse_motion(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 0, 0);
	spb_pointer_mouse_motion(&state, -3, 7, 0, 0, &out);
	assert_types(&out, 2, REL, FRAME);
	assert_true(out.actions[0].dx == -3.0 && out.actions[0].dy == 7.0);
	spb_pointer_mouse_motion(&state, 0, 0, 2, SPB_LOCAL_MIDDLE, &out);
	assert_types(&out, 3, WHEEL, BUTTON, FRAME);
	assert_int_equal(out.actions[0].steps, 2);
	assert_button(&out.actions[1], BTN_MIDDLE, true);
	spb_pointer_mouse_motion(&state, 0, 0, 0, SPB_LOCAL_MIDDLE, &out);
	assert_types(&out, 0);
	spb_pointer_mouse_motion(&state, INT_MIN, INT_MAX, 0, SPB_LOCAL_MIDDLE, &out);
	assert_true(out.actions[0].dx == (double)INT_MIN && out.actions[0].dy == (double)INT_MAX);
}

static void test_agent_heads(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 0, 0);
	// Two heads side by side, 800x600 and 640x480: a 1440x600 layout.
	struct spb_pointer_head second = { 800, 0, 640, 480, 1440, 600 };
	spb_pointer_agent(&state, &second, 10, 20, 0, &out);
	assert_types(&out, 2, ABS, FRAME);
	assert_true(out.actions[0].x == 810.0 / 1440);
	assert_true(out.actions[0].y == 20.0 / 600);
	// Beyond the second head's window (its client window may be larger for a
	// moment): stays on that head, not below it in the void or on the next.
	spb_pointer_agent(&state, &second, 5000, 5000, 0, &out);
	assert_true(out.actions[0].x == 1439.0 / 1440);
	assert_true(out.actions[0].y == 479.0 / 600);
	spb_pointer_agent(&state, &second, -100, -100, 0, &out);
	assert_true(out.actions[0].x == 800.0 / 1440);
	assert_true(out.actions[0].y == 0.0);
	// A head box that does not fit the layout (a resize in flight) is clipped.
	struct spb_pointer_head stale = { INT_MAX, INT_MAX, INT_MAX, INT_MAX, 1440, 600 };
	spb_pointer_agent(&state, &stale, INT_MAX, INT_MAX, 0, &out);
	assert_true(out.actions[0].x == 1439.0 / 1440);
	assert_true(out.actions[0].y == 599.0 / 600);
}

static void test_agent_buttons_without_head(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 0, 0);
	struct spb_pointer_head head = { 0, 0, 800, 600, 800, 600 };
	spb_pointer_agent(&state, &head, 1, 1, VD_AGENT_RBUTTON_MASK, &out);
	assert_types(&out, 3, ABS, BUTTON, FRAME);
	assert_button(&out.actions[1], BTN_RIGHT, true);
	// The head went away (fewer monitors) before the release came: the
	// release must still reach the compositor, or the button stays held.
	spb_pointer_agent(&state, NULL, 1, 1, 0, &out);
	assert_types(&out, 2, BUTTON, FRAME);
	assert_button(&out.actions[0], BTN_RIGHT, false);
	struct spb_pointer_head empty = { 0, 0, 0, 0, 0, 0 };
	spb_pointer_agent(&state, &empty, 1, 1, 0, &out);
	assert_types(&out, 0);
}

static void test_agent_button_masks(void **unused) {
	static const struct {
		uint32_t mask, button;
	} map[] = {
		{ VD_AGENT_LBUTTON_MASK, BTN_LEFT },
		{ VD_AGENT_MBUTTON_MASK, BTN_MIDDLE },
		{ VD_AGENT_RBUTTON_MASK, BTN_RIGHT },
		{ VD_AGENT_SBUTTON_MASK, BTN_SIDE },
		{ VD_AGENT_EBUTTON_MASK, BTN_EXTRA },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct spb_pointer_state state;
		struct spb_pointer_actions out;
		init(&state, 0, 0);
		spb_pointer_agent(&state, NULL, 0, 0, map[i].mask, &out);
		assert_types(&out, 2, BUTTON, FRAME);
		assert_button(&out.actions[0], map[i].button, true);
	}
}

static void test_agent_wheel_edges(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 0, 0);
	spb_pointer_agent(&state, NULL, 0, 0, VD_AGENT_UBUTTON_MASK, &out);
	assert_types(&out, 2, WHEEL, FRAME);
	assert_int_equal(out.actions[0].steps, -1);
	// Still held: no new step.
	spb_pointer_agent(&state, NULL, 0, 0, VD_AGENT_UBUTTON_MASK, &out);
	assert_types(&out, 0);
	spb_pointer_agent(
			&state, NULL, 0, 0, VD_AGENT_UBUTTON_MASK | VD_AGENT_DBUTTON_MASK, &out);
	assert_types(&out, 2, WHEEL, FRAME);
	assert_int_equal(out.actions[0].steps, 1);
	spb_pointer_agent(&state, NULL, 0, 0, 0, &out);
	spb_pointer_agent(
			&state, NULL, 0, 0, VD_AGENT_UBUTTON_MASK | VD_AGENT_DBUTTON_MASK, &out);
	assert_types(&out, 3, WHEEL, WHEEL, FRAME);

	// A client that left with the wheel held: the next one's first step counts.
	spb_pointer_release_all(&state, &out);
	spb_pointer_agent(&state, NULL, 0, 0, VD_AGENT_DBUTTON_MASK, &out);
	assert_types(&out, 2, WHEEL, FRAME);
	assert_int_equal(out.actions[0].steps, 1);
}

static void test_release_all(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 100, 100);
	spb_pointer_release_all(&state, &out);
	assert_types(&out, 0);
	spb_pointer_buttons(&state, SPB_LOCAL_ALL, &out);
	assert_types(&out, 6, BUTTON, BUTTON, BUTTON, BUTTON, BUTTON, FRAME);
	spb_pointer_release_all(&state, &out);
	assert_types(&out, 6, BUTTON, BUTTON, BUTTON, BUTTON, BUTTON, FRAME);
	for (size_t i = 0; i < 5; i++) {
		assert_false(out.actions[i].pressed);
	}
	assert_int_equal(state.buttons, 0);
	// The client's next state starts from nothing held.
	spb_pointer_buttons(&state, SPB_LOCAL_LEFT, &out);
	assert_types(&out, 2, BUTTON, FRAME);
	assert_button(&out.actions[0], BTN_LEFT, true);
}

static void test_most_actions_fit(void **unused) {
	struct spb_pointer_state state;
	struct spb_pointer_actions out;
	init(&state, 0, 0);
	struct spb_pointer_head head = { 0, 0, 10, 10, 10, 10 };
	spb_pointer_agent(&state, &head, 0, 0, 0xffffffffu, &out);
	assert_int_equal(out.len, SPB_POINTER_MAX_ACTIONS);
	assert_int_equal(out.actions[out.len - 1].type, FRAME);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tablet_position),
		cmocka_unit_test(test_tablet_without_size),
		cmocka_unit_test(test_button_mapping),
		cmocka_unit_test(test_releases_before_presses),
		cmocka_unit_test(test_position_with_buttons),
		cmocka_unit_test(test_wheel),
		cmocka_unit_test(test_mouse_motion),
		cmocka_unit_test(test_agent_heads),
		cmocka_unit_test(test_agent_buttons_without_head),
		cmocka_unit_test(test_agent_button_masks),
		cmocka_unit_test(test_agent_wheel_edges),
		cmocka_unit_test(test_release_all),
		cmocka_unit_test(test_most_actions_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
