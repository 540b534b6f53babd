/*
 * Unit tests for the admission policy: bounds on unauthenticated
 * connections, penalties after failed logins, the loopback exemption and the
 * log line limiter.
 */
// admission.c is included rather than linked, to reach its static functions;
// first, so that its feature test macros come before any system header.
#include "../../backend/admission.c"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <cmocka.h>


static struct spb_source_addr v4(const char *text) {
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, text, &sin.sin_addr);
	struct spb_source_addr a;
	assert_true(spb_source_addr_from_sockaddr(&a, &sin, sizeof(sin)));
	return a;
}

static struct spb_source_addr v6(const char *text) {
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, text, &sin6.sin6_addr);
	struct spb_source_addr a;
	assert_true(spb_source_addr_from_sockaddr(&a, &sin6, sizeof(sin6)));
	return a;
}

static void test_addresses(void **state) {
	struct spb_source_addr a = v4("10.0.0.1"), b = v6("::ffff:10.0.0.1");
	assert_memory_equal(&a, &b, sizeof(a)); // IPv4 the same on a dual-stack socket
	a = v6("2001:db8::1");
	b = v6("2001:db8::2");
	assert_memory_equal(&a, &b, sizeof(a)); // one /64, one source
	b = v6("2001:db8:0:1::1");
	assert_memory_not_equal(&a, &b, sizeof(a));
	a = v4("127.0.0.2");
	assert_true(source_addr_is_loopback(&a));
	a = v6("::1");
	assert_true(source_addr_is_loopback(&a));
	a = v6("::2");
	assert_false(source_addr_is_loopback(&a));
	a = v4("10.0.0.1");
	assert_false(source_addr_is_loopback(&a));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	assert_true(spb_source_addr_from_sockaddr(&a, &sun, sizeof(sa_family_t)));
	assert_true(a.local);
	assert_true(source_addr_is_loopback(&a));
	struct sockaddr sa = { .sa_family = AF_PACKET };
	assert_false(spb_source_addr_from_sockaddr(&a, &sa, sizeof(sa)));
}

static void test_per_source_and_total_bounds(void **state) {
	static struct spb_admission adm;
	spb_admission_init(&adm, false);
	struct spb_source_addr flood = v4("10.0.0.1");
	for (int i = 0; i < SPB_ADMISSION_MAX_UNAUTH_PER_SOURCE; i++) {
		assert_int_equal(spb_admission_connect(&adm, &flood, 0), SPB_ADMIT);
	}
	assert_int_equal(spb_admission_connect(&adm, &flood, 0), SPB_REFUSE_SOURCE);
	// Another source is not affected.
	struct spb_source_addr other = v4("10.0.0.2");
	assert_int_equal(spb_admission_connect(&adm, &other, 0), SPB_ADMIT);
	spb_admission_authenticated(&adm, &other, 0);
	// One that finishes frees its place.
	spb_admission_closed(&adm, &flood, 0);
	assert_int_equal(spb_admission_connect(&adm, &flood, 0), SPB_ADMIT);

	// Many sources: the total bound holds.
	char text[32];
	int admitted = SPB_ADMISSION_MAX_UNAUTH_PER_SOURCE;
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "10.1.%d.%d", i / 250, i % 250);
		struct spb_source_addr a = v4(text);
		if (spb_admission_connect(&adm, &a, 1) == SPB_ADMIT) {
			admitted++;
		}
	}
	assert_int_equal(admitted, SPB_ADMISSION_MAX_UNAUTH);
	assert_int_equal(adm.unauth, SPB_ADMISSION_MAX_UNAUTH);
}

