/*
 * The built-in agent's clipboard bridge: the client's and the session's
 * clipboard and primary selection. Grabs become offers to the compositor
 * (signals), requests go both ways, and the data moves through file
 * descriptors as with Wayland's own data device, each transfer bounded in
 * size, count and time. agent.c hands the clipboard messages here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "agent.h"
#include "agent_clipboard.h"
#include "backend.h"

/* Largest selection we read from the session to send to a client. */
#define MAX_SESSION_CLIPBOARD (32 * 1024 * 1024)
#define MAX_TYPES 16
/* Session selections being read for the client at once, per selection. */
#define MAX_SENDS_IN_FLIGHT 2
/*
 * Readers of the client's clipboard at once, and the client data held for
 * them: a Wayland app that asks again and again and never reads would
 * otherwise keep a descriptor and a whole payload per request. Past either
 * bound the oldest reader loses its transfer: the newest paste is the one a
 * person waits for.
 */
#define MAX_RECEIVES 16
#define MAX_RECEIVE_BYTES (64 * 1024 * 1024)
/* A Wayland reader or source that moves no byte for this long loses its transfer. */
#define STALL_MS 10000
/*
 * How long a reader waits for the client's answer to start, or for its next
 * agent data once it has (a large answer over a slow network takes minutes).
 */
#define CLIENT_ANSWER_MS 30000

static const struct {
	uint32_t type;
	const char *mime;
} mime_map[] = {
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "text/plain;charset=utf-8" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "UTF8_STRING" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "text/plain" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "TEXT" },
	{ VD_AGENT_CLIPBOARD_UTF8_TEXT, "STRING" },
	{ VD_AGENT_CLIPBOARD_IMAGE_PNG, "image/png" },
	{ VD_AGENT_CLIPBOARD_IMAGE_BMP, "image/bmp" },
	{ VD_AGENT_CLIPBOARD_IMAGE_JPG, "image/jpeg" },
	{ VD_AGENT_CLIPBOARD_IMAGE_TIFF, "image/tiff" },
};

#define MIME_MAP_LEN (sizeof(mime_map) / sizeof(mime_map[0]))

struct agent_transfer {
	struct spb_agent *agent;
	struct wl_list link; // spb_agent.receives or .sends
	int fd;
	struct wl_event_source *source;
	struct wl_event_source *timer; // no progress for this long: the transfer goes
	bool receive; // in spb_agent.receives (counted there)
	uint8_t selection;
	uint32_t type;
	uint8_t *data;
	size_t len, cap, offset;
	bool has_data; // receive: the client's data arrived and is being written
};

static uint32_t mime_to_type(const char *mime) {
	for (size_t i = 0; i < MIME_MAP_LEN; i++) {
		if (strcmp(mime_map[i].mime, mime) == 0) {
			return mime_map[i].type;
		}
	}
	return VD_AGENT_CLIPBOARD_NONE;
}

static const char *type_to_mime(uint32_t type) {
	for (size_t i = 0; i < MIME_MAP_LEN; i++) {
		if (mime_map[i].type == type) {
			return mime_map[i].mime;
		}
	}
	return NULL;
}

static bool has_selection_framing(struct spb_agent *agent) {
	return spb_agent_client_has_cap(agent, VD_AGENT_CAP_CLIPBOARD_SELECTION);
}

static bool has_grab_serial(struct spb_agent *agent) {
	return spb_agent_client_has_cap(agent, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);
}


static void transfer_destroy(struct agent_transfer *transfer) {
	if (transfer == NULL) {
		return;
	}
	struct spb_agent *agent = transfer->agent;
	wl_list_remove(&transfer->link);
	if (transfer->receive) {
		agent->n_receives--;
		if (transfer->has_data) {
			agent->receive_bytes -= transfer->len;
		}
	}
	if (transfer->source != NULL) {
		wl_event_source_remove(transfer->source);
	}
	if (transfer->timer != NULL) {
		wl_event_source_remove(transfer->timer);
	}
	if (transfer->fd >= 0) {
		close(transfer->fd);
	}
	free(transfer->data);
	spb_agent_schedule_trim(agent, transfer->cap > transfer->len ? transfer->cap : transfer->len);
	free(transfer);
}

