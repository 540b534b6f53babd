/*
 * Clipboard and primary selection shared with the SPICE client through the
 * backend's built-in agent. A client offer becomes a data source of ours in
 * the seat; the session's own selection is offered to the client, and read
 * from its source when the client asks. X clients take part through
 * Xwayland's selection bridge in wlroots.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/util/log.h>
#include "clipboard.h"
#include "server.h"
#include "wlr_spice.h"

struct spice_data_source {
	struct wlr_data_source base;
	struct swl_server *server;
};

struct spice_primary_source {
	struct wlr_primary_selection_source base;
	struct swl_server *server;
};

static void data_source_send(struct wlr_data_source *source, const char *mime_type, int32_t fd) {
	struct spice_data_source *s = wl_container_of(source, s, base);
	wlr_spice_backend_clipboard_receive(
			s->server->backend, WLR_SPICE_SELECTION_CLIPBOARD, mime_type, fd);
}

static void data_source_destroy(struct wlr_data_source *source) {
	struct spice_data_source *s = wl_container_of(source, s, base);
	free(s);
}

static const struct wlr_data_source_impl data_source_impl = {
	.send = data_source_send,
	.destroy = data_source_destroy,
};

static void primary_source_send(
		struct wlr_primary_selection_source *source, const char *mime_type, int fd) {
	struct spice_primary_source *s = wl_container_of(source, s, base);
	wlr_spice_backend_clipboard_receive(
			s->server->backend, WLR_SPICE_SELECTION_PRIMARY, mime_type, fd);
}

static void primary_source_destroy(struct wlr_primary_selection_source *source) {
	struct spice_primary_source *s = wl_container_of(source, s, base);
	free(s);
}

static const struct wlr_primary_selection_source_impl primary_source_impl = {
	.send = primary_source_send,
	.destroy = primary_source_destroy,
};

static bool add_mime_types(struct wl_array *array, const char *const *mime_types, size_t n) {
	for (size_t i = 0; i < n; i++) {
		char **slot = wl_array_add(array, sizeof(*slot));
		if (slot == NULL) {
			return false;
		}
		*slot = strdup(mime_types[i]);
		if (*slot == NULL) {
			array->size -= sizeof(*slot);
			return false;
		}
	}
	return true;
}

/* Up to max mime types of a wl_array of strings, as a pointer array. */
static size_t list_mime_types(struct wl_array *array, const char **out, size_t max) {
	size_t n = 0;
	char **p;
	wl_array_for_each(p, array) {
		if (n < max) {
			out[n++] = *p;
		}
	}
	return n;
}

static void handle_offer(struct wl_listener *listener, void *data) {
	struct swl_clipboard *clipboard = wl_container_of(listener, clipboard, offer);
	struct swl_server *server = clipboard->server;
	struct wlr_spice_clipboard_offer_event *event = data;
	uint32_t serial = wl_display_next_serial(server->display);
	if (event->selection == WLR_SPICE_SELECTION_CLIPBOARD) {
		struct spice_data_source *source = calloc(1, sizeof(*source));
		if (source == NULL) {
			return;
		}
		wlr_data_source_init(&source->base, &data_source_impl);
		source->server = server;
		if (!add_mime_types(&source->base.mime_types, event->mime_types, event->n_mime_types)) {
			wlr_data_source_destroy(&source->base);
			return;
		}
		wlr_seat_set_selection(server->seat, &source->base, serial);
	} else {
		struct spice_primary_source *source = calloc(1, sizeof(*source));
		if (source == NULL) {
			return;
		}
		wlr_primary_selection_source_init(&source->base, &primary_source_impl);
		source->server = server;
		if (!add_mime_types(&source->base.mime_types, event->mime_types, event->n_mime_types)) {
			wlr_primary_selection_source_destroy(&source->base);
			return;
		}
		wlr_seat_set_primary_selection(server->seat, &source->base, serial);
	}
}

static void handle_release(struct wl_listener *listener, void *data) {
	struct swl_clipboard *clipboard = wl_container_of(listener, clipboard, release);
	struct swl_server *server = clipboard->server;
	enum wlr_spice_selection *selection = data;
	struct wlr_seat *seat = server->seat;
	uint32_t serial = wl_display_next_serial(server->display);
	// Only drop the selection if it is still the client's.
	if (*selection == WLR_SPICE_SELECTION_CLIPBOARD) {
		if (seat->selection_source != NULL && seat->selection_source->impl == &data_source_impl) {
			wlr_seat_set_selection(seat, NULL, serial);
		}
	} else if (seat->primary_selection_source != NULL &&
			seat->primary_selection_source->impl == &primary_source_impl) {
		wlr_seat_set_primary_selection(seat, NULL, serial);
	}
}

