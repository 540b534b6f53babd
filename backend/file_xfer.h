/*
 * File transfer from the SPICE client into the session's download directory
 * (VD_AGENT_FILE_XFER_START / DATA / STATUS), driven by agent.c.
 */
#ifndef SPB_FILE_XFER_H
#define SPB_FILE_XFER_H

#include <stdbool.h>
#include <stdint.h>

struct spb_agent;

/* Whether transfers are on: a download directory was given and clients may send input. */
bool spb_file_xfer_enabled(struct spb_agent *agent);
/* A VD_AGENT_FILE_XFER_* message from the client. */
void spb_file_xfer_handle(
		struct spb_agent *agent, uint32_t type, const uint8_t *payload, uint32_t size);
/* The client left or the agent goes: every transfer ends and its partial file is removed. */
void spb_file_xfer_cancel_all(struct spb_agent *agent);

#endif
