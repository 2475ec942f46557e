/* SPDX-License-Identifier: MIT */
/*
 * The relay's two certificate authorities (agents, users) and the
 * requester side of enrollment.
 *
 * A CA is an ECDSA P-256 key and a self-signed certificate in the relay's
 * state directory (<name>.key mode 0600, <name>.crt), made on first start.
 * It signs CSRs whose self-signature verifies; the certificate's subject is
 * set by the CA (the agent or user name), never copied from the CSR, with a
 * fresh 128-bit random serial and client-auth extensions.  Users receive a
 * key and certificate as a password-protected PKCS#12 file (AES-256-CBC,
 * PBKDF2: OpenSSL 3's defaults).  The relay checks peers with an X509_STORE
 * of both CA certificates, then maps the peer by serial and fingerprint
 * (sl_cert_info) to its row in the state store.
 *
 * Errors: int functions return 0 or -errno, pointer functions NULL; both
 * put a reason in why.
 */
#ifndef SL_CA_H
#define SL_CA_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "tls.h"

#define SL_CA_SERIAL_STRLEN 41	/* up to 20 bytes as lower-case hex + NUL */
#define SL_CA_CN_MAX 63
#define SL_CA_AGENT "agent-ca"	/* file names in the state directory */
#define SL_CA_USER "user-ca"

struct sl_ca;

/* What the relay needs to know about a certificate. */
struct sl_cert_info {
	char serial[SL_CA_SERIAL_STRLEN];	/* lower-case hex, no colons */
	char cn[SL_CA_CN_MAX + 1];		/* subject CN */
	char fingerprint[SL_FP_STRLEN];		/* SPKI SHA-256 */
	time_t not_before;
	time_t not_after;
};

/*
 * Loads dir/<name>.key and dir/<name>.crt, or makes both when neither
 * exists (cn is the CA certificate's subject, e.g. "sluice agent CA";
 * valid 20 years).  Refuses a key file that group or others may read, a
 * half-present pair, or a key that does not match the certificate.  Free
 * with sl_ca_free().  *created (may be NULL) says whether it was made now.
 */
struct sl_ca *sl_ca_load_or_create(const char *dir, const char *name,
				   const char *cn, bool *created, char *why,
				   size_t whylen);
void sl_ca_free(struct sl_ca *ca);		/* NULL-safe */
/* The CA certificate (owned by ca) and the path of its PEM file. */
X509 *sl_ca_cert(const struct sl_ca *ca);
const char *sl_ca_cert_path(const struct sl_ca *ca);

/*
 * Signs a CSR (PEM or DER, told apart by content) after verifying its
 * self-signature.  The certificate gets subject CN=cn, validity from now-1h
 * to now+days, basicConstraints CA:FALSE, keyUsage digitalSignature,
 * extendedKeyUsage clientAuth, subject and authority key identifiers.  The
 * CSR's subject and extensions are ignored.  Returns the certificate (free
 * with X509_free) and fills info (may be NULL).
 */
X509 *sl_ca_sign_csr(struct sl_ca *ca, const void *csr, size_t len,
		     const char *cn, unsigned int days,
		     struct sl_cert_info *info, char *why, size_t whylen);

/*
 * Issues a user credential: a fresh P-256 key and a certificate for cn,
 * written as a PKCS#12 file at p12_path (mode 0600, atomically) protected
 * by password.  The key exists only in that file.
 */
int sl_ca_issue_p12(struct sl_ca *ca, const char *cn, unsigned int days,
		    const char *password, const char *p12_path,
		    struct sl_cert_info *info, char *why, size_t whylen);

/* ---- certificates ---- */

/* Serial, CN, SPKI fingerprint and validity of x. */
int sl_cert_info_get(X509 *x, struct sl_cert_info *info);
/* PEM of x into a malloc'd NUL-terminated buffer (free()), length in *len. */
int sl_cert_to_pem(X509 *x, char **pem, size_t *len);
/* PEM or DER bytes (a received certificate) into an X509. */
X509 *sl_cert_parse(const void *buf, size_t len);
/* Writes x as PEM at path (mode 0644, atomically). */
int sl_cert_save(X509 *x, const char *path);
X509 *sl_cert_load(const char *path);

/*
 * An X509_STORE trusting exactly the given CA certificate files (PEM), for
 * SSL_CTX_set1_verify_cert_store() on the relay's server context.  Free
 * with X509_STORE_free.
 */
X509_STORE *sl_ca_store_new(const char *const *ca_paths, size_t n, char *why,
			    size_t whylen);
/*
 * Verifies leaf (with optional untrusted intermediates) against store for
 * TLS client authentication at time now (0: the current time).  0 or
 * -EKEYREJECTED with the verifier's reason in why.
 */
int sl_ca_verify(X509_STORE *store, X509 *leaf, STACK_OF(X509) *chain,
		 time_t now, char *why, size_t whylen);

/*
 * Server side of mutual TLS: ctx verifies peer certificates against store
 * (which ctx takes a reference of) for the client purpose.  require: a
 * peer without a certificate fails the handshake; without it (enrollment
 * shares the listener) such a peer gets through with no peer certificate.
 */
int sl_ca_ctx_verify_peers(SSL_CTX *ctx, X509_STORE *store, bool require);
/*
 * After the handshake: info of the peer's verified certificate.  -ENOENT
 * when the peer sent none, -EKEYREJECTED when it did not verify.
 */
int sl_ca_peer_info(SSL *ssl, struct sl_cert_info *info);
/* True when ca signed x: tells agent from user certificates. */
bool sl_ca_issued(const struct sl_ca *ca, X509 *x);

/* ---- requester side (agent enrollment) ---- */

/*
 * Loads the private key at path, or makes a P-256 key there (mode 0600)
 * when the file does not exist.  An existing key readable by others is
 * refused.  Free with EVP_PKEY_free.
 */
EVP_PKEY *sl_key_load_or_create(const char *path, char *why, size_t whylen);
/*
 * A CSR for key with subject CN=cn (informative: the CA sets its own), in
 * DER, malloc'd into *der (free()), length in *len.
 */
int sl_csr_make(EVP_PKEY *key, const char *cn, unsigned char **der,
		size_t *len, char *why, size_t whylen);

/*
 * Opens a PKCS#12 file with password (client side): key and certificate,
 * to free with EVP_PKEY_free and X509_free.  -EACCES when the password is
 * wrong or the file is damaged (PKCS#12 cannot tell them apart).
 */
int sl_p12_load(const char *path, const char *password, EVP_PKEY **key,
		X509 **cert, char *why, size_t whylen);

#endif
