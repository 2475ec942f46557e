// SPDX-License-Identifier: MIT
/*
 * Certificate authorities of the relay and the requester side of
 * enrollment (ca.h).  Everything goes through OpenSSL's X509/EVP/PKCS12
 * APIs; the only policy here is which fields and extensions a certificate
 * gets.
 */
#include "ca.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CA_DAYS (20 * 365)
#define BACKDATE_S 3600		/* tolerate clocks a little behind ours */

struct sl_ca {
	EVP_PKEY *key;
	X509 *cert;
	char cert_path[4096];
};

static void ssl_reason(char *why, size_t whylen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(why, whylen, "%s: %s", what, e ? buf : "unknown OpenSSL error");
	ERR_clear_error();
}

enum out_kind { OUT_KEY = 1, OUT_CERT = 2, OUT_P12 = 3 };

/* Writes through path.tmp, fsync and rename: never half a file. */
static int write_atomic(const char *path, mode_t mode, enum out_kind kind,
			void *obj)
{
	char tmp[4200];
	BIO *b;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1)
		return -errno;
	b = BIO_new_fd(fd, BIO_NOCLOSE);
	switch (kind) {
	case OUT_KEY:
		ok = b && PEM_write_bio_PrivateKey(b, obj, NULL, NULL, 0, NULL,
						   NULL);
		break;
	case OUT_CERT:
		ok = b && PEM_write_bio_X509(b, obj);
		break;
	default:
		ok = b && i2d_PKCS12_bio(b, obj);
	}
	ok = ok && BIO_flush(b) == 1 && fsync(fd) == 0;
	BIO_free(b);
	close(fd);
	if (!ok) {
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, path) == -1) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static time_t asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

int sl_cert_info_get(X509 *x, struct sl_cert_info *info)
{
	BIGNUM *bn;
	char *hex;
	size_t i;

	memset(info, 0, sizeof(*info));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	BN_free(bn);
	if (!hex || strlen(hex) >= sizeof(info->serial)) {
		OPENSSL_free(hex);
		return -EINVAL;
	}
	for (i = 0; hex[i]; i++)
		info->serial[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ?
					 hex[i] - 'A' + 'a' : hex[i]);
	OPENSSL_free(hex);
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
				      info->cn, sizeof(info->cn)) < 0)
		info->cn[0] = '\0';
	info->not_before = asn1_to_time(X509_get0_notBefore(x));
	info->not_after = asn1_to_time(X509_get0_notAfter(x));
	return sl_tls_fingerprint(x, info->fingerprint);
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ok = ext && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int random_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	int ok;

	/* 128 random bits; DER adds a zero byte when the top bit is set. */
	do {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return 0;
	} while (!b[0] && !b[1]);	/* keep it 15-16 bytes, never zero */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return ok;
}

/*
 * A certificate for pub with subject CN=cn, signed by issuer_key; issuer
 * NULL makes it self-signed (a CA).
 */
static X509 *make_cert(EVP_PKEY *pub, const char *cn, unsigned int days,
		       X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (!x || !X509_set_version(x, 2) || !random_serial(x))
		goto err;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) :
					      name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_S) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    !X509_set_pubkey(x, pub))
		goto err;
	if (!issuer) {
		if (!add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
		    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    !add_ext(x, x, NID_subject_key_identifier, "hash"))
			goto err;
		issuer = x;
	} else if (!add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
		   !add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") ||
		   !add_ext(x, issuer, NID_ext_key_usage, "clientAuth") ||
		   !add_ext(x, issuer, NID_subject_key_identifier, "hash")) {
		goto err;
	}
	if (!add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, issuer_key, EVP_sha256()))
		goto err;
	return x;
err:
	X509_free(x);
	return NULL;
}

static EVP_PKEY *read_key(const char *path, char *why, size_t whylen)
{
	EVP_PKEY *key;
	FILE *f;

	if (sl_key_perms_check(path, why, whylen))
		return NULL;
	f = fopen(path, "re");
	if (!f) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		ssl_reason(why, whylen, path);
	return key;
}

