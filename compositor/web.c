/*
 * --web: serves the packaged spice-html5 (read-only files under one
 * directory) and a page of ours, over HTTP or, with TLS, HTTPS with the SPICE
 * certificate. The page asks for the password and connects spice-html5 to
 * the SPICE port over WebSocket (spice-server accepts WebSocket on its plain
 * and TLS ports), so the web server never touches the SPICE traffic.
 *
 * libsoup runs on a GMainContext. It gets a thread of its own rather than a
 * place in the wl_event_loop: the server only reads static files and one
 * page generated at start-up, shares nothing with the compositor, and a
 * GMainContext cannot be driven from the wl_event_loop without re-doing its
 * prepare/query/check/dispatch cycle on every wake-up. Everything of
 * libsoup's is created, used and destroyed in that thread; the main thread
 * only waits for it to listen (swl_web_create) and tells it to quit and joins
 * it (swl_web_destroy).
 */
#define _GNU_SOURCE // strchrnul
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libsoup/soup.h>
#include <wlr/util/log.h>
#include "web.h"

/* The largest file served: spice-html5's largest is about 50 KiB. */
#define MAX_FILE_BYTES (4 * 1024 * 1024)

struct swl_web {
	struct swl_web_config config; // strings owned below
	char *addr, *root, *cert_file, *key_file;
	char *url;
	char *script; // /spice-wl.js: the settings, then page_script
	char *csp; // Content-Security-Policy of every response

	GThread *thread;
	GMainContext *context; // the thread's
	GMainLoop *loop;
	SoupServer *server;

	// start-up handshake: the thread reports whether it listens
	GMutex lock;
	GCond cond;
	bool started, ok;
};

/* The page at "/": a password form, and where spice-html5 draws. */
static const char page_html[] =
		"<!doctype html>\n"
		"<html lang=\"en\">\n"
		"<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width\">\n"
		"<title>spice-wl</title>\n"
		"<link rel=\"stylesheet\" href=\"spice.css\">\n"
		"<style>\n"
		"body { margin: 0; background: #222; color: #eee; font-family: sans-serif; }\n"
		"#swl-login { margin: 4em auto; max-width: 22em; }\n"
		"#swl-login input { width: 100%; box-sizing: border-box; margin: 0.5em 0; }\n"
		// resize.js subtracts the hidden message box's computed height
		"#swl-messages { display: none; height: 0; }\n"
		"</style>\n"
		"<script type=\"module\" src=\"spice-wl.js\"></script>\n"
		"</head>\n"
		"<body>\n"
		"<form id=\"swl-login\" hidden>\n"
		"<label for=\"swl-password\">Password</label>\n"
		"<input id=\"swl-password\" type=\"password\" autocomplete=\"current-password\">\n"
		"<button id=\"swl-connect\" type=\"submit\">Connect</button>\n"
		"<p id=\"swl-status\" role=\"status\"></p>\n"
		"</form>\n"
		"<div id=\"spice-area\"><div id=\"spice-screen\" class=\"spice-screen\"></div></div>\n"
		"<div id=\"swl-messages\"></div>\n"
		"</body>\n"
		"</html>\n";

/*
 * The page's module, after "const config = {...};". It connects to the SPICE
 * port on the host the page came from: the browser reached that host, so it
 * can name it, whatever address spice-wl listens on.
 */
