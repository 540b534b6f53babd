/*
 * The input-method relay: text-input v3 (apps) <-> input-method v2 (an IME
 * such as fcitx5 or a virtual keyboard app), as sway's input_method_relay
 * does. The text input of the focused surface that is enabled is the one the
 * input method talks to; the IME may grab the keyboard (seat.c hands it the
 * keys).
 */
#include <stdlib.h>
#include <wlr/types/wlr_input_method_v2.h>
#include <wlr/types/wlr_text_input_v3.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/util/log.h>
#include "server.h"

struct swl_text_input_relay {
	struct swl_server *server;
	struct wlr_text_input_manager_v3 *text_input_manager;
	struct wlr_input_method_manager_v2 *input_method_manager;
	struct wlr_input_method_v2 *input_method; // at most one per seat
	struct wl_list text_inputs; // swl_text_input.link

	struct wl_listener new_text_input;
	struct wl_listener new_input_method;
	struct wl_listener keyboard_focus_change;
	// on input_method
	struct wl_listener input_method_commit;
	struct wl_listener input_method_grab_keyboard;
	struct wl_listener input_method_destroy;
	struct wl_listener grab_destroy; // on input_method->keyboard_grab
};

struct swl_text_input {
	struct swl_text_input_relay *relay;
	struct wlr_text_input_v3 *input;
	struct wl_list link;

	struct wl_listener enable;
	struct wl_listener commit;
	struct wl_listener disable;
	struct wl_listener destroy;
};

static struct swl_text_input *focused_enabled(struct swl_text_input_relay *relay) {
	struct swl_text_input *text_input;
	wl_list_for_each(text_input, &relay->text_inputs, link) {
		if (text_input->input->focused_surface != NULL && text_input->input->current_enabled) {
			return text_input;
		}
	}
	return NULL;
}

/* Tells the input method what the text input now holds. */
static void send_state(struct swl_text_input_relay *relay, struct wlr_text_input_v3 *input) {
	struct wlr_input_method_v2 *im = relay->input_method;
	if (input->active_features & WLR_TEXT_INPUT_V3_FEATURE_SURROUNDING_TEXT) {
		wlr_input_method_v2_send_surrounding_text(im,
				input->current.surrounding.text != NULL ? input->current.surrounding.text : "",
				input->current.surrounding.cursor, input->current.surrounding.anchor);
	}
	wlr_input_method_v2_send_text_change_cause(im, input->current.text_change_cause);
	if (input->active_features & WLR_TEXT_INPUT_V3_FEATURE_CONTENT_TYPE) {
		wlr_input_method_v2_send_content_type(im, input->current.content_type.hint,
				input->current.content_type.purpose);
	}
	wlr_input_method_v2_send_done(im);
}

static void text_input_handle_enable(struct wl_listener *listener, void *data) {
	struct swl_text_input *text_input = wl_container_of(listener, text_input, enable);
	struct swl_text_input_relay *relay = text_input->relay;
	if (relay->input_method == NULL) {
		return;
	}
	wlr_input_method_v2_send_activate(relay->input_method);
	send_state(relay, text_input->input);
}

static void text_input_handle_commit(struct wl_listener *listener, void *data) {
	struct swl_text_input *text_input = wl_container_of(listener, text_input, commit);
	struct swl_text_input_relay *relay = text_input->relay;
	if (relay->input_method == NULL || !text_input->input->current_enabled) {
		return;
	}
	send_state(relay, text_input->input);
}

static void text_input_handle_disable(struct wl_listener *listener, void *data) {
	struct swl_text_input *text_input = wl_container_of(listener, text_input, disable);
	struct swl_text_input_relay *relay = text_input->relay;
	if (relay->input_method == NULL) {
		return;
	}
	wlr_input_method_v2_send_deactivate(relay->input_method);
	wlr_input_method_v2_send_done(relay->input_method);
}

static void text_input_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_text_input *text_input = wl_container_of(listener, text_input, destroy);
	struct swl_text_input_relay *relay = text_input->relay;
	if (text_input->input->current_enabled && relay->input_method != NULL) {
		wlr_input_method_v2_send_deactivate(relay->input_method);
		wlr_input_method_v2_send_done(relay->input_method);
	}
	wl_list_remove(&text_input->enable.link);
	wl_list_remove(&text_input->commit.link);
	wl_list_remove(&text_input->disable.link);
	wl_list_remove(&text_input->destroy.link);
	wl_list_remove(&text_input->link);
	free(text_input);
}