X509 *sl_cert_load(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static int ca_load(struct sl_ca *ca, const char *key_path, char *why,
		   size_t whylen)
{
	ca->key = read_key(key_path, why, whylen);
	if (!ca->key)
		return -EPERM;
	ca->cert = sl_cert_load(ca->cert_path);
	if (!ca->cert) {
		ssl_reason(why, whylen, ca->cert_path);
		return -EINVAL;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ssl_reason(why, whylen, "CA key and certificate do not match");
		return -EINVAL;
	}
	return 0;
}

static int ca_create(struct sl_ca *ca, const char *key_path, const char *cn,
		     char *why, size_t whylen)
{
	int ret;

	ca->key = EVP_EC_gen("P-256");
	if (!ca->key) {
		ssl_reason(why, whylen, "cannot generate the CA key");
		return -EIO;
	}
	ca->cert = make_cert(ca->key, cn, CA_DAYS, NULL, ca->key);
	if (!ca->cert) {
		ssl_reason(why, whylen, "cannot make the CA certificate");
		return -EIO;
	}
	ret = write_atomic(key_path, 0600, OUT_KEY, ca->key);
	if (!ret)
		ret = write_atomic(ca->cert_path, 0644, OUT_CERT, ca->cert);
	if (ret) {
		snprintf(why, whylen, "cannot write %s: %s", key_path,
			 strerror(-ret));
		unlink(key_path);
	}
	return ret;
}

struct sl_ca *sl_ca_load_or_create(const char *dir, const char *name,
				   const char *cn, bool *created, char *why,
				   size_t whylen)
{
	struct sl_ca *ca = calloc(1, sizeof(*ca));
	char key_path[4096];
	bool have_key, have_cert;
	int ret;

	if (created)
		*created = false;
	if (!ca) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	snprintf(key_path, sizeof(key_path), "%s/%s.key", dir, name);
	snprintf(ca->cert_path, sizeof(ca->cert_path), "%s/%s.crt", dir, name);
	have_key = access(key_path, F_OK) == 0;
	have_cert = access(ca->cert_path, F_OK) == 0;
	if (have_key != have_cert) {
		snprintf(why, whylen, "%s has only one of %s.key and %s.crt: "
			 "restore the missing file (a new CA would invalidate "
			 "every certificate it issued)", dir, name, name);
		goto err;
	}
	ret = have_key ? ca_load(ca, key_path, why, whylen) :
			 ca_create(ca, key_path, cn, why, whylen);
	if (ret)
		goto err;
	if (created)
		*created = !have_key;
	return ca;
err:
	sl_ca_free(ca);
	return NULL;
}

void sl_ca_free(struct sl_ca *ca)
{
	if (!ca)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca);
}

X509 *sl_ca_cert(const struct sl_ca *ca)
{
	return ca->cert;
}

const char *sl_ca_cert_path(const struct sl_ca *ca)
{
	return ca->cert_path;
}

static bool cn_valid(const char *cn)
{
	return cn && *cn && strlen(cn) <= SL_CA_CN_MAX;
}

/* DESIGN.md: EC keys, or RSA of 2048 bits and more. */
static bool key_acceptable(EVP_PKEY *k)
{
	if (EVP_PKEY_is_a(k, "EC"))
		return EVP_PKEY_get_bits(k) >= 256;
	if (EVP_PKEY_is_a(k, "RSA"))
		return EVP_PKEY_get_bits(k) >= 2048;
	return EVP_PKEY_is_a(k, "ED25519");
}

static X509 *issue(struct sl_ca *ca, EVP_PKEY *pub, const char *cn,
		   unsigned int days, struct sl_cert_info *info, char *why,
		   size_t whylen)
{
	X509 *x;

	if (!cn_valid(cn) || !days) {
		snprintf(why, whylen, "bad certificate name \"%s\" or validity",
			 cn ? cn : "");
		return NULL;
	}
	x = make_cert(pub, cn, days, ca->cert, ca->key);
	if (!x) {
		ssl_reason(why, whylen, "cannot sign the certificate");
		return NULL;
	}
	if (info && sl_cert_info_get(x, info)) {
		snprintf(why, whylen, "cannot read back the certificate");
		X509_free(x);
		return NULL;
	}
	return x;
}

