/*
 * The built-in SPICE agent: a char device of subtype "vdagent" that speaks
 * the vdagent protocol itself, so no spice-vdagent daemons are needed. It
 * answers capability announcements, resizes the output to the client's
 * monitors config, and bridges the clipboard and primary selection: the
 * compositor sees offers and requests as signals, and hands over data as
 * file descriptors, like Wayland's own data device.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "agent.h"
#include "backend.h"
#include "file_xfer.h"

/* Largest selection we read from the session to send to a client. */
#define MAX_SESSION_CLIPBOARD (32 * 1024 * 1024)
#define MAX_TYPES 16
/* Session selections being read for the client at once, per selection. */
#define MAX_SENDS_IN_FLIGHT 2
/* Bytes queued for a client that does not read them (no agent tokens). */
#define MAX_QUEUED (64 * 1024 * 1024)
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
/* Freeing a buffer this large gives memory back to the system (glibc keeps it otherwise). */
#define TRIM_THRESHOLD (1024 * 1024)

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

/* The client left: forget its capabilities and selections. */
static void agent_client_gone(struct spb_agent *agent);
/* Tells the client what the session offers for a selection (or that it has none). */
static void agent_offer(struct spb_agent *agent, int selection);

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

static bool client_has_cap(struct spb_agent *agent, uint32_t cap) {
	return agent->client_caps_known &&
			VD_AGENT_HAS_CAPABILITY(agent->client_caps, VD_AGENT_CAPS_SIZE, cap);
}

static bool has_selection_framing(struct spb_agent *agent) {
	return client_has_cap(agent, VD_AGENT_CAP_CLIPBOARD_SELECTION);
}

static bool has_grab_serial(struct spb_agent *agent) {
	return client_has_cap(agent, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);
}

/* Queues a message for the client; spice-server pulls it through read(). */
static void send_message(
		struct spb_agent *agent, uint32_t type, uint8_t *payload, uint32_t size) {
	uint8_t *encoded = NULL;
	size_t encoded_len = 0;
	bool ok = spb_agent_encode(type, payload, size, &encoded, &encoded_len);
	free(payload);
	if (!ok) {
		wlr_log(WLR_ERROR, "agent: cannot encode message type %u", type);
		return;
	}
	bool queued = spb_agent_outq_push(&agent->out, encoded, encoded_len, MAX_QUEUED);
	free(encoded);
	if (!queued) {
		// Logged once until the queue has room again: a client that grants
		// no tokens while provoking replies must not flood the log either.
		if (agent->out_dropped++ == 0) {
			wlr_log(WLR_ERROR,
					"agent: the client does not read what is queued for it (%zu bytes); "
					"message type %u and later ones dropped",
					spb_agent_outq_pending(&agent->out), type);
		}
		return;
	}
	if (agent->out_dropped > 0) {
		wlr_log(WLR_INFO, "agent: the client reads again; %" PRIu64 " messages were dropped",
				agent->out_dropped);
		agent->out_dropped = 0;
	}
	if (agent->added) {
		spice_server_char_device_wakeup(&agent->sin);
	}
}

void spb_agent_send(
		struct spb_agent *agent, uint32_t type, uint8_t *payload, uint32_t size) {
	send_message(agent, type, payload, size);
}

bool spb_agent_client_has_cap(struct spb_agent *agent, uint32_t cap) {
	return client_has_cap(agent, cap);
}

static void send_caps(struct spb_agent *agent, bool request) {
	uint32_t caps[VD_AGENT_CAPS_SIZE] = { 0 };
	VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_MONITORS_CONFIG);
	VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_REPLY);
	VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_SPARSE_MONITORS_CONFIG);
	VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_GUEST_LINEEND_LF);
	if (agent->backend->audio.playback_path != NULL) {
		// Clients then tell their volume and mute on connecting.
		VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_AUDIO_VOLUME_SYNC);
	}
	if (!agent->backend->options.no_clipboard) {
		VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
		VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_SELECTION);
		VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_NO_RELEASE_ON_REGRAB);
		VD_AGENT_SET_CAPABILITY(caps, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);
	}
	// Clients grey file transfer out when it is off.
	VD_AGENT_SET_CAPABILITY(caps, spb_file_xfer_enabled(agent) ?
			VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS : VD_AGENT_CAP_FILE_XFER_DISABLED);
	uint8_t *payload;
	uint32_t size;
	if (spb_agent_build_caps(caps, VD_AGENT_CAPS_SIZE, request, &payload, &size)) {
		send_message(agent, VD_AGENT_ANNOUNCE_CAPABILITIES, payload, size);
	}
}

