/*
 * spice-wl entry point: parse options, bring up the server, print the SPICE
 * URI, run COMMAND, and exit with its status.
 */
#define _DEFAULT_SOURCE // explicit_bzero
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "options.h"
#include "seat.h"
#include "server.h"
#include "web.h"
#include "wlr_spice.h"

/* Where Debian's spice-html5 package puts its files. */
#define SPICE_HTML5_DIR "/usr/share/spice-html5"

/* How long children get to end after SIGTERM at exit before SIGKILL. */
#define CHILD_GRACE_MS 2000

extern char **environ;

static int handle_terminate_signal(int signal, void *data) {
	struct swl_server *server = data;
	wlr_log(WLR_INFO, "signal %d: shutting down", signal);
	swl_server_terminate(server);
	return 0;
}

static int handle_sigchld(int signal, void *data) {
	// Every child: COMMAND, pactl, and what they or wlroots left behind,
	// reparented to us.
	swl_children_reap(data);
	return 0;
}

/*
 * Wipes the password variable's bytes in the environment block: unsetenv
 * only drops the pointer, the text stays readable in /proc/PID/environ.
 */
static void wipe_password_env(void) {
	static const char name[] = "SPICE_WL_PASSWORD=";
	char *found[8];
	size_t n = 0;
	for (char **env = environ; *env != NULL && n < 8; env++) {
		if (strncmp(*env, name, sizeof(name) - 1) == 0) {
			found[n++] = *env;
		}
	}
	unsetenv("SPICE_WL_PASSWORD");
	for (size_t i = 0; i < n; i++) {
		// Keeps the block's layout (a NUL-separated list) with NULs.
		explicit_bzero(found[i], strlen(found[i]));
	}
}

/*
 * systemd socket activation: a listening socket at fd 3 meant for us. The
 * variables are not passed on to COMMAND.
 */
static int take_activation_socket(void) {
	const char *pid = getenv("LISTEN_PID");
	const char *fds = getenv("LISTEN_FDS");
	int fd = -1;
	if (pid != NULL && fds != NULL && strtol(pid, NULL, 10) == (long)getpid() &&
			strtol(fds, NULL, 10) >= 1) {
		fd = 3;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (strtol(fds, NULL, 10) > 1) {
			wlr_log(WLR_ERROR, "socket activation: using the first of %s sockets", fds);
		}
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

/* Whether a handed-over socket is reachable only from this machine. */
static bool socket_is_local(int fd) {
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		return false;
	}
	if (ss.ss_family == AF_UNIX) {
		return true;
	}
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/* The TCP port of a listening socket, or 0. */
static int socket_port(int fd) {
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		return 0;
	}
	if (ss.ss_family == AF_INET) {
		return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
	}
	if (ss.ss_family == AF_INET6) {
		return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

/* --web: after the SPICE ports listen, so the page never points at nothing. */
static struct swl_web *start_web(const struct swl_options *options, int listen_fd) {
	int spice_port = options->port;
	if (options->tls_port > 0) {
		spice_port = options->tls_port;
	} else if (listen_fd > 0) {
		spice_port = socket_port(listen_fd);
	}
	if (spice_port == 0) {
		fprintf(stderr, "spice-wl: --web: the activation socket is not a TCP socket\n");
		return NULL;
	}
	struct swl_web_config config = {
		.addr = options->web_addr,
		.port = options->web_port,
		// For spice-html5 installed elsewhere (and the tests).
		.root = getenv("SPICE_WL_HTML5_DIR") != NULL ? getenv("SPICE_WL_HTML5_DIR")
				: SPICE_HTML5_DIR,
		.spice_port = spice_port,
		.tls = options->tls_port > 0,
		.cert_file = options->x509_cert_file,
		.key_file = options->x509_key_file,
		.password = options->password != NULL,
	};
	struct swl_web *web = swl_web_create(&config);
	if (web == NULL) {
		fprintf(stderr,
				"spice-wl: cannot start the web server on --web %s port %d (run with -v "
				"for details)\n",
				options->web_addr, options->web_port);
	}
	return web;
}

static bool check_runtime_dir(void) {
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if (dir == NULL || dir[0] == '\0') {
		fprintf(stderr,
				"spice-wl: XDG_RUNTIME_DIR is not set: it must name a private "
				"directory (mode 0700) for the Wayland socket\n");
		return false;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "spice-wl: XDG_RUNTIME_DIR '%s' is not a directory\n", dir);
		return false;
	}
	// Another user who can enter or write it could take the Wayland socket
	// or the audio FIFOs; root passes every permission check, so the owner
	// is compared, as libwayland and systemd expect it to be ours and 0700.
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "spice-wl: XDG_RUNTIME_DIR '%s' belongs to uid %u, not to uid %u\n", dir,
				(unsigned)st.st_uid, (unsigned)geteuid());
		return false;
	}
	if ((st.st_mode & 077) != 0) {
		fprintf(stderr,
				"spice-wl: XDG_RUNTIME_DIR '%s' has mode %04o: other users can use it "
				"(chmod 700 '%s')\n",
				dir, (unsigned)(st.st_mode & 07777), dir);
		return false;
	}
	return true;
}

