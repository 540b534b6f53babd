/*
 * Admission policy for SPICE connections: bounds on unauthenticated
 * connections and penalties for sources that keep failing to log in. See
 * admission.h; pure, no I/O.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "admission.h"

void spb_admission_init(struct spb_admission *adm, bool exempt_loopback) {
	memset(adm, 0, sizeof(*adm));
	adm->exempt_loopback = exempt_loopback;
}

bool spb_source_addr_from_sockaddr(
		struct spb_source_addr *out, const void *sockaddr, unsigned len) {
	memset(out, 0, sizeof(*out));
	sa_family_t family;
	if (len < sizeof(family)) {
		return false;
	}
	memcpy(&family, sockaddr, sizeof(family));
	if (family == AF_UNIX) {
		out->local = true;
		return true;
	}
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;
		memcpy(&sin, sockaddr, sizeof(sin));
		out->bytes[10] = out->bytes[11] = 0xff;
		memcpy(&out->bytes[12], &sin.sin_addr, 4);
		return true;
	}
	if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sockaddr, sizeof(sin6));
		memcpy(out->bytes, &sin6.sin6_addr, 16);
		static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(out->bytes, v4mapped, sizeof(v4mapped)) != 0) {
			// Not an IPv4 peer on a dual-stack socket: one host holds a /64.
			memset(&out->bytes[8], 0, 8);
			static const uint8_t loopback[16] = { [15] = 1 };
			if (memcmp(&sin6.sin6_addr, loopback, 16) == 0) {
				out->bytes[15] = 1; // ::1 stays itself, not ::/64
			}
		}
		return true;
	}
	return false;
}

static bool source_addr_is_loopback(const struct spb_source_addr *addr) {
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t loopback6[16] = { [15] = 1 };
	if (addr->local || memcmp(addr->bytes, loopback6, 16) == 0) {
		return true;
	}
	return memcmp(addr->bytes, v4mapped, sizeof(v4mapped)) == 0 && addr->bytes[12] == 127;
}

static bool same_addr(const struct spb_source_addr *a, const struct spb_source_addr *b) {
	return a->local == b->local && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static struct spb_source *find_source(
		const struct spb_admission *adm, const struct spb_source_addr *addr) {
	for (int i = 0; i < SPB_ADMISSION_MAX_SOURCES; i++) {
		const struct spb_source *s = &adm->sources[i];
		if (s->used && same_addr(&s->addr, addr)) {
			return (struct spb_source *)s;
		}
	}
	return NULL;
}

/*
 * A slot for a new source: a free one, else the least recently seen source
 * with nothing open, preferring one no longer penalized. One always exists:
 * at most MAX_UNAUTH sources have connections open.
 */
static struct spb_source *add_source(struct spb_admission *adm,
		const struct spb_source_addr *addr, int64_t now_ms) {
	struct spb_source *best = NULL;
	for (int i = 0; i < SPB_ADMISSION_MAX_SOURCES; i++) {
		struct spb_source *s = &adm->sources[i];
		if (!s->used) {
			best = s;
			break;
		}
		if (s->unauth > 0) {
			continue;
		}
		bool s_penalized = s->penalty_until_ms > now_ms;
		bool best_penalized = best != NULL && best->penalty_until_ms > now_ms;
		if (best == NULL || (best_penalized && !s_penalized) ||
				(best_penalized == s_penalized && s->last_seen_ms < best->last_seen_ms)) {
			best = s;
		}
	}
	if (best == NULL) {
		return NULL;
	}
	memset(best, 0, sizeof(*best));
	best->used = true;
	best->addr = *addr;
	best->last_seen_ms = now_ms;
	return best;
}

enum spb_admit spb_admission_connect(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms) {
	struct spb_source *s = find_source(adm, addr);
	if (s != NULL) {
		s->last_seen_ms = now_ms;
		if (s->penalty_until_ms > now_ms) {
			return SPB_REFUSE_PENALTY;
		}
		if (s->unauth >= SPB_ADMISSION_MAX_UNAUTH_PER_SOURCE) {
			return SPB_REFUSE_SOURCE;
		}
	}
	if (adm->unauth >= SPB_ADMISSION_MAX_UNAUTH) {
		return SPB_REFUSE_TOTAL;
	}
	if (s == NULL && (s = add_source(adm, addr, now_ms)) == NULL) {
		return SPB_REFUSE_TOTAL;
	}
	s->unauth++;
	adm->unauth++;
	return SPB_ADMIT;
}

/* The source of an admitted connection that ends its unauthenticated time. */
static struct spb_source *settle(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms) {
	struct spb_source *s = find_source(adm, addr);
	if (s == NULL || s->unauth == 0) {
		return NULL; // not admitted here: nothing to count
	}
	s->unauth--;
	adm->unauth--;
	s->last_seen_ms = now_ms;
	return s;
}

void spb_admission_authenticated(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms) {
	struct spb_source *s = settle(adm, addr, now_ms);
	if (s != NULL) {
		s->failures = 0;
		s->penalty_until_ms = 0;
	}
}

int64_t spb_admission_failed(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms) {
	struct spb_source *s = settle(adm, addr, now_ms);
	if (s == NULL) {
		return 0;
	}
	if (s->failures < 1000) {
		s->failures++;
	}
	if (adm->exempt_loopback && source_addr_is_loopback(addr)) {
		return 0;
	}
	int over = s->failures - SPB_ADMISSION_FREE_FAILURES;
	if (over <= 0) {
		return 0;
	}
	int64_t penalty = SPB_ADMISSION_PENALTY_MS;
	for (int i = 1; i < over && penalty < SPB_ADMISSION_PENALTY_MAX_MS; i++) {
		penalty *= 2;
	}
	if (penalty > SPB_ADMISSION_PENALTY_MAX_MS) {
		penalty = SPB_ADMISSION_PENALTY_MAX_MS;
	}
	s->penalty_until_ms = now_ms + penalty;
	return penalty;
}

void spb_admission_closed(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms) {
	settle(adm, addr, now_ms);
}

int spb_admission_failures(
		const struct spb_admission *adm, const struct spb_source_addr *addr) {
	const struct spb_source *s = find_source(adm, addr);
	return s != NULL ? s->failures : 0;
}

void spb_ratelimit_init(struct spb_ratelimit *rl, int burst, int64_t interval_ms) {
	*rl = (struct spb_ratelimit){
		.burst = burst,
		.interval_ms = interval_ms,
		.window_start_ms = INT64_MIN,
	};
}

bool spb_ratelimit_allow(struct spb_ratelimit *rl, int64_t now_ms, int *suppressed) {
	*suppressed = 0;
	if (rl->window_start_ms == INT64_MIN || now_ms - rl->window_start_ms >= rl->interval_ms ||
			now_ms < rl->window_start_ms) {
		*suppressed = rl->suppressed;
		rl->window_start_ms = now_ms;
		rl->used = 0;
		rl->suppressed = 0;
	}
	if (rl->used < rl->burst) {
		rl->used++;
		return true;
	}
	rl->suppressed++;
	return false;
}
