// SPDX-License-Identifier: MIT
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

static void ssl_reason(char *why, size_t whylen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(why, whylen, "%s: %s", what, e ? buf : "unknown OpenSSL error");
	ERR_clear_error();
}

/* Writes PEM through a temporary file, fsync and rename: never half a key. */
static int write_pem_atomic(const char *path, mode_t mode, EVP_PKEY *key,
			    X509 *cert)
{
	char tmp[4096];
	FILE *f;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
		   PEM_write_X509(f, cert);
	if (!ok || fflush(f) || fsync(fd)) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, path) == -1) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static X509 *make_selfsigned(EVP_PKEY *key)
{
	unsigned char serial[16];
	char hostname[256] = "localhost", cn[300];
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = NULL;
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto err;
	serial[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto err;
	gethostname(hostname, sizeof(hostname) - 1);
	snprintf(cn, sizeof(cn), "sluice-relay %s", hostname);
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 24 * 3600) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
		goto err;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:FALSE");
	if (!ext || !X509_add_ext(x, ext, -1)) {
		X509_EXTENSION_free(ext);
		goto err;
	}
	X509_EXTENSION_free(ext);
	if (!X509_sign(x, key, EVP_sha256()))
		goto err;
	BN_free(bn);
	return x;
err:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

int sl_tls_identity_ensure(const char *dir, char *why, size_t whylen)
{
	char key_path[4096], cert_path[4096];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ret;

	snprintf(key_path, sizeof(key_path), "%s/relay.key", dir);
	snprintf(cert_path, sizeof(cert_path), "%s/relay.crt", dir);
	if (access(key_path, F_OK) == 0 && access(cert_path, F_OK) == 0)
		return 0;
	if (access(key_path, F_OK) == 0 || access(cert_path, F_OK) == 0) {
		snprintf(why, whylen,
			 "%s has only one of relay.key and relay.crt; restore the "
			 "missing file, or remove both to make a new identity "
			 "(agents and clients will then refuse the new fingerprint)",
			 dir);
		return -ENOENT;
	}
	key = EVP_EC_gen("P-256");
	if (!key) {
		ssl_reason(why, whylen, "cannot generate the P-256 key");
		return -EIO;
	}
	cert = make_selfsigned(key);
	if (!cert) {
		ssl_reason(why, whylen, "cannot make the self-signed certificate");
		ret = -EIO;
		goto out;
	}
	ret = write_pem_atomic(key_path, 0600, key, NULL);
	if (!ret)
		ret = write_pem_atomic(cert_path, 0644, NULL, cert);
	if (ret) {
		snprintf(why, whylen, "cannot write %s: %s", dir, strerror(-ret));
		unlink(key_path);
		goto out;
	}
	ret = 1;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

int sl_key_perms_check(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen,
			 "%s: private key is readable by others (mode %04o); "
			 "run: chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

static void harden(SSL_CTX *ctx)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
}

SSL_CTX *sl_tls_server_ctx(const char *key, const char *cert, char *why,
			   size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		ssl_reason(why, whylen, "SSL_CTX_new");
		return NULL;
	}
	harden(ctx);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1) {
		ssl_reason(why, whylen, cert);
		goto err;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_reason(why, whylen, key);
		goto err;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_reason(why, whylen, "key and certificate do not match");
		goto err;
	}
	return ctx;
err:
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * A server hello callback: kernel TLS for connections that cannot end up
 * TLS 1.3 (no 1.3 in supported_versions).  Those are data legs, whose
 * both directions OpenSSL 3.0 offloads; a TLS 1.3 connection would get
 * transmit offload only, which helps no path (docs/datapath.md).
 */
static int hello_ktls_cb(SSL *ssl, int *alert, void *arg)
{
	const unsigned char *ext;
	size_t len, i;

	(void)alert;
	(void)arg;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &ext, &len) == 1 &&
	    len >= 1) {
		for (i = 1; i + 1 < len && i < 1 + (size_t)ext[0]; i += 2)
			if (ext[i] == 0x03 && ext[i + 1] >= 0x04)
				return SSL_CLIENT_HELLO_SUCCESS;
	}
	SSL_set_options(ssl, SSL_OP_ENABLE_KTLS);
	return SSL_CLIENT_HELLO_SUCCESS;
}

int sl_tls_server_allow_data_legs(SSL_CTX *ctx, char *why, size_t whylen)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_set_cipher_list(ctx, SL_TLS_DATA_CIPHERS) != 1) {
		ssl_reason(why, whylen, "TLS 1.2 for data legs");
		return -EINVAL;
	}
	SSL_CTX_set_client_hello_cb(ctx, hello_ktls_cb, NULL);
	return 0;
}

