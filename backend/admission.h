/*
 * Who may open a SPICE connection, and how fast: bounds on connections that
 * have not authenticated yet (in total and per source address, as OpenSSH's
 * MaxStartups) and a penalty that doubles for a source that keeps failing to
 * log in (as OpenSSH's PerSourcePenalties). Also a limiter for repeated log
 * lines. Pure: times are inputs, so it is unit-tested and fuzzed alone.
 */
#ifndef SPB_ADMISSION_H
#define SPB_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>

/* Sources remembered at once; more than SPB_ADMISSION_MAX_UNAUTH, so an
 * unauthenticated connection always finds its source's slot. */
#define SPB_ADMISSION_MAX_SOURCES 256
/* Unauthenticated connections at once, from all sources. */
#define SPB_ADMISSION_MAX_UNAUTH 128
/* ... and from one source: a client opens 6 to 8 channels at once, more with
 * several monitors, each unauthenticated for a moment. */
#define SPB_ADMISSION_MAX_UNAUTH_PER_SOURCE 32
/* Failed logins a source gets for free before penalties start. */
#define SPB_ADMISSION_FREE_FAILURES 3
/* The first penalty; each further failure doubles it, up to the cap. */
#define SPB_ADMISSION_PENALTY_MS 2000
#define SPB_ADMISSION_PENALTY_MAX_MS 600000

/*
 * A source address: IPv4 as IPv4-mapped IPv6, IPv6 cut to its /64 (one
 * host usually holds a whole /64), and every unix socket peer as one local
 * source.
 */
struct spb_source_addr {
	uint8_t bytes[16];
	bool local; // unix socket peer
};

enum spb_admit {
	SPB_ADMIT,
	SPB_REFUSE_PENALTY, // the source is being penalized
	SPB_REFUSE_SOURCE, // the source has too many unauthenticated connections
	SPB_REFUSE_TOTAL, // too many unauthenticated connections in all
};

struct spb_source {
	struct spb_source_addr addr;
	bool used;
	int unauth; // its connections not authenticated yet
	int failures; // failed logins since its last success
	int64_t penalty_until_ms;
	int64_t last_seen_ms;
};

struct spb_admission {
	bool exempt_loopback; // no penalties for loopback and unix socket peers
	int unauth;
	struct spb_source sources[SPB_ADMISSION_MAX_SOURCES];
};

void spb_admission_init(struct spb_admission *adm, bool exempt_loopback);

/*
 * Fills *out from a peer address (struct sockaddr of len bytes); false for a
 * family other than IPv4, IPv6 and unix.
 */
bool spb_source_addr_from_sockaddr(
		struct spb_source_addr *out, const void *sockaddr, unsigned len);

/* A connection arrived: admitted (then it counts as unauthenticated) or not. */
enum spb_admit spb_admission_connect(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms);
/* An admitted connection authenticated: the source's failures are forgiven. */
void spb_admission_authenticated(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms);
/*
 * An admitted connection ended (closed, or out of grace time) without
 * authenticating. Returns the penalty it starts for the source in ms, 0 if
 * none.
 */
int64_t spb_admission_failed(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms);
/* An admitted connection ended without authenticating, through no fault of
 * its own (spice-wl cut it, or could not hand it over): counted as nothing. */
void spb_admission_closed(
		struct spb_admission *adm, const struct spb_source_addr *addr, int64_t now_ms);
/* How many failed logins the source has to its name. */
int spb_admission_failures(
		const struct spb_admission *adm, const struct spb_source_addr *addr);

/* At most `burst` lines per `interval_ms`; the rest are counted. */
struct spb_ratelimit {
	int burst;
	int64_t interval_ms;
	int64_t window_start_ms;
	int used;
	int suppressed;
};

void spb_ratelimit_init(struct spb_ratelimit *rl, int burst, int64_t interval_ms);
/*
 * Whether a line may be logged now. When a new window opens after lines were
 * suppressed, *suppressed says how many (report them), else it is 0.
 */
bool spb_ratelimit_allow(struct spb_ratelimit *rl, int64_t now_ms, int *suppressed);

#endif
