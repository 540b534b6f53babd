/*
 * The command rings spice-server's worker thread pulls QXL commands from:
 * push, pop, the tail, the wakeup handshake and the coalescing of cursor
 * moves. Pure and not thread-safe: qxl.c calls every function here with its
 * lock held, and only qxl.c; unit-tested alone.
 */
#ifndef SPB_RING_H
#define SPB_RING_H

#include <stdbool.h>
#include <spice/qxl_dev.h>

/* Commands waiting for the worker, in order, over storage the caller owns. */
struct spb_ring {
	QXLCommandExt *cmds;
	unsigned size, head, count;
	bool notify_wanted; // the worker asked for a wakeup when commands arrive
};

/*
 * An empty ring over cmds (size slots). The worker may not have asked for a
 * wakeup yet: the first push wakes it anyway (a spurious wakeup is harmless).
 */
void spb_ring_init(struct spb_ring *ring, QXLCommandExt *cmds, unsigned size);
/* The slot for a new command, to be filled at once; NULL when the ring is full. */
QXLCommandExt *spb_ring_push(struct spb_ring *ring);
/*
 * After a push: whether the worker is waiting for a wakeup, which the caller
 * then sends (spice_qxl_wakeup, after unlocking). Clears the request.
 */
bool spb_ring_take_notify(struct spb_ring *ring);
/* The worker takes the oldest command; false when the ring is empty. */
bool spb_ring_pop(struct spb_ring *ring, QXLCommandExt *cmd);
/*
 * The worker found the ring empty and asks to be woken by the next push.
 * Returns false, asking for nothing, when commands arrived meanwhile: the
 * worker then pops again (req_cmd_notification's contract).
 */
bool spb_ring_request_notify(struct spb_ring *ring);
/*
 * A cursor move while the last command waiting is a move too: the worker
 * has not seen that one yet, so it takes this position instead and nothing
 * is pushed. Returns whether it did; the caller frees its own command then.
 */
bool spb_ring_coalesce_move(struct spb_ring *ring, const QXLCursorCmd *move);

#endif