/* The transfer moved: it has another STALL_MS. */
static void transfer_progress(struct agent_transfer *transfer) {
	wl_event_source_timer_update(transfer->timer, STALL_MS);
}

static void send_finish(struct agent_transfer *transfer);

static int handle_transfer_timeout(void *data) {
	struct agent_transfer *transfer = data;
	if (!transfer->receive) {
		wlr_log(WLR_INFO, "agent: the session's clipboard source sent nothing for %d s; "
				"the client gets an empty answer", STALL_MS / 1000);
		transfer->len = 0;
		send_finish(transfer);
	} else if (!transfer->has_data) {
		wlr_log(WLR_INFO, "agent: the client did not answer a clipboard request in %d s; "
				"the reader gets nothing", CLIENT_ANSWER_MS / 1000);
		transfer_destroy(transfer);
	} else {
		wlr_log(WLR_INFO, "agent: a clipboard reader took nothing for %d s; "
				"%zu of %zu bytes dropped", STALL_MS / 1000, transfer->len - transfer->offset,
				transfer->len);
		transfer_destroy(transfer);
	}
	return 0;
}

static struct agent_transfer *transfer_create(struct spb_agent *agent, struct wl_list *list,
		int fd, uint8_t selection, uint32_t type) {
	struct agent_transfer *transfer = calloc(1, sizeof(*transfer));
	if (transfer == NULL) {
		close(fd);
		return NULL;
	}
	transfer->agent = agent;
	transfer->fd = fd;
	transfer->selection = selection;
	transfer->type = type;
	transfer->receive = list == &agent->receives;
	wl_list_insert(list->prev, &transfer->link);
	if (transfer->receive) {
		agent->n_receives++;
	}
	transfer->timer =
			wl_event_loop_add_timer(agent->backend->loop, handle_transfer_timeout, transfer);
	if (transfer->timer == NULL) {
		transfer_destroy(transfer);
		return NULL;
	}
	wl_event_source_timer_update(transfer->timer, transfer->receive ? CLIENT_ANSWER_MS : STALL_MS);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return transfer;
}

/* Session → client: the session's data is read from a pipe, then sent. */
static int handle_send_readable(int fd, uint32_t mask, void *data) {
	struct agent_transfer *transfer = data;
	for (;;) {
		if (transfer->len == transfer->cap) {
			size_t cap = transfer->cap ? transfer->cap * 2 : 4096;
			if (cap > MAX_SESSION_CLIPBOARD) {
				wlr_log(WLR_ERROR, "agent: selection larger than %d bytes not sent",
						MAX_SESSION_CLIPBOARD);
				transfer->len = 0;
				break;
			}
			uint8_t *buf = realloc(transfer->data, cap);
			if (buf == NULL) {
				transfer->len = 0;
				break;
			}
			transfer->data = buf;
			transfer->cap = cap;
		}
		ssize_t n = read(fd, transfer->data + transfer->len, transfer->cap - transfer->len);
		if (n > 0) {
			transfer->len += (size_t)n;
			transfer_progress(transfer);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return 0;
		}
		break; // EOF or error: send what we have
	}
	send_finish(transfer);
	return 0;
}

/* Sends what was read of the session's selection (nothing: an empty answer), and ends. */
static void send_finish(struct agent_transfer *transfer) {
	struct spb_agent *agent = transfer->agent;
	uint8_t *payload;
	uint32_t size;
	if (spb_agent_build_clipboard(has_selection_framing(agent), transfer->selection,
				transfer->len > 0 ? transfer->type : VD_AGENT_CLIPBOARD_NONE, transfer->data,
				(uint32_t)transfer->len, &payload, &size)) {
		spb_agent_send(agent, VD_AGENT_CLIPBOARD, payload, size);
	}
	transfer_destroy(transfer);
}

/* Client → session: the client's data is written into the reader's pipe. */
static int handle_receive_writable(int fd, uint32_t mask, void *data) {
	struct agent_transfer *transfer = data;
	while (transfer->offset < transfer->len) {
		ssize_t n = write(fd, transfer->data + transfer->offset, transfer->len - transfer->offset);
		if (n > 0) {
			transfer->offset += (size_t)n;
			transfer_progress(transfer);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return 0;
		}
		break; // the reader went away
	}
	transfer_destroy(transfer);
	return 0;
}

