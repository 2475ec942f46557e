/* SPDX-License-Identifier: MIT */
/*
 * What the agent and the client both do towards the relay: the HELLO
 * exchange on a control connection, opening and attaching a data leg, and
 * running one session's pump in the calling thread.
 */
#ifndef SL_PEER_H
#define SL_PEER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "wire.h"

/* Where the relay is and how it is authenticated. */
struct sl_relay_addr {
	char host[256];
	uint16_t port;
	char fingerprint[80];	/* "" : trust on first use via pin_file */
	char pin_file[1100];
	int timeout_ms;
};

/* What a HELLO_OK said. */
struct sl_hello_ok {
	uint32_t hb_ms;			/* heartbeat interval, >= 100 */
	bool has_secret;		/* to agents: the next secondary id */
	unsigned char secret[SLUICE_SECRET_LEN];
	uint8_t state;			/* to agents: enum sluice_agent_state */
	char domain[SLUICE_DOMAIN_MAX + 1];
};

/*
 * Sends hello (consumed) and waits for HELLO_OK.  Returns 0 with what it
 * said in *ok; -EACCES (credentials), -ENOLCK (locked), -EKEYEXPIRED
 * (disabled or expired), -EPROTO... with the relay's reason in why.
 */
int sl_peer_hello(SSL *ssl, struct nl_msg *hello, struct sl_hello_ok *ok,
		  char *why, size_t whylen);

/*
 * Dials the relay and ATTACHes a data leg for a session.  With err_code
 * set (agent: device unreachable) the ATTACH carries the error and the leg
 * is closed at once (returns NULL, *err = 0).  Otherwise returns the SSL
 * after ATTACH_OK, or NULL with -errno in *err and a reason in why.
 */
SSL *sl_peer_attach(SSL_CTX *ctx, const struct sl_relay_addr *relay,
		    uint64_t session_id, const void *token, size_t token_len,
		    uint32_t err_code, const char *err_msg, int *err, char *why,
		    size_t whylen);

struct sl_worker;

/*
 * The common body of an agent's or a client's session thread once its
 * local socket fd is connected (the device, or the local connection):
 * attaches a data leg, pumps until both directions end, logs what moved
 * (what names the local side in the log), and closes fd and the leg.  fd
 * is registered as socket 0 of w, the leg as socket 1, while they live.
 * Returns 0 when the session ended cleanly, -EPIPE when the leg could not
 * be attached, another -errno when it broke; the bytes moved each way go
 * to *to_relay and *from_relay (both may be NULL).
 */
int sl_peer_session(SSL_CTX *ctx, const struct sl_relay_addr *relay,
		    struct sl_worker *w, int fd, uint64_t session_id,
		    const void *token, size_t token_len, const char *what,
		    uint64_t *to_relay, uint64_t *from_relay);

/*
 * Relays between a plain socket and a data leg until both directions end.
 * Both become non-blocking.  Returns 0 or -errno (reason in why); the bytes
 * each way go to *to_relay / *from_relay.
 */
int sl_peer_pump(int fd, SSL *ssl, uint64_t *to_relay, uint64_t *from_relay,
		 char *why, size_t whylen);


struct sl_conf;

#define SL_STATE_DIR_MAX 1024

/*
 * The configuration keys agent.conf and client.conf share: relay,
 * relay_fingerprint and state_dir.  Returns 0 when key was one of them and
 * its value is good, 1 when key is not one of them, or -EINVAL with the
 * reason in c->err.
 */
int sl_peer_conf_key(struct sl_conf *c, const char *key, const char *value,
		     struct sl_relay_addr *relay, char state_dir[SL_STATE_DIR_MAX]);

/* Heartbeat bookkeeping of a control connection (agent and client). */
struct sl_heartbeat {
	uint64_t interval_ms;
	uint64_t last_rx_ms;
	uint64_t last_tx_ms;
};

void sl_heartbeat_start(struct sl_heartbeat *h, uint32_t interval_ms);
/* Milliseconds until the next heartbeat is due or the peer counts as dead. */
int sl_heartbeat_timeout(const struct sl_heartbeat *h);
/* True when the peer has been silent for three intervals. */
bool sl_heartbeat_dead(const struct sl_heartbeat *h, uint64_t *silent_ms);
/* True when a heartbeat is due; the caller sends it now (counted as sent). */
bool sl_heartbeat_due(struct sl_heartbeat *h);
/* Sends a bare HEARTBEAT if one is due.  0 or -EIO. */
int sl_heartbeat_send_due(struct sl_heartbeat *h, SSL *ssl);

#endif
