/*
 * The SPICE listening sockets and the connections on them until they
 * authenticate. spice-wl accepts every connection itself (spice-server opens
 * no port) so it sees each peer: it refuses what admission.c says to refuse,
 * hands the rest to spice-server, and learns from spice-server's channel
 * events whether each one authenticated (INITIALIZED) or ended without
 * (DISCONNECTED first). spice-server's event info is allocated per
 * connection and lives until DISCONNECTED, so its address names the
 * connection from CONNECTED (sent during the hand-over) on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h> // struct tcp_info with the delivery rate (glibc's is older)
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "backend.h"
#include "clock.h"

/* After running out of descriptors, how long accepting pauses. */
#define PAUSE_MS 250
/* Connections accepted per wake-up, so a flood cannot starve the session. */
#define ACCEPT_BATCH 64
/* After a connection was cut, how long spice-server has to report it gone. */
#define CUT_WAIT_MS 5000

struct spb_conn {
	struct wl_list link; // spb_listener.conns
	struct spb_listener *listener;
	// A duplicate of the connection, kept until it authenticates: shutting
	// it down makes spice-server see the end and free its side.
	int fd;
	struct spb_source_addr source;
	char host[INET6_ADDRSTRLEN]; // the peer as log lines show it: "HOST port PORT"
	char port[16];
	SpiceChannelEventInfo *info; // spice-server's, from CONNECTED on
	struct wl_event_source *timer; // grace time, then the wait for the end
	// What arrived during the hand-over, handled once it returns: a client
	// whose data is already there authenticates (or fails) inside it.
	bool authenticated, gone;
	bool timed_out; // cut for exceeding the grace time
	bool cut; // cut because its source is being penalized, or evicted
	bool released; // no longer counted by admission (evicted for a newcomer)
	bool display; // a display channel (its socket tells the round trip)
};

