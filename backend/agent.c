/*
 * The built-in SPICE agent: a char device of subtype "vdagent" that speaks
 * the vdagent protocol itself, so no spice-vdagent daemons are needed. It
 * queues what goes to the client, answers capability announcements,
 * resizes the output to the client's monitors config and passes on the
 * client's volume and mouse state; clipboard messages go to
 * agent_clipboard.c, file transfer to file_xfer.c.
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/util/log.h>
#include "agent.h"
#include "agent_clipboard.h"
#include "backend.h"
#include "file_xfer.h"

/* Bytes queued for a client that does not read them (no agent tokens). */
#define MAX_QUEUED (64 * 1024 * 1024)
/* Freeing a buffer this large gives memory back to the system (glibc keeps it otherwise). */
#define TRIM_THRESHOLD (1024 * 1024)

/* The client left: forget its capabilities and selections. */
static void agent_client_gone(struct spb_agent *agent);

static bool client_has_cap(struct spb_agent *agent, uint32_t cap) {
	return agent->client_caps_known &&
			VD_AGENT_HAS_CAPABILITY(agent->client_caps, VD_AGENT_CAPS_SIZE, cap);
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
void spb_agent_schedule_trim(struct spb_agent *agent, size_t freed) {
	if (freed >= TRIM_THRESHOLD && agent->trim_idle == NULL) {
		agent->trim_idle = wl_event_loop_add_idle(agent->backend->loop, handle_trim, agent);
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
				spb_agent_clipboard_offer(agent, sel);
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
	case VD_AGENT_CLIPBOARD_REQUEST:
	case VD_AGENT_CLIPBOARD:
	case VD_AGENT_CLIPBOARD_RELEASE:
		spb_agent_clipboard_handle(agent, type, payload, size);
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
	spb_agent_clipboard_client_sends(agent);
	size_t dropped = agent->parser.dropped;
	spb_agent_parser_feed(&agent->parser, buf, (size_t)len, handle_message, agent);
	if (agent->parser.dropped != dropped) {
		wlr_log(WLR_INFO, "agent: dropped a message from the client: %s",
				agent->parser.last_error != NULL ? agent->parser.last_error : "invalid");
		// It may have been clipboard data (too large): readers waiting for
		// it get an empty paste rather than none at all.
		spb_agent_clipboard_cancel_receives(agent);
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
		spb_agent_schedule_trim(agent, cap - agent->out.cap);
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
	spb_agent_clipboard_client_gone(agent);
	// Its unfinished files go.
	spb_file_xfer_cancel_all(agent);
	// A mute it reported was its own: the next client starts unmuted.
	spb_audio_client_gone(&agent->backend->audio);
	// The queue is left alone: spice-server may be half way through a
	// message, and it drops what is meant for a client that left itself.
}

void spb_agent_finish(struct spb_agent *agent) {
	spb_agent_clipboard_finish(agent);
	spb_file_xfer_cancel_all(agent);
	spb_agent_parser_finish(&agent->parser);
	spb_agent_outq_finish(&agent->out);
	if (agent->trim_idle != NULL) {
		wl_event_source_remove(agent->trim_idle);
		agent->trim_idle = NULL;
	}
}

struct wlr_spice_agent_events *wlr_spice_backend_get_agent_events(
		struct wlr_backend *wlr_backend) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	return backend != NULL ? &backend->agent.events : NULL;
}
