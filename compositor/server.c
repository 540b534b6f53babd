/*
 * Server set-up and tear-down: the SPICE backend, pixman renderer, scene,
 * protocols (compositor, xdg-shell, data device, primary selection; the rest
 * in protocols.c, text_input.c, layer_shell.c, decoration.c, activation.c)
 * and the Wayland socket.
 */
#include <stdlib.h>
#include <wlr/render/allocator.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/util/log.h>
#include "activation.h"
#include "clipboard.h"
#include "decoration.h"
#include "downloads.h"
#include "fds.h"
#include "seat.h"
#include "server.h"
#include "wlr_spice.h"
#include "xwayland.h"

static void handle_client_disconnected(struct wl_listener *listener, void *data) {
	struct swl_server *server = wl_container_of(listener, server, client_disconnected);
	if (server->options->exit_on_disconnect) {
		wlr_log(WLR_INFO, "--exit-on-disconnect: ending the session");
		wl_display_terminate(server->display);
	}
}

/* The SPICE backend as the options say. */
static struct wlr_backend *create_backend(struct swl_server *server) {
	const struct swl_options *options = server->options;
	struct wlr_spice_backend_options backend_options = {
		.listen_addr = options->listen,
		.listen_fd = server->listen_fd,
		.port = options->port,
		.listen_mode = options->listen_mode,
		.exempt_loopback = options->exempt_loopback,
		.login_grace_time = options->login_grace_time,
		.password = options->password,
		.password_lifetime = options->password_lifetime,
		.view_only = options->view_only,
		.tls_port = options->tls_port,
		.tls_cacert_file = options->x509_cacert_file,
		.tls_cert_file = options->x509_cert_file,
		.tls_key_file = options->x509_key_file,
		.tls_ciphers = options->tls_ciphers,
		.tls_only = options->tls_only,
		.disable_ticketing = options->disable_ticketing,
		.sasl = options->sasl,
		.sasl_appname = options->sasl_appname,
		.width = options->width,
		.height = options->height,
		.frame_mode = options->frame_mode,
		.fps = options->fps,
		.image_compression = options->image_compression,
		.jpeg_wan_compression = options->jpeg_wan_compression,
		.zlib_glz_wan_compression = options->zlib_glz_wan_compression,
		.streaming_video = options->streaming_video,
		.video_codecs = options->video_codecs,
		.hide_cursor = options->hide_cursor,
		.no_resize = options->no_resize,
		.min_width = options->min_width,
		.min_height = options->min_height,
		.max_width = options->max_width,
		.max_height = options->max_height,
		.no_clipboard = options->no_clipboard,
		.no_audio = server->audio == NULL,
		.playback_fifo = swl_audio_playback_path(server->audio),
		.record_fifo = swl_audio_record_path(server->audio),
		.no_copy_bits = options->no_copy_bits,
		.no_link_pacing = options->no_link_pacing,
		.max_heads = options->max_heads,
		.max_area = options->max_area,
	};
	char *download_dir = NULL;
	if (!options->no_file_transfer) {
		download_dir = swl_downloads_dir();
		if (download_dir == NULL) {
			wlr_log(WLR_ERROR, "HOME is not an absolute path: no download directory, "
					"file transfer is off");
		} else {
			wlr_log(WLR_INFO, "files sent by clients are saved in %s", download_dir);
		}
	}
	backend_options.download_dir = download_dir; // copied by the backend
	struct wlr_backend *backend = wlr_spice_backend_create(server->display, &backend_options);
	free(download_dir);
	return backend;
}

/* The renderer (pixman: the backend has no DRM device) and its allocator. */
static bool create_renderer(struct swl_server *server) {
	server->renderer = wlr_renderer_autocreate(server->backend);
	if (server->renderer == NULL) {
		wlr_log(WLR_ERROR, "cannot create a renderer");
		return false;
	}
	wlr_renderer_init_wl_display(server->renderer, server->display);
	server->allocator = wlr_allocator_autocreate(server->backend, server->renderer);
	if (server->allocator == NULL) {
		wlr_log(WLR_ERROR, "cannot create an allocator");
		return false;
	}
	return true;
}

/* The output layout and the scene shown on it, with its trees for windows. */
static bool create_scene(struct swl_server *server) {
	server->output_layout = wlr_output_layout_create();
	server->scene = wlr_scene_create();
	if (server->output_layout == NULL || server->scene == NULL) {
		return false;
	}
	wlr_scene_attach_output_layout(server->scene, server->output_layout);
	server->view_tree = wlr_scene_tree_create(&server->scene->node);
	server->unmanaged_tree = wlr_scene_tree_create(&server->scene->node);
	return true;
}

/* The protocols the other modules serve, once the seat is there. */
static bool create_protocols(struct swl_server *server) {
	if (!swl_protocols_init(server) || !swl_text_input_init(server) ||
			!swl_layers_init(server)) {
		return false;
	}
	server->decorations = swl_decorations_create(server);
	if (server->decorations == NULL) {
		return false;
	}
	server->activation = swl_activation_create(server);
	if (server->activation == NULL) {
		return false;
	}
	return swl_foreign_toplevel_init(server);
}