static void test_penalty_doubles_and_resets(void **state) {
	static struct spb_admission adm;
	spb_admission_init(&adm, false);
	struct spb_source_addr a = v4("192.0.2.7");
	int64_t now = 1000;
	for (int i = 0; i < SPB_ADMISSION_FREE_FAILURES; i++) {
		assert_int_equal(spb_admission_connect(&adm, &a, now), SPB_ADMIT);
		assert_int_equal(spb_admission_failed(&adm, &a, now), 0);
	}
	int64_t expected = SPB_ADMISSION_PENALTY_MS;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(spb_admission_connect(&adm, &a, now), SPB_ADMIT);
		int64_t penalty = spb_admission_failed(&adm, &a, now);
		assert_int_equal(penalty, expected);
		// Refused during the penalty, admitted when it ends.
		assert_int_equal(spb_admission_connect(&adm, &a, now + penalty - 1),
				SPB_REFUSE_PENALTY);
		now += penalty;
		expected = expected * 2 > SPB_ADMISSION_PENALTY_MAX_MS ?
				SPB_ADMISSION_PENALTY_MAX_MS : expected * 2;
	}
	assert_int_equal(spb_admission_connect(&adm, &a, now), SPB_ADMIT);
	spb_admission_authenticated(&adm, &a, now);
	assert_int_equal(spb_admission_failures(&adm, &a), 0);
	assert_int_equal(adm.unauth, 0);
	// A connection cut by spice-wl is no failure.
	assert_int_equal(spb_admission_connect(&adm, &a, now), SPB_ADMIT);
	spb_admission_closed(&adm, &a, now);
	assert_int_equal(spb_admission_failures(&adm, &a), 0);
	// Settling what was never admitted changes nothing.
	struct spb_source_addr stranger = v4("192.0.2.8");
	assert_int_equal(spb_admission_failed(&adm, &stranger, now), 0);
	assert_int_equal(adm.unauth, 0);
}

static void test_loopback_exemption(void **state) {
	static struct spb_admission adm;
	struct spb_source_addr lo = v4("127.0.0.1");
	spb_admission_init(&adm, true);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(spb_admission_connect(&adm, &lo, 0), SPB_ADMIT);
		assert_int_equal(spb_admission_failed(&adm, &lo, 0), 0);
	}
	struct spb_source_addr remote = v4("198.51.100.1");
	int64_t penalty = 0;
	for (int i = 0; i <= SPB_ADMISSION_FREE_FAILURES; i++) {
		assert_int_equal(spb_admission_connect(&adm, &remote, 0), SPB_ADMIT);
		penalty = spb_admission_failed(&adm, &remote, 0);
	}
	assert_true(penalty > 0);
	// Without the exemption loopback is penalized like any source.
	spb_admission_init(&adm, false);
	for (int i = 0; i <= SPB_ADMISSION_FREE_FAILURES; i++) {
		assert_int_equal(spb_admission_connect(&adm, &lo, 0), SPB_ADMIT);
		penalty = spb_admission_failed(&adm, &lo, 0);
	}
	assert_true(penalty > 0);
}

static void test_penalties_survive_churn(void **state) {
	static struct spb_admission adm;
	spb_admission_init(&adm, false);
	struct spb_source_addr bad = v4("203.0.113.9");
	for (int i = 0; i <= SPB_ADMISSION_FREE_FAILURES; i++) {
		spb_admission_connect(&adm, &bad, 0);
		spb_admission_failed(&adm, &bad, 0);
	}
	// Fewer new sources than slots, all settled: the penalized one stays.
	char text[32];
	for (int i = 0; i < SPB_ADMISSION_MAX_SOURCES - 1; i++) {
		snprintf(text, sizeof(text), "10.2.%d.%d", i / 250, i % 250);
		struct spb_source_addr a = v4(text);
		assert_int_equal(spb_admission_connect(&adm, &a, 10), SPB_ADMIT);
		spb_admission_authenticated(&adm, &a, 10);
	}
	assert_int_equal(spb_admission_connect(&adm, &bad, 20), SPB_REFUSE_PENALTY);
	// More: settled, unpenalized ones are evicted first.
	for (int i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "10.3.0.%d", i);
		struct spb_source_addr a = v4(text);
		assert_int_equal(spb_admission_connect(&adm, &a, 30), SPB_ADMIT);
		spb_admission_closed(&adm, &a, 30);
	}
	assert_int_equal(spb_admission_connect(&adm, &bad, 40), SPB_REFUSE_PENALTY);
}

static void test_ratelimit(void **state) {
	struct spb_ratelimit rl;
	spb_ratelimit_init(&rl, 3, 1000);
	int suppressed, allowed = 0;
	for (int i = 0; i < 100; i++) {
		if (spb_ratelimit_allow(&rl, 500, &suppressed)) {
			allowed++;
		}
		assert_int_equal(suppressed, 0);
	}
	assert_int_equal(allowed, 3);
	assert_true(spb_ratelimit_allow(&rl, 1500, &suppressed));
	assert_int_equal(suppressed, 97);
	assert_true(spb_ratelimit_allow(&rl, 1501, &suppressed));
	assert_int_equal(suppressed, 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_per_source_and_total_bounds),
		cmocka_unit_test(test_penalty_doubles_and_resets),
		cmocka_unit_test(test_loopback_exemption),
		cmocka_unit_test(test_penalties_survive_churn),
		cmocka_unit_test(test_ratelimit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