static void send_reply(struct spb_agent *agent, uint32_t type, uint32_t error) {
	uint8_t *payload;
	uint32_t size;
	if (spb_agent_build_reply(type, error, &payload, &size)) {
		send_message(agent, VD_AGENT_REPLY, payload, size);
	}
}

static void handle_trim(void *data) {
	struct spb_agent *agent = data;
	agent->trim_idle = NULL;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * glibc keeps freed heap memory, and a large buffer is often on the heap
 * (its mmap threshold grows with the blocks freed): give it back once the
 * current dispatch is over, when the parser has freed its copy too.
 */
static void schedule_trim(struct spb_agent *agent, size_t freed) {
	if (freed >= TRIM_THRESHOLD && agent->trim_idle == NULL) {
		agent->trim_idle = wl_event_loop_add_idle(agent->backend->loop, handle_trim, agent);
	}
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
	schedule_trim(agent, transfer->cap > transfer->len ? transfer->cap : transfer->len);
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
		send_message(agent, VD_AGENT_CLIPBOARD, payload, size);
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
	schedule_trim(agent, data_size);
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
		send_message(agent, VD_AGENT_CLIPBOARD, reply, reply_size);
	}
}

static void handle_monitors_config(
		struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	struct spb_agent_monitor monitors[SPB_AGENT_MAX_MONITORS];
	uint32_t count = 0, flags = 0;
	if (!spb_agent_parse_monitors(
				payload, size, SPB_AGENT_MAX_MONITORS, monitors, &count, &flags)) {
		wlr_log(WLR_INFO, "agent: malformed monitors config from the client dropped");
		send_reply(agent, VD_AGENT_MONITORS_CONFIG, VD_AGENT_ERROR);
		return;
	}
	send_reply(agent, VD_AGENT_MONITORS_CONFIG, VD_AGENT_SUCCESS);
	const struct wlr_spice_backend_options *o = &agent->backend->options;
	if (o->no_resize || count == 0) {
		return;
	}
	// Heads go side by side in the order the client lists them; a disabled
	// monitor comes with a zero size and is left out.
	struct spb_head_limits limits = {
		.min_width = o->min_width,
		.min_height = o->min_height,
		.max_width = o->max_width,
		.max_height = o->max_height,
		.max_heads = o->max_heads,
		.max_area = o->max_area > 0 ? o->max_area : WLR_SPICE_DEFAULT_MAX_AREA,
	};
	int64_t least = (int64_t)o->min_width * o->min_height;
	limits.max_area = limits.max_area < least ? least : limits.max_area;
	struct spb_head heads[SPB_AGENT_MAX_MONITORS];
	bool scaled = false;
	int n = spb_heads_from_monitors(monitors, count, &limits, heads, &scaled);
	for (uint32_t i = 0; i < count; i++) {
		wlr_log(WLR_INFO, "client asks for monitor %u at %ux%u", i, monitors[i].width,
				monitors[i].height);
	}
	if (scaled) {
		wlr_log(WLR_INFO, "the layout asked for is more than %" PRId64 " pixels: "
				"scaled down to %" PRId64 " pixels in %d heads", limits.max_area,
				spb_heads_area(heads, n), n);
	}
	for (int i = 0; i < n; i++) {
		wlr_log(WLR_INFO, "head %d: %dx%d", i, heads[i].width, heads[i].height);
	}
	if (n > 0) {
		spb_backend_set_heads(agent->backend, heads, n);
	}
}

static void handle_volume_sync(
		struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	uint16_t volume[8];
	uint32_t n = 0;
	bool playback = false, mute = false;
	if (!spb_agent_parse_volume(payload, size, &playback, &mute, volume, 8, &n)) {
		wlr_log(WLR_INFO, "agent: malformed volume sync from the client dropped");
		return;
	}
	struct wlr_spice_volume_event event = {
		.playback = playback,
		.mute = mute,
		.volume = volume,
		.nchannels = n,
	};
	wl_signal_emit(&agent->events.volume, &event);
	if (!event.handled) {
		spb_audio_set_volume(&agent->backend->audio, playback, mute, volume, n);
	}
}