static const char page_script[] =
		"import * as SpiceHtml5 from './main.js';\n"
		"\n"
		"const form = document.getElementById('swl-login');\n"
		"const input = document.getElementById('swl-password');\n"
		"const status = document.getElementById('swl-status');\n"
		"let sc = null;\n"
		"\n"
		"function showForm(message) {\n"
		"  status.textContent = message;\n"
		"  form.hidden = false;\n"
		"  input.value = '';\n"
		"  input.focus();\n"
		"}\n"
		"\n"
		"function disconnect() {\n"
		"  if (sc) {\n"
		"    sc.stop();\n"
		"    sc = null;\n"
		"  }\n"
		"}\n"
		"\n"
		"function onError(e) {\n"
		"  disconnect();\n"
		"  if (e !== undefined && e.message === 'Permission denied.') {\n"
		"    showForm(config.password ? 'Wrong password.' : 'Permission denied.');\n"
		"  } else {\n"
		"    showForm('Disconnected' + (e && e.message ? ': ' + e.message : '.'));\n"
		"  }\n"
		"}\n"
		"\n"
		"function onAgent(conn) {\n"
		"  // spice-html5's resize helpers find the connection there.\n"
		"  window.spice_connection = conn;\n"
		"  window.addEventListener('resize', SpiceHtml5.handle_resize);\n"
		"  SpiceHtml5.resize_helper(conn);\n"
		"}\n"
		"\n"
		"function connect(password) {\n"
		"  form.hidden = true;\n"
		"  status.textContent = '';\n"
		"  let host = window.location.hostname;\n"
		"  if (host.includes(':') && !host.startsWith('[')) {\n"
		"    host = '[' + host + ']';\n"
		"  }\n"
		"  const uri = config.scheme + '://' + host + ':' + config.port + '/';\n"
		"  try {\n"
		"    sc = new SpiceHtml5.SpiceMainConn({uri: uri, screen_id: 'spice-screen',\n"
		"      message_id: 'swl-messages', password: password, onerror: onError,\n"
		"      onagent: onAgent});\n"
		"  } catch (e) {\n"
		"    onError(e);\n"
		"  }\n"
		"}\n"
		"\n"
		"form.addEventListener('submit', (event) => {\n"
		"  event.preventDefault();\n"
		"  connect(input.value);\n"
		"});\n"
		"if (config.password) {\n"
		"  showForm('');\n"
		"} else {\n"
		"  connect('');\n"
		"}\n";

static const struct {
	const char *suffix, *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".png", "image/png" },
	{ ".svg", "image/svg+xml" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *content_type(const char *path) {
	size_t len = strlen(path);
	for (size_t i = 0; i < G_N_ELEMENTS(content_types); i++) {
		size_t n = strlen(content_types[i].suffix);
		if (len >= n && strcmp(path + len - n, content_types[i].suffix) == 0) {
			return content_types[i].type;
		}
	}
	return "application/octet-stream";
}

static void set_headers(struct swl_web *web, SoupServerMessage *msg, const char *type,
		bool cache) {
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
	soup_message_headers_replace(headers, "Content-Security-Policy", web->csp);
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(headers, "X-Frame-Options", "DENY");
	soup_message_headers_replace(headers, "Referrer-Policy", "no-referrer");
	soup_message_headers_replace(headers, "Cross-Origin-Opener-Policy", "same-origin");
	// The page and its settings change with spice-wl's options: never cached.
	// spice-html5's files may be kept, but checked (they change on upgrades).
	soup_message_headers_replace(headers, "Cache-Control", cache ? "no-cache" : "no-store");
	if (web->config.tls) {
		soup_message_headers_replace(headers, "Strict-Transport-Security", "max-age=31536000");
	}
	if (type != NULL) {
		soup_message_headers_set_content_type(headers, type, NULL);
	}
}

static void respond_error(struct swl_web *web, SoupServerMessage *msg, unsigned status) {
	static const char body[] = "not found\n";
	set_headers(web, msg, NULL, false);
	if (status == SOUP_STATUS_METHOD_NOT_ALLOWED) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
				"GET, HEAD");
	}
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, body,
			status == SOUP_STATUS_NOT_FOUND ? strlen(body) : 0);
}

/*
 * The file under web->root that an encoded request path names, or NULL.
 * libsoup hands the path over as sent (percent-encoded, possibly with dot
 * segments) and does not confine it, so: decode (refusing an encoded '/' or
 * NUL), refuse dot segments, backslashes and control characters, then
 * resolve symbolic links and check that the result is still under the root.
 */
static char *resolve_path(struct swl_web *web, const char *encoded) {
	if (encoded[0] != '/') {
		return NULL;
	}
	char *path = g_uri_unescape_string(encoded, "/");
	if (path == NULL) {
		return NULL;
	}
	bool ok = true;
	for (const char *p = path; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || c == '\\') {
			ok = false;
		}
	}
	for (const char *seg = path; ok && *seg != '\0';) {
		seg++; // past '/'
		const char *end = strchrnul(seg, '/');
		size_t len = (size_t)(end - seg);
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) {
			ok = false;
		}
		seg = end;
	}
	char *joined = ok ? g_strconcat(web->root, path, NULL) : NULL;
	g_free(path);
	if (joined == NULL) {
		return NULL;
	}
	char *real = realpath(joined, NULL);
	g_free(joined);
	size_t root_len = strlen(web->root);
	if (real == NULL || strncmp(real, web->root, root_len) != 0 || real[root_len] != '/') {
		free(real);
		return NULL;
	}
	return real;
}