static void handle_new_text_input(struct wl_listener *listener, void *data) {
	struct swl_text_input_relay *relay = wl_container_of(listener, relay, new_text_input);
	struct wlr_text_input_v3 *input = data;
	if (input->seat != relay->server->seat) {
		return;
	}
	struct swl_text_input *text_input = calloc(1, sizeof(*text_input));
	if (text_input == NULL) {
		return;
	}
	text_input->relay = relay;
	text_input->input = input;
	text_input->enable.notify = text_input_handle_enable;
	wl_signal_add(&input->events.enable, &text_input->enable);
	text_input->commit.notify = text_input_handle_commit;
	wl_signal_add(&input->events.commit, &text_input->commit);
	text_input->disable.notify = text_input_handle_disable;
	wl_signal_add(&input->events.disable, &text_input->disable);
	text_input->destroy.notify = text_input_handle_destroy;
	wl_signal_add(&input->events.destroy, &text_input->destroy);
	wl_list_insert(&relay->text_inputs, &text_input->link);

	// A text input made while its client has the keyboard enters at once.
	struct wlr_surface *focused = relay->server->seat->keyboard_state.focused_surface;
	if (focused != NULL && wl_resource_get_client(focused->resource) ==
			wl_resource_get_client(input->resource)) {
		wlr_text_input_v3_send_enter(input, focused);
	}
}

static void handle_keyboard_focus_change(struct wl_listener *listener, void *data) {
	struct swl_text_input_relay *relay = wl_container_of(listener, relay, keyboard_focus_change);
	struct wlr_seat_keyboard_focus_change_event *event = data;
	struct swl_text_input *text_input;
	wl_list_for_each(text_input, &relay->text_inputs, link) {
		struct wlr_text_input_v3 *input = text_input->input;
		if (input->focused_surface != NULL && input->focused_surface != event->new_surface) {
			if (input->current_enabled && relay->input_method != NULL) {
				wlr_input_method_v2_send_deactivate(relay->input_method);
				wlr_input_method_v2_send_done(relay->input_method);
			}
			wlr_text_input_v3_send_leave(input);
		}
		if (event->new_surface != NULL && input->focused_surface == NULL &&
				wl_resource_get_client(event->new_surface->resource) ==
						wl_resource_get_client(input->resource)) {
			wlr_text_input_v3_send_enter(input, event->new_surface);
		}
	}
}

static void input_method_handle_commit(struct wl_listener *listener, void *data) {
	struct swl_text_input_relay *relay = wl_container_of(listener, relay, input_method_commit);
	struct wlr_input_method_v2 *im = relay->input_method;
	struct swl_text_input *text_input = focused_enabled(relay);
	if (text_input == NULL) {
		return;
	}
	struct wlr_text_input_v3 *input = text_input->input;
	if (im->current.preedit.text != NULL) {
		wlr_text_input_v3_send_preedit_string(input, im->current.preedit.text,
				im->current.preedit.cursor_begin, im->current.preedit.cursor_end);
	}
	if (im->current.commit_text != NULL) {
		wlr_text_input_v3_send_commit_string(input, im->current.commit_text);
	}
	if (im->current.delete.before_length != 0 || im->current.delete.after_length != 0) {
		wlr_text_input_v3_send_delete_surrounding_text(input,
				im->current.delete.before_length, im->current.delete.after_length);
	}
	wlr_text_input_v3_send_done(input);
}

static void handle_grab_destroy(struct wl_listener *listener, void *data) {
	struct swl_text_input_relay *relay = wl_container_of(listener, relay, grab_destroy);
	struct wlr_input_method_keyboard_grab_v2 *grab = data;
	wl_list_remove(&relay->grab_destroy.link);
	relay->grab_destroy.notify = NULL;
	// The app may have missed releases while the IME held the keyboard.
	if (grab->keyboard != NULL) {
		wlr_seat_keyboard_notify_modifiers(relay->server->seat, &grab->keyboard->modifiers);
	}
}

static void input_method_handle_grab_keyboard(struct wl_listener *listener, void *data) {
	struct swl_text_input_relay *relay =
			wl_container_of(listener, relay, input_method_grab_keyboard);
	struct wlr_input_method_keyboard_grab_v2 *grab = data;
	wlr_input_method_keyboard_grab_v2_set_keyboard(grab, wlr_seat_get_keyboard(relay->server->seat));
	relay->grab_destroy.notify = handle_grab_destroy;
	wl_signal_add(&grab->events.destroy, &relay->grab_destroy);
}

