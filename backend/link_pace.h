/*
 * Pacing for slow links: how much of the large, changing regions (a video,
 * a scrolling page) may be sent now so that what waits for the client stays
 * a few tens of milliseconds of its link. Small changes (typing, a menu, a
 * pointer's effect) are not held back, so they wait behind at most that.
 *
 * The link's rate comes from link.h. What waits is estimated, not read:
 * every byte written to the client's sockets joins a virtual queue that
 * drains at the paced rate. A bottleneck further on (a router's queue, or a
 * relay that acknowledges what it cannot forward yet) is invisible in the
 * server's socket until it is full; this estimate sees it fill from the
 * start. It never reads less than what the socket itself still holds.
 *
 * Pure: rates, byte counts and times in, budgets out; unit-tested alone.
 */
#ifndef SPB_LINK_PACE_H
#define SPB_LINK_PACE_H

#include <stdbool.h>
#include <stdint.h>

/* Updates up to this many pixels count as small: they are never held for large ones. */
#define SPB_LINK_PACE_SMALL_PX (128 * 128)
/*
 * Links measured this fast or faster are not paced: a client on loopback or
 * a LAN that falls behind only for its own CPU would be fed bands at its
 * full rate (on loopback anim-full sent 10 times the bytes, 132 MB in 10 s;
 * at a 20 Mbit/s ceiling anim-egl still sent 26 % fewer bytes in twice the
 * updates), where whole frames replacing each other in spice-server's queue
 * skip what it cannot take. spice-server itself calls a client below
 * 10 Mbit/s low-bandwidth.
 */
#define SPB_LINK_PACE_MAX_RATE (12 * 1000 * 1000 / 8)
/* Share of the measured rate paced to: room for other channels and estimation error. */
#define SPB_LINK_PACE_SHARE_PCT 90
/* Large updates go when less than this much (in time at the rate) waits. */
#define SPB_LINK_PACE_LOW_MS 5
/* Each large push is at most this long on the link, */
#define SPB_LINK_PACE_BAND_MS 10
/*
 * but at least this many bytes: thinner bands compress worse and each costs
 * a message's headers (at 0.5 Mbit/s, 15 ms is 4 rows of a 480-wide video,
 * and the video got 0.2 frames/s).
 */
#define SPB_LINK_PACE_BAND_MIN_BYTES 6144
/* Beyond this much waiting, small updates wait too (a small region changing often). */
#define SPB_LINK_PACE_SMALL_CAP_MS 150
/*
 * When the rate is first measured, large updates wait this long (in time at
 * the rate) for whatever queue beyond the server filled meanwhile; small
 * ones do not.
 */
#define SPB_LINK_PACE_DRAIN_MS 1000
/* Pushed bytes not seen written after this long are not expected any more. */
#define SPB_LINK_PACE_EXPECT_MS 200
/* Encoded bytes a pixel assumed before any are learnt: a noisy image with QUIC. */
#define SPB_LINK_PACE_FIRST_BPP 1.0

struct spb_link_pace {
	uint64_t rate; // bytes a second paced to; 0: the link is not known to be slow
	bool have_written;
	uint64_t written; // everything written to the client's sockets so far
	int64_t now_ms;
	double queue; // bytes written and not through the link yet (estimate)
	bool was_active; // a rate was known at the last update
	double drain; // bytes a hidden queue may still hold from before pacing
	double expect; // bytes pushed to spice-server and not written yet (estimate)
	int64_t pushed_ms;
	// Encoded bytes a pixel of what was pushed, learnt from what got written.
	double bytes_per_px;
	bool learnt;
	int64_t learn_ms; // the current learning window's start
	uint64_t learn_px;
	uint64_t learn_bytes;
};

void spb_link_pace_init(struct spb_link_pace *pacer);
/*
 * A new look at the link: its rate (0 when not known: nothing is held), the
 * total written to the client's sockets, and what they still hold.
 */
void spb_link_pace_update(struct spb_link_pace *pacer, int64_t now_ms,
		uint64_t link_rate, uint64_t written, uint32_t socket_queued);
/*
 * spice-server's worker has taken every pushed command: what was pushed is
 * encoded and written (or dropped as covered), so it is no longer expected.
 */
void spb_link_pace_taken(struct spb_link_pace *pacer);
bool spb_link_pace_active(const struct spb_link_pace *pacer);
/* Small updates may go now. */
bool spb_link_pace_small_ok(const struct spb_link_pace *pacer);
/* Pixels of large updates that may be pushed now; 0: hold them; INT64_MAX when not pacing. */
int64_t spb_link_pace_large_px(const struct spb_link_pace *pacer);
/* What was pushed to spice-server (it will be encoded and written shortly). */
void spb_link_pace_pushed(struct spb_link_pace *pacer, int64_t pixels);
/* How long until large updates may go again, in ms (at least 1). */
int spb_link_pace_wait_ms(const struct spb_link_pace *pacer);

#endif