static void serve_file(struct swl_web *web, SoupServerMessage *msg, const char *encoded) {
	char *file = resolve_path(web, encoded);
	if (file == NULL) {
		wlr_log(WLR_DEBUG, "web: refused '%s'", encoded);
		respond_error(web, msg, SOUP_STATUS_NOT_FOUND);
		return;
	}
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	char *data = NULL;
	bool ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
			st.st_size <= MAX_FILE_BYTES;
	if (ok) {
		data = g_malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n <= 0) {
				break;
			}
			got += (size_t)n;
		}
		ok = got == (size_t)st.st_size;
	}
	if (fd >= 0) {
		close(fd);
	}
	if (!ok) {
		g_free(data);
		free(file);
		respond_error(web, msg, SOUP_STATUS_NOT_FOUND);
		return;
	}
	const char *type = content_type(file);
	set_headers(web, msg, type, true);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, type, SOUP_MEMORY_TAKE, data, (gsize)st.st_size);
	free(file);
}

static void handle_request(SoupServer *server, SoupServerMessage *msg, const char *path,
		GHashTable *query, gpointer data) {
	struct swl_web *web = data;
	const char *method = soup_server_message_get_method(msg);
	if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
		respond_error(web, msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
		return;
	}
	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
		set_headers(web, msg, "text/html; charset=utf-8", false);
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response(msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
				page_html, strlen(page_html));
	} else if (strcmp(path, "/spice-wl.js") == 0) {
		set_headers(web, msg, "text/javascript; charset=utf-8", false);
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response(msg, "text/javascript; charset=utf-8",
				SOUP_MEMORY_STATIC, web->script, strlen(web->script));
	} else {
		serve_file(web, msg, path);
	}
}

static void report_started(struct swl_web *web, bool ok) {
	g_mutex_lock(&web->lock);
	web->started = true;
	web->ok = ok;
	g_cond_signal(&web->cond);
	g_mutex_unlock(&web->lock);
}

/* Listens on every address config->addr resolves to (one for a literal). */
static bool listen_all(struct swl_web *web) {
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL;
	char port[16];
	snprintf(port, sizeof(port), "%d", web->config.port);
	int rc = getaddrinfo(web->addr, port, &hints, &res);
	if (rc != 0) {
		wlr_log(WLR_ERROR, "web: cannot resolve '%s': %s", web->addr, gai_strerror(rc));
		return false;
	}
	SoupServerListenOptions options = web->config.tls ? SOUP_SERVER_LISTEN_HTTPS : 0;
	int listening = 0;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		GSocketAddress *address = g_socket_address_new_from_native(ai->ai_addr, ai->ai_addrlen);
		GError *error = NULL;
		if (address == NULL) {
			continue;
		}
		if (soup_server_listen(web->server, address, options, &error)) {
			listening++;
		} else {
			wlr_log(WLR_ERROR, "web: cannot listen on %s port %d: %s", web->addr,
					web->config.port, error->message);
			g_error_free(error);
		}
		g_object_unref(address);
	}
	freeaddrinfo(res);
	return listening > 0;
}

static bool start_server(struct swl_web *web) {
	GTlsCertificate *cert = NULL;
	if (web->config.tls) {
		GError *error = NULL;
		cert = g_tls_certificate_new_from_files(web->cert_file, web->key_file, &error);
		if (cert == NULL) {
			wlr_log(WLR_ERROR, "web: cannot load the TLS certificate '%s' and key '%s': %s",
					web->cert_file, web->key_file, error->message);
			g_error_free(error);
			return false;
		}
	}
	web->server = soup_server_new("server-header", "spice-wl", "tls-certificate", cert, NULL);
	if (cert != NULL) {
		g_object_unref(cert);
	}
	if (web->server == NULL) {
		return false;
	}
	soup_server_add_handler(web->server, NULL, handle_request, web, NULL);
	return listen_all(web);
}

