/*
 * The SPICE wlr_backend: creates and configures the SpiceServer on the
 * compositor's event loop, registers the QXL instance, and creates the
 * output when started.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "backend.h"
#include "encoder.h"

static const struct wlr_backend_impl backend_impl;

struct spb_backend *spb_backend_from_backend(struct wlr_backend *wlr_backend) {
	if (!wlr_backend_is_spice(wlr_backend)) {
		return NULL;
	}
	struct spb_backend *backend = wl_container_of(wlr_backend, backend, backend);
	return backend;
}

bool wlr_backend_is_spice(struct wlr_backend *backend) {
	return backend != NULL && backend->impl == &backend_impl;
}

/*
 * What wlr_spice_backend_create refuses. On failure, points *bad_option at the
 * option's name ("image-compression", ...).
 */
static bool check_options(
		const struct wlr_spice_backend_options *options, const char **bad_option) {
	static const char *const encoder_options[] = { "image-compression", "jpeg-wan-compression",
		"zlib-glz-wan-compression", "streaming-video", "video-codecs" };
	const char *const encoder_values[] = { options->image_compression,
		options->jpeg_wan_compression, options->zlib_glz_wan_compression,
		options->streaming_video, options->video_codecs };
	for (size_t i = 0; i < sizeof(encoder_options) / sizeof(encoder_options[0]); i++) {
		char reason[128];
		if (encoder_values[i] != NULL &&
				!wlr_spice_encoder_check(encoder_options[i], encoder_values[i], reason,
						sizeof(reason))) {
			*bad_option = encoder_options[i];
			return false;
		}
	}
	if (options->width <= 0 || options->height <= 0) {
		*bad_option = "size";
		return false;
	}
	if (options->fps < WLR_SPICE_MIN_FPS || options->fps > WLR_SPICE_MAX_FPS) {
		*bad_option = "fps";
		return false;
	}
	if (options->password == NULL && !options->disable_ticketing && !options->sasl) {
		*bad_option = "password";
		return false;
	}
	return true;
}

static char *dup_or_null(const char *s) {
	return s != NULL ? strdup(s) : NULL;
}

/* A copy of s, or of the default when s is NULL. */
static char *dup_or(const char *s, const char *default_value) {
	return strdup(s != NULL ? s : default_value);
}

static void free_options(struct wlr_spice_backend_options *o) {
	free((char *)o->listen_addr);
	if (o->password != NULL) {
		// Don't leave the secret lying around in freed memory.
		volatile char *p = (volatile char *)o->password;
		while (*p != '\0') {
			*p++ = '\0';
		}
	}
	free((char *)o->password);
	free((char *)o->sasl_appname);
	free((char *)o->image_compression);
	free((char *)o->jpeg_wan_compression);
	free((char *)o->zlib_glz_wan_compression);
	free((char *)o->streaming_video);
	free((char *)o->video_codecs);
	free((char *)o->tls_cacert_file);
	free((char *)o->tls_cert_file);
	free((char *)o->tls_key_file);
	free((char *)o->tls_ciphers);
	free((char *)o->download_dir);
}

/* Names what a handed-over listening socket is bound to, for messages. */
static void describe_socket(int fd, char *out, size_t size) {
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[64], serv[32];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(out, size, "fd %d", fd);
	} else if (ss.ss_family == AF_UNIX) {
		snprintf(out, size, "unix:%s", ((struct sockaddr_un *)&ss)->sun_path);
	} else if (spb_addr_numeric((struct sockaddr *)&ss, len, host, sizeof(host), serv,
					   sizeof(serv))) {
		snprintf(out, size, strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, serv);
	} else {
		snprintf(out, size, "fd %d", fd);
	}
}