bool swl_server_init(struct swl_server *server, const struct swl_options *options) {
	server->options = options;
	server->kiosk = options->policy == SWL_POLICY_KIOSK ||
			(options->policy == SWL_POLICY_DEFAULT && options->command != NULL);
	wl_list_init(&server->outputs);
	wl_list_init(&server->views);

	server->display = wl_display_create();
	if (server->display == NULL) {
		wlr_log(WLR_ERROR, "cannot create the Wayland display");
		return false;
	}
	server->loop = wl_display_get_event_loop(server->display);
	if (!options->no_audio) {
		// Without FIFO names (no runtime directory) there is no audio.
		server->audio = swl_audio_create(server);
	}

	server->backend = create_backend(server);
	if (server->backend == NULL) {
		return false;
	}

	if (!create_renderer(server)) {
		return false;
	}

	server->compositor = wlr_compositor_create(server->display, server->renderer);
	wlr_data_device_manager_create(server->display);
	wlr_primary_selection_v1_device_manager_create(server->display);
	if (!create_scene(server)) {
		return false;
	}

	server->new_output.notify = swl_output_handle_new;
	wl_signal_add(&server->backend->events.new_output, &server->new_output);
	server->client_disconnected.notify = handle_client_disconnected;
	wl_signal_add(&wlr_spice_backend_get_events(server->backend)->client_disconnected,
			&server->client_disconnected);

	server->xdg_shell = wlr_xdg_shell_create(server->display);
	if (server->xdg_shell == NULL) {
		return false;
	}
	server->new_xdg_surface.notify = swl_xdg_handle_new_surface;
	wl_signal_add(&server->xdg_shell->events.new_surface, &server->new_xdg_surface);

	server->input = swl_seat_create(server);
	if (server->input == NULL) {
		wlr_log(WLR_ERROR, "cannot create the seat");
		return false;
	}
	if (!create_protocols(server)) {
		wlr_log(WLR_ERROR, "cannot create the Wayland protocols");
		return false;
	}
	if (!options->no_clipboard) {
		server->clipboard = swl_clipboard_create(server);
		if (server->clipboard == NULL) {
			return false;
		}
	}
	server->xwayland = swl_xwayland_create(server);
	return true;
}

bool swl_server_start(struct swl_server *server) {
	const char *socket = wl_display_add_socket_auto(server->display);
	if (socket == NULL) {
		wlr_log(WLR_ERROR, "cannot open a Wayland socket in XDG_RUNTIME_DIR");
		return false;
	}
	if (!wlr_backend_start(server->backend)) {
		return false;
	}
	// spice-server opens its sockets without close-on-exec. The fork handler
	// covers forks; this also covers a spawn that bypasses fork handlers.
	swl_fds_cloexec_from(3);
	setenv("WAYLAND_DISPLAY", socket, true);
	swl_audio_attach(server->audio);
	wlr_log(WLR_INFO, "Wayland socket %s", socket);
	return true;
}

void swl_server_terminate(struct swl_server *server) {
	server->shutting_down = true;
	wl_display_terminate(server->display);
}

void swl_server_finish(struct swl_server *server) {
	if (server->display == NULL) {
		return;
	}
	server->shutting_down = true;
	if (server->arrange_idle != NULL) {
		wl_event_source_remove(server->arrange_idle);
		server->arrange_idle = NULL;
	}
	if (server->reap_timer != NULL) {
		wl_event_source_remove(server->reap_timer);
		server->reap_timer = NULL;
	}
	swl_xwayland_destroy(server->xwayland);
	server->xwayland = NULL;
	swl_clipboard_destroy(server->clipboard);
	server->clipboard = NULL;
	swl_decorations_destroy(server->decorations);
	server->decorations = NULL;
	swl_activation_destroy(server->activation);
	server->activation = NULL;
	wl_display_destroy_clients(server->display);
	if (server->new_xdg_surface.notify != NULL) {
		wl_list_remove(&server->new_xdg_surface.link);
	}
	if (server->new_output.notify != NULL) {
		wl_list_remove(&server->new_output.link);
		wl_list_remove(&server->client_disconnected.link);
	}
	swl_layers_finish(server);
	swl_text_input_finish(server);
	swl_protocols_finish(server);
	swl_seat_destroy(server->input);
	server->input = NULL;
	swl_audio_destroy(server->audio);
	server->audio = NULL;
	// Destroys the outputs and the SPICE server with them.
	wlr_backend_destroy(server->backend);
	// The scene's layout helper frees itself when the layout goes: the
	// layout must go before the scene.
	wlr_output_layout_destroy(server->output_layout);
	if (server->scene != NULL) {
		wlr_scene_node_destroy(&server->scene->node);
	}
	wlr_allocator_destroy(server->allocator);
	wlr_renderer_destroy(server->renderer);
	wl_display_destroy(server->display);
	server->display = NULL;
}