/* Readers still waiting for the client's data get an empty paste. */
static void cancel_receives(struct spb_agent *agent, int selection) {
	struct agent_transfer *transfer, *tmp;
	wl_list_for_each_safe(transfer, tmp, &agent->receives, link) {
		if (!transfer->has_data && (selection < 0 || transfer->selection == selection)) {
			transfer_destroy(transfer);
		}
	}
}

static void handle_client_clipboard(
		struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	uint8_t selection = 0;
	uint32_t type = 0;
	const uint8_t *data = NULL;
	uint32_t data_size = 0;
	if (!spb_agent_parse_clipboard(payload, size, has_selection_framing(agent), &selection,
				&type, &data, &data_size)) {
		wlr_log(WLR_INFO, "agent: malformed clipboard data from the client dropped");
		return;
	}
	struct agent_transfer *transfer, *found = NULL;
	wl_list_for_each(transfer, &agent->receives, link) {
		// spice-gtk may answer requests out of order: match the type too.
		if (!transfer->has_data && transfer->selection == selection &&
				(transfer->type == type || type == VD_AGENT_CLIPBOARD_NONE)) {
			found = transfer;
			break;
		}
	}
	if (found == NULL) {
		return;
	}
	if (type == VD_AGENT_CLIPBOARD_NONE || data_size == 0) {
		transfer_destroy(found);
		return;
	}
	// Room for the data: readers that still hold an older payload lose it,
	// oldest first.
	struct agent_transfer *tmp;
	wl_list_for_each_safe(transfer, tmp, &agent->receives, link) {
		if (agent->receive_bytes + data_size <= MAX_RECEIVE_BYTES) {
			break;
		}
		if (transfer->has_data) {
			wlr_log(WLR_INFO, "agent: %zu bytes of clipboard data wait for readers; "
					"the oldest reader loses its %zu bytes", agent->receive_bytes,
					transfer->len);
			transfer_destroy(transfer);
		}
	}
	found->data = malloc(data_size);
	if (found->data == NULL) {
		transfer_destroy(found);
		return;
	}
	memcpy(found->data, data, data_size);
	found->len = data_size;
	found->has_data = true;
	agent->receive_bytes += data_size;
	transfer_progress(found);
	// Its copy in the parser goes after this call.
	spb_agent_schedule_trim(agent, data_size);
	found->source = wl_event_loop_add_fd(
			agent->backend->loop, found->fd, WL_EVENT_WRITABLE, handle_receive_writable, found);
	if (found->source == NULL) {
		transfer_destroy(found);
	}
}

static void handle_client_grab(
		struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	uint8_t selection = 0;
	uint32_t serial = 0;
	uint32_t types[MAX_TYPES];
	uint32_t n_types = 0;
	if (!spb_agent_parse_grab(payload, size, has_selection_framing(agent),
				has_grab_serial(agent), &selection, &serial, types, MAX_TYPES, &n_types)) {
		wlr_log(WLR_INFO, "agent: malformed clipboard grab from the client dropped");
		return;
	}
	if (selection > WLR_SPICE_SELECTION_PRIMARY) {
		return;
	}
	if (has_grab_serial(agent)) {
		// One counter per selection for both sides. The client's grab
		// either is the next one, or crossed ours (then it wins, as in
		// spice-gtk); anything else is stale.
		uint32_t expected = agent->grab_serial[selection];
		if (serial == expected) {
			agent->grab_serial[selection]++;
		} else if (serial != expected - 1) {
			wlr_log(WLR_DEBUG, "agent: stale clipboard grab (serial %u, expected %u)", serial,
					expected);
			return;
		}
	}
	const char *mimes[MIME_MAP_LEN];
	size_t n_mimes = 0;
	for (uint32_t i = 0; i < n_types; i++) {
		for (size_t j = 0; j < MIME_MAP_LEN; j++) {
			if (mime_map[j].type == types[i] && n_mimes < MIME_MAP_LEN) {
				mimes[n_mimes++] = mime_map[j].mime;
			}
		}
	}
	// What was asked of the old contents will not come any more.
	cancel_receives(agent, selection);
	agent->client_owns[selection] = true;
	struct wlr_spice_clipboard_offer_event event = {
		.selection = selection,
		.mime_types = mimes,
		.n_mime_types = n_mimes,
	};
	wl_signal_emit(&agent->events.clipboard_offer, &event);
}

