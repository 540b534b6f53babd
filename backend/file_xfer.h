/*
 * File transfer from the SPICE client into the session's download directory
 * (VD_AGENT_FILE_XFER_START / DATA / STATUS), driven by agent.c.
 */
#ifndef WLR_SPICE_FILE_XFER_H
#define WLR_SPICE_FILE_XFER_H

#include <stdbool.h>
#include <stdint.h>

struct wlr_spice_agent;

/* Whether transfers are on: a download directory was given and clients may send input. */
bool wlr_spice_file_xfer_enabled(struct wlr_spice_agent *agent);
/* A VD_AGENT_FILE_XFER_* message from the client. */
void wlr_spice_file_xfer_handle(
		struct wlr_spice_agent *agent, uint32_t type, const uint8_t *payload, uint32_t size);
/* The client left or the agent goes: every transfer ends and its partial file is removed. */
void wlr_spice_file_xfer_cancel_all(struct wlr_spice_agent *agent);

#endif