static void input_method_handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_text_input_relay *relay = wl_container_of(listener, relay, input_method_destroy);
	wl_list_remove(&relay->input_method_commit.link);
	wl_list_remove(&relay->input_method_grab_keyboard.link);
	wl_list_remove(&relay->input_method_destroy.link);
	relay->input_method = NULL;
	struct swl_text_input *text_input = focused_enabled(relay);
	if (text_input != NULL) {
		// No IME any more: drop what it was composing.
		wlr_text_input_v3_send_preedit_string(text_input->input, NULL, 0, 0);
		wlr_text_input_v3_send_done(text_input->input);
	}
}

static void handle_new_input_method(struct wl_listener *listener, void *data) {
	struct swl_text_input_relay *relay = wl_container_of(listener, relay, new_input_method);
	struct wlr_input_method_v2 *im = data;
	if (im->seat != relay->server->seat) {
		return;
	}
	if (relay->input_method != NULL) {
		wlr_log(WLR_INFO, "a second input method for the seat is refused");
		wlr_input_method_v2_send_unavailable(im);
		return;
	}
	relay->input_method = im;
	relay->input_method_commit.notify = input_method_handle_commit;
	wl_signal_add(&im->events.commit, &relay->input_method_commit);
	relay->input_method_grab_keyboard.notify = input_method_handle_grab_keyboard;
	wl_signal_add(&im->events.grab_keyboard, &relay->input_method_grab_keyboard);
	relay->input_method_destroy.notify = input_method_handle_destroy;
	wl_signal_add(&im->events.destroy, &relay->input_method_destroy);
	struct swl_text_input *text_input = focused_enabled(relay);
	if (text_input != NULL) {
		wlr_input_method_v2_send_activate(im);
		send_state(relay, text_input->input);
	}
}

bool swl_text_input_init(struct swl_server *server) {
	struct swl_text_input_relay *relay = calloc(1, sizeof(*relay));
	if (relay == NULL) {
		return false;
	}
	relay->server = server;
	server->text_input = relay;
	wl_list_init(&relay->text_inputs);
	relay->text_input_manager = wlr_text_input_manager_v3_create(server->display);
	relay->input_method_manager = wlr_input_method_manager_v2_create(server->display);
	if (relay->text_input_manager == NULL || relay->input_method_manager == NULL) {
		return false;
	}
	relay->new_text_input.notify = handle_new_text_input;
	wl_signal_add(&relay->text_input_manager->events.text_input, &relay->new_text_input);
	relay->new_input_method.notify = handle_new_input_method;
	wl_signal_add(&relay->input_method_manager->events.input_method, &relay->new_input_method);
	relay->keyboard_focus_change.notify = handle_keyboard_focus_change;
	wl_signal_add(&server->seat->keyboard_state.events.focus_change,
			&relay->keyboard_focus_change);
	return true;
}

void swl_text_input_finish(struct swl_server *server) {
	struct swl_text_input_relay *relay = server->text_input;
	if (relay == NULL) {
		return;
	}
	// Clients are gone by now: their text inputs and input method with them.
	if (relay->new_text_input.notify != NULL) {
		wl_list_remove(&relay->new_text_input.link);
		wl_list_remove(&relay->new_input_method.link);
		wl_list_remove(&relay->keyboard_focus_change.link);
	}
	free(relay);
	server->text_input = NULL;
}

struct wlr_input_method_keyboard_grab_v2 *swl_text_input_keyboard_grab(
		struct swl_server *server, struct wlr_input_device *device) {
	struct swl_text_input_relay *relay = server->text_input;
	if (relay == NULL || relay->input_method == NULL) {
		return NULL;
	}
	struct wlr_input_method_keyboard_grab_v2 *grab = relay->input_method->keyboard_grab;
	if (grab == NULL) {
		return NULL;
	}
	// Keys the IME itself types through a virtual keyboard go to the app, or
	// they would loop back to it.
	struct wlr_virtual_keyboard_v1 *virtual = wlr_input_device_get_virtual_keyboard(device);
	if (virtual != NULL && wl_resource_get_client(virtual->resource) ==
			wl_resource_get_client(grab->resource)) {
		return NULL;
	}
	return grab;
}