static bool configure_server(struct spb_backend *backend) {
	const struct wlr_spice_backend_options *o = &backend->options;
	SpiceServer *server = backend->server;
	int value = 0;

	spice_server_set_name(server, "spice-wl");
	// No port for spice-server: the listener accepts every connection (see
	// listener.c) and hands it over. TLS is set up in start_server.
	if (o->tls_port > 0 && o->tls_only) {
		// Every channel must then come over TLS.
		spice_server_set_channel_security(server, "default", SPICE_CHANNEL_SECURITY_SSL);
	}
	if (o->sasl) {
		// Clients authenticate with SASL only: spice-server then refuses the
		// ticket (the password) to every client that offers a choice.
		if (spice_server_set_sasl(server, 1) != 0 ||
				spice_server_set_sasl_appname(server, o->sasl_appname) != 0) {
			wlr_log(WLR_ERROR, "spice-server was built without SASL support");
			return false;
		}
	} else if (o->disable_ticketing) {
		spice_server_set_noauth(server);
	} else if (spice_server_set_ticket(server, o->password, o->password_lifetime, 0, 0) != 0) {
		wlr_log(WLR_ERROR, "spice-server refused the password");
		return false;
	}
	if (o->image_compression != NULL &&
			spb_encoder_lookup("image-compression", o->image_compression, &value)) {
		spice_server_set_image_compression(server, value);
	}
	if (o->jpeg_wan_compression != NULL &&
			spb_encoder_lookup("jpeg-wan-compression", o->jpeg_wan_compression, &value)) {
		spice_server_set_jpeg_compression(server, value);
	}
	// spice-server's own default, auto, wraps GLZ in zlib only on links it
	// measures as slow; on any link it halves the bytes of text and
	// animations for little CPU (zlib's fast level, skipped when no smaller).
	value = SPICE_WAN_COMPRESSION_ALWAYS;
	if (o->zlib_glz_wan_compression != NULL) {
		spb_encoder_lookup("zlib-glz-wan-compression", o->zlib_glz_wan_compression, &value);
	}
	spice_server_set_zlib_glz_compression(server, value);
	if (o->streaming_video != NULL &&
			spb_encoder_lookup("streaming-video", o->streaming_video, &value)) {
		spice_server_set_streaming_video(server, value);
	}
	if (o->video_codecs != NULL && spice_server_set_video_codecs(server, o->video_codecs) != 0) {
		wlr_log(WLR_ERROR, "spice-server accepted none of --video-codecs '%s'", o->video_codecs);
		return false;
	}
	// The tablet (client mouse mode) drives the pointer, not an agent.
	spice_server_set_agent_mouse(server, 0);
	// spice-server drops file transfer messages itself when off, and clients
	// grey the feature out (the agent also announces it off).
	spice_server_set_agent_file_xfer(server, o->download_dir != NULL && !o->view_only);
	return true;
}

static void handle_display_destroy(struct wl_listener *listener, void *data) {
	struct spb_backend *backend = wl_container_of(listener, backend, display_destroy);
	wlr_backend_destroy(&backend->backend);
}

/*
 * Copies options into o: the strings the backend keeps as copies, the size
 * bounds and heads left 0 as their defaults.
 */
