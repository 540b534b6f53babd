/*
 * SPICE input channels as wlroots input devices: the keyboard's set-1
 * scancode bytes become wlr_keyboard keys, the tablet (client mouse mode,
 * absolute), the mouse (server mode, relative) and the agent's mouse drive
 * one wlr_pointer through the pure logic of pointer.c. spice-server calls
 * these on the main thread.
 */
#include <stdlib.h>
#include <string.h>
#include <wlr/interfaces/wlr_input_device.h>
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/interfaces/wlr_pointer.h>
#include <wlr/util/log.h>
#include "backend.h"
#include "clock.h"
#include "scancode.h"

/* One wheel step in wl_pointer axis units, as libinput reports a click. */
#define WHEEL_STEP 15.0

struct spice_keyboard {
	struct wlr_keyboard wlr_keyboard;
	struct spb_input *input;
};

static struct spb_input *input_from_kbd(SpiceKbdInstance *sin) {
	struct spb_input *input = wl_container_of(sin, input, kbd);
	return input;
}

static struct spb_input *input_from_tablet(SpiceTabletInstance *sin) {
	struct spb_input *input = wl_container_of(sin, input, tablet);
	return input;
}

static struct spb_input *input_from_mouse(SpiceMouseInstance *sin) {
	struct spb_input *input = wl_container_of(sin, input, mouse);
	return input;
}

static bool key_is_down(struct wlr_keyboard *keyboard, uint32_t keycode) {
	for (size_t i = 0; i < keyboard->num_keycodes; i++) {
		if (keyboard->keycodes[i] == keycode) {
			return true;
		}
	}
	return false;
}

static void emit_key(struct spb_input *input, uint32_t keycode, bool pressed) {
	if (input->keyboard == NULL) {
		return;
	}
	// Clients only see real transitions: a client's typematic repeat or a
	// release of a key already released (after a disconnect) is dropped.
	if (key_is_down(input->keyboard->keyboard, keycode) == pressed) {
		return;
	}
	struct wlr_event_keyboard_key event = {
		.time_msec = (uint32_t)swl_clock_now(SWL_CLOCK_MS),
		.keycode = keycode,
		.update_state = true,
		.state = pressed ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED,
	};
	wlr_keyboard_notify_key(input->keyboard->keyboard, &event);
}

static void kbd_push_scan_freg(SpiceKbdInstance *sin, uint8_t frag) {
	struct spb_input *input = input_from_kbd(sin);
	uint32_t keycode;
	bool pressed;
	uint16_t scancode;
	switch (spb_scancode_feed(&input->decoder, frag, &keycode, &pressed, &scancode)) {
	case SPB_SCANCODE_NONE:
		break;
	case SPB_SCANCODE_KEY:
		if (input->view_only) {
			break;
		}
		emit_key(input, keycode, pressed);
		break;
	case SPB_SCANCODE_UNKNOWN:;
		// Log each unknown code once, not on every press.
		unsigned bit = (scancode & 0x7f) | ((scancode & 0xff00) ? 0x80 : 0);
		if (!(input->unknown_logged[bit / 32] & (1u << (bit % 32)))) {
			input->unknown_logged[bit / 32] |= 1u << (bit % 32);
			wlr_log(WLR_INFO, "SPICE client sent unknown scancode 0x%04x; ignored", scancode);
		}
		break;
	}
}

static uint8_t kbd_get_leds(SpiceKbdInstance *sin) {
	struct spb_input *input = input_from_kbd(sin);
	return input->spice_leds;
}

static const SpiceKbdInterface kbd_interface = {
	.base = {
		.type = SPICE_INTERFACE_KEYBOARD,
		.description = "spice-wl keyboard",
		.major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
		.minor_version = SPICE_INTERFACE_KEYBOARD_MINOR,
	},
	.push_scan_freg = kbd_push_scan_freg,
	.get_leds = kbd_get_leds,
};

