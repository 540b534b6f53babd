/*
 * The built-in agent's clipboard bridge (agent_clipboard.c), as agent.c
 * drives it: the clipboard messages from the client, and the client's
 * arrival, data and departure. The compositor's side is the public
 * wlr_spice_backend_clipboard_* API.
 */
#ifndef SPB_AGENT_CLIPBOARD_H
#define SPB_AGENT_CLIPBOARD_H

#include <stdint.h>

struct spb_agent;

/*
 * A VD_AGENT_CLIPBOARD_GRAB, _REQUEST, VD_AGENT_CLIPBOARD or _RELEASE from
 * the client; ignored with --no-clipboard, and a grab from a view-only client.
 */
void spb_agent_clipboard_handle(
		struct spb_agent *agent, uint32_t type, const uint8_t *payload, uint32_t size);
/* Tells the client what the session offers for a selection (or that it has none). */
void spb_agent_clipboard_offer(struct spb_agent *agent, int selection);
/* The client is sending agent data: readers waiting for its answer keep waiting. */
void spb_agent_clipboard_client_sends(struct spb_agent *agent);
/* A client message was dropped: readers still waiting for data get an empty paste. */
void spb_agent_clipboard_cancel_receives(struct spb_agent *agent);
/* The client left: its readers end and the selections it held are released. */
void spb_agent_clipboard_client_gone(struct spb_agent *agent);
/* The agent goes: every transfer ends. */
void spb_agent_clipboard_finish(struct spb_agent *agent);

#endif