/* The source's own name for the format the client asked for. */
static const char *pick_mime(const char *wanted, const char **offered, size_t n) {
	static const char *const text[] = {
		"text/plain;charset=utf-8",
		"UTF8_STRING",
		"text/plain",
		"TEXT",
		"STRING",
	};
	for (size_t i = 0; i < n; i++) {
		if (strcmp(offered[i], wanted) == 0) {
			return offered[i];
		}
	}
	bool wants_text = false;
	for (size_t j = 0; j < sizeof(text) / sizeof(text[0]); j++) {
		wants_text = wants_text || strcmp(wanted, text[j]) == 0;
	}
	if (!wants_text) {
		return NULL;
	}
	for (size_t j = 0; j < sizeof(text) / sizeof(text[0]); j++) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(offered[i], text[j]) == 0) {
				return offered[i];
			}
		}
	}
	return NULL;
}

#define MAX_MIME_TYPES 64

static void handle_request(struct wl_listener *listener, void *data) {
	struct swl_clipboard *clipboard = wl_container_of(listener, clipboard, request);
	struct wlr_spice_clipboard_request_event *event = data;
	struct wlr_seat *seat = clipboard->server->seat;
	const char *offered[MAX_MIME_TYPES];
	if (event->selection == WLR_SPICE_SELECTION_CLIPBOARD) {
		struct wlr_data_source *source = seat->selection_source;
		if (source == NULL || source->impl == &data_source_impl) {
			return;
		}
		size_t n = list_mime_types(&source->mime_types, offered, MAX_MIME_TYPES);
		const char *mime = pick_mime(event->mime_type, offered, n);
		if (mime != NULL) {
			wlr_data_source_send(source, mime, event->fd);
			event->fd = -1;
		}
	} else {
		struct wlr_primary_selection_source *source = seat->primary_selection_source;
		if (source == NULL || source->impl == &primary_source_impl) {
			return;
		}
		size_t n = list_mime_types(&source->mime_types, offered, MAX_MIME_TYPES);
		const char *mime = pick_mime(event->mime_type, offered, n);
		if (mime != NULL) {
			wlr_primary_selection_source_send(source, mime, event->fd);
			event->fd = -1;
		}
	}
}

static void handle_set_selection(struct wl_listener *listener, void *data) {
	struct swl_clipboard *clipboard = wl_container_of(listener, clipboard, set_selection);
	struct swl_server *server = clipboard->server;
	struct wlr_data_source *source = server->seat->selection_source;
	if (source != NULL && source->impl == &data_source_impl) {
		return; // the client's own offer coming back
	}
	const char *mimes[MAX_MIME_TYPES];
	size_t n = source != NULL ? list_mime_types(&source->mime_types, mimes, MAX_MIME_TYPES) : 0;
	wlr_spice_backend_clipboard_set(server->backend, WLR_SPICE_SELECTION_CLIPBOARD, mimes, n);
}

static void handle_set_primary_selection(struct wl_listener *listener, void *data) {
	struct swl_clipboard *clipboard = wl_container_of(listener, clipboard, set_primary_selection);
	struct swl_server *server = clipboard->server;
	struct wlr_primary_selection_source *source = server->seat->primary_selection_source;
	if (source != NULL && source->impl == &primary_source_impl) {
		return;
	}
	const char *mimes[MAX_MIME_TYPES];
	size_t n = source != NULL ? list_mime_types(&source->mime_types, mimes, MAX_MIME_TYPES) : 0;
	wlr_spice_backend_clipboard_set(server->backend, WLR_SPICE_SELECTION_PRIMARY, mimes, n);
}

struct swl_clipboard *swl_clipboard_create(struct swl_server *server) {
	struct swl_clipboard *clipboard = calloc(1, sizeof(*clipboard));
	if (clipboard == NULL) {
		return NULL;
	}
	clipboard->server = server;
	struct wlr_spice_agent_events *events = wlr_spice_backend_get_agent_events(server->backend);
	if (events == NULL) {
		return clipboard; // another backend: nothing to share with
	}
	clipboard->offer.notify = handle_offer;
	wl_signal_add(&events->clipboard_offer, &clipboard->offer);
	clipboard->release.notify = handle_release;
	wl_signal_add(&events->clipboard_release, &clipboard->release);
	clipboard->request.notify = handle_request;
	wl_signal_add(&events->clipboard_request, &clipboard->request);
	clipboard->set_selection.notify = handle_set_selection;
	wl_signal_add(&server->seat->events.set_selection, &clipboard->set_selection);
	clipboard->set_primary_selection.notify = handle_set_primary_selection;
	wl_signal_add(&server->seat->events.set_primary_selection,
			&clipboard->set_primary_selection);
	return clipboard;
}

void swl_clipboard_destroy(struct swl_clipboard *clipboard) {
	if (clipboard == NULL) {
		return;
	}
	if (clipboard->offer.notify != NULL) {
		wl_list_remove(&clipboard->offer.link);
		wl_list_remove(&clipboard->release.link);
		wl_list_remove(&clipboard->request.link);
		wl_list_remove(&clipboard->set_selection.link);
		wl_list_remove(&clipboard->set_primary_selection.link);
	}
	free(clipboard);
}