/* Turns the pointer module's actions into wlr_pointer events. */
static void emit_actions(
		struct spb_input *input, const struct spb_pointer_actions *actions) {
	if (input->pointer == NULL) {
		return;
	}
	struct wlr_pointer *pointer = input->pointer->pointer;
	uint32_t time = (uint32_t)swl_clock_now(SWL_CLOCK_MS);
	for (size_t i = 0; i < actions->len; i++) {
		const struct spb_pointer_action *a = &actions->actions[i];
		switch (a->type) {
		case SPB_POINTER_ABSOLUTE:;
			struct wlr_event_pointer_motion_absolute absolute = {
				.device = input->pointer,
				.time_msec = time,
				.x = a->x,
				.y = a->y,
			};
			wl_signal_emit(&pointer->events.motion_absolute, &absolute);
			break;
		case SPB_POINTER_RELATIVE:;
			struct wlr_event_pointer_motion motion = {
				.device = input->pointer,
				.time_msec = time,
				.delta_x = a->dx,
				.delta_y = a->dy,
				.unaccel_dx = a->dx,
				.unaccel_dy = a->dy,
			};
			wl_signal_emit(&pointer->events.motion, &motion);
			break;
		case SPB_POINTER_BUTTON:;
			struct wlr_event_pointer_button button = {
				.device = input->pointer,
				.time_msec = time,
				.button = a->button,
				.state = a->pressed ? WLR_BUTTON_PRESSED : WLR_BUTTON_RELEASED,
			};
			wl_signal_emit(&pointer->events.button, &button);
			break;
		case SPB_POINTER_WHEEL:;
			struct wlr_event_pointer_axis axis = {
				.device = input->pointer,
				.time_msec = time,
				.source = WLR_AXIS_SOURCE_WHEEL,
				.orientation = WLR_AXIS_ORIENTATION_VERTICAL,
				.delta = WHEEL_STEP * a->steps,
				.delta_discrete = a->steps,
			};
			wl_signal_emit(&pointer->events.axis, &axis);
			break;
		case SPB_POINTER_FRAME:
			wl_signal_emit(&pointer->events.frame, pointer);
			break;
		}
	}
}

/* Input is dropped whole, state and all, while view-only or without a device. */
static bool pointer_ignored(struct spb_input *input) {
	return input->view_only || input->pointer == NULL;
}

static void tablet_set_logical_size(SpiceTabletInstance *sin, int width, int height) {
	struct spb_input *input = input_from_tablet(sin);
	spb_pointer_tablet_size(&input->pointer_state, width, height);
}

static void tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t buttons) {
	struct spb_input *input = input_from_tablet(sin);
	input->client_mouse_mode = true;
	if (pointer_ignored(input)) {
		return;
	}
	struct spb_pointer_actions actions;
	spb_pointer_tablet_position(&input->pointer_state, x, y, buttons, &actions);
	emit_actions(input, &actions);
}

static void tablet_wheel(SpiceTabletInstance *sin, int motion, uint32_t buttons) {
	struct spb_input *input = input_from_tablet(sin);
	if (pointer_ignored(input)) {
		return;
	}
	struct spb_pointer_actions actions;
	spb_pointer_tablet_wheel(&input->pointer_state, motion, buttons, &actions);
	emit_actions(input, &actions);
}

static void pointer_buttons(struct spb_input *input, uint32_t buttons) {
	if (pointer_ignored(input)) {
		return;
	}
	struct spb_pointer_actions actions;
	spb_pointer_buttons(&input->pointer_state, buttons, &actions);
	emit_actions(input, &actions);
}

static void tablet_buttons(SpiceTabletInstance *sin, uint32_t buttons) {
	pointer_buttons(input_from_tablet(sin), buttons);
}

static const SpiceTabletInterface tablet_interface = {
	.base = {
		.type = SPICE_INTERFACE_TABLET,
		.description = "spice-wl tablet",
		.major_version = SPICE_INTERFACE_TABLET_MAJOR,
		.minor_version = SPICE_INTERFACE_TABLET_MINOR,
	},
	.set_logical_size = tablet_set_logical_size,
	.position = tablet_position,
	.wheel = tablet_wheel,
	.buttons = tablet_buttons,
};

