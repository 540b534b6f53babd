/*
 * A tiny taskbar for the end-to-end tests: it lists the session's windows
 * through wlr-foreign-toplevel-management and acts on them (Debian has no
 * packaged tool that does: wlrctl and lswt are not in bookworm).
 *
 *   swl-toplevel-client
 *
 * Each window gets a number when it first appears. After every `done` the
 * window's whole state is printed on one line:
 *
 *   toplevel N app_id=APP state=activated,maximized,minimized,fullscreen
 *       outputs=K parent=P title=TITLE
 *
 * ("-" for an unset field, the title last since it may hold blanks), and
 * "closed N" when it goes. stdin takes one command a line, each answered by
 * "done CMD" once the compositor has received it (a roundtrip):
 *
 *   activate N | close N | maximize N | unmaximize N | minimize N
 *   | unminimize N | fullscreen N | unfullscreen N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client.h>
#include "client-common.h"
#include "wlr-foreign-toplevel-management-unstable-v1-client-protocol.h"

#define MAX_TOPLEVELS 256

struct taskbar;

struct toplevel {
	struct taskbar *bar;
	struct zwlr_foreign_toplevel_handle_v1 *handle;
	int id;
	char *title, *app_id;
	bool maximized, minimized, activated, fullscreen;
	int outputs; // how many outputs it is on
	int parent; // its parent's number, 0 if none
};

struct taskbar {
	struct wl_display *display;
	struct wl_seat *seat;
	struct zwlr_foreign_toplevel_manager_v1 *manager;
	uint32_t manager_name, manager_version; // 0 until the registry names it
	struct toplevel *toplevels[MAX_TOPLEVELS]; // by number - 1; NULL once closed
	int count;
	struct tc_input input;
	bool running;
};

static void replace_string(char **field, const char *value) {
	free(*field);
	*field = strdup(value);
}

static void handle_title(
		void *data, struct zwlr_foreign_toplevel_handle_v1 *handle, const char *title) {
	struct toplevel *t = data;
	replace_string(&t->title, title);
}

static void handle_app_id(
		void *data, struct zwlr_foreign_toplevel_handle_v1 *handle, const char *app_id) {
	struct toplevel *t = data;
	replace_string(&t->app_id, app_id);
}

static void handle_output_enter(
		void *data, struct zwlr_foreign_toplevel_handle_v1 *handle, struct wl_output *output) {
	struct toplevel *t = data;
	t->outputs++;
}

static void handle_output_leave(
		void *data, struct zwlr_foreign_toplevel_handle_v1 *handle, struct wl_output *output) {
	struct toplevel *t = data;
	t->outputs--;
}

static void handle_state(
		void *data, struct zwlr_foreign_toplevel_handle_v1 *handle, struct wl_array *states) {
	struct toplevel *t = data;
	t->maximized = t->minimized = t->activated = t->fullscreen = false;
	uint32_t *state;
	wl_array_for_each(state, states) {
		switch (*state) {
		case ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_MAXIMIZED:
			t->maximized = true;
			break;
		case ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_MINIMIZED:
			t->minimized = true;
			break;
		case ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_ACTIVATED:
			t->activated = true;
			break;
		case ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_FULLSCREEN:
			t->fullscreen = true;
			break;
		}
	}
}

static void handle_done(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle) {
	struct toplevel *t = data;
	char state[64] = "";
	const char *names[] = { "activated", "maximized", "minimized", "fullscreen" };
	bool set[] = { t->activated, t->maximized, t->minimized, t->fullscreen };
	for (int i = 0; i < 4; i++) {
		if (set[i]) {
			if (state[0] != '\0') {
				strcat(state, ",");
			}
			strcat(state, names[i]);
		}
	}
	printf("toplevel %d app_id=%s state=%s outputs=%d parent=%d title=%s\n", t->id,
			t->app_id != NULL ? t->app_id : "-", state[0] != '\0' ? state : "-", t->outputs,
			t->parent, t->title != NULL ? t->title : "-");
}

static void handle_closed(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle) {
	struct toplevel *t = data;
	printf("closed %d\n", t->id);
	t->bar->toplevels[t->id - 1] = NULL;
	zwlr_foreign_toplevel_handle_v1_destroy(handle);
	free(t->title);
	free(t->app_id);
	free(t);
}

static void handle_parent(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
		struct zwlr_foreign_toplevel_handle_v1 *parent) {
	struct toplevel *t = data;
	struct toplevel *p =
			parent != NULL ? zwlr_foreign_toplevel_handle_v1_get_user_data(parent) : NULL;
	t->parent = p != NULL ? p->id : 0;
}

static const struct zwlr_foreign_toplevel_handle_v1_listener toplevel_listener = {
	.title = handle_title,
	.app_id = handle_app_id,
	.output_enter = handle_output_enter,
	.output_leave = handle_output_leave,
	.state = handle_state,
	.done = handle_done,
	.closed = handle_closed,
	.parent = handle_parent,
};

static void manager_toplevel(void *data, struct zwlr_foreign_toplevel_manager_v1 *manager,
		struct zwlr_foreign_toplevel_handle_v1 *handle) {
	struct taskbar *bar = data;
	struct toplevel *t = calloc(1, sizeof(*t));
	if (t == NULL || bar->count == MAX_TOPLEVELS) {
		fprintf(stderr, "swl-toplevel-client: too many toplevels\n");
		free(t);
		zwlr_foreign_toplevel_handle_v1_destroy(handle);
		return;
	}
	t->bar = bar;
	t->handle = handle;
	t->id = ++bar->count;
	bar->toplevels[t->id - 1] = t;
	zwlr_foreign_toplevel_handle_v1_add_listener(handle, &toplevel_listener, t);
}

static void manager_finished(void *data, struct zwlr_foreign_toplevel_manager_v1 *manager) {
	struct taskbar *bar = data;
	printf("finished\n");
	bar->running = false;
}

static const struct zwlr_foreign_toplevel_manager_v1_listener manager_listener = {
	.toplevel = manager_toplevel,
	.finished = manager_finished,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct taskbar *bar = data;
	if (strcmp(interface, wl_output_interface.name) == 0) {
		// output_enter names only outputs this client has bound.
		wl_registry_bind(registry, name, &wl_output_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && bar->seat == NULL) {
		bar->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, zwlr_foreign_toplevel_manager_v1_interface.name) == 0) {
		bar->manager_name = name;
		bar->manager_version = version < 3 ? version : 3;
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static bool handle_command(void *data, int argc, char *args[]) {
	struct taskbar *bar = data;
	int id;
	if (argc != 2 || !tc_parse_int(args[1], 1, MAX_TOPLEVELS, &id)) {
		printf("error invalid arguments\n");
		return true;
	}
	struct toplevel *t = id <= bar->count ? bar->toplevels[id - 1] : NULL;
	if (t == NULL) {
		printf("error no toplevel %d\n", id);
		return true;
	}
	struct zwlr_foreign_toplevel_handle_v1 *h = t->handle;
	const char *cmd = args[0];
	if (strcmp(cmd, "activate") == 0) {
		zwlr_foreign_toplevel_handle_v1_activate(h, bar->seat);
	} else if (strcmp(cmd, "close") == 0) {
		zwlr_foreign_toplevel_handle_v1_close(h);
	} else if (strcmp(cmd, "maximize") == 0) {
		zwlr_foreign_toplevel_handle_v1_set_maximized(h);
	} else if (strcmp(cmd, "unmaximize") == 0) {
		zwlr_foreign_toplevel_handle_v1_unset_maximized(h);
	} else if (strcmp(cmd, "minimize") == 0) {
		zwlr_foreign_toplevel_handle_v1_set_minimized(h);
	} else if (strcmp(cmd, "unminimize") == 0) {
		zwlr_foreign_toplevel_handle_v1_unset_minimized(h);
	} else if (strcmp(cmd, "fullscreen") == 0) {
		zwlr_foreign_toplevel_handle_v1_set_fullscreen(h, NULL);
	} else if (strcmp(cmd, "unfullscreen") == 0) {
		zwlr_foreign_toplevel_handle_v1_unset_fullscreen(h);
	} else {
		printf("error unknown command %s\n", cmd);
		return true;
	}
	// The compositor has acted on it once it answers the roundtrip.
	if (wl_display_roundtrip(bar->display) < 0) {
		bar->running = false;
		return false;
	}
	printf("done %s\n", cmd);
	return true;
}

static int run(struct taskbar *bar) {
	int display_fd = wl_display_get_fd(bar->display);
	while (bar->running) {
		if (wl_display_dispatch_pending(bar->display) < 0 || wl_display_flush(bar->display) < 0) {
			return 1;
		}
		struct pollfd fds[2] = {
			{ .fd = display_fd, .events = POLLIN },
			{ .fd = bar->input.open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			return 1;
		}
		if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) &&
				wl_display_dispatch(bar->display) < 0) {
			return 1;
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			tc_input_read(&bar->input, "swl-toplevel-client", handle_command, bar);
		}
	}
	return 0;
}

int main(int argc, char *argv[]) {
	if (argc != 1) {
		fprintf(stderr, "usage: swl-toplevel-client (commands on stdin)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	static struct taskbar bar = { .running = true, .input = { .open = true } };
	bar.display = wl_display_connect(NULL);
	if (bar.display == NULL) {
		fprintf(stderr, "swl-toplevel-client: cannot connect to the Wayland display\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(bar.display);
	wl_registry_add_listener(registry, &registry_listener, &bar);
	wl_display_roundtrip(bar.display);
	// Bound once the outputs are: the windows' output_enter events name them.
	if (bar.manager_name != 0) {
		bar.manager = wl_registry_bind(registry, bar.manager_name,
				&zwlr_foreign_toplevel_manager_v1_interface, bar.manager_version);
	}
	if (bar.manager == NULL || bar.seat == NULL) {
		fprintf(stderr, "swl-toplevel-client: no zwlr_foreign_toplevel_manager_v1 or wl_seat\n");
		return 1;
	}
	zwlr_foreign_toplevel_manager_v1_add_listener(bar.manager, &manager_listener, &bar);
	printf("ready\n");
	int status = run(&bar);
	wl_display_disconnect(bar.display);
	return status;
}
