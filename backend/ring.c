/*
 * Command rings between the main thread, which pushes, and spice-server's
 * worker, which pops (see ring.h; the locking is qxl.c's).
 */
#include <stdint.h>
#include "ring.h"

void spb_ring_init(struct spb_ring *ring, QXLCommandExt *cmds, unsigned size) {
	*ring = (struct spb_ring){
		.cmds = cmds,
		.size = size,
		.notify_wanted = true,
	};
}

QXLCommandExt *spb_ring_push(struct spb_ring *ring) {
	if (ring->count >= ring->size) {
		return NULL;
	}
	QXLCommandExt *slot = &ring->cmds[(ring->head + ring->count) % ring->size];
	ring->count++;
	return slot;
}

bool spb_ring_take_notify(struct spb_ring *ring) {
	bool wake = ring->notify_wanted;
	ring->notify_wanted = false;
	return wake;
}

bool spb_ring_pop(struct spb_ring *ring, QXLCommandExt *cmd) {
	if (ring->count == 0) {
		return false;
	}
	*cmd = ring->cmds[ring->head];
	ring->head = (ring->head + 1) % ring->size;
	ring->count--;
	return true;
}

bool spb_ring_request_notify(struct spb_ring *ring) {
	ring->notify_wanted = ring->count == 0;
	return ring->notify_wanted;
}

bool spb_ring_coalesce_move(struct spb_ring *ring, const QXLCursorCmd *move) {
	if (move->type != QXL_CURSOR_MOVE || ring->count == 0) {
		return false;
	}
	const QXLCommandExt *tail = &ring->cmds[(ring->head + ring->count - 1) % ring->size];
	QXLCursorCmd *queued = (QXLCursorCmd *)(uintptr_t)tail->cmd.data;
	if (tail->cmd.type != QXL_CMD_CURSOR || queued->type != QXL_CURSOR_MOVE) {
		return false;
	}
	queued->u.position = move->u.position;
	return true;
}
