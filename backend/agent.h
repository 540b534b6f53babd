/*
 * The built-in vdagent's state, shared between agent.c, the parts it hands
 * messages to (agent_clipboard.c, file_xfer.c) and the backend.
 */
#ifndef SPB_AGENT_H
#define SPB_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <spice.h>
#include <wayland-server-core.h>
#include "agent_proto.h"
#include "wlr_spice.h"

#define SPB_AGENT_MAX_MONITORS 16
#define SPB_AGENT_MAX_TYPES 8

struct spb_backend;

struct spb_agent {
	struct spb_backend *backend;
	SpiceCharDeviceInstance sin;
	bool added;
	struct spb_agent_parser parser;

	struct spb_agent_outq out; // bytes queued for the client, pulled by spice-server
	uint64_t out_dropped; // messages refused since the queue last had room

	uint32_t client_caps[VD_AGENT_CAPS_SIZE];
	bool client_caps_known;

	// Clipboard (agent_clipboard.c), per selection (clipboard, primary):
	bool client_owns[2]; // the SPICE client grabbed it
	uint32_t session_types[2][SPB_AGENT_MAX_TYPES]; // what the session offers
	uint32_t session_n_types[2];
	uint32_t grab_serial[2];

	struct wl_list receives; // agent_transfer.link: fds waiting for the client's data
	struct wl_list sends; // agent_transfer.link: session data being read for the client
	int n_receives;
	size_t receive_bytes; // client data held for readers that have not taken it all
	struct wl_event_source *trim_idle; // gives freed memory back after a large transfer

	struct wl_list file_xfers; // file_xfer.link: files the client is sending (file_xfer.c)
	int n_file_xfers;

	struct wlr_spice_agent_events events;
};

void spb_agent_init(struct spb_agent *agent, struct spb_backend *backend);
bool spb_agent_add(struct spb_agent *agent, SpiceServer *server);
void spb_agent_remove(struct spb_agent *agent);
void spb_agent_finish(struct spb_agent *agent);
/* Queues a message for the client; takes payload (freed). For agent_clipboard.c, file_xfer.c. */
void spb_agent_send(
		struct spb_agent *agent, uint32_t type, uint8_t *payload, uint32_t size);
bool spb_agent_client_has_cap(struct spb_agent *agent, uint32_t cap);
/* freed bytes were just given back to malloc: hands large amounts back to the system, later. */
void spb_agent_schedule_trim(struct spb_agent *agent, size_t freed);

#endif
