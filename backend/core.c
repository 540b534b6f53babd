/*
 * SpiceCoreInterface on the Wayland event loop: spice-server's timers and fd
 * watches become wl_event_loop sources, so the whole server runs on the
 * compositor's main thread. spice-server's worker threads use their own
 * loops and never call in here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <wlr/util/log.h>
#include "backend.h"

/* The core interface carries no user pointer; one server per process. */
static struct spb_backend *core_backend;

struct SpiceTimer {
	struct wl_event_source *source;
	SpiceTimerFunc func;
	void *opaque;
};

struct SpiceWatch {
	struct wl_event_source *source;
	int fd;
	SpiceWatchFunc func;
	void *opaque;
};

static int handle_timer(void *data) {
	SpiceTimer *timer = data;
	timer->func(timer->opaque);
	return 0;
}

static SpiceTimer *core_timer_add(SpiceTimerFunc func, void *opaque) {
	SpiceTimer *timer = calloc(1, sizeof(*timer));
	if (timer == NULL) {
		return NULL;
	}
	timer->func = func;
	timer->opaque = opaque;
	timer->source = wl_event_loop_add_timer(core_backend->loop, handle_timer, timer);
	if (timer->source == NULL) {
		free(timer);
		return NULL;
	}
	return timer;
}

static void core_timer_start(SpiceTimer *timer, uint32_t ms) {
	// 0 disarms a wl_event_loop timer but means "fire now" to spice-server
	wl_event_source_timer_update(timer->source, ms > 0 ? (int)ms : 1);
}

static void core_timer_cancel(SpiceTimer *timer) {
	wl_event_source_timer_update(timer->source, 0);
}

static void core_timer_remove(SpiceTimer *timer) {
	if (timer == NULL) {
		return;
	}
	wl_event_source_remove(timer->source);
	free(timer);
}

static uint32_t to_wl_mask(int spice_mask) {
	uint32_t mask = 0;
	if (spice_mask & SPICE_WATCH_EVENT_READ) {
		mask |= WL_EVENT_READABLE;
	}
	if (spice_mask & SPICE_WATCH_EVENT_WRITE) {
		mask |= WL_EVENT_WRITABLE;
	}
	return mask;
}

static int handle_watch(int fd, uint32_t mask, void *data) {
	SpiceWatch *watch = data;
	int events = 0;
	// Hang-ups and errors are reported as readable so spice-server reads,
	// sees the failure and closes the connection.
	if (mask & (WL_EVENT_READABLE | WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		events |= SPICE_WATCH_EVENT_READ;
	}
	if (mask & WL_EVENT_WRITABLE) {
		events |= SPICE_WATCH_EVENT_WRITE;
	}
	watch->func(watch->fd, events, watch->opaque);
	// Record data has no callback of its own; it may have just arrived.
	spb_audio_pump_record(&core_backend->audio);
	return 0;
}

static SpiceWatch *core_watch_add(int fd, int event_mask, SpiceWatchFunc func, void *opaque) {
	SpiceWatch *watch = calloc(1, sizeof(*watch));
	if (watch == NULL) {
		return NULL;
	}
	watch->fd = fd;
	watch->func = func;
	watch->opaque = opaque;
	watch->source = wl_event_loop_add_fd(
			core_backend->loop, fd, to_wl_mask(event_mask), handle_watch, watch);
	if (watch->source == NULL) {
		free(watch);
		return NULL;
	}
	return watch;
}

static void core_watch_update_mask(SpiceWatch *watch, int event_mask) {
	wl_event_source_fd_update(watch->source, to_wl_mask(event_mask));
}

static void core_watch_remove(SpiceWatch *watch) {
	if (watch == NULL) {
		return;
	}
	wl_event_source_remove(watch->source);
	free(watch);
}

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

static void core_channel_event(int event, SpiceChannelEventInfo *info) {
	char peer[300];
	format_peer(info, peer, sizeof(peer));
	const char *name = channel_name(info->type);
	spb_listener_channel_event(&core_backend->listener, event, info);
	switch (event) {
	case SPICE_CHANNEL_EVENT_CONNECTED:
		wlr_log(WLR_DEBUG, "SPICE %s channel: %s connected", name, peer);
		break;
	case SPICE_CHANNEL_EVENT_INITIALIZED:
		if (info->type == SPICE_CHANNEL_MAIN) {
			wlr_log(WLR_INFO, "SPICE client %s connected", peer);
		}
		if (info->type == SPICE_CHANNEL_DISPLAY) {
			for (int i = 0; i < WLR_SPICE_MAX_HEADS; i++) {
				if (core_backend->outputs[i] != NULL) {
					spb_output_client_connected(core_backend->outputs[i]);
				}
			}
		}
		break;
	case SPICE_CHANNEL_EVENT_DISCONNECTED:
		if (info->type == SPICE_CHANNEL_MAIN) {
			wlr_log(WLR_INFO, "SPICE client %s disconnected", peer);
			if (core_backend->options.exit_on_disconnect) {
				wlr_log(WLR_INFO, "--exit-on-disconnect: ending the session");
				wl_display_terminate(core_backend->display);
			}
		}
		if (info->type == SPICE_CHANNEL_INPUTS) {
			// No stuck keys: whatever the client held goes up with it.
			spb_input_release_all(&core_backend->input);
		}
		break;
	default:
		break;
	}
}

static SpiceCoreInterface core_interface = {
	.base = {
		.type = SPICE_INTERFACE_CORE,
		.description = "spice-wl core on wl_event_loop",
		.major_version = SPICE_INTERFACE_CORE_MAJOR,
		.minor_version = SPICE_INTERFACE_CORE_MINOR,
	},
	.timer_add = core_timer_add,
	.timer_start = core_timer_start,
	.timer_cancel = core_timer_cancel,
	.timer_remove = core_timer_remove,
	.watch_add = core_watch_add,
	.watch_update_mask = core_watch_update_mask,
	.watch_remove = core_watch_remove,
	.channel_event = core_channel_event,
};

SpiceCoreInterface *spb_core_get(struct spb_backend *backend) {
	core_backend = backend;
	return &core_interface;
}