SSL_CTX *sl_tls_data_ctx(char *why, size_t whylen)
{
	SSL_CTX *ctx = sl_tls_client_ctx(why, whylen);

	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_set_cipher_list(ctx, SL_TLS_DATA_CIPHERS) != 1) {
		ssl_reason(why, whylen, "data-leg TLS context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

SSL_CTX *sl_tls_client_ctx(char *why, size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		ssl_reason(why, whylen, "SSL_CTX_new");
		return NULL;
	}
	harden(ctx);
	/* The relay's certificate is self-signed: the pin authenticates it. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

/* The chain X509_verify_cert() built holds a reference to the peer's
 * certificate; the session's is enough for SSL_get0_peer_certificate(). */
static int verify_keep_no_chain(X509_STORE_CTX *x, void *arg)
{
	int ok = X509_verify_cert(x);

	(void)arg;
	X509_STORE_CTX_set0_verified_chain(x, NULL);
	return ok > 0 ? ok : 0;
}

void sl_tls_server_keep_no_chain(SSL_CTX *ctx)
{
	SSL_CTX_set_cert_verify_callback(ctx, verify_keep_no_chain, NULL);
}

/*
 * OpenSSL 3.0 has no call that drops a session's peer certificate, but a
 * fresh session with only the version and the cipher replaces it.
 * SSL_set_session() first switches the connection to its context's
 * method, and a server's method after the handshake is the negotiated
 * version's, not TLS_server_method()'s: the switch would remake the
 * record layer and lose the traffic keys ("cipher operation failed" on
 * the next record).  So the connection first moves to a context made for
 * that very method, which leaves the record layer alone.
 */
int sl_tls_forget_peer(SSL *ssl, SSL_CTX **spare)
{
	const SSL_METHOD *method = SSL_get_ssl_method(ssl);
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	SSL_SESSION *fresh;
	int ret = -EPROTO;

	if (!SSL_is_init_finished(ssl) || !cipher)
		return -EINVAL;
	if (!*spare && !(*spare = SSL_CTX_new(method))) {
		ERR_clear_error();
		return -ENOMEM;
	}
	if (SSL_CTX_get_ssl_method(*spare) != method)
		return -EPROTO;
	fresh = SSL_SESSION_new();
	if (!fresh) {
		ERR_clear_error();
		return -ENOMEM;
	}
	if (SSL_SESSION_set_protocol_version(fresh, SSL_version(ssl)) &&
	    SSL_SESSION_set_cipher(fresh, cipher) &&
	    SSL_set_SSL_CTX(ssl, *spare) == *spare && SSL_set_session(ssl, fresh))
		ret = 0;
	SSL_SESSION_free(fresh);
	ERR_clear_error();
	return ret;
}

int sl_tls_fingerprint(X509 *cert, char out[SL_FP_STRLEN])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int len, i;

	/* The certificate's own SubjectPublicKeyInfo bytes: the same DER as
	 * i2d_PUBKEY() of its key, without OpenSSL 3.0's encoder lookup (a
	 * twentieth of an agent login's CPU time). */
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (len <= 0)
		return -EINVAL;
	if (!EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32) {
		OPENSSL_free(der);
		return -EINVAL;
	}
	OPENSSL_free(der);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int sl_tls_fingerprint_file(const char *cert_path, char out[SL_FP_STRLEN])
{
	FILE *f = fopen(cert_path, "re");
	X509 *x;
	int ret;

	if (!f)
		return -errno;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return -EINVAL;
	ret = sl_tls_fingerprint(x, out);
	X509_free(x);
	return ret;
}

int sl_tls_fingerprint_parse(const char *s, char out[SL_FP_STRLEN])
{
	int n = 0;

	if (!strncasecmp(s, "sha256:", 7))
		s += 7;
	memcpy(out, "sha256:", 7);
	for (; *s; s++) {
		char c = *s;

		if (c == ':' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n >= 64)
			return -EINVAL;
		out[7 + n++] = c;
	}
	if (n != 64)
		return -EINVAL;
	out[7 + 64] = '\0';
	return 0;
}

static int pin_lookup(const char *pin_file, const char *relay_id,
		      char found[SL_FP_STRLEN])
{
	char line[512], id[256], fp[128];
	FILE *f = fopen(pin_file, "re");

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%255s %127s", id, fp) == 2 &&
		    !strcmp(id, relay_id) && !sl_tls_fingerprint_parse(fp, found)) {
			fclose(f);
			return 1;
		}
	}
	fclose(f);
	return 0;
}

