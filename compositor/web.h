/*
 * --web: an HTTP(S) server for the packaged spice-html5 and a page of ours
 * that connects it to this session. It runs in a thread of its own; see
 * web.c for why.
 */
#ifndef SWL_WEB_H
#define SWL_WEB_H

#include <stdbool.h>

struct swl_web;

struct swl_web_config {
	const char *addr; // address to listen on (IPv6 without brackets) or a host name
	int port;
	const char *root; // the spice-html5 directory
	int spice_port; // where the page's WebSocket goes: the TLS port with TLS
	bool tls; // HTTPS with cert_file and key_file, and wss to spice_port
	const char *cert_file, *key_file;
	bool password; // the page asks for a password before connecting
};

/*
 * Starts serving; returns NULL after logging why (address in use, bad
 * certificate, no spice-html5). Returns once the port is listening.
 */
struct swl_web *swl_web_create(const struct swl_web_config *config);
/* Stops the server and its thread; every connection is closed. NULL is fine. */
void swl_web_destroy(struct swl_web *web);
/* "http://ADDR:PORT/" (or https), for the readiness lines. */
const char *swl_web_get_url(struct swl_web *web);

#endif