static void handle_message(
		void *data, uint32_t port, uint32_t type, const uint8_t *payload, uint32_t size) {
	struct spb_agent *agent = data;
	if (port == VDP_SERVER_PORT) {
		if (type == VD_AGENT_CLIENT_DISCONNECTED) {
			agent_client_gone(agent);
		} else if (type == VD_AGENT_MOUSE_STATE && size >= sizeof(VDAgentMouseState)) {
			VDAgentMouseState state;
			memcpy(&state, payload, sizeof(state));
			spb_input_agent_mouse(&agent->backend->input, state.display_id,
					(int)(state.x > INT16_MAX ? INT16_MAX : state.x),
					(int)(state.y > INT16_MAX ? INT16_MAX : state.y), state.buttons);
		}
		return;
	}
	bool clipboard = !agent->backend->options.no_clipboard;
	switch (type) {
	case VD_AGENT_ANNOUNCE_CAPABILITIES:;
		bool request = false;
		if (!spb_agent_parse_caps(
					payload, size, agent->client_caps, VD_AGENT_CAPS_SIZE, &request)) {
			wlr_log(WLR_INFO, "agent: malformed capabilities from the client dropped");
			return;
		}
		agent->client_caps_known = true;
		if (request) {
			// A new client session: grab serials count from 0 again.
			agent->grab_serial[0] = agent->grab_serial[1] = 0;
			send_caps(agent, false);
		}
		// A client that connects while the session owns a selection sees it.
		for (int sel = 0; sel < 2; sel++) {
			if (agent->session_n_types[sel] > 0) {
				agent_offer(agent, sel);
			}
		}
		break;
	case VD_AGENT_MONITORS_CONFIG:
		handle_monitors_config(agent, payload, size);
		break;
	case VD_AGENT_AUDIO_VOLUME_SYNC:
		handle_volume_sync(agent, payload, size);
		break;
	case VD_AGENT_CLIPBOARD_GRAB:
		// A view-only client may read the session's clipboard, not set it.
		if (clipboard && !agent->backend->options.view_only) {
			handle_client_grab(agent, payload, size);
		}
		break;
	case VD_AGENT_CLIPBOARD_REQUEST:
		if (clipboard) {
			handle_client_request(agent, payload, size);
		}
		break;
	case VD_AGENT_CLIPBOARD:
		if (clipboard) {
			handle_client_clipboard(agent, payload, size);
		}
		break;
	case VD_AGENT_CLIPBOARD_RELEASE:;
		uint8_t selection = 0;
		if (clipboard &&
				spb_agent_parse_release(
						payload, size, has_selection_framing(agent), &selection)) {
			release_client_selection(agent, selection);
		}
		break;
	case VD_AGENT_FILE_XFER_START:
	case VD_AGENT_FILE_XFER_DATA:
	case VD_AGENT_FILE_XFER_STATUS:
		spb_file_xfer_handle(agent, type, payload, size);
		break;
	default:
		// Mouse state, display config: not ours to handle.
		break;
	}
}

static void agent_state(SpiceCharDeviceInstance *sin, int connected) {
}

static int agent_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len) {
	struct spb_agent *agent = wl_container_of(sin, agent, sin);
	if (len <= 0) {
		return 0;
	}
	// A large answer takes long on a slow link: while the client sends, the
	// readers still waiting for it keep their time.
	struct agent_transfer *transfer;
	wl_list_for_each(transfer, &agent->receives, link) {
		if (!transfer->has_data) {
			wl_event_source_timer_update(transfer->timer, CLIENT_ANSWER_MS);
		}
	}
	size_t dropped = agent->parser.dropped;
	spb_agent_parser_feed(&agent->parser, buf, (size_t)len, handle_message, agent);
	if (agent->parser.dropped != dropped) {
		wlr_log(WLR_INFO, "agent: dropped a message from the client: %s",
				agent->parser.last_error != NULL ? agent->parser.last_error : "invalid");
		// It may have been clipboard data (too large): readers waiting for
		// it get an empty paste rather than none at all.
		cancel_receives(agent, -1);
	}
	return len;
}

static int agent_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len) {
	struct spb_agent *agent = wl_container_of(sin, agent, sin);
	if (len <= 0) {
		return 0;
	}
	size_t cap = agent->out.cap;
	size_t n = spb_agent_outq_pull(&agent->out, buf, (size_t)len);
	if (agent->out.cap < cap) {
		schedule_trim(agent, cap - agent->out.cap);
	}
	return (int)n;
}

