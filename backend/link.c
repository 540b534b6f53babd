/*
 * The link estimator (link.h). The rate is measured only over windows in
 * which data waited in the socket the whole time: then the acks arrive as
 * fast as the path drains, whereas an idle socket only tells how much the
 * application wrote. A window that was not backlogged never sets the rate
 * from its acks: a buffer beyond the server that acknowledges (a proxy, a
 * relay's receive buffer) takes a burst far faster than the path carries it.
 * (Known gap: the estimate does not rise again by itself when the link gets
 * faster; only a new backlog re-measures it.)
 */
#include "link.h"

void spb_link_init(struct spb_link *link) {
	*link = (struct spb_link){ 0 };
}

static uint32_t sample_queued(const struct spb_link_sample *s) {
	return s->unacked + s->notsent;
}

void spb_link_add_sample(struct spb_link *link,
		const struct spb_link_sample *sample) {
	bool busy = sample_queued(sample) >= SPB_LINK_BUSY_BYTES;
	link->written = sample->bytes_acked + sample_queued(sample);
	if (!link->have_sample) {
		link->have_sample = true;
		link->last = *sample;
		link->window_ms = sample->now_ms;
		link->window_acked = sample->bytes_acked;
		link->window_busy = busy;
		link->rtt_us = sample->rtt_us;
		return;
	}
	if (sample->rtt_us > 0) {
		link->rtt_us = link->rtt_us == 0 ? sample->rtt_us :
			(uint32_t)(((uint64_t)link->rtt_us * 7 + sample->rtt_us) / 8);
	}
	link->window_busy = link->window_busy && busy;
	int64_t dt = sample->now_ms - link->window_ms;
	uint64_t acked = sample->bytes_acked >= link->window_acked ?
		sample->bytes_acked - link->window_acked : 0;
	if ((dt >= SPB_LINK_WINDOW_MS && acked >= SPB_LINK_WINDOW_BYTES) ||
			dt >= SPB_LINK_MAX_WINDOW_MS) {
		uint64_t rate = acked * 1000 / (uint64_t)dt;
		// A client that stopped reading (suspended, stalled) acks nothing
		// while data waits: that is not its link's rate, and taking it for
		// one would pace the session to a crawl once it reads again.
		if (link->window_busy && acked >= SPB_LINK_STALL_BYTES) {
			link->rate = link->rate == 0 ? rate : (link->rate * 3 + rate) / 4;
		}
		link->window_ms = sample->now_ms;
		link->window_acked = sample->bytes_acked;
		link->window_busy = busy;
	}
	link->last = *sample;
}

uint32_t spb_link_queued(const struct spb_link *link) {
	return link->have_sample ? sample_queued(&link->last) : 0;
}
