/*
 * Outputs: each wlr_output gets a scene output and joins the layout; its
 * frame events render the scene and commit only when something changed.
 */
#include <stdlib.h>
#include <time.h>
#include <wlr/util/log.h>
#include "clock.h"
#include "server.h"
#include "wlr_spice.h"

static void handle_frame(struct wl_listener *listener, void *data) {
	struct swl_output *output = wl_container_of(listener, output, frame);
	if (!wlr_scene_output_commit(output->scene_output)) {
		wlr_log(WLR_ERROR, "output %s: commit failed", output->wlr_output->name);
	}
	struct timespec now = swl_clock_timespec();
	wlr_scene_output_send_frame_done(output->scene_output, &now);
}

static void handle_mode(struct wl_listener *listener, void *data) {
	struct swl_output *output = wl_container_of(listener, output, mode);
	swl_layers_arrange(output->server);
	// The output layout hears of the new mode after us: arrange once it has
	// moved the heads to the right of this one.
	swl_views_arrange_later(output->server);
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct swl_output *output = wl_container_of(listener, output, destroy);
	struct swl_server *server = output->server;
	swl_layers_output_destroyed(server, output);
	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->mode.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
	free(output);
	// The layout drops the output after this signal; arrange on what is left.
	swl_views_arrange_later(server);
}

void swl_output_handle_new(struct wl_listener *listener, void *data) {
	struct swl_server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;

	if (!wlr_output_init_render(wlr_output, server->allocator, server->renderer)) {
		wlr_log(WLR_ERROR, "output %s: cannot initialise rendering", wlr_output->name);
		return;
	}

	struct swl_output *output = calloc(1, sizeof(*output));
	if (output == NULL) {
		wlr_log(WLR_ERROR, "out of memory");
		return;
	}
	output->server = server;
	output->wlr_output = wlr_output;

	// The backend already picked its mode; just enable it, at --scale.
	wlr_output_enable(wlr_output, true);
	wlr_output_set_scale(wlr_output, (float)server->options->scale);
	if (!wlr_output_commit(wlr_output)) {
		wlr_log(WLR_ERROR, "output %s: cannot enable", wlr_output->name);
		free(output);
		return;
	}

	output->frame.notify = handle_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->mode.notify = handle_mode;
	wl_signal_add(&wlr_output->events.mode, &output->mode);
	output->destroy.notify = handle_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	wl_list_insert(server->outputs.prev, &output->link);

	wlr_output_layout_add_auto(server->output_layout, wlr_output);
	output->scene_output = wlr_scene_get_scene_output(server->scene, wlr_output);
	// Until a client sets one, the pointer is the theme's arrow.
	wlr_xcursor_manager_set_cursor_image(server->xcursor_manager, "left_ptr", server->cursor);
	wlr_log(WLR_INFO, "output %s: %dx%d, scale %.2f, %dx%d mm", wlr_output->name,
			wlr_output->width, wlr_output->height, wlr_output->scale, wlr_output->phys_width,
			wlr_output->phys_height);
	swl_layers_arrange(server);
	swl_views_arrange(server);
}

void swl_outputs_hint_move(struct swl_server *server, const struct wlr_box *box, int dx, int dy) {
	struct swl_output *output;
	wl_list_for_each(output, &server->outputs, link) {
		struct wlr_box *where = wlr_output_layout_get_box(server->output_layout, output->wlr_output);
		if (where == NULL) {
			continue;
		}
		struct wlr_box local = {
			.x = box->x - where->x,
			.y = box->y - where->y,
			.width = box->width,
			.height = box->height,
		};
		wlr_spice_output_hint_move(output->wlr_output, &local, dx, dy);
	}
}

void swl_output_layout_box(struct swl_server *server, struct wlr_box *box) {
	struct wlr_box *layout_box = wlr_output_layout_get_box(server->output_layout, NULL);
	*box = *layout_box;
}