static void copy_options(
		struct wlr_spice_backend_options *o, const struct wlr_spice_backend_options *options) {
	*o = *options;
	o->listen_addr = dup_or(options->listen_addr, WLR_SPICE_DEFAULT_LISTEN_ADDR);
	o->password = dup_or_null(options->password);
	o->sasl_appname = dup_or(options->sasl_appname, WLR_SPICE_DEFAULT_SASL_APPNAME);
	o->image_compression = dup_or_null(options->image_compression);
	o->jpeg_wan_compression = dup_or_null(options->jpeg_wan_compression);
	o->zlib_glz_wan_compression = dup_or_null(options->zlib_glz_wan_compression);
	o->streaming_video = dup_or_null(options->streaming_video);
	o->video_codecs = dup_or_null(options->video_codecs);
	o->download_dir = dup_or_null(options->download_dir);
	o->tls_cacert_file = dup_or_null(options->tls_cacert_file);
	o->tls_cert_file = dup_or_null(options->tls_cert_file);
	o->tls_key_file = dup_or_null(options->tls_key_file);
	o->tls_ciphers = dup_or_null(options->tls_ciphers);
	o->playback_fifo = o->record_fifo = NULL; // the audio keeps its own copies
	if (o->min_width <= 0) {
		o->min_width = WLR_SPICE_DEFAULT_MIN_WIDTH;
	}
	if (o->min_height <= 0) {
		o->min_height = WLR_SPICE_DEFAULT_MIN_HEIGHT;
	}
	if (o->max_width <= 0) {
		o->max_width = WLR_SPICE_DEFAULT_MAX_WIDTH;
	}
	if (o->max_height <= 0) {
		o->max_height = WLR_SPICE_DEFAULT_MAX_HEIGHT;
	}
	if (o->max_heads <= 0) {
		o->max_heads = WLR_SPICE_DEFAULT_MAX_HEADS;
	}
	if (o->max_heads > WLR_SPICE_MAX_HEADS) {
		o->max_heads = WLR_SPICE_MAX_HEADS;
	}
}

/* The address for messages and the URI clients connect to. */
static void describe_address(struct spb_backend *backend) {
	const struct wlr_spice_backend_options *o = &backend->options;
	if (o->listen_fd > 0) {
		describe_socket(o->listen_fd, backend->address, sizeof(backend->address));
		snprintf(backend->uri, sizeof(backend->uri), "spice://%s", backend->address);
	} else if (strncmp(o->listen_addr, "unix:", 5) == 0) {
		snprintf(backend->address, sizeof(backend->address), "%s", o->listen_addr);
		snprintf(backend->uri, sizeof(backend->uri), "spice+unix://%s", o->listen_addr + 5);
	} else if (strchr(o->listen_addr, ':') != NULL) {
		snprintf(backend->address, sizeof(backend->address), "[%s]:%d", o->listen_addr, o->port);
	} else {
		snprintf(backend->address, sizeof(backend->address), "%s:%d", o->listen_addr, o->port);
	}
	if (backend->uri[0] == '\0' && o->tls_port > 0 && o->tls_only) {
		const char *host = o->listen_addr;
		snprintf(backend->uri, sizeof(backend->uri), "spice://%s%s%s?tls-port=%d",
				strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", o->tls_port);
	} else if (backend->uri[0] == '\0' && o->tls_port > 0) {
		snprintf(backend->uri, sizeof(backend->uri), "spice://%s?tls-port=%d", backend->address,
				o->tls_port);
	} else if (backend->uri[0] == '\0') {
		snprintf(backend->uri, sizeof(backend->uri), "spice://%s", backend->address);
	}
}

struct wlr_backend *wlr_spice_backend_create(
		struct wl_display *display, const struct wlr_spice_backend_options *options) {
	const char *bad_option = NULL;
	if (!check_options(options, &bad_option)) {
		wlr_log(WLR_ERROR, "invalid SPICE backend option: %s", bad_option);
		return NULL;
	}

	struct spb_backend *backend = calloc(1, sizeof(*backend));
	if (backend == NULL) {
		return NULL;
	}
	wlr_backend_init(&backend->backend, &backend_impl);
	backend->display = display;
	backend->loop = wl_display_get_event_loop(display);

	struct wlr_spice_backend_options *o = &backend->options;
	copy_options(o, options);
	describe_address(backend);
	spb_session_init(backend);

	spb_qxl_init(&backend->qxl, backend);
	spb_input_init(&backend->input, backend);
	backend->input.view_only = o->view_only;
	spb_agent_init(&backend->agent, backend);
	spb_audio_init(&backend->audio, backend, o->no_audio ? NULL : options->playback_fifo,
			o->no_audio ? NULL : options->record_fifo);

	backend->server = spice_server_new();
	if (backend->server == NULL) {
		wlr_log(WLR_ERROR, "spice_server_new failed");
		goto error;
	}
	if (!configure_server(backend)) {
		goto error;
	}

	backend->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &backend->display_destroy);
	return &backend->backend;

error:
	if (backend->server != NULL) {
		spice_server_destroy(backend->server);
	}
	spb_qxl_finish(&backend->qxl);
	spb_agent_finish(&backend->agent);
	spb_audio_finish(&backend->audio);
	free_options(o);
	free(backend);
	return NULL;
}