static void mouse_motion(SpiceMouseInstance *sin, int dx, int dy, int dz, uint32_t buttons) {
	struct spb_input *input = input_from_mouse(sin);
	input->client_mouse_mode = false;
	if (pointer_ignored(input)) {
		return;
	}
	struct spb_pointer_actions actions;
	spb_pointer_mouse_motion(&input->pointer_state, dx, dy, dz, buttons, &actions);
	emit_actions(input, &actions);
}

static void mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons) {
	pointer_buttons(input_from_mouse(sin), buttons);
}

static const SpiceMouseInterface mouse_interface = {
	.base = {
		.type = SPICE_INTERFACE_MOUSE,
		.description = "spice-wl mouse",
		.major_version = SPICE_INTERFACE_MOUSE_MAJOR,
		.minor_version = SPICE_INTERFACE_MOUSE_MINOR,
	},
	.motion = mouse_motion,
	.buttons = mouse_buttons,
};

static uint8_t to_spice_leds(uint32_t leds) {
	uint8_t spice = 0;
	if (leds & WLR_LED_NUM_LOCK) {
		spice |= SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK;
	}
	if (leds & WLR_LED_CAPS_LOCK) {
		spice |= SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK;
	}
	if (leds & WLR_LED_SCROLL_LOCK) {
		spice |= SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK;
	}
	return spice;
}

static void keyboard_led_update(struct wlr_keyboard *wlr_keyboard, uint32_t leds) {
	struct spice_keyboard *keyboard = wl_container_of(wlr_keyboard, keyboard, wlr_keyboard);
	struct spb_input *input = keyboard->input;
	uint8_t spice_leds = to_spice_leds(leds);
	if (spice_leds == input->spice_leds) {
		return;
	}
	input->spice_leds = spice_leds;
	// Tell the client, so its own lock keys follow the session's.
	if (input->kbd_added) {
		spice_server_kbd_leds(&input->kbd, spice_leds);
	}
}

static void keyboard_destroy(struct wlr_keyboard *wlr_keyboard) {
	struct spice_keyboard *keyboard = wl_container_of(wlr_keyboard, keyboard, wlr_keyboard);
	free(keyboard);
}

static const struct wlr_keyboard_impl keyboard_impl = {
	.destroy = keyboard_destroy,
	.led_update = keyboard_led_update,
};

static void input_device_destroy(struct wlr_input_device *device) {
	struct spb_input *input = device->data;
	if (input != NULL) {
		if (input->keyboard == device) {
			input->keyboard = NULL;
		}
		if (input->pointer == device) {
			input->pointer = NULL;
		}
	}
	free(device);
}

static const struct wlr_input_device_impl input_device_impl = {
	.destroy = input_device_destroy,
};

void spb_input_init(struct spb_input *input, struct spb_backend *backend) {
	memset(input, 0, sizeof(*input));
	input->backend = backend;
	input->kbd.base.sif = &kbd_interface.base;
	input->tablet.base.sif = &tablet_interface.base;
	input->mouse.base.sif = &mouse_interface.base;
	spb_scancode_decoder_init(&input->decoder);
	spb_pointer_state_init(&input->pointer_state);
}

bool spb_input_add(struct spb_input *input, SpiceServer *server) {
	if (spice_server_add_interface(server, &input->kbd.base) != 0 ||
			spice_server_add_interface(server, &input->mouse.base) != 0 ||
			spice_server_add_interface(server, &input->tablet.base) != 0) {
		wlr_log(WLR_ERROR, "spice-server refused an input interface");
		return false;
	}
	input->kbd_added = true;
	return true;
}