static int pin_store(const char *pin_file, const char *relay_id, const char *fp)
{
	int fd = open(pin_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	char line[512];
	int n;

	if (fd == -1)
		return -errno;
	n = snprintf(line, sizeof(line), "%s %s\n", relay_id, fp);
	if (write(fd, line, (size_t)n) != n || fsync(fd)) {
		int err = -errno;

		close(fd);
		return err ? err : -EIO;
	}
	close(fd);
	return 0;
}

int sl_pin_check(const char *pin_file, const char *relay_id, const char *fp,
		 const char *expected, bool *pinned_now, char *why,
		 size_t whylen)
{
	char known[SL_FP_STRLEN];
	int ret;

	*pinned_now = false;
	if (expected) {
		if (!strcmp(expected, fp))
			return 0;
		snprintf(why, whylen,
			 "relay %s presented fingerprint %s but the configuration "
			 "expects %s: refusing (if the relay's key really changed, "
			 "update relay_fingerprint)",
			 relay_id, fp, expected);
		return -EPERM;
	}
	ret = pin_lookup(pin_file, relay_id, known);
	if (ret < 0) {
		snprintf(why, whylen, "cannot read pin file %s: %s", pin_file,
			 strerror(-ret));
		return ret;
	}
	if (ret == 1) {
		if (!strcmp(known, fp))
			return 0;
		snprintf(why, whylen,
			 "relay %s presented fingerprint %s but %s is pinned in %s: "
			 "refusing (if the relay's key really changed, remove that "
			 "line from %s)",
			 relay_id, fp, known, pin_file, pin_file);
		return -EPERM;
	}
	ret = pin_store(pin_file, relay_id, fp);
	if (ret) {
		snprintf(why, whylen, "cannot write pin file %s: %s", pin_file,
			 strerror(-ret));
		return ret;
	}
	*pinned_now = true;
	return 0;
}

SSL *sl_tls_dial(SSL_CTX *ctx, const char *host, uint16_t port, int timeout_ms,
		 const char *pin_file, const char *expected_fp, int *err,
		 char *why, size_t whylen)
{
	char relay_id[300], fp[SL_FP_STRLEN];
	bool pinned_now;
	X509 *peer;
	SSL *ssl;
	int fd;

	fd = sl_tcp_connect(host, port, timeout_ms, why, whylen);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	sl_set_timeouts(fd, timeout_ms);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		ssl_reason(why, whylen, "SSL_new");
		*err = -ENOMEM;
		goto err;
	}
	SSL_set_tlsext_host_name(ssl, host);
	if (SSL_connect(ssl) != 1) {
		char what[320];

		snprintf(what, sizeof(what), "TLS handshake with %s:%u failed", host, port);
		ssl_reason(why, whylen, what);
		*err = -ECONNABORTED;
		goto err;
	}
	peer = SSL_get0_peer_certificate(ssl);
	if (!peer || sl_tls_fingerprint(peer, fp)) {
		snprintf(why, whylen, "relay %s:%u sent no usable certificate", host, port);
		*err = -EPROTO;
		goto err;
	}
	snprintf(relay_id, sizeof(relay_id), "%s:%u", host, port);
	*err = sl_pin_check(pin_file, relay_id, fp, expected_fp, &pinned_now, why, whylen);
	if (*err)
		goto err;
	if (pinned_now)
		sl_log_info("pinned relay %s fingerprint %s in %s (trust on first use)",
			    relay_id, fp, pin_file);
	return ssl;
err:
	SSL_free(ssl);
	close(fd);
	return NULL;
}

void sl_tls_close(SSL *ssl)
{
	int fd;

	if (!ssl)
		return;
	fd = SSL_get_fd(ssl);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
}

time_t sl_tls_cert_not_after(const char *cert_path)
{
	FILE *f = fopen(cert_path, "re");
	struct tm tm;
	time_t t = 0;
	X509 *x;

	if (!f)
		return 0;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		t = timegm(&tm);
	X509_free(x);
	return t;
}

int sl_tls_ctx_use_identity(SSL_CTX *ctx, EVP_PKEY *key, X509 *cert, char *why,
			    size_t whylen)
{
	if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		ssl_reason(why, whylen, "the certificate and key do not go together");
		return -EINVAL;
	}
	return 0;
}
