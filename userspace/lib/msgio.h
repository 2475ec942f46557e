/* SPDX-License-Identifier: MIT */
/* Whole messages over a blocking TLS connection (agent and client side). */
#ifndef SL_MSGIO_H
#define SL_MSGIO_H

#include <openssl/ssl.h>
#include <stddef.h>

#include "wire.h"

/* Writes msg whole.  0, or -EIO when the connection failed. */
int sl_msg_send(SSL *ssl, struct nl_msg *msg);
/* Builds nothing: frees msg after sending it (NULL msg gives -ENOMEM). */
int sl_msg_send_free(SSL *ssl, struct nl_msg *msg);

/*
 * Reads one message into buf (SLUICE_MSG_MAX bytes) and parses it into m.
 * Returns 0; -ECONNRESET when the peer closed; -ETIMEDOUT when the socket's
 * receive timeout expired first; -EBADMSG (reason in why) on a malformed
 * message; -EIO on a TLS or socket error.
 */
int sl_msg_recv(SSL *ssl, void *buf, struct sl_msg_in *m, char *why,
		size_t whylen);

#endif