/* Logs through a limiter: the same kind of line at most a few times a second. */
#define LOG_LIMITED(rl, level, fmt, ...) \
	do { \
		int suppressed_; \
		if (spb_ratelimit_allow((rl), swl_clock_now(SWL_CLOCK_MS), &suppressed_)) { \
			if (suppressed_ > 0) { \
				wlr_log((level), "... %d more like the next suppressed", suppressed_); \
			} \
			wlr_log((level), fmt, ##__VA_ARGS__); \
		} \
	} while (0)

bool spb_addr_numeric(const struct sockaddr *sa, socklen_t len, char *host,
		size_t host_size, char *port, size_t port_size) {
	char numeric[INET6_ADDRSTRLEN];
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
			getnameinfo(sa, len, numeric, sizeof(numeric), port, port_size,
					NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		return false;
	}
	// A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d; fail2ban and
	// people expect a.b.c.d.
	bool mapped = strncmp(numeric, "::ffff:", 7) == 0 && strchr(numeric, '.') != NULL;
	snprintf(host, host_size, "%s", mapped ? numeric + 7 : numeric);
	return true;
}

static void format_peer(const struct sockaddr_storage *ss, socklen_t len,
		struct spb_conn *conn) {
	if (ss->ss_family == AF_UNIX) {
		snprintf(conn->host, sizeof(conn->host), "local");
		snprintf(conn->port, sizeof(conn->port), "0");
	} else if (!spb_addr_numeric((const struct sockaddr *)ss, len, conn->host,
					   sizeof(conn->host), conn->port, sizeof(conn->port))) {
		snprintf(conn->host, sizeof(conn->host), "unknown");
		snprintf(conn->port, sizeof(conn->port), "0");
	}
}

static void conn_destroy(struct spb_conn *conn) {
	if (conn->listener->handing_over == conn) {
		conn->listener->handing_over = NULL;
	}
	if (conn->timer != NULL) {
		wl_event_source_remove(conn->timer);
	}
	if (conn->fd >= 0) {
		close(conn->fd);
	}
	wl_list_remove(&conn->link);
	free(conn);
}

static struct spb_link_client *link_client_get(
		struct spb_listener *listener, uint32_t connection_id) {
	struct spb_link_client *client;
	wl_list_for_each(client, &listener->link_clients, link) {
		if (client->connection_id == connection_id) {
			return client;
		}
	}
	client = calloc(1, sizeof(*client));
	if (client == NULL) {
		return NULL;
	}
	client->connection_id = connection_id;
	spb_link_init(&client->est);
	wl_list_insert(&listener->link_clients, &client->link);
	return client;
}

/* An authenticated channel: keep its descriptor to watch the link. */
static void keep_link(struct spb_conn *conn) {
	if (conn->fd < 0 || conn->info == NULL) {
		return;
	}
	struct spb_link_conn *lc = calloc(1, sizeof(*lc));
	struct spb_link_client *client =
		link_client_get(conn->listener, conn->info->connection_id);
	if (lc == NULL || client == NULL) {
		free(lc);
		return;
	}
	lc->fd = conn->fd;
	conn->fd = -1;
	// spice-server leaves Nagle on for a client its network test found slow.
	// With delayed acks that holds a small update (a key's echo) up to 40 ms
	// behind the previous write; spice-wl paces large writes itself.
	int one = 1;
	setsockopt(lc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	lc->info = conn->info;
	lc->tcp = true;
	lc->display = conn->display;
	lc->client = client;
	client->channels++;
	wl_list_insert(&conn->listener->links, &lc->link);
}

static void link_conn_destroy(struct spb_link_conn *lc) {
	close(lc->fd);
	wl_list_remove(&lc->link);
	if (--lc->client->channels == 0) {
		wl_list_remove(&lc->client->link);
		free(lc->client);
	}
	free(lc);
}

static void conn_cut(struct spb_conn *conn) {
	shutdown(conn->fd, SHUT_RDWR);
	wl_event_source_timer_update(conn->timer, CUT_WAIT_MS);
}

/* A connection ended without authenticating: log it, count it, penalize. */
static void conn_failed(struct spb_conn *conn) {
	struct spb_listener *listener = conn->listener;
	struct spb_admission *adm = &listener->admission;
	int64_t now = swl_clock_now(SWL_CLOCK_MS);
	if (conn->cut) {
		if (!conn->released) {
			spb_admission_closed(adm, &conn->source, now);
		}
		conn_destroy(conn);
		return;
	}
	LOG_LIMITED(&listener->log_failed, WLR_ERROR,
			"spice-wl: authentication failed for %s port %s (%s)", conn->host, conn->port,
			conn->timed_out ? "login grace time exceeded" : "closed before authenticating");
	int64_t penalty = spb_admission_failed(adm, &conn->source, now);
	if (penalty > 0) {
		wlr_log(WLR_ERROR,
				"spice-wl: penalizing %s for %d s after %d failed logins: "
				"its connections are refused",
				conn->host, (int)((penalty + 999) / 1000),
				spb_admission_failures(adm, &conn->source));
		// Its guesses in flight end too.
		struct spb_conn *other;
		wl_list_for_each(other, &listener->conns, link) {
			if (other != conn && !other->cut && !other->timed_out &&
					memcmp(&other->source, &conn->source, sizeof(conn->source)) == 0) {
				other->cut = true;
				conn_cut(other);
			}
		}
	}
	conn_destroy(conn);
}

static int handle_conn_timer(void *data) {
	struct spb_conn *conn = data;
	if (conn->timed_out || conn->cut) {
		// spice-server never reported the end: count it without its word.
		wlr_log(WLR_DEBUG, "SPICE connection from %s port %s: no end reported after the cut",
				conn->host, conn->port);
		conn_failed(conn);
		return 0;
	}
	conn->timed_out = true;
	conn_cut(conn);
	return 0;
}

static struct spb_conn *find_conn(
		struct spb_listener *listener, SpiceChannelEventInfo *info) {
	struct spb_conn *conn;
	wl_list_for_each(conn, &listener->conns, link) {
		if (conn->info == info) {
			return conn;
		}
	}
	return NULL;
}

void spb_listener_channel_event(
		struct spb_listener *listener, int event, SpiceChannelEventInfo *info) {
	struct spb_conn *conn;
	if (listener->backend == NULL) {
		return; // not started, or finished while spice-server winds down
	}
	switch (event) {
	case SPICE_CHANNEL_EVENT_CONNECTED:
		// Sent from within spice_server_add_client: the one being handed over.
		if (listener->handing_over != NULL && listener->handing_over->info == NULL) {
			listener->handing_over->info = info;
		}
		break;
	case SPICE_CHANNEL_EVENT_INITIALIZED:
		if ((conn = find_conn(listener, info)) == NULL) {
			break;
		}
		conn->display = info->type == SPICE_CHANNEL_DISPLAY;
		if (conn == listener->handing_over) {
			conn->authenticated = true;
		} else {
			spb_admission_authenticated(
					&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
			keep_link(conn);
			conn_destroy(conn);
		}
		break;
	case SPICE_CHANNEL_EVENT_DISCONNECTED:
		if ((conn = find_conn(listener, info)) == NULL) {
			struct spb_link_conn *lc;
			wl_list_for_each(lc, &listener->links, link) {
				if (lc->info == info) {
					link_conn_destroy(lc);
					break;
				}
			}
			break;
		}
		conn->info = NULL; // spice-server frees it after this event
		if (conn == listener->handing_over) {
			conn->gone = true;
		} else {
			conn_failed(conn);
		}
		break;
	default:
		break;
	}
}

static void set_paused(struct spb_listener *listener, bool paused) {
	listener->paused = paused;
	for (int i = 0; i < listener->n_sockets; i++) {
		wl_event_source_fd_update(listener->sockets[i].source, paused ? 0 : WL_EVENT_READABLE);
	}
	if (paused) {
		wl_event_source_timer_update(listener->resume_timer, PAUSE_MS);
	}
}

static int handle_resume(void *data) {
	set_paused(data, false);
	return 0;
}

static const char *refusal_reason(enum spb_admit admit) {
	switch (admit) {
	case SPB_REFUSE_PENALTY:
		return "source penalized for failed logins";
	case SPB_REFUSE_SOURCE:
		return "too many unauthenticated connections from this source";
	case SPB_REFUSE_TOTAL:
		return "too many unauthenticated connections";
	default:
		return "admitted";
	}
}

/*
 * With every unauthenticated slot taken, the oldest connection still waiting
 * makes room for the newcomer: a flood from many addresses then cuts its own
 * connections, while a real client, which logs in within a few round trips,
 * gets in (the SYN cache's answer, rather than MaxStartups' random drops).
 */
static bool evict_oldest(struct spb_listener *listener) {
	struct spb_conn *conn;
	wl_list_for_each_reverse(conn, &listener->conns, link) {
		if (!conn->cut && !conn->timed_out && conn != listener->handing_over) {
			conn->cut = true;
			conn->released = true;
			spb_admission_closed(
					&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
			conn_cut(conn);
			return true;
		}
	}
	return false;
}

/* Admits one accepted connection and hands it to spice-server; owns fd. */
static void take_connection(struct spb_listener *listener, int fd, bool tls,
		const struct sockaddr_storage *ss, socklen_t len) {
	struct spb_conn *conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		close(fd);
		return;
	}
	conn->listener = listener;
	wl_list_init(&conn->link);
	format_peer(ss, len, conn);
	if (!spb_source_addr_from_sockaddr(&conn->source, ss, len)) {
		conn->source.local = true; // an unknown family: local as far as we can tell
	}
	conn->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (conn->fd < 0) {
		LOG_LIMITED(&listener->log_accept, WLR_ERROR, "spice-wl: cannot keep a connection: %s",
				strerror(errno));
		close(fd);
		free(conn);
		set_paused(listener, true);
		return;
	}
	enum spb_admit admit = spb_admission_connect(
			&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
	if (admit == SPB_REFUSE_TOTAL && evict_oldest(listener)) {
		admit = spb_admission_connect(
				&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
	}
	if (admit != SPB_ADMIT) {
		LOG_LIMITED(&listener->log_refused, WLR_ERROR,
				"spice-wl: refused connection from %s port %s (%s)", conn->host, conn->port,
				refusal_reason(admit));
		close(conn->fd);
		close(fd);
		free(conn);
		return;
	}
	wl_list_insert(&listener->conns, &conn->link);
	conn->timer = wl_event_loop_add_timer(listener->backend->loop, handle_conn_timer, conn);
	if (conn->timer == NULL) {
		spb_admission_closed(
				&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
		close(fd);
		conn_destroy(conn);
		return;
	}
	int grace = listener->backend->options.login_grace_time;
	wl_event_source_timer_update(
			conn->timer, (grace > 0 ? grace : WLR_SPICE_DEFAULT_LOGIN_GRACE_TIME) * 1000);

	listener->handing_over = conn;
	SpiceServer *server = listener->backend->server;
	int rc = tls ? spice_server_add_ssl_client(server, fd, 0) : spice_server_add_client(server, fd, 0);
	listener->handing_over = NULL;
	if (rc != 0) {
		// spice-server did not take the socket; not the peer's fault.
		wlr_log(WLR_ERROR, "spice-server refused the connection from %s port %s", conn->host,
				conn->port);
		close(fd);
		spb_admission_closed(
				&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
		conn_destroy(conn);
	} else if (conn->authenticated) {
		spb_admission_authenticated(
				&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
		keep_link(conn);
		conn_destroy(conn);
	} else if (conn->gone) {
		conn_failed(conn);
	} else if (conn->info == NULL) {
		// No CONNECTED event to follow it by: keep the bound, not the watch.
		spb_admission_closed(
				&listener->admission, &conn->source, swl_clock_now(SWL_CLOCK_MS));
		conn_destroy(conn);
	}
}

static int handle_listen_readable(int fd, uint32_t mask, void *data) {
	struct spb_listen_socket *sock = NULL;
	struct spb_listener *listener = data;
	for (int i = 0; i < listener->n_sockets; i++) {
		if (listener->sockets[i].fd == fd) {
			sock = &listener->sockets[i];
		}
	}
	for (int n = 0; n < ACCEPT_BATCH && sock != NULL && !listener->paused; n++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int client = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (client >= 0) {
			take_connection(listener, client, sock->tls, &ss, len);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EAGAIN:
#if EAGAIN != EWOULDBLOCK
		case EWOULDBLOCK:
#endif
			return 0;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			// The connection stays queued and the socket readable: without a
			// pause the loop would spin on it.
			LOG_LIMITED(&listener->log_accept, WLR_ERROR,
					"spice-wl: accept failed, %s; pausing for %d ms", strerror(errno),
					PAUSE_MS);
			set_paused(listener, true);
			return 0;
		default:
			LOG_LIMITED(&listener->log_accept, WLR_ERROR, "spice-wl: accept failed, %s",
					strerror(errno));
			return 0;
		}
	}
	return 0;
}

static bool add_socket(struct spb_listener *listener, int fd, bool tls, bool owned) {
	struct spb_listen_socket *sock = &listener->sockets[listener->n_sockets++];
	*sock = (struct spb_listen_socket){ .fd = fd, .tls = tls, .owned = owned };
	return true;
}

/* The first of ADDR's addresses that binds, on port; -1 with the reason logged. */
static int open_tcp(const char *addr, int port) {
	struct addrinfo hints = {
		.ai_flags = AI_PASSIVE | AI_ADDRCONFIG,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res;
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	int rc = getaddrinfo(addr[0] != '\0' ? addr : NULL, service, &hints, &res);
	if (rc != 0) {
		wlr_log(WLR_ERROR, "spice-wl: cannot resolve --listen %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *e = res; e != NULL; e = e->ai_next) {
		fd = socket(e->ai_family, e->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, e->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int on = 1, off = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (e->ai_family == AF_INET6) {
			// "::" takes IPv4 peers too, as spice-server's own socket did.
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		}
		if (bind(fd, e->ai_addr, e->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
			break;
		}
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		wlr_log(WLR_ERROR, "spice-wl: cannot listen on %s port %d: %s", addr, port,
				strerror(err));
	}
	return fd;
}

/*
 * The unix socket at path, mode `mode`. Only a stale socket (one nobody
 * listens on) is replaced: anything else there is someone's file, or a
 * session already running.
 */
static int open_unix(struct spb_listener *listener, const char *path, mode_t mode) {
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		wlr_log(WLR_ERROR, "spice-wl: unix socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		wlr_log_errno(WLR_ERROR, "spice-wl: cannot create a unix socket");
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			wlr_log(WLR_ERROR, "spice-wl: refusing to replace %s: it is not a socket", path);
			goto error;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int rc = probe >= 0 ? connect(probe, (struct sockaddr *)&sun, sizeof(sun)) : 0;
		int err = errno;
		if (probe >= 0) {
			close(probe);
		}
		if (rc == 0 || err != ECONNREFUSED) {
			wlr_log(WLR_ERROR, "spice-wl: refusing to replace %s: %s", path,
					rc == 0 ? "a server is listening on it" : strerror(err));
			goto error;
		}
		unlink(path); // stale: its server is gone
	}
	// Created private, then given the mode asked for: no moment in which
	// the umask decides who may connect.
	mode_t old_umask = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int err = errno;
	umask(old_umask);
	if (rc != 0) {
		wlr_log(WLR_ERROR, "spice-wl: cannot bind %s: %s", path, strerror(err));
		goto error;
	}
	if (chmod(path, mode) != 0 || lstat(path, &st) != 0 || listen(fd, SOMAXCONN) != 0) {
		wlr_log(WLR_ERROR, "spice-wl: cannot set up %s: %s", path, strerror(errno));
		unlink(path);
		goto error;
	}
	listener->unix_path = strdup(path);
	listener->unix_dev = st.st_dev;
	listener->unix_ino = st.st_ino;
	return fd;

error:
	close(fd);
	return -1;
}

/* Many descriptors is what a server needs; the hard limit says how many. */
static void raise_fd_limit(void) {
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			wlr_log_errno(WLR_DEBUG, "cannot raise the descriptor limit");
		}
	}
}

bool spb_listener_init(struct spb_listener *listener,
		struct spb_backend *backend) {
	const struct wlr_spice_backend_options *o = &backend->options;
	*listener = (struct spb_listener){ .backend = backend };
	wl_list_init(&listener->conns);
	wl_list_init(&listener->links);
	wl_list_init(&listener->link_clients);
	spb_admission_init(&listener->admission, o->exempt_loopback);
	spb_ratelimit_init(&listener->log_refused, 5, 1000);
	spb_ratelimit_init(&listener->log_accept, 2, 1000);
	spb_ratelimit_init(&listener->log_failed, 20, 1000);
	raise_fd_limit();

	if (o->listen_fd > 0) {
		fcntl(o->listen_fd, F_SETFD, FD_CLOEXEC);
		fcntl(o->listen_fd, F_SETFL, fcntl(o->listen_fd, F_GETFL) | O_NONBLOCK);
		add_socket(listener, o->listen_fd, false, false);
		return true;
	}
	if (strncmp(o->listen_addr, "unix:", 5) == 0) {
		unsigned mode = o->listen_mode > 0 ? o->listen_mode : WLR_SPICE_DEFAULT_LISTEN_MODE;
		int fd = open_unix(listener, o->listen_addr + 5, mode);
		return fd >= 0 && add_socket(listener, fd, false, true);
	}
	if (!o->tls_only) {
		int fd = open_tcp(o->listen_addr, o->port);
		if (fd < 0 || !add_socket(listener, fd, false, true)) {
			return false;
		}
	}
	if (o->tls_port > 0) {
		int fd = open_tcp(o->listen_addr, o->tls_port);
		if (fd < 0 || !add_socket(listener, fd, true, true)) {
			return false;
		}
	}
	return true;
}

bool spb_listener_start(struct spb_listener *listener) {
	struct wl_event_loop *loop = listener->backend->loop;
	listener->resume_timer = wl_event_loop_add_timer(loop, handle_resume, listener);
	if (listener->resume_timer == NULL) {
		return false;
	}
	for (int i = 0; i < listener->n_sockets; i++) {
		struct spb_listen_socket *sock = &listener->sockets[i];
		sock->source = wl_event_loop_add_fd(
				loop, sock->fd, WL_EVENT_READABLE, handle_listen_readable, listener);
		if (sock->source == NULL) {
			wlr_log(WLR_ERROR, "cannot watch the SPICE listening socket");
			return false;
		}
	}
	return true;
}

void spb_listener_finish(struct spb_listener *listener) {
	if (listener->backend == NULL) {
		return;
	}
	struct spb_conn *conn, *tmp;
	wl_list_for_each_safe(conn, tmp, &listener->conns, link) {
		conn_destroy(conn);
	}
	struct spb_link_conn *lc, *lc_tmp;
	wl_list_for_each_safe(lc, lc_tmp, &listener->links, link) {
		link_conn_destroy(lc);
	}
	for (int i = 0; i < listener->n_sockets; i++) {
		struct spb_listen_socket *sock = &listener->sockets[i];
		if (sock->source != NULL) {
			wl_event_source_remove(sock->source);
		}
		if (sock->owned) {
			close(sock->fd);
		}
	}
	listener->n_sockets = 0;
	if (listener->resume_timer != NULL) {
		wl_event_source_remove(listener->resume_timer);
		listener->resume_timer = NULL;
	}
	struct stat st;
	// Removed only if it is still the socket made here, not a successor's.
	if (listener->unix_path != NULL && lstat(listener->unix_path, &st) == 0 &&
			st.st_dev == listener->unix_dev && st.st_ino == listener->unix_ino) {
		unlink(listener->unix_path);
	}
	free(listener->unix_path);
	listener->unix_path = NULL;
	listener->backend = NULL;
}

/* Once a second per link at debug level: what the estimator believes. */
#define LINK_LOG_MS 1000

/*
 * Adds what the kernel knows of one channel's socket to its client's sample;
 * false for a socket that is not TCP.
 */
static bool sample_conn(struct spb_link_conn *lc, struct spb_link_sample *sum) {
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int outq = 0, notsent = 0;
	if (getsockopt(lc->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
			len < offsetof(struct tcp_info, tcpi_delivery_rate) +
				sizeof(ti.tcpi_delivery_rate) ||
			ioctl(lc->fd, SIOCOUTQ, &outq) != 0 || ioctl(lc->fd, SIOCOUTQNSD, &notsent) != 0) {
		lc->tcp = false; // a unix socket: nothing to learn
		return false;
	}
	sum->bytes_acked += ti.tcpi_bytes_acked;
	sum->unacked += outq > notsent ? (uint32_t)(outq - notsent) : 0;
	sum->notsent += notsent > 0 ? (uint32_t)notsent : 0;
	if (lc->display) {
		sum->delivery_rate = ti.tcpi_delivery_rate;
		sum->rtt_us = ti.tcpi_rtt;
	}
	return true;
}

void spb_listener_sample_links(struct spb_listener *listener, int64_t now,
		int min_ms) {
	if (listener->backend == NULL || now - listener->sampled_ms < min_ms) {
		return;
	}
	listener->sampled_ms = now;
	struct spb_link_client *client;
	wl_list_for_each(client, &listener->link_clients, link) {
		struct spb_link_sample sample = { .now_ms = now };
		bool tcp = false;
		struct spb_link_conn *lc;
		wl_list_for_each(lc, &listener->links, link) {
			if (lc->client == client && lc->tcp && sample_conn(lc, &sample)) {
				tcp = true;
			}
		}
		if (!tcp) {
			continue;
		}
		client->delivery_rate = sample.delivery_rate;
		spb_link_add_sample(&client->est, &sample);
		if (now - client->logged_ms >= LINK_LOG_MS) {
			client->logged_ms = now;
			wlr_log(WLR_DEBUG, "link %u: delivered %" PRIu64 " B/s (kernel %" PRIu64
					" B/s), rtt %u us, queued %u B (%u not sent)",
					client->connection_id, client->est.rate, client->delivery_rate,
					client->est.rtt_us, spb_link_queued(&client->est),
					sample.notsent);
		}
	}
}

const struct spb_link *spb_listener_link(const struct spb_listener *listener) {
	if (listener->backend == NULL) {
		return NULL;
	}
	const struct spb_link *slowest = NULL, *newest = NULL;
	const struct spb_link_client *client;
	wl_list_for_each(client, &listener->link_clients, link) {
		if (!client->est.have_sample) {
			continue;
		}
		if (newest == NULL) {
			newest = &client->est;
		}
		if (client->est.rate > 0 && (slowest == NULL || client->est.rate < slowest->rate)) {
			slowest = &client->est;
		}
	}
	return slowest != NULL ? slowest : newest;
}