static X509_REQ *parse_csr(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	X509_REQ *req = NULL;
	BIO *b;

	if (len > 11 && !memcmp(buf, "-----BEGIN ", 11)) {
		b = BIO_new_mem_buf(buf, (int)len);
		if (b)
			req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
		BIO_free(b);
		return req;
	}
	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (req && p != (const unsigned char *)buf + len) {
		X509_REQ_free(req);	/* trailing bytes */
		return NULL;
	}
	return req;
}

X509 *sl_ca_sign_csr(struct sl_ca *ca, const void *csr, size_t len,
		     const char *cn, unsigned int days,
		     struct sl_cert_info *info, char *why, size_t whylen)
{
	EVP_PKEY *pub;
	X509_REQ *req;
	X509 *x = NULL;

	if (!csr || !len || len > 65536) {
		snprintf(why, whylen, "empty or oversized CSR");
		return NULL;
	}
	req = parse_csr(csr, len);
	if (!req) {
		ssl_reason(why, whylen, "CSR does not parse");
		return NULL;
	}
	pub = X509_REQ_get0_pubkey(req);
	if (!pub) {
		ssl_reason(why, whylen, "CSR has no usable public key");
		goto out;
	}
	/* Proof of possession: the requester signed it with that key. */
	if (X509_REQ_verify(req, pub) != 1) {
		ssl_reason(why, whylen, "CSR signature does not verify");
		goto out;
	}
	if (!key_acceptable(pub)) {
		snprintf(why, whylen, "CSR key too weak (%d-bit %s)",
			 EVP_PKEY_get_bits(pub), EVP_PKEY_get0_type_name(pub));
		goto out;
	}
	x = issue(ca, pub, cn, days, info, why, whylen);
out:
	X509_REQ_free(req);
	return x;
}

int sl_ca_issue_p12(struct sl_ca *ca, const char *cn, unsigned int days,
		    const char *password, const char *p12_path,
		    struct sl_cert_info *info, char *why, size_t whylen)
{
	PKCS12 *p12 = NULL;
	EVP_PKEY *key;
	X509 *x = NULL;
	int ret = -EIO;

	if (!password || !*password) {
		snprintf(why, whylen, "a PKCS#12 file needs a password");
		return -EINVAL;
	}
	key = EVP_EC_gen("P-256");
	if (!key) {
		ssl_reason(why, whylen, "cannot generate the user key");
		return -EIO;
	}
	x = issue(ca, key, cn, days, info, why, whylen);
	if (!x) {
		ret = -EINVAL;
		goto out;
	}
	/* NID 0 and iter 0: OpenSSL 3 defaults, AES-256-CBC with PBKDF2. */
	p12 = PKCS12_create(password, cn, key, x, NULL, 0, 0, 0, 0, 0);
	if (!p12) {
		ssl_reason(why, whylen, "cannot make the PKCS#12 file");
		goto out;
	}
	ret = write_atomic(p12_path, 0600, OUT_P12, p12);
	if (ret)
		snprintf(why, whylen, "cannot write %s: %s", p12_path,
			 strerror(-ret));
out:
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

int sl_cert_to_pem(X509 *x, char **pem, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ret = -ENOMEM;

	if (!b || !PEM_write_bio_X509(b, x))
		goto out;
	n = BIO_get_mem_data(b, &data);
	*pem = malloc((size_t)n + 1);
	if (!*pem)
		goto out;
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
	ret = 0;
out:
	BIO_free(b);
	return ret;
}

X509 *sl_cert_parse(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	X509 *x = NULL;
	BIO *b;

	if (len > 11 && !memcmp(buf, "-----BEGIN ", 11)) {
		b = BIO_new_mem_buf(buf, (int)len);
		if (b)
			x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		return x;
	}
	return d2i_X509(NULL, &p, (long)len);
}

int sl_cert_save(X509 *x, const char *path)
{
	return write_atomic(path, 0644, OUT_CERT, x);
}

X509_STORE *sl_ca_store_new(const char *const *ca_paths, size_t n, char *why,
			    size_t whylen)
{
	X509_STORE *st = X509_STORE_new();
	size_t i;
	X509 *x;

	if (!st) {
		ssl_reason(why, whylen, "X509_STORE_new");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		x = sl_cert_load(ca_paths[i]);
		if (!x || !X509_STORE_add_cert(st, x)) {
			ssl_reason(why, whylen, ca_paths[i]);
			X509_free(x);
			X509_STORE_free(st);
			return NULL;
		}
		X509_free(x);	/* the store holds its own reference */
	}
	return st;
}

int sl_ca_verify(X509_STORE *store, X509 *leaf, STACK_OF(X509) *chain,
		 time_t now, char *why, size_t whylen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ret = -EKEYREJECTED;

	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, chain)) {
		ssl_reason(why, whylen, "X509_STORE_CTX");
		X509_STORE_CTX_free(ctx);
		return -ENOMEM;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	if (now)
		X509_STORE_CTX_set_time(ctx, 0, now);
	if (X509_verify_cert(ctx) == 1)
		ret = 0;
	else
		snprintf(why, whylen, "certificate refused: %s",
			 X509_verify_cert_error_string(
				 X509_STORE_CTX_get_error(ctx)));
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return ret;
}

