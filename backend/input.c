/*
 * SPICE input channels as wlroots input devices: the keyboard's set-1
 * scancode bytes become wlr_keyboard keys, the tablet (client mouse mode,
 * absolute) and the mouse (server mode, relative) drive one wlr_pointer.
 * spice-server calls these on the main thread.
 */
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/interfaces/wlr_input_device.h>
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/interfaces/wlr_pointer.h>
#include <wlr/util/log.h>
#include "backend.h"
#include "scancode.h"

/* One wheel step in wl_pointer axis units, as libinput reports a click. */
#define WHEEL_STEP 15.0

struct spice_keyboard {
	struct wlr_keyboard wlr_keyboard;
	struct wlr_spice_input *input;
};

/*
 * spice-server hands the tablet and mouse a button state in PS/2 order
 * (its RED_MOUSE_STATE_TO_LOCAL), not the SPICE_MOUSE_BUTTON_MASK_* bits
 * the client sent: right and middle are swapped, side and extra shifted.
 */
static const struct {
	uint32_t mask;
	uint32_t button;
} button_map[] = {
	{ 0x01, BTN_LEFT },
	{ 0x02, BTN_RIGHT },
	{ 0x04, BTN_MIDDLE },
	{ 0x40, BTN_SIDE },
	{ 0x80, BTN_EXTRA },
};

#define BUTTON_MASK_ALL (0x01 | 0x02 | 0x04 | 0x40 | 0x80)

static uint32_t now_msec(void) {
	return (uint32_t)wlr_spice_now_ms();
}

static struct wlr_spice_input *input_from_kbd(SpiceKbdInstance *sin) {
	struct wlr_spice_input *input = wl_container_of(sin, input, kbd);
	return input;
}

static struct wlr_spice_input *input_from_tablet(SpiceTabletInstance *sin) {
	struct wlr_spice_input *input = wl_container_of(sin, input, tablet);
	return input;
}

