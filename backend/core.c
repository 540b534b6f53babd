/*
 * SpiceCoreInterface on the Wayland event loop: spice-server's timers and fd
 * watches become wl_event_loop sources, so the whole server runs on the
 * compositor's main thread. spice-server's worker threads use their own
 * loops and never call in here. Channel events go to session.c.
 */
#include <stdlib.h>
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

/* Channel events are session matters, not the event loop's: session.c. */
static void core_channel_event(int event, SpiceChannelEventInfo *info) {
	spb_session_channel_event(core_backend, event, info);
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
