/*
 * The command rings spice-server's worker thread pulls QXL commands from:
 * push, pop, the tail, the wakeup handshake and the coalescing of cursor
 * moves. Pure and not thread-safe: qxl.c calls every function here with its
 * lock held, and only qxl.c; unit-tested alone.
 */
#ifndef WLR_SPICE_RING_H
#define WLR_SPICE_RING_H

#include <stdbool.h>
#include <spice/qxl_dev.h>

/* Commands waiting for the worker, in order, over storage the caller owns. */
struct wlr_spice_ring {
	QXLCommandExt *cmds;
	unsigned size, head, count;
	bool notify_wanted; // the worker asked for a wakeup when commands arrive
};

/*
 * An empty ring over cmds (size slots). The worker may not have asked for a
 * wakeup yet: the first push wakes it anyway (a spurious wakeup is harmless).
 */
void wlr_spice_ring_init(struct wlr_spice_ring *ring, QXLCommandExt *cmds, unsigned size);
/* The slot for a new command, to be filled at once; NULL when the ring is full. */
QXLCommandExt *wlr_spice_ring_push(struct wlr_spice_ring *ring);
/*
 * After a push: whether the worker is waiting for a wakeup, which the caller
 * then sends (spice_qxl_wakeup, after unlocking). Clears the request.
 */
bool wlr_spice_ring_take_notify(struct wlr_spice_ring *ring);
/* The worker takes the oldest command; false when the ring is empty. */
bool wlr_spice_ring_pop(struct wlr_spice_ring *ring, QXLCommandExt *cmd);
/*
 * The worker found the ring empty and asks to be woken by the next push.
 * Returns false, asking for nothing, when commands arrived meanwhile: the
 * worker then pops again (req_cmd_notification's contract).
 */
bool wlr_spice_ring_request_notify(struct wlr_spice_ring *ring);
/*
 * A cursor move while the last command waiting is a move too: the worker
 * has not seen that one yet, so it takes this position instead and nothing
 * is pushed. Returns whether it did; the caller frees its own command then.
 */
bool wlr_spice_ring_coalesce_move(struct wlr_spice_ring *ring, const QXLCursorCmd *move);

#endif