/*
 * Forward secrecy only, with AEAD: ECDHE or DHE key exchange, AES-GCM or
 * ChaCha20-Poly1305. TLS 1.3 suites are not chosen by this list and all
 * qualify.
 */
#define DEFAULT_TLS_CIPHERS \
	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!eNULL:!PSK"

/*
 * spice_server_init, with TLS set up if asked for. spice-server makes its
 * TLS context only along with a TLS listening socket of its own, so it gets
 * one on a unix path in a private directory, removed at once: nobody can
 * connect to it, and connections come from the listener instead.
 */
static bool start_server(struct spb_backend *backend) {
	const struct wlr_spice_backend_options *o = &backend->options;
	SpiceCoreInterface *core = spb_core_get(backend);
	if (o->tls_port <= 0) {
		return spice_server_init(backend->server, core) == 0;
	}
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char dir[96], path[112];
	snprintf(dir, sizeof(dir), "%s/spice-wl-tls-XXXXXX",
			runtime != NULL && strlen(runtime) < 60 ? runtime : "/tmp");
	if (mkdtemp(dir) == NULL) {
		wlr_log_errno(WLR_ERROR, "cannot make a private directory for the TLS set-up");
		return false;
	}
	snprintf(path, sizeof(path), "%s/s", dir);
	spice_server_set_addr(backend->server, path, SPICE_ADDR_FLAG_UNIX_ONLY);
	bool ok = spice_server_set_tls(backend->server, o->tls_port, o->tls_cacert_file,
					  o->tls_cert_file, o->tls_key_file, NULL, NULL,
					  o->tls_ciphers != NULL ? o->tls_ciphers : DEFAULT_TLS_CIPHERS) == 0;
	if (!ok) {
		wlr_log(WLR_ERROR, "spice-server refused the TLS set-up (cert %s)", o->tls_cert_file);
	} else if (spice_server_init(backend->server, core) != 0) {
		wlr_log(WLR_ERROR, "spice-server could not set up TLS (certificates %s, ciphers '%s')",
				o->tls_cert_file, o->tls_ciphers != NULL ? o->tls_ciphers : DEFAULT_TLS_CIPHERS);
		ok = false;
	}
	unlink(path);
	rmdir(dir);
	return ok;
}

static bool backend_start(struct wlr_backend *wlr_backend) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	if (backend->started) {
		return true;
	}
	spb_link_pace_init(&backend->link_pace);
	if (!spb_listener_init(&backend->listener, backend)) {
		wlr_log(WLR_ERROR, "cannot start the SPICE server on %s", backend->address);
		return false;
	}
	if (!start_server(backend) || !spb_listener_start(&backend->listener)) {
		wlr_log(WLR_ERROR, "cannot start the SPICE server on %s", backend->address);
		return false;
	}
	if (!spb_qxl_add(&backend->qxl, backend->server, backend->options.max_heads)) {
		return false;
	}
	backend->qxl_added = true;
	if (!spb_input_add(&backend->input, backend->server)) {
		return false;
	}
	if (!spb_agent_add(&backend->agent, backend->server)) {
		return false;
	}
	if (!spb_audio_add(&backend->audio, backend->server)) {
		return false;
	}
	spice_server_vm_start(backend->server);

	struct spb_output *output =
			spb_output_create(backend, 0, backend->options.width, backend->options.height);
	if (output == NULL || !spb_backend_layout(backend)) {
		wlr_log(WLR_ERROR, "cannot create the SPICE output");
		return false;
	}
	backend->started = true;
	wl_signal_emit(&backend->backend.events.new_output, &output->wlr_output);
	if (!spb_input_create_devices(&backend->input)) {
		wlr_log(WLR_ERROR, "cannot create the SPICE input devices");
		return false;
	}
	wlr_log(WLR_INFO, "SPICE server listening on %s", backend->address);
	return true;
}