static struct wlr_spice_input *input_from_mouse(SpiceMouseInstance *sin) {
	struct wlr_spice_input *input = wl_container_of(sin, input, mouse);
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

static void emit_key(struct wlr_spice_input *input, uint32_t keycode, bool pressed) {
	if (input->keyboard == NULL) {
		return;
	}
	// Clients only see real transitions: a client's typematic repeat or a
	// release of a key already released (after a disconnect) is dropped.
	if (key_is_down(input->keyboard->keyboard, keycode) == pressed) {
		return;
	}
	struct wlr_event_keyboard_key event = {
		.time_msec = now_msec(),
		.keycode = keycode,
		.update_state = true,
		.state = pressed ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED,
	};
	wlr_keyboard_notify_key(input->keyboard->keyboard, &event);
}

static void kbd_push_scan_freg(SpiceKbdInstance *sin, uint8_t frag) {
	struct wlr_spice_input *input = input_from_kbd(sin);
	uint32_t keycode;
	bool pressed;
	uint16_t scancode;
	switch (wlr_spice_scancode_feed(&input->decoder, frag, &keycode, &pressed, &scancode)) {
	case WLR_SPICE_SCANCODE_NONE:
		break;
	case WLR_SPICE_SCANCODE_KEY:
		if (input->view_only) {
			break;
		}
		emit_key(input, keycode, pressed);
		break;
	case WLR_SPICE_SCANCODE_UNKNOWN:;
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
	struct wlr_spice_input *input = input_from_kbd(sin);
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

static void emit_frame(struct wlr_spice_input *input) {
	wl_signal_emit(&input->pointer->pointer->events.frame, input->pointer->pointer);
}

static void update_buttons(struct wlr_spice_input *input, uint32_t state) {
	state &= BUTTON_MASK_ALL;
	uint32_t changed = state ^ input->buttons;
	for (size_t i = 0; i < sizeof(button_map) / sizeof(button_map[0]); i++) {
		if (!(changed & button_map[i].mask)) {
			continue;
		}
		struct wlr_event_pointer_button event = {
			.device = input->pointer,
			.time_msec = now_msec(),
			.button = button_map[i].button,
			.state = (state & button_map[i].mask) ? WLR_BUTTON_PRESSED : WLR_BUTTON_RELEASED,
		};
		wl_signal_emit(&input->pointer->pointer->events.button, &event);
	}
	input->buttons = state;
}

static void emit_wheel(struct wlr_spice_input *input, int steps) {
	struct wlr_event_pointer_axis event = {
		.device = input->pointer,
		.time_msec = now_msec(),
		.source = WLR_AXIS_SOURCE_WHEEL,
		.orientation = WLR_AXIS_ORIENTATION_VERTICAL,
		.delta = WHEEL_STEP * steps,
		.delta_discrete = steps,
	};
	wl_signal_emit(&input->pointer->pointer->events.axis, &event);
}

static void tablet_set_logical_size(SpiceTabletInstance *sin, int width, int height) {
	struct wlr_spice_input *input = input_from_tablet(sin);
	input->logical_width = width;
	input->logical_height = height;
}

static double normalize(int v, int size) {
	if (size <= 0) {
		return 0.0;
	}
	double n = (double)v / size;
	return n < 0.0 ? 0.0 : (n > 1.0 ? 1.0 : n);
}

static void tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t buttons) {
	struct wlr_spice_input *input = input_from_tablet(sin);
	input->client_mouse_mode = true;
	if (input->view_only || input->pointer == NULL) {
		return;
	}
	struct wlr_event_pointer_motion_absolute event = {
		.device = input->pointer,
		.time_msec = now_msec(),
		.x = normalize(x, input->logical_width),
		.y = normalize(y, input->logical_height),
	};
	wl_signal_emit(&input->pointer->pointer->events.motion_absolute, &event);
	update_buttons(input, buttons);
	emit_frame(input);
}

static void tablet_wheel(SpiceTabletInstance *sin, int motion, uint32_t buttons) {
	struct wlr_spice_input *input = input_from_tablet(sin);
	if (input->view_only || input->pointer == NULL) {
		return;
	}
	emit_wheel(input, motion);
	update_buttons(input, buttons);
	emit_frame(input);
}

static void tablet_buttons(SpiceTabletInstance *sin, uint32_t buttons) {
	struct wlr_spice_input *input = input_from_tablet(sin);
	if (input->view_only || input->pointer == NULL) {
		return;
	}
	update_buttons(input, buttons);
	emit_frame(input);
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
	struct wlr_spice_input *input = input_from_mouse(sin);
	input->client_mouse_mode = false;
	if (input->view_only || input->pointer == NULL) {
		return;
	}
	if (dx != 0 || dy != 0) {
		struct wlr_event_pointer_motion event = {
			.device = input->pointer,
			.time_msec = now_msec(),
			.delta_x = dx,
			.delta_y = dy,
			.unaccel_dx = dx,
			.unaccel_dy = dy,
		};
		wl_signal_emit(&input->pointer->pointer->events.motion, &event);
	}
	if (dz != 0) {
		emit_wheel(input, dz);
	}
	update_buttons(input, buttons);
	emit_frame(input);
}

static void mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons) {
	struct wlr_spice_input *input = input_from_mouse(sin);
	if (input->view_only || input->pointer == NULL) {
		return;
	}
	update_buttons(input, buttons);
	emit_frame(input);
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
	struct wlr_spice_input *input = keyboard->input;
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
	struct wlr_spice_input *input = device->data;
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

void wlr_spice_input_init(struct wlr_spice_input *input, struct wlr_spice_backend *backend) {
	memset(input, 0, sizeof(*input));
	input->backend = backend;
	input->kbd.base.sif = &kbd_interface.base;
	input->tablet.base.sif = &tablet_interface.base;
	input->mouse.base.sif = &mouse_interface.base;
	wlr_spice_scancode_decoder_init(&input->decoder);
}

bool wlr_spice_input_add(struct wlr_spice_input *input, SpiceServer *server) {
	if (spice_server_add_interface(server, &input->kbd.base) != 0 ||
			spice_server_add_interface(server, &input->mouse.base) != 0 ||
			spice_server_add_interface(server, &input->tablet.base) != 0) {
		wlr_log(WLR_ERROR, "spice-server refused an input interface");
		return false;
	}
	input->kbd_added = true;
	return true;
}

bool wlr_spice_input_create_devices(struct wlr_spice_input *input) {
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

void wlr_spice_input_agent_mouse(
		struct wlr_spice_input *input, int display_id, int x, int y, uint32_t agent_buttons) {
	struct wlr_spice_backend *backend = input->backend;
	input->client_mouse_mode = true;
	if (input->view_only || input->pointer == NULL || display_id < 0 ||
			display_id >= WLR_SPICE_MAX_HEADS || backend->outputs[display_id] == NULL ||
			backend->qxl.width <= 0) {
		return;
	}
	// Positions are relative to the client's window of that head.
	struct wlr_spice_output *output = backend->outputs[display_id];
	struct wlr_event_pointer_motion_absolute event = {
		.device = input->pointer,
		.time_msec = now_msec(),
		.x = normalize(output->x + x, backend->qxl.width),
		.y = normalize(y, backend->qxl.height),
	};
	wl_signal_emit(&input->pointer->pointer->events.motion_absolute, &event);

	// The agent's masks, in spice-server's local order for update_buttons.
	uint32_t buttons = 0;
	buttons |= (agent_buttons & VD_AGENT_LBUTTON_MASK) ? 0x01 : 0;
	buttons |= (agent_buttons & VD_AGENT_RBUTTON_MASK) ? 0x02 : 0;
	buttons |= (agent_buttons & VD_AGENT_MBUTTON_MASK) ? 0x04 : 0;
	buttons |= (agent_buttons & VD_AGENT_SBUTTON_MASK) ? 0x40 : 0;
	buttons |= (agent_buttons & VD_AGENT_EBUTTON_MASK) ? 0x80 : 0;
	update_buttons(input, buttons);
	// Wheel steps come as up/down buttons pressed.
	uint32_t wheel = agent_buttons & (VD_AGENT_UBUTTON_MASK | VD_AGENT_DBUTTON_MASK);
	uint32_t pressed = wheel & ~input->agent_wheel;
	input->agent_wheel = wheel;
	if (pressed & VD_AGENT_UBUTTON_MASK) {
		emit_wheel(input, -1);
	}
	if (pressed & VD_AGENT_DBUTTON_MASK) {
		emit_wheel(input, 1);
	}
	emit_frame(input);
}

void wlr_spice_input_release_all(struct wlr_spice_input *input) {
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
	if (input->pointer != NULL && input->buttons != 0) {
		update_buttons(input, 0);
		emit_frame(input);
	}
	wlr_spice_scancode_decoder_init(&input->decoder);
}

void wlr_spice_input_remove(struct wlr_spice_input *input) {
	if (!input->kbd_added) {
		return;
	}
	// spice-server frees the tablet's state only when asked; keyboard and
	// mouse cannot be removed (it only warns), so they stay to the end.
	spice_server_remove_interface(&input->tablet.base);
	input->kbd_added = false;
}

void wlr_spice_input_finish(struct wlr_spice_input *input) {
	if (input->keyboard != NULL) {
		wlr_input_device_destroy(input->keyboard);
	}
	if (input->pointer != NULL) {
		wlr_input_device_destroy(input->pointer);
	}
}