static void release_client_selection(struct spb_agent *agent, uint8_t selection) {
	if (selection > WLR_SPICE_SELECTION_PRIMARY || !agent->client_owns[selection]) {
		return;
	}
	agent->client_owns[selection] = false;
	cancel_receives(agent, selection);
	enum wlr_spice_selection sel = selection;
	wl_signal_emit(&agent->events.clipboard_release, &sel);
}

static void handle_client_request(
		struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	uint8_t selection = 0;
	uint32_t type = 0;
	if (!spb_agent_parse_request(
				payload, size, has_selection_framing(agent), &selection, &type)) {
		wlr_log(WLR_INFO, "agent: malformed clipboard request from the client dropped");
		return;
	}
	// A client asking again and again before the session answers gets an
	// empty answer, rather than more pipes and buffers.
	int in_flight = 0;
	struct agent_transfer *pending;
	wl_list_for_each(pending, &agent->sends, link) {
		in_flight += pending->selection == selection;
	}
	if (in_flight >= MAX_SENDS_IN_FLIGHT) {
		goto empty;
	}
	const char *mime = type_to_mime(type);
	int fds[2];
	if (selection > WLR_SPICE_SELECTION_PRIMARY || mime == NULL || pipe(fds) != 0) {
		goto empty;
	}
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	struct agent_transfer *transfer =
			transfer_create(agent, &agent->sends, fds[0], selection, type);
	if (transfer == NULL) {
		close(fds[1]);
		goto empty;
	}
	transfer->source = wl_event_loop_add_fd(
			agent->backend->loop, fds[0], WL_EVENT_READABLE, handle_send_readable, transfer);
	if (transfer->source == NULL) {
		transfer_destroy(transfer);
		close(fds[1]);
		goto empty;
	}
	struct wlr_spice_clipboard_request_event event = {
		.selection = selection,
		.mime_type = mime,
		.fd = fds[1],
	};
	wl_signal_emit(&agent->events.clipboard_request, &event);
	if (event.fd >= 0) {
		// Nobody had the selection: the read end sees EOF and sends nothing.
		close(event.fd);
	}
	return;

empty:;
	uint8_t *reply;
	uint32_t reply_size;
	if (spb_agent_build_clipboard(has_selection_framing(agent), selection,
				VD_AGENT_CLIPBOARD_NONE, NULL, 0, &reply, &reply_size)) {
		spb_agent_send(agent, VD_AGENT_CLIPBOARD, reply, reply_size);
	}
}

void spb_agent_clipboard_handle(
		struct spb_agent *agent, uint32_t type, const uint8_t *payload, uint32_t size) {
	if (agent->backend->options.no_clipboard) {
		return;
	}
	switch (type) {
	case VD_AGENT_CLIPBOARD_GRAB:
		// A view-only client may read the session's clipboard, not set it.
		if (!agent->backend->options.view_only) {
			handle_client_grab(agent, payload, size);
		}
		break;
	case VD_AGENT_CLIPBOARD_REQUEST:
		handle_client_request(agent, payload, size);
		break;
	case VD_AGENT_CLIPBOARD:
		handle_client_clipboard(agent, payload, size);
		break;
	case VD_AGENT_CLIPBOARD_RELEASE:;
		uint8_t selection = 0;
		if (spb_agent_parse_release(
					payload, size, has_selection_framing(agent), &selection)) {
			release_client_selection(agent, selection);
		}
		break;
	}
}

void spb_agent_clipboard_client_sends(struct spb_agent *agent) {
	// A large answer takes long on a slow link: while the client sends, the
	// readers still waiting for it keep their time.
	struct agent_transfer *transfer;
	wl_list_for_each(transfer, &agent->receives, link) {
		if (!transfer->has_data) {
			wl_event_source_timer_update(transfer->timer, CLIENT_ANSWER_MS);
		}
	}
}

