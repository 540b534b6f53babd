/*
 * What the network path to a client can carry, from what the server's own
 * socket tells (TCP_INFO, SIOCOUTQ/SIOCOUTQNSD): the rate delivered while
 * data was waiting, the round trip, and what is queued and not yet acked.
 * Pure: samples (with their times) in, estimates out; unit-tested alone.
 *
 * A userspace relay or a proxy in the path hides the real round trip (the
 * kernel sees only the hop to it), so the decisions built on this rely on
 * the delivered rate and the queue, and use the round trip only to allow
 * more in flight when it is large.
 */
#ifndef SPB_LINK_H
#define SPB_LINK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Rate samples span at least this long and this many bytes (unless they
 * reach the longest window), so one ack burst is not a rate: on a slow link
 * acks arrive a receive window at a time.
 */
#define SPB_LINK_WINDOW_MS 100
#define SPB_LINK_WINDOW_BYTES (48 * 1024)
#define SPB_LINK_MAX_WINDOW_MS 1000
/* A window delivering less than this while data waited is a stall, not a rate. */
#define SPB_LINK_STALL_BYTES 4096
/* Queued bytes from which the socket counts as backlogged (not app-limited). */
#define SPB_LINK_BUSY_BYTES 4096

struct spb_link_sample {
	int64_t now_ms;
	uint64_t bytes_acked; // tcpi_bytes_acked
	uint64_t delivery_rate; // tcpi_delivery_rate, bytes a second
	uint32_t rtt_us; // tcpi_rtt
	uint32_t unacked; // SIOCOUTQ - SIOCOUTQNSD: sent, not acked yet
	uint32_t notsent; // SIOCOUTQNSD (tcpi_notsent_bytes)
};

struct spb_link {
	bool have_sample;
	struct spb_link_sample last;
	// The current rate window: its start, and whether the queue stayed busy.
	int64_t window_ms;
	uint64_t window_acked;
	bool window_busy;

	uint64_t rate; // bytes a second delivered while backlogged; 0: not known
	uint32_t rtt_us; // smoothed kernel round trip
	uint64_t written; // everything spice-server wrote: acked + queued
};

void spb_link_init(struct spb_link *link);
void spb_link_add_sample(struct spb_link *link,
		const struct spb_link_sample *sample);

/* Bytes written to the socket and not acked yet (in flight or not sent). */
uint32_t spb_link_queued(const struct spb_link *link);

#endif