/*
 * Start-up before the server: the keymap, the log, the runtime directory,
 * the password out of the environment, the children. The keymap, or NULL
 * with *status the exit status.
 */
static struct xkb_keymap *prepare(const struct swl_options *options, int *status) {
	*status = 2;
	struct xkb_keymap *keymap = swl_keymap_create(options);
	if (keymap == NULL) {
		fprintf(stderr,
				"spice-wl: cannot compile the keyboard layout: layout '%s', model '%s', "
				"variant '%s', options '%s'\n",
				options->keyboard_layout ? options->keyboard_layout : "(default)",
				options->keyboard_model ? options->keyboard_model : "(default)",
				options->keyboard_variant ? options->keyboard_variant : "",
				options->keyboard_options ? options->keyboard_options : "");
		return NULL;
	}

	// A server's normal log: where it listens, clients coming and going.
	enum wlr_log_importance level = options->verbose > 0 ? WLR_DEBUG : WLR_INFO;
	wlr_log_init(level, NULL);

	*status = 1;
	if (!check_runtime_dir()) {
		xkb_keymap_unref(keymap);
		return NULL;
	}
	// COMMAND and its children must not inherit the password, and the
	// process's own environment must not show it.
	wipe_password_env();
	// Before anything forks (wlroots starts Xwayland in swl_server_init).
	if (!swl_children_init()) {
		xkb_keymap_unref(keymap);
		return NULL;
	}
	// A client that vanishes mid-write must not kill the session.
	signal(SIGPIPE, SIG_IGN);
	return keymap;
}

/* Sets up the server, runs the session until it ends; the exit status. */
static int run_session(struct swl_server *server, const struct swl_options *options) {
	if (!swl_server_init(server, options)) {
		fprintf(stderr, "spice-wl: cannot set up the compositor (run with -v for details)\n");
		return 1;
	}

	int status = 1;
	struct swl_web *web = NULL;
	struct wl_event_source *sigint =
			wl_event_loop_add_signal(server->loop, SIGINT, handle_terminate_signal, server);
	struct wl_event_source *sigterm =
			wl_event_loop_add_signal(server->loop, SIGTERM, handle_terminate_signal, server);
	struct wl_event_source *sigchld =
			wl_event_loop_add_signal(server->loop, SIGCHLD, handle_sigchld, server);

	if (!swl_server_start(server)) {
		fprintf(stderr,
				"spice-wl: cannot start: SPICE port %d on %s busy or Wayland "
				"socket unavailable (run with -v for details)\n",
				options->port, options->listen);
		goto out;
	}

	// Its thread inherits the signal mask, which now blocks the signals the
	// loop handles: they go to the main thread's signalfd, not to it.
	if (options->web_port > 0 && (web = start_web(options, server->listen_fd)) == NULL) {
		goto out;
	}

	// The spice:// line stays the first: scripts and the tests wait for it.
	printf("%s\n", wlr_spice_backend_get_uri(server->backend));
	if (web != NULL) {
		printf("%s\n", swl_web_get_url(web));
	}
	fflush(stdout);

	if (options->command != NULL) {
		if (!swl_command_spawn(server, options->command)) {
			status = 127;
			goto out;
		}
	}

	wl_display_run(server->display);
	server->shutting_down = true;
	status = options->command != NULL ? server->exit_status : 0;
	swl_command_terminate(server);

out:
	swl_web_destroy(web);
	wl_event_source_remove(sigint);
	wl_event_source_remove(sigterm);
	wl_event_source_remove(sigchld);
	return status;
}

int main(int argc, char *argv[]) {
	struct swl_options options;
	swl_options_init(&options);
	switch (swl_options_parse(&options, argc, argv, stdout, stderr)) {
	case SWL_OPTIONS_OK:
		break;
	case SWL_OPTIONS_EXIT_SUCCESS:
		swl_options_finish(&options);
		return 0;
	case SWL_OPTIONS_ERROR:
		swl_options_finish(&options);
		return 2;
	}

	int status;
	struct xkb_keymap *keymap = prepare(&options, &status);
	if (keymap == NULL) {
		swl_options_finish(&options);
		return status;
	}

	struct swl_server server = { 0 };
	server.keymap = keymap;
	server.listen_fd = take_activation_socket();
	// The same rule as for --listen: no unauthenticated access from afar.
	if (server.listen_fd > 0 && options.password == NULL && !options.sasl &&
			!options.insecure_no_auth &&
			!socket_is_local(server.listen_fd)) {
		fprintf(stderr,
				"spice-wl: refusing unauthenticated access on the activation "
				"socket: use a password or --sasl, or --insecure-no-auth\n");
		xkb_keymap_unref(keymap);
		swl_options_finish(&options);
		return 2;
	}
	status = run_session(&server, &options);
	swl_server_finish(&server);
	// Whatever is left: COMMAND's group, Xwayland, orphans reparented to us.
	swl_children_end(CHILD_GRACE_MS);
	xkb_keymap_unref(keymap);
	swl_options_finish(&options);
	return status;
}