static const SpiceCharDeviceInterface agent_interface = {
	.base = {
		.type = SPICE_INTERFACE_CHAR_DEVICE,
		.description = "spice-wl built-in vdagent",
		.major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
		.minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
	},
	.state = agent_state,
	.write = agent_write,
	.read = agent_read,
};

void spb_agent_init(struct spb_agent *agent, struct spb_backend *backend) {
	memset(agent, 0, sizeof(*agent));
	agent->backend = backend;
	agent->sin.base.sif = &agent_interface.base;
	agent->sin.subtype = "vdagent";
	spb_agent_parser_init(&agent->parser, SPB_AGENT_MAX_MESSAGE);
	spb_agent_outq_init(&agent->out, MAX_QUEUED);
	wl_list_init(&agent->receives);
	wl_list_init(&agent->sends);
	wl_list_init(&agent->file_xfers);
	wl_signal_init(&agent->events.clipboard_offer);
	wl_signal_init(&agent->events.clipboard_release);
	wl_signal_init(&agent->events.clipboard_request);
	wl_signal_init(&agent->events.volume);
}

bool spb_agent_add(struct spb_agent *agent, SpiceServer *server) {
	if (spice_server_add_interface(server, &agent->sin.base) != 0) {
		wlr_log(WLR_ERROR, "spice-server refused the agent char device");
		return false;
	}
	agent->added = true;
	// Announce ourselves; a client that connects later asks again.
	send_caps(agent, true);
	return true;
}

void spb_agent_remove(struct spb_agent *agent) {
	if (agent->added) {
		spice_server_remove_interface(&agent->sin.base);
		agent->added = false;
	}
}

static void agent_client_gone(struct spb_agent *agent) {
	agent->client_caps_known = false;
	memset(agent->client_caps, 0, sizeof(agent->client_caps));
	agent->grab_serial[0] = agent->grab_serial[1] = 0;
	spb_agent_parser_reset(&agent->parser);
	struct agent_transfer *transfer, *tmp;
	wl_list_for_each_safe(transfer, tmp, &agent->receives, link) {
		transfer_destroy(transfer);
	}
	release_client_selection(agent, WLR_SPICE_SELECTION_CLIPBOARD);
	release_client_selection(agent, WLR_SPICE_SELECTION_PRIMARY);
	// Its unfinished files go.
	spb_file_xfer_cancel_all(agent);
	// A mute it reported was its own: the next client starts unmuted.
	spb_audio_client_gone(&agent->backend->audio);
	// The queue is left alone: spice-server may be half way through a
	// message, and it drops what is meant for a client that left itself.
}

void spb_agent_finish(struct spb_agent *agent) {
	struct agent_transfer *transfer, *tmp;
	wl_list_for_each_safe(transfer, tmp, &agent->receives, link) {
		transfer_destroy(transfer);
	}
	wl_list_for_each_safe(transfer, tmp, &agent->sends, link) {
		transfer_destroy(transfer);
	}
	spb_file_xfer_cancel_all(agent);
	spb_agent_parser_finish(&agent->parser);
	spb_agent_outq_finish(&agent->out);
	if (agent->trim_idle != NULL) {
		wl_event_source_remove(agent->trim_idle);
		agent->trim_idle = NULL;
	}
}

static void agent_offer(struct spb_agent *agent, int selection) {
	if (!agent->client_caps_known || !client_has_cap(agent, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
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
			send_message(agent, VD_AGENT_CLIPBOARD_RELEASE, payload, size);
		}
		return;
	}
	if (spb_agent_build_grab(has_selection_framing(agent), selection, has_grab_serial(agent),
				agent->grab_serial[selection]++, agent->session_types[selection],
				agent->session_n_types[selection], &payload, &size)) {
		send_message(agent, VD_AGENT_CLIPBOARD_GRAB, payload, size);
	}
}

struct wlr_spice_agent_events *wlr_spice_backend_get_agent_events(
		struct wlr_backend *wlr_backend) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	return backend != NULL ? &backend->agent.events : NULL;
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
	agent_offer(agent, selection);
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
		send_message(agent, VD_AGENT_CLIPBOARD_REQUEST, payload, size);
	}
}
