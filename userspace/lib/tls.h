/* SPDX-License-Identifier: MIT */
/*
 * TLS for sluice: the relay's appliance identity (ECDSA P-256 key and
 * self-signed certificate, made on first start), OpenSSL contexts for both
 * ends, SPKI SHA-256 fingerprints and the pin store of agents and clients.
 */
#ifndef SL_TLS_H
#define SL_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "sha256:" and 64 lower-case hex digits. */
#define SL_FP_STRLEN 72

/*
 * Makes dir/relay.key (mode 0600) and dir/relay.crt unless both exist.
 * Returns 1 when it created them, 0 when they existed, -errno on failure
 * with a reason in why.
 */
int sl_tls_identity_ensure(const char *dir, char *why, size_t whylen);

/* TLS 1.3 server context with the identity in key/cert; NULL + why. */
SSL_CTX *sl_tls_server_ctx(const char *key, const char *cert, char *why,
			   size_t whylen);
/* TLS 1.3 client context; the relay is authenticated by its pin. */
SSL_CTX *sl_tls_client_ctx(char *why, size_t whylen);
/*
 * Data legs (one TLS connection per relayed stream, first message ATTACH)
 * use TLS 1.2 with these AEAD suites, so that OpenSSL 3.0 can hand both
 * directions to kernel TLS (docs/datapath.md, "kernel TLS with splice").
 */
#define SL_TLS_DATA_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
/*
 * The agent's and the client's data-leg context: TLS 1.2 only, the suites
 * above, SSL_OP_ENABLE_KTLS (OpenSSL falls back to userspace by itself
 * where the kernel has no TLS), no tickets, no renegotiation, no client
 * certificate (the ATTACH token authenticates the leg).  NULL + why.
 */
SSL_CTX *sl_tls_data_ctx(char *why, size_t whylen);
/*
 * Lets a TLS 1.3 server context accept TLS 1.2 with SL_TLS_DATA_CIPHERS
 * too, and turns SSL_OP_ENABLE_KTLS on for connections that will not
 * negotiate TLS 1.3.  The caller refuses anything but ATTACH on a TLS 1.2
 * connection.  0 or -EINVAL with why.
 */
int sl_tls_server_allow_data_legs(SSL_CTX *ctx, char *why, size_t whylen);
/*
 * What a server keeps of a client certificate after the handshake.  By
 * default OpenSSL keeps the decoded certificate in the session and again
 * in the verified chain for the connection's whole life, about 5 KiB per
 * connection.  sl_tls_server_keep_no_chain() has the context verify
 * client chains as before (verify mode, callback and store unchanged,
 * SSL_get_verify_result() as before) but keep no verified chain
 * (SSL_get0_verified_chain() gives NULL).  Then sl_tls_forget_peer(),
 * on a connection whose handshake is done, drops the certificate too:
 * SSL_get0_peer_certificate() gives NULL from then on, the traffic keys
 * and the cipher stay.  *spare is a context the connection moves to, made
 * on first use and kept by the caller (SSL_CTX_free at the end).
 * 0, or -errno with the connection as usable as before.
 */
void sl_tls_server_keep_no_chain(SSL_CTX *ctx);
int sl_tls_forget_peer(SSL *ssl, SSL_CTX **spare);
/* Presents cert (with key) to the relay: agents and users, mutual TLS. */
int sl_tls_ctx_use_identity(SSL_CTX *ctx, EVP_PKEY *key, X509 *cert, char *why,
			    size_t whylen);

/* SPKI SHA-256 of a certificate as "sha256:<hex>". 0 or -EINVAL. */
int sl_tls_fingerprint(X509 *cert, char out[SL_FP_STRLEN]);
int sl_tls_fingerprint_file(const char *cert_path, char out[SL_FP_STRLEN]);
/* Normalises "sha256:AB:CD...", "AB CD ..." or hex into "sha256:<hex>". */
int sl_tls_fingerprint_parse(const char *s, char out[SL_FP_STRLEN]);

/*
 * Checks the relay's fingerprint fp for relay_id ("host:port").  With
 * expected set (from configuration) it must match.  Otherwise the pin file
 * decides: a known relay must match its pin, an unknown one is pinned now
 * (trust on first use; *pinned_now is set).  A mismatch returns -EPERM with
 * both fingerprints and the fix in why.
 */
int sl_pin_check(const char *pin_file, const char *relay_id, const char *fp,
		 const char *expected, bool *pinned_now, char *why,
		 size_t whylen);

/* Expiry of a PEM certificate as a Unix time; 0 if unreadable. */
time_t sl_tls_cert_not_after(const char *cert_path);

/* Refuses a private key file that group or others may read. */
int sl_key_perms_check(const char *path, char *why, size_t whylen);

/*
 * Dials host:port, runs the TLS handshake and checks the pin; the socket
 * stays blocking with SO_RCVTIMEO/SO_SNDTIMEO of timeout_ms.  Returns an SSL
 * (its fd owned by it: free with sl_tls_close) or NULL with -errno in *err
 * and a reason in why.
 */
SSL *sl_tls_dial(SSL_CTX *ctx, const char *host, uint16_t port, int timeout_ms,
		 const char *pin_file, const char *expected_fp, int *err,
		 char *why, size_t whylen);
/* Sends close_notify when possible, closes the fd, frees the SSL. */
void sl_tls_close(SSL *ssl);

#endif
