/*
 * The SPICE listening sockets, owned by spice-wl rather than spice-server:
 * accepts connections, admits them (admission.h), hands them to
 * spice-server and follows each until it authenticates, cutting it at the
 * end of its grace time and logging failed logins with the peer address.
 */
#ifndef SPB_LISTENER_H
#define SPB_LISTENER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <spice.h>
#include <wayland-server-core.h>
#include "admission.h"
#include "link.h"

struct spb_backend;

#define SPB_MAX_LISTEN 3

struct spb_listen_socket {
	int fd;
	bool tls;
	bool owned; // created here, closed at finish (not a handed-over socket)
	struct wl_event_source *source;
};

/*
 * A client's channels, seen as one path: they share it, so its rate is what
 * all of them get through together, and what waits is the sum of theirs.
 */
struct spb_link_client {
	struct wl_list link; // spb_listener.link_clients
	uint32_t connection_id; // spice-server's, shared by a client's channels
	int channels; // spb_link_conn pointing here
	struct spb_link est;
	uint64_t delivery_rate; // the kernel's own estimate (display channel), for the log
	int64_t logged_ms;
};

/*
 * An authenticated channel whose descriptor is kept (a duplicate of
 * spice-server's) for the whole session, to read what the kernel knows of
 * the path to the client: TCP_INFO and the send queue.
 */
struct spb_link_conn {
	struct wl_list link; // spb_listener.links
	int fd;
	bool tcp; // TCP_INFO answers (not a unix socket)
	bool display;
	SpiceChannelEventInfo *info; // spice-server's, until DISCONNECTED
	struct spb_link_client *client;
};

struct spb_listener {
	struct spb_backend *backend;
	struct spb_listen_socket sockets[SPB_MAX_LISTEN];
	int n_sockets;
	// Out of descriptors: accepting stops until this timer fires.
	struct wl_event_source *resume_timer;
	bool paused;

	struct spb_admission admission;
	struct wl_list conns; // spb_conn.link, connections not authenticated yet
	struct spb_conn *handing_over; // during spice_server_add_*client
	struct wl_list links; // spb_link_conn.link, authenticated channels
	struct wl_list link_clients; // spb_link_client.link, newest first
	int64_t sampled_ms; // when the links were last sampled

	// The unix socket created here, removed at finish if still ours.
	char *unix_path;
	dev_t unix_dev;
	ino_t unix_ino;

	struct spb_ratelimit log_refused, log_accept, log_failed;
};

/*
 * Creates the listening sockets the backend's options ask for; false (with
 * the reason logged) if one cannot be made.
 */
bool spb_listener_init(struct spb_listener *listener,
		struct spb_backend *backend);
/* Starts accepting connections into the backend's SpiceServer. */
bool spb_listener_start(struct spb_listener *listener);
void spb_listener_finish(struct spb_listener *listener);
/* A channel event from spice-server (core->channel_event). */
void spb_listener_channel_event(
		struct spb_listener *listener, int event, SpiceChannelEventInfo *info);

/* Reads every kept channel's socket into its client's estimator. */
/*
 * Sampling is asked for at every flush; three system calls per channel each
 * time would sit on the frame path for a 100 ms estimate, unless the link is
 * paced (then what was just written decides what goes next).
 */
#define SPB_LINK_SAMPLE_MS 20
/* Reads at most every min_ms. */
void spb_listener_sample_links(struct spb_listener *listener, int64_t now_ms,
		int min_ms);
/*
 * The estimator of the slowest client whose rate is known, else of the
 * newest TCP client; NULL without one.
 */
const struct spb_link *spb_listener_link(const struct spb_listener *listener);

/*
 * The numeric host and port of an IPv4 or IPv6 address, for messages; an
 * IPv4-mapped IPv6 address reads a.b.c.d. False for other families.
 */
bool spb_addr_numeric(const struct sockaddr *sa, socklen_t len, char *host,
		size_t host_size, char *port, size_t port_size);

#endif