static void backend_destroy(struct wlr_backend *wlr_backend) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	if (backend == NULL) {
		return;
	}
	const struct wlr_spice_stats *st = &backend->stats;
	wlr_log(WLR_INFO,
			"sent %" PRIu64 " commits as %" PRIu64 " images (%" PRIu64 " pixels), %" PRIu64
			" fills and %" PRIu64 " copies (%" PRIu64 " pixels); %" PRIu64
			" images cacheable",
			st->commits, st->draw_commands, st->pixels_sent, st->fills, st->copies,
			st->pixels_copied, st->cacheable);
	const struct spb_link *link = spb_listener_link(&backend->listener);
	wlr_log(WLR_INFO, "link: delivered %" PRIu64
			" B/s while backlogged, rtt %u us, queued %u B; %" PRIu64
			" flushes held large regions for it", link ? link->rate : 0,
			link ? link->rtt_us : 0, link ? spb_link_queued(link) : 0, st->held);
	spb_input_finish(&backend->input);
	for (int i = WLR_SPICE_MAX_HEADS - 1; i >= 0; i--) {
		if (backend->outputs[i] != NULL) {
			wlr_output_destroy(&backend->outputs[i]->wlr_output);
		}
	}
	wlr_backend_finish(wlr_backend);
	if (backend->display_destroy.notify != NULL) {
		wl_list_remove(&backend->display_destroy.link);
	}
	if (backend->server != NULL) {
		if (backend->started) {
			spice_server_vm_stop(backend->server);
		}
		spb_input_remove(&backend->input);
		spb_agent_remove(&backend->agent);
		spb_audio_remove(&backend->audio);
		// Joins the worker thread; afterwards nothing references our memory.
		spice_server_destroy(backend->server);
	}
	spb_listener_finish(&backend->listener);
	spb_qxl_finish(&backend->qxl);
	spb_agent_finish(&backend->agent);
	spb_audio_finish(&backend->audio);
	free_options(&backend->options);
	free(backend);
}

bool spb_backend_layout(struct spb_backend *backend) {
	struct spb_qxl *qxl = &backend->qxl;
	QXLHead heads[WLR_SPICE_MAX_HEADS];
	int xs[WLR_SPICE_MAX_HEADS];
	int n = 0, width = 0, height = 0;
	for (int i = 0; i < WLR_SPICE_MAX_HEADS; i++) {
		struct spb_output *output = backend->outputs[i];
		if (output == NULL) {
			continue;
		}
		xs[i] = width;
		heads[n] = (QXLHead){
			.id = (uint32_t)i,
			.surface_id = 0,
			.width = (uint32_t)output->width,
			.height = (uint32_t)output->height,
			.x = (uint32_t)width,
			.y = 0,
		};
		n++;
		width += output->width;
		height = output->height > height ? output->height : height;
	}
	if (n == 0) {
		return true;
	}
	bool new_surface = !qxl->primary_active || qxl->width != width || qxl->height != height;
	if (new_surface && !spb_qxl_create_primary(qxl, width, height)) {
		return false;
	}
	for (int i = 0; i < WLR_SPICE_MAX_HEADS; i++) {
		struct spb_output *output = backend->outputs[i];
		if (output == NULL) {
			continue;
		}
		// A new surface starts black, and a head that moved must be sent
		// where it is now: both send all of themselves again.
		bool moved = output->x != xs[i];
		output->x = xs[i];
		if (new_surface || moved) {
			spb_output_repaint(output);
		}
	}
	if (new_surface) {
		// spice-server resets the client's cursor with the surface.
		spb_output_restore_cursor(backend->outputs[0]);
	}
	spb_qxl_set_heads(qxl, heads, n, backend->options.max_heads);
	// The tablet knows only one surface-wide coordinate space and spice-server
	// drops the head a position is on; with several heads the agent gets
	// positions per head instead.
	spice_server_set_agent_mouse(backend->server, n > 1);
	return true;
}

