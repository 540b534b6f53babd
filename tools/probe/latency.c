/*
 * The latency command: wait until the display is quiet, press and release a
 * key, time the next display update; repeated, then summarised.
 */
#include <stdlib.h>
#include "probe.h"

#define DEFAULT_LATENCY_COUNT 10
#define DEFAULT_LATENCY_TIMEOUT_MS 2000
#define LATENCY_QUIET_MS 200
#define MAX_LATENCY_COUNT 10000

/* Latency: quiet display -> key press+release -> next display update. */

static void latency_wait_quiet(struct probe *p) {
	p->latency.sent_at = 0;
	p->wait.quiet_ms = LATENCY_QUIET_MS;
	session_arm_quiet(p);
	clear_source(&p->wait.timeout_source);
	p->wait.timeout_source = g_timeout_add(LATENCY_QUIET_MS + p->latency.timeout_ms,
		session_wait_timeout, p);
}

void latency_send(struct probe *p) {
	if (!inputs_ready(p)) {
		session_complete(p, "error inputs channel not ready");
		return;
	}
	clear_source(&p->wait.timeout_source);
	p->wait.timeout_source = g_timeout_add(p->latency.timeout_ms, session_wait_timeout, p);
	p->latency.sent_at = g_get_monotonic_time();
	p->sent_input = true;
	key_down(p, p->latency.key);
	key_up(p, p->latency.key);
}

static char *latency_summary(struct probe *p) {
	guint n = p->latency.samples->len;
	double *v = (double *)(void *)p->latency.samples->data;
	qsort(v, n, sizeof(*v), compare_double);
	double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
	guint p90_rank = (9 * n + 9) / 10; /* nearest rank: ceil(0.9 n) */
	const double values[] = {median, v[p90_rank - 1], v[0], v[n - 1]};
	char num[G_N_ELEMENTS(values)][G_ASCII_DTOSTR_BUF_SIZE];
	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		g_ascii_formatd(num[i], sizeof(num[i]), "%.1f", values[i]);
	}
	return g_strdup_printf("latency n=%u median_ms=%s p90_ms=%s min_ms=%s max_ms=%s", n,
		num[0], num[1], num[2], num[3]);
}

/* A display update while a latency measurement runs. */
void latency_update(struct probe *p) {
	if (p->latency.sent_at == 0) {
		session_arm_quiet(p); /* not quiet yet */
		return;
	}
	double ms = (double)(g_get_monotonic_time() - p->latency.sent_at) / 1000.0;
	g_array_append_val(p->latency.samples, ms);
	if (p->latency.samples->len < p->latency.count) {
		latency_wait_quiet(p);
		return;
	}
	char *line = latency_summary(p);
	session_complete(p, line);
	g_free(line);
}

/* latency [N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] [--key SCANCODE] */
static enum cmd_result cmd_latency(struct probe *p, int argc, char **argv) {
	long count = DEFAULT_LATENCY_COUNT;
	guint timeout_ms = DEFAULT_LATENCY_TIMEOUT_MS;
	guint key = KEY_A;
	int positional = 0;
	bool ok = true;
	for (int i = 1; ok && i < argc; i++) {
		const char *value = NULL;
		if (take_option(argc, argv, &i, "--count", &value)) {
			ok = parse_long(value, 1, MAX_LATENCY_COUNT, &count);
		} else if (take_option(argc, argv, &i, "--timeout-ms", &value)) {
			ok = parse_ms(value, &timeout_ms);
		} else if (take_option(argc, argv, &i, "--key", &value)) {
			ok = parse_scancode(value, &key);
		} else if (positional == 0) {
			ok = parse_long(argv[i], 1, MAX_LATENCY_COUNT, &count);
			positional++;
		} else if (positional == 1) {
			ok = parse_ms(argv[i], &timeout_ms);
			positional++;
		} else {
			ok = false;
		}
	}
	if (!ok) {
		cmd_reply(p, "error usage: latency [N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] "
			"[--key SCANCODE]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	p->latency.count = (guint)count;
	p->latency.timeout_ms = timeout_ms;
	p->latency.key = key;
	if (p->latency.samples == NULL) {
		p->latency.samples = g_array_new(FALSE, FALSE, sizeof(double));
	}
	g_array_set_size(p->latency.samples, 0);
	p->wait.kind = SESSION_WAIT_LATENCY;
	latency_wait_quiet(p);
	return CMD_PENDING;
}

static const struct session_cmd cmds[] = {
	{"latency", "[N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] [--key SCANCODE]", 0, 8,
		false, cmd_latency, CMD_INPUTS | CMD_CLI},
};

const struct probe_cmd_table probe_latency_cmds = {cmds, G_N_ELEMENTS(cmds)};
