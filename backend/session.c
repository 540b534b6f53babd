/*
 * What a client's channels coming and going mean to the backend: the
 * listener's login tracking, a repaint for a new display channel, keys and
 * buttons released with the inputs channel, and the client_connected and
 * client_disconnected signals for the compositor, which decides what a
 * session does when its client leaves.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <wlr/util/log.h>
#include "backend.h"

static const char *channel_name(int type) {
	switch (type) {
	case SPICE_CHANNEL_MAIN:
		return "main";
	case SPICE_CHANNEL_DISPLAY:
		return "display";
	case SPICE_CHANNEL_INPUTS:
		return "inputs";
	case SPICE_CHANNEL_CURSOR:
		return "cursor";
	case SPICE_CHANNEL_PLAYBACK:
		return "playback";
	case SPICE_CHANNEL_RECORD:
		return "record";
	case SPICE_CHANNEL_USBREDIR:
		return "usbredir";
	case SPICE_CHANNEL_PORT:
		return "port";
	case SPICE_CHANNEL_WEBDAV:
		return "webdav";
	default:
		return "other";
	}
}

static void format_peer(SpiceChannelEventInfo *info, char *out, size_t size) {
	const struct sockaddr *addr = (const struct sockaddr *)&info->paddr_ext;
	socklen_t len = info->plen_ext;
	char host[64], serv[32];
	if (len > 0 && addr->sa_family == AF_UNIX) {
		snprintf(out, size, "unix socket");
	} else if (len == 0 ||
			!spb_addr_numeric(addr, len, host, sizeof(host), serv, sizeof(serv))) {
		snprintf(out, size, "unknown peer");
	} else {
		snprintf(out, size, strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, serv);
	}
}

void spb_session_init(struct spb_backend *backend) {
	wl_signal_init(&backend->events.client_connected);
	wl_signal_init(&backend->events.client_disconnected);
}

void spb_session_channel_event(struct spb_backend *backend, int event,
		SpiceChannelEventInfo *info) {
	char peer[300];
	format_peer(info, peer, sizeof(peer));
	struct wlr_spice_client_event client = {.peer = peer};
	const char *name = channel_name(info->type);
	spb_listener_channel_event(&backend->listener, event, info);
	switch (event) {
	case SPICE_CHANNEL_EVENT_CONNECTED:
		wlr_log(WLR_DEBUG, "SPICE %s channel: %s connected", name, peer);
		break;
	case SPICE_CHANNEL_EVENT_INITIALIZED:
		if (info->type == SPICE_CHANNEL_MAIN) {
			wlr_log(WLR_INFO, "SPICE client %s connected", peer);
			wl_signal_emit(&backend->events.client_connected, &client);
		}
		if (info->type == SPICE_CHANNEL_DISPLAY) {
			for (int i = 0; i < WLR_SPICE_MAX_HEADS; i++) {
				if (backend->outputs[i] != NULL) {
					spb_output_client_connected(backend->outputs[i]);
				}
			}
		}
		break;
	case SPICE_CHANNEL_EVENT_DISCONNECTED:
		if (info->type == SPICE_CHANNEL_MAIN) {
			wlr_log(WLR_INFO, "SPICE client %s disconnected", peer);
			wl_signal_emit(&backend->events.client_disconnected, &client);
		}
		if (info->type == SPICE_CHANNEL_INPUTS) {
			// No stuck keys: whatever the client held goes up with it.
			spb_input_release_all(&backend->input);
		}
		break;
	default:
		break;
	}
}

struct wlr_spice_backend_events *wlr_spice_backend_get_events(struct wlr_backend *wlr_backend) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	return backend != NULL ? &backend->events : NULL;
}
