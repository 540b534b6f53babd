/*
 * Who may open a SPICE connection, and how fast: bounds on connections that
 * have not authenticated yet (in total and per source address, as OpenSSH's
 * MaxStartups) and a penalty that doubles for a source that keeps failing to
 * log in (as OpenSSH's PerSourcePenalties). Also a limiter for repeated log
 * lines. Pure: times are inputs, so it is unit-tested and fuzzed alone.
 */
#ifndef WLR_SPICE_ADMISSION_H
#define WLR_SPICE_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

/* Sources remembered at once; more than WLR_SPICE_ADMISSION_MAX_UNAUTH, so an
 * unauthenticated connection always finds its source's slot. */
#define WLR_SPICE_ADMISSION_MAX_SOURCES 256
/* Unauthenticated connections at once, from all sources. */
#define WLR_SPICE_ADMISSION_MAX_UNAUTH 128
/* ... and from one source: a client opens 6 to 8 channels at once, more with
 * several monitors, each unauthenticated for a moment. */
#define WLR_SPICE_ADMISSION_MAX_UNAUTH_PER_SOURCE 32
/* Failed logins a source gets for free before penalties start. */
#define WLR_SPICE_ADMISSION_FREE_FAILURES 3
/* The first penalty; each further failure doubles it, up to the cap. */
#define WLR_SPICE_ADMISSION_PENALTY_MS 2000
#define WLR_SPICE_ADMISSION_PENALTY_MAX_MS 600000

/*
 * A source address: IPv4 as IPv4-mapped IPv6, IPv6 cut to its /64 (one
 * host usually holds a whole /64), and every unix socket peer as one local
 * source.
 */
struct wlr_spice_source_addr {
	uint8_t bytes[16];
	bool local; // unix socket peer
};

enum wlr_spice_admit {
	WLR_SPICE_ADMIT,
	WLR_SPICE_REFUSE_PENALTY, // the source is being penalized
	WLR_SPICE_REFUSE_SOURCE, // the source has too many unauthenticated connections
	WLR_SPICE_REFUSE_TOTAL, // too many unauthenticated connections in all
};

struct wlr_spice_source {
	struct wlr_spice_source_addr addr;
	bool used;
	int unauth; // its connections not authenticated yet
	int failures; // failed logins since its last success
	int64_t penalty_until_ms;
	int64_t last_seen_ms;
};

struct wlr_spice_admission {
	bool exempt_loopback; // no penalties for loopback and unix socket peers
	int unauth;
	struct wlr_spice_source sources[WLR_SPICE_ADMISSION_MAX_SOURCES];
};

void wlr_spice_admission_init(struct wlr_spice_admission *adm, bool exempt_loopback);

/*
 * Fills *out from a peer address (struct sockaddr of len bytes); false for a
 * family other than IPv4, IPv6 and unix.
 */
bool wlr_spice_source_addr_from_sockaddr(
		struct wlr_spice_source_addr *out, const void *sockaddr, unsigned len);

/* A connection arrived: admitted (then it counts as unauthenticated) or not. */
enum wlr_spice_admit wlr_spice_admission_connect(
		struct wlr_spice_admission *adm, const struct wlr_spice_source_addr *addr, int64_t now_ms);
/* An admitted connection authenticated: the source's failures are forgiven. */
void wlr_spice_admission_authenticated(
		struct wlr_spice_admission *adm, const struct wlr_spice_source_addr *addr, int64_t now_ms);
/*
 * An admitted connection ended (closed, or out of grace time) without
 * authenticating. Returns the penalty it starts for the source in ms, 0 if
 * none.
 */
int64_t wlr_spice_admission_failed(
		struct wlr_spice_admission *adm, const struct wlr_spice_source_addr *addr, int64_t now_ms);
/* An admitted connection ended without authenticating, through no fault of
 * its own (spice-wl cut it, or could not hand it over): counted as nothing. */
void wlr_spice_admission_closed(
		struct wlr_spice_admission *adm, const struct wlr_spice_source_addr *addr, int64_t now_ms);
/* How many failed logins the source has to its name. */
int wlr_spice_admission_failures(
		const struct wlr_spice_admission *adm, const struct wlr_spice_source_addr *addr);

/* At most `burst` lines per `interval_ms`; the rest are counted. */
struct wlr_spice_ratelimit {
	int burst;
	int64_t interval_ms;
	int64_t window_start_ms;
	int used;
	int suppressed;
};

void wlr_spice_ratelimit_init(struct wlr_spice_ratelimit *rl, int burst, int64_t interval_ms);
/*
 * Whether a line may be logged now. When a new window opens after lines were
 * suppressed, *suppressed says how many (report them), else it is 0.
 */
bool wlr_spice_ratelimit_allow(struct wlr_spice_ratelimit *rl, int64_t now_ms, int *suppressed);

#endif