void spb_backend_set_heads(
		struct spb_backend *backend, const struct spb_head *heads, int n) {
	if (n < 1) {
		return;
	}
	if (n > backend->options.max_heads) {
		n = backend->options.max_heads;
	}
	// Heads past the new count go, last first, so the compositor moves
	// their windows to the heads that stay.
	for (int i = WLR_SPICE_MAX_HEADS - 1; i >= n; i--) {
		if (backend->outputs[i] != NULL) {
			wlr_output_destroy(&backend->outputs[i]->wlr_output);
		}
	}
	struct spb_output *added[WLR_SPICE_MAX_HEADS];
	int n_added = 0;
	for (int i = 0; i < n; i++) {
		if (backend->outputs[i] != NULL) {
			spb_output_set_mode(backend->outputs[i], heads[i].width, heads[i].height);
			spb_output_set_physical_size(
					backend->outputs[i], heads[i].width_mm, heads[i].height_mm);
			continue;
		}
		struct spb_output *output =
				spb_output_create(backend, i, heads[i].width, heads[i].height);
		if (output == NULL) {
			wlr_log(WLR_ERROR, "cannot create SPICE head %d", i + 1);
			break;
		}
		spb_output_set_physical_size(output, heads[i].width_mm, heads[i].height_mm);
		added[n_added++] = output;
	}
	if (!spb_backend_layout(backend)) {
		wlr_log(WLR_ERROR, "cannot lay out %d SPICE heads", n);
	}
	for (int i = 0; i < n_added; i++) {
		wl_signal_emit(&backend->backend.events.new_output, &added[i]->wlr_output);
	}
}

static uint32_t backend_get_buffer_caps(struct wlr_backend *wlr_backend) {
	return WLR_BUFFER_CAP_DATA_PTR | WLR_BUFFER_CAP_SHM;
}

static clockid_t backend_get_presentation_clock(struct wlr_backend *wlr_backend) {
	return CLOCK_MONOTONIC;
}

static const struct wlr_backend_impl backend_impl = {
	.start = backend_start,
	.destroy = backend_destroy,
	.get_presentation_clock = backend_get_presentation_clock,
	.get_buffer_caps = backend_get_buffer_caps,
};

uint32_t wlr_spice_backend_get_audio_rate(struct wlr_backend *wlr_backend) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	return backend != NULL ? backend->audio.rate : 0;
}

bool wlr_spice_backend_set_record_fifo(struct wlr_backend *wlr_backend, const char *path) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	return backend != NULL && spb_audio_set_record_fifo(&backend->audio, path);
}

void wlr_spice_backend_set_client_volume(struct wlr_backend *wlr_backend, bool playback,
		bool mute) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	if (backend != NULL) {
		spb_audio_set_client_volume(&backend->audio, playback, mute);
	}
}

const char *wlr_spice_backend_get_uri(struct wlr_backend *wlr_backend) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	return backend != NULL ? backend->uri : NULL;
}

void wlr_spice_backend_get_stats(struct wlr_backend *wlr_backend, struct wlr_spice_stats *stats) {
	struct spb_backend *backend = spb_backend_from_backend(wlr_backend);
	if (backend == NULL) {
		*stats = (struct wlr_spice_stats){ 0 };
		return;
	}
	*stats = backend->stats;
	const struct spb_link *link = spb_listener_link(&backend->listener);
	if (link != NULL) {
		stats->link_rate = link->rate;
		stats->link_rtt_us = link->rtt_us;
		stats->link_queued = spb_link_queued(link);
		stats->link_waiting = (uint32_t)backend->link_pace.queue;
	}
	stats->released = spb_qxl_released(&backend->qxl);
}