void spb_agent_clipboard_cancel_receives(struct spb_agent *agent) {
	cancel_receives(agent, -1);
}

void spb_agent_clipboard_client_gone(struct spb_agent *agent) {
	struct agent_transfer *transfer, *tmp;
	wl_list_for_each_safe(transfer, tmp, &agent->receives, link) {
		transfer_destroy(transfer);
	}
	release_client_selection(agent, WLR_SPICE_SELECTION_CLIPBOARD);
	release_client_selection(agent, WLR_SPICE_SELECTION_PRIMARY);
}

void spb_agent_clipboard_finish(struct spb_agent *agent) {
	struct agent_transfer *transfer, *tmp;
	wl_list_for_each_safe(transfer, tmp, &agent->receives, link) {
		transfer_destroy(transfer);
	}
	wl_list_for_each_safe(transfer, tmp, &agent->sends, link) {
		transfer_destroy(transfer);
	}
}

void spb_agent_clipboard_offer(struct spb_agent *agent, int selection) {
	if (!agent->client_caps_known ||
			!spb_agent_client_has_cap(agent, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
		return;
	}
	if (selection != WLR_SPICE_SELECTION_CLIPBOARD && !has_selection_framing(agent)) {
		return; // an old client knows only one clipboard
	}
	uint8_t *payload;
	uint32_t size;
	if (agent->session_n_types[selection] == 0) {
		if (spb_agent_build_release(
					has_selection_framing(agent), selection, &payload, &size)) {
			spb_agent_send(agent, VD_AGENT_CLIPBOARD_RELEASE, payload, size);
		}
		return;
	}
	if (spb_agent_build_grab(has_selection_framing(agent), selection, has_grab_serial(agent),
				agent->grab_serial[selection]++, agent->session_types[selection],
				agent->session_n_types[selection], &payload, &size)) {
		spb_agent_send(agent, VD_AGENT_CLIPBOARD_GRAB, payload, size);
	}
}

void wlr_spice_backend_clipboard_set(struct wlr_backend *wlr_backend,
		enum wlr_spice_selection selection, const char *const *mime_types, size_t n_mime_types) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	if (backend == NULL || backend->options.no_clipboard ||
			selection > WLR_SPICE_SELECTION_PRIMARY) {
		return;
	}
	struct spb_agent *agent = &backend->agent;
	uint32_t *types = agent->session_types[selection];
	uint32_t n = 0;
	for (size_t i = 0; i < n_mime_types; i++) {
		uint32_t type = mime_to_type(mime_types[i]);
		bool seen = type == VD_AGENT_CLIPBOARD_NONE;
		for (uint32_t j = 0; j < n && !seen; j++) {
			seen = types[j] == type;
		}
		if (!seen && n < SPB_AGENT_MAX_TYPES) {
			types[n++] = type;
		}
	}
	agent->session_n_types[selection] = n;
	// The session took the selection: it is no longer the client's.
	agent->client_owns[selection] = false;
	spb_agent_clipboard_offer(agent, selection);
}

void wlr_spice_backend_clipboard_receive(struct wlr_backend *wlr_backend,
		enum wlr_spice_selection selection, const char *mime_type, int fd) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	uint32_t type = mime_to_type(mime_type);
	if (backend == NULL || selection > WLR_SPICE_SELECTION_PRIMARY ||
			type == VD_AGENT_CLIPBOARD_NONE || !backend->agent.client_owns[selection]) {
		close(fd);
		return;
	}
	struct spb_agent *agent = &backend->agent;
	if (agent->n_receives >= MAX_RECEIVES) {
		struct agent_transfer *oldest = wl_container_of(agent->receives.next, oldest, link);
		wlr_log(WLR_INFO, "agent: %d readers of the client's clipboard at once; "
				"the oldest loses its transfer", agent->n_receives);
		transfer_destroy(oldest);
	}
	if (transfer_create(agent, &agent->receives, fd, selection, type) == NULL) {
		return;
	}
	uint8_t *payload;
	uint32_t size;
	if (spb_agent_build_request(
				has_selection_framing(agent), selection, type, &payload, &size)) {
		spb_agent_send(agent, VD_AGENT_CLIPBOARD_REQUEST, payload, size);
	}
}