static gpointer run_thread(gpointer data) {
	struct swl_web *web = data;
	g_main_context_push_thread_default(web->context);
	bool ok = start_server(web);
	report_started(web, ok);
	if (ok) {
		g_main_loop_run(web->loop);
	}
	if (web->server != NULL) {
		soup_server_disconnect(web->server);
		g_object_unref(web->server);
		web->server = NULL;
	}
	// What closing the connections left to do (their final callbacks).
	while (g_main_context_iteration(web->context, FALSE)) {
	}
	g_main_context_pop_thread_default(web->context);
	return NULL;
}

static gboolean handle_quit(gpointer data) {
	struct swl_web *web = data;
	g_main_loop_quit(web->loop);
	return G_SOURCE_REMOVE;
}

static char *bracketed(const char *addr) {
	return strchr(addr, ':') != NULL ? g_strdup_printf("[%s]", addr) : g_strdup(addr);
}

struct swl_web *swl_web_create(const struct swl_web_config *config) {
	char root[PATH_MAX];
	if (realpath(config->root, root) == NULL) {
		wlr_log(WLR_ERROR, "web: spice-html5 not found in '%s': %s (Debian package spice-html5)",
				config->root, strerror(errno));
		return NULL;
	}
	struct swl_web *web = g_new0(struct swl_web, 1);
	web->config = *config;
	web->addr = g_strdup(config->addr);
	web->root = g_strdup(root);
	web->cert_file = g_strdup(config->cert_file);
	web->key_file = g_strdup(config->key_file);
	char *host = bracketed(config->addr);
	web->url = g_strdup_printf("%s://%s:%d/", config->tls ? "https" : "http", host, config->port);
	g_free(host);
	const char *ws = config->tls ? "wss" : "ws";
	web->script = g_strdup_printf("const config = {scheme: '%s', port: %d, password: %s};\n%s",
			ws, config->spice_port, config->password ? "true" : "false", page_script);
	// What spice-html5 needs: its own modules, inline styles (it positions
	// video elements with a style attribute), data: URLs for cursors, blob:
	// media for video streams, and the WebSocket to the SPICE port on any
	// host name the browser used.
	web->csp = g_strdup_printf("default-src 'none'; script-src 'self'; "
			"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src blob:; "
			"connect-src %s://*:%d; form-action 'none'; base-uri 'none'; "
			"frame-ancestors 'none'",
			ws, config->spice_port);
	g_mutex_init(&web->lock);
	g_cond_init(&web->cond);
	web->context = g_main_context_new();
	web->loop = g_main_loop_new(web->context, FALSE);
	web->thread = g_thread_new("spice-wl-web", run_thread, web);

	g_mutex_lock(&web->lock);
	while (!web->started) {
		g_cond_wait(&web->cond, &web->lock);
	}
	bool ok = web->ok;
	g_mutex_unlock(&web->lock);
	if (!ok) {
		swl_web_destroy(web);
		return NULL;
	}
	wlr_log(WLR_INFO, "web: serving spice-html5 from %s on %s", web->root, web->url);
	return web;
}

void swl_web_destroy(struct swl_web *web) {
	if (web == NULL) {
		return;
	}
	if (web->thread != NULL) {
		// A source rather than g_main_loop_quit, which is lost if it comes
		// before the thread entered g_main_loop_run.
		GSource *quit = g_idle_source_new();
		g_source_set_callback(quit, handle_quit, web, NULL);
		g_source_attach(quit, web->context);
		g_source_unref(quit);
		g_thread_join(web->thread);
	}
	g_main_loop_unref(web->loop);
	g_main_context_unref(web->context);
	g_mutex_clear(&web->lock);
	g_cond_clear(&web->cond);
	g_free(web->addr);
	g_free(web->root);
	g_free(web->cert_file);
	g_free(web->key_file);
	g_free(web->url);
	g_free(web->script);
	g_free(web->csp);
	g_free(web);
}

const char *swl_web_get_url(struct swl_web *web) {
	return web->url;
}