int sl_ca_ctx_verify_peers(SSL_CTX *ctx, X509_STORE *store, bool require)
{
	if (!SSL_CTX_set1_verify_cert_store(ctx, store) ||
	    !X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(ctx),
					   X509_PURPOSE_SSL_CLIENT)) {
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
			   (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	return 0;
}

int sl_ca_peer_info(SSL *ssl, struct sl_cert_info *info)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);

	if (!peer)
		return -ENOENT;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return -EKEYREJECTED;
	return sl_cert_info_get(peer, info);
}

bool sl_ca_issued(const struct sl_ca *ca, X509 *x)
{
	bool ok = X509_check_issued(ca->cert, x) == X509_V_OK &&
		  X509_verify(x, ca->key) == 1;

	ERR_clear_error();
	return ok;
}

EVP_PKEY *sl_key_load_or_create(const char *path, char *why, size_t whylen)
{
	EVP_PKEY *key;
	int ret;

	if (access(path, F_OK) == 0)
		return read_key(path, why, whylen);
	key = EVP_EC_gen("P-256");
	if (!key) {
		ssl_reason(why, whylen, "cannot generate a P-256 key");
		return NULL;
	}
	ret = write_atomic(path, 0600, OUT_KEY, key);
	if (ret) {
		snprintf(why, whylen, "cannot write %s: %s", path,
			 strerror(-ret));
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

int sl_csr_make(EVP_PKEY *key, const char *cn, unsigned char **der,
		size_t *len, char *why, size_t whylen)
{
	X509_REQ *req = X509_REQ_new();
	unsigned char *out = NULL;
	int n, ret = -EIO;

	if (!cn_valid(cn)) {
		snprintf(why, whylen, "bad CSR name \"%s\"", cn ? cn : "");
		X509_REQ_free(req);
		return -EINVAL;
	}
	if (!req || !X509_REQ_set_version(req, 0) ||
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
					MBSTRING_UTF8, (const unsigned char *)cn,
					-1, -1, 0) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_sign(req, key, EVP_sha256())) {
		ssl_reason(why, whylen, "cannot make the CSR");
		goto out;
	}
	n = i2d_X509_REQ(req, &out);
	if (n <= 0) {
		ssl_reason(why, whylen, "cannot encode the CSR");
		goto out;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(*der, out, (size_t)n);
	*len = (size_t)n;
	ret = 0;
out:
	OPENSSL_free(out);
	X509_REQ_free(req);
	return ret;
}

int sl_p12_load(const char *path, const char *password, EVP_PKEY **key,
		X509 **cert, char *why, size_t whylen)
{
	PKCS12 *p12 = NULL;
	BIO *b;
	int ret = -EACCES;

	*key = NULL;
	*cert = NULL;
	b = BIO_new_file(path, "rb");
	if (!b) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		ERR_clear_error();
		return -ENOENT;
	}
	p12 = d2i_PKCS12_bio(b, NULL);
	BIO_free(b);
	if (!p12) {
		ssl_reason(why, whylen, "not a PKCS#12 file");
		return -EINVAL;
	}
	if (!PKCS12_verify_mac(p12, password, -1) ||
	    !PKCS12_parse(p12, password, key, cert, NULL) || !*key || !*cert) {
		ssl_reason(why, whylen, "cannot open the PKCS#12 file (wrong "
			   "password?)");
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		goto out;
	}
	ret = 0;
out:
	PKCS12_free(p12);
	return ret;
}