bool spb_input_create_devices(struct spb_input *input) {
	struct wlr_input_device *kbd_dev = calloc(1, sizeof(*kbd_dev));
	struct spice_keyboard *keyboard = calloc(1, sizeof(*keyboard));
	struct wlr_input_device *ptr_dev = calloc(1, sizeof(*ptr_dev));
	struct wlr_pointer *pointer = calloc(1, sizeof(*pointer));
	if (kbd_dev == NULL || keyboard == NULL || ptr_dev == NULL || pointer == NULL) {
		free(kbd_dev);
		free(keyboard);
		free(ptr_dev);
		free(pointer);
		return false;
	}

	wlr_input_device_init(
			kbd_dev, WLR_INPUT_DEVICE_KEYBOARD, &input_device_impl, "SPICE keyboard", 0, 0);
	keyboard->input = input;
	wlr_keyboard_init(&keyboard->wlr_keyboard, &keyboard_impl);
	kbd_dev->keyboard = &keyboard->wlr_keyboard;
	kbd_dev->data = input;
	input->keyboard = kbd_dev;

	wlr_input_device_init(
			ptr_dev, WLR_INPUT_DEVICE_POINTER, &input_device_impl, "SPICE pointer", 0, 0);
	wlr_pointer_init(pointer, NULL);
	ptr_dev->pointer = pointer;
	ptr_dev->data = input;
	input->pointer = ptr_dev;

	struct wlr_backend *backend = &input->backend->backend;
	wl_signal_emit(&backend->events.new_input, kbd_dev);
	wl_signal_emit(&backend->events.new_input, ptr_dev);
	return true;
}

void spb_input_agent_mouse(
		struct spb_input *input, int display_id, int x, int y, uint32_t agent_buttons) {
	struct spb_backend *backend = input->backend;
	input->client_mouse_mode = true;
	if (pointer_ignored(input)) {
		return;
	}
	struct spb_pointer_head head;
	const struct spb_pointer_head *where = NULL;
	if (display_id >= 0 && display_id < WLR_SPICE_MAX_HEADS &&
			backend->outputs[display_id] != NULL) {
		// Heads sit side by side on the primary surface, which is the layout.
		struct spb_output *output = backend->outputs[display_id];
		head = (struct spb_pointer_head){
			.x = output->x,
			.y = 0,
			.width = output->width,
			.height = output->height,
			.layout_width = backend->qxl.width,
			.layout_height = backend->qxl.height,
		};
		where = &head;
	}
	struct spb_pointer_actions actions;
	spb_pointer_agent(&input->pointer_state, where, x, y, agent_buttons, &actions);
	emit_actions(input, &actions);
}

void spb_input_release_all(struct spb_input *input) {
	if (input->keyboard != NULL) {
		struct wlr_keyboard *keyboard = input->keyboard->keyboard;
		// notify_key edits the array: release from a copy.
		uint32_t held[WLR_KEYBOARD_KEYS_CAP];
		size_t n = keyboard->num_keycodes;
		memcpy(held, keyboard->keycodes, n * sizeof(held[0]));
		for (size_t i = 0; i < n; i++) {
			emit_key(input, held[i], false);
		}
		if (n > 0) {
			wlr_log(WLR_INFO, "released %zu key(s) held by the departed client", n);
		}
	}
	struct spb_pointer_actions actions;
	spb_pointer_release_all(&input->pointer_state, &actions);
	emit_actions(input, &actions);
	spb_scancode_decoder_init(&input->decoder);
}

void spb_input_remove(struct spb_input *input) {
	if (!input->kbd_added) {
		return;
	}
	// spice-server frees the tablet's state only when asked; keyboard and
	// mouse cannot be removed (it only warns), so they stay to the end.
	spice_server_remove_interface(&input->tablet.base);
	input->kbd_added = false;
}

void spb_input_finish(struct spb_input *input) {
	if (input->keyboard != NULL) {
		wlr_input_device_destroy(input->keyboard);
	}
	if (input->pointer != NULL) {
		wlr_input_device_destroy(input->pointer);
	}
}
