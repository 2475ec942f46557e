// SPDX-License-Identifier: MIT
/*
 * Unit tests of the certificate authorities and the enrollment side
 * (userspace/lib/ca.c): files go to a fresh temporary directory per test.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "ca.h"

static char dir[64];
static char why[1024];

static int setup(void **state)
{
	(void)state;
	umask(022);
	snprintf(dir, sizeof(dir), "/tmp/sluice-test-ca.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *path(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static struct sl_ca *agent_ca(void)
{
	struct sl_ca *ca = sl_ca_load_or_create(dir, SL_CA_AGENT,
						"sluice agent CA", NULL, why,
						sizeof(why));

	if (!ca)
		print_error("%s\n", why);
	return ca;
}

/* A DER CSR from a fresh requester key at dir/<name>.key. */
static unsigned char *make_csr(const char *name, const char *cn, size_t *len)
{
	unsigned char *der = NULL;
	EVP_PKEY *key;

	key = sl_key_load_or_create(path(name), why, sizeof(why));
	assert_non_null(key);
	assert_int_equal(sl_csr_make(key, cn, &der, len, why, sizeof(why)), 0);
	EVP_PKEY_free(key);
	return der;
}

static X509_STORE *store_of(struct sl_ca *ca)
{
	const char *paths[] = { sl_ca_cert_path(ca) };
	X509_STORE *st = sl_ca_store_new(paths, 1, why, sizeof(why));

	assert_non_null(st);
	return st;
}

static void test_ca_create_and_load(void **state)
{
	char fp1[SL_FP_STRLEN], fp2[SL_FP_STRLEN];
	struct sl_ca *ca;
	struct stat st;
	bool created;

	(void)state;
	ca = sl_ca_load_or_create(dir, SL_CA_USER, "sluice user CA", &created,
				  why, sizeof(why));
	assert_non_null(ca);
	assert_true(created);
	assert_int_equal(stat(path("user-ca.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(X509_check_ca(sl_ca_cert(ca)), 1);
	assert_int_equal(sl_tls_fingerprint(sl_ca_cert(ca), fp1), 0);
	sl_ca_free(ca);

	ca = sl_ca_load_or_create(dir, SL_CA_USER, "ignored", &created, why,
				  sizeof(why));
	assert_non_null(ca);
	assert_false(created);
	assert_int_equal(sl_tls_fingerprint(sl_ca_cert(ca), fp2), 0);
	assert_string_equal(fp1, fp2);
	sl_ca_free(ca);
	sl_ca_free(NULL);
}

static void test_ca_refuses_open_key(void **state)
{
	(void)state;
	sl_ca_free(agent_ca());
	assert_int_equal(chmod(path("agent-ca.key"), 0640), 0);
	assert_null(sl_ca_load_or_create(dir, SL_CA_AGENT, "x", NULL, why,
					 sizeof(why)));
	assert_non_null(strstr(why, "readable by others"));
	assert_non_null(strstr(why, "chmod 600"));
	/* Half a CA is refused too, rather than replaced. */
	assert_int_equal(unlink(path("agent-ca.key")), 0);
	assert_null(sl_ca_load_or_create(dir, SL_CA_AGENT, "x", NULL, why,
					 sizeof(why)));
	assert_non_null(strstr(why, "only one of"));
}

static void test_sign_csr(void **state)
{
	struct sl_cert_info info, info2;
	const ASN1_OCTET_STRING *skid;
	struct sl_ca *ca = agent_ca();
	unsigned char *der;
	X509_STORE *st;
	time_t now = time(NULL);
	X509 *x, *y;
	size_t len;

	(void)state;
	assert_non_null(ca);
	/* The CSR asks for "admin"; the CA names the certificate itself. */
	der = make_csr("agent.key", "admin", &len);
	x = sl_ca_sign_csr(ca, der, len, "plant1", 30, &info, why, sizeof(why));
	assert_non_null(x);
	assert_string_equal(info.cn, "plant1");
	assert_true(strlen(info.serial) >= 30 && strlen(info.serial) <= 32);
	assert_true(info.not_after >= now + 30 * 86400 - 5 &&
		    info.not_after <= now + 30 * 86400 + 5);
	assert_true(info.not_before <= now);
	assert_int_equal(strncmp(info.fingerprint, "sha256:", 7), 0);

	/* Extensions of a client certificate. */
	assert_int_equal(X509_check_ca(x), 0);
	assert_true(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	skid = X509_get0_subject_key_id(sl_ca_cert(ca));
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
					       skid), 0);
	assert_int_equal(X509_check_issued(sl_ca_cert(ca), x), X509_V_OK);

	/* Verifies against its CA now, not when expired. */
	st = store_of(ca);
	assert_int_equal(sl_ca_verify(st, x, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(sl_ca_verify(st, x, NULL, now + 31 * 86400, why,
				      sizeof(why)), -EKEYREJECTED);
	assert_non_null(strstr(why, "expired"));

	/* Serials are fresh; the same CSR as PEM works too. */
	{
		X509_REQ *req;
		const unsigned char *p = der;
		char *pem;
		long n;
		BIO *b = BIO_new(BIO_s_mem());

		req = d2i_X509_REQ(NULL, &p, (long)len);
		assert_non_null(req);
		assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
		n = BIO_get_mem_data(b, &pem);
		y = sl_ca_sign_csr(ca, pem, (size_t)n, "plant1", 30, &info2, why,
				   sizeof(why));
		assert_non_null(y);
		assert_string_not_equal(info.serial, info2.serial);
		assert_string_equal(info.fingerprint, info2.fingerprint);
		X509_free(y);
		X509_REQ_free(req);
		BIO_free(b);
	}
	assert_null(sl_ca_sign_csr(ca, der, len, "", 30, NULL, why, sizeof(why)));
	assert_null(sl_ca_sign_csr(ca, der, len, "x", 0, NULL, why, sizeof(why)));
	X509_STORE_free(st);
	X509_free(x);
	free(der);
	sl_ca_free(ca);
}

static void test_other_ca_refused(void **state)
{
	struct sl_ca *ca = agent_ca(), *users;
	unsigned char *der;
	X509_STORE *st;
	size_t len;
	X509 *x;

	(void)state;
	users = sl_ca_load_or_create(dir, SL_CA_USER, "sluice user CA", NULL,
				     why, sizeof(why));
	assert_non_null(users);
	der = make_csr("agent.key", "a", &len);
	x = sl_ca_sign_csr(ca, der, len, "plant1", 30, NULL, why, sizeof(why));
	assert_non_null(x);
	/* An agent certificate is no user certificate. */
	st = store_of(users);
	assert_int_equal(sl_ca_verify(st, x, NULL, 0, why, sizeof(why)),
			 -EKEYREJECTED);
	assert_non_null(strstr(why, "certificate refused"));
	X509_STORE_free(st);
	X509_free(x);
	free(der);
	sl_ca_free(users);
	sl_ca_free(ca);
}

static void test_tampered_csr(void **state)
{
	struct sl_ca *ca = agent_ca();
	unsigned char *der, *bad;
	size_t len, i, refused = 0;

	(void)state;
	der = make_csr("agent.key", "plant1", &len);
	bad = malloc(len);
	assert_non_null(bad);
	/* Flip one bit at a time across the whole CSR: never signed. */
	for (i = 0; i < len; i++) {
		X509 *x;

		memcpy(bad, der, len);
		bad[i] ^= 0x01;
		x = sl_ca_sign_csr(ca, bad, len, "plant1", 30, NULL, why,
				   sizeof(why));
		if (!x)
			refused++;
		X509_free(x);
	}
	/*
	 * A flip in the header or lengths breaks the DER, one in the request
	 * info or the signature breaks the signature: all are refused.
	 */
	assert_int_equal(refused, len);
	memcpy(bad, der, len);
	bad[len - 1] ^= 0x01;	/* last byte of the signature */
	assert_null(sl_ca_sign_csr(ca, bad, len, "plant1", 30, NULL, why,
				   sizeof(why)));
	assert_non_null(strstr(why, "CSR"));
	assert_null(sl_ca_sign_csr(ca, "garbage", 7, "x", 30, NULL, why,
				   sizeof(why)));
	assert_null(sl_ca_sign_csr(ca, der, len - 1, "x", 30, NULL, why,
				   sizeof(why)));
	free(bad);
	free(der);
	sl_ca_free(ca);
}

static int p12_pbes2_count(const char *file)
{
	STACK_OF(PKCS7) *safes;
	PKCS12 *p12;
	BIO *b;
	int i, n = 0;

	b = BIO_new_file(file, "rb");
	p12 = d2i_PKCS12_bio(b, NULL);
	BIO_free(b);
	if (!p12)
		return -1;
	safes = PKCS12_unpack_authsafes(p12);
	for (i = 0; safes && i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);

		if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted &&
		    OBJ_obj2nid(p7->d.encrypted->enc_data->algorithm->algorithm) ==
			    NID_pbes2)
			n++;
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
	return n;
}

static void test_p12(void **state)
{
	struct sl_ca *ca;
	struct sl_cert_info info, got;
	X509_STORE *st;
	EVP_PKEY *key;
	struct stat sb;
	X509 *x;

	(void)state;
	ca = sl_ca_load_or_create(dir, SL_CA_USER, "sluice user CA", NULL, why,
				  sizeof(why));
	assert_non_null(ca);
	assert_int_equal(sl_ca_issue_p12(ca, "alice", 365, "correct horse",
					 path("alice.p12"), &info, why,
					 sizeof(why)), 0);
	assert_int_equal(stat(path("alice.p12"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* PBES2 (PBKDF2 + AES-256-CBC), not the legacy RC2/3DES PBEs. */
	assert_int_equal(p12_pbes2_count(path("alice.p12")), 1);

	assert_int_equal(sl_p12_load(path("alice.p12"), "correct horse", &key,
				     &x, why, sizeof(why)), 0);
	assert_int_equal(X509_check_private_key(x, key), 1);
	assert_int_equal(sl_cert_info_get(x, &got), 0);
	assert_string_equal(got.cn, "alice");
	assert_string_equal(got.serial, info.serial);
	assert_string_equal(got.fingerprint, info.fingerprint);
	st = store_of(ca);
	assert_int_equal(sl_ca_verify(st, x, NULL, 0, why, sizeof(why)), 0);
	X509_STORE_free(st);
	X509_free(x);
	EVP_PKEY_free(key);

	assert_int_equal(sl_p12_load(path("alice.p12"), "wrong", &key, &x, why,
				     sizeof(why)), -EACCES);
	assert_null(key);
	assert_null(x);
	assert_int_equal(sl_p12_load(path("alice.p12"), "", &key, &x, why,
				     sizeof(why)), -EACCES);
	assert_int_equal(sl_p12_load(path("none.p12"), "x", &key, &x, why,
				     sizeof(why)), -ENOENT);
	assert_int_equal(sl_ca_issue_p12(ca, "bob", 365, "", path("bob.p12"),
					 NULL, why, sizeof(why)), -EINVAL);
	sl_ca_free(ca);
}

static void test_requester_key(void **state)
{
	EVP_PKEY *a, *b;
	struct stat sb;

	(void)state;
	a = sl_key_load_or_create(path("agent.key"), why, sizeof(why));
	assert_non_null(a);
	assert_int_equal(stat(path("agent.key"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	b = sl_key_load_or_create(path("agent.key"), why, sizeof(why));
	assert_non_null(b);
	assert_int_equal(EVP_PKEY_eq(a, b), 1);
	EVP_PKEY_free(b);
	assert_int_equal(chmod(path("agent.key"), 0644), 0);
	assert_null(sl_key_load_or_create(path("agent.key"), why, sizeof(why)));
	assert_non_null(strstr(why, "readable by others"));
	EVP_PKEY_free(a);
}

static void test_cert_pem_roundtrip(void **state)
{
	struct sl_ca *ca = agent_ca();
	char *pem;
	size_t len;
	X509 *x;

	(void)state;
	assert_int_equal(sl_cert_to_pem(sl_ca_cert(ca), &pem, &len), 0);
	assert_int_equal(strlen(pem), len);
	x = sl_cert_parse(pem, len);
	assert_non_null(x);
	assert_int_equal(X509_cmp(x, sl_ca_cert(ca)), 0);
	assert_int_equal(sl_cert_save(x, path("copy.crt")), 0);
	X509_free(x);
	x = sl_cert_load(path("copy.crt"));
	assert_non_null(x);
	assert_int_equal(X509_cmp(x, sl_ca_cert(ca)), 0);
	X509_free(x);
	assert_null(sl_cert_parse("-----BEGIN junk", 15));
	free(pem);
	sl_ca_free(ca);
}

/* Both handshakes over a socketpair, stepped in turn; 1 when both done. */
static int handshake(SSL *srv, SSL *cli)
{
	bool s_done = false, c_done = false;
	int i, r;

	for (i = 0; i < 1000 && !(s_done && c_done); i++) {
		if (!c_done) {
			r = SSL_do_handshake(cli);
			if (r == 1)
				c_done = true;
			else if (SSL_get_error(cli, r) != SSL_ERROR_WANT_READ)
				return 0;
		}
		if (!s_done) {
			r = SSL_do_handshake(srv);
			if (r == 1)
				s_done = true;
			else if (SSL_get_error(srv, r) != SSL_ERROR_WANT_READ)
				return 0;
		}
	}
	/* TLS 1.3: the client learns of a refusal on its first read. */
	if (s_done && c_done) {
		char c;

		r = SSL_write(srv, "k", 1);
		if (r != 1)
			return 0;
		r = SSL_read(cli, &c, 1);
		return r == 1;
	}
	return 0;
}

/* Both ends of a TLS connection over a socketpair, before the handshake. */
struct tls_pair {
	SSL_CTX *sctx, *cctx;
	SSL *srv, *cli;
	int sv[2];
};

/* As the relay will run it: the server trusts the CAs in st. */
static void pair_open(struct tls_pair *p, X509 *cert, EVP_PKEY *key,
		      X509_STORE *st, bool require)
{
	assert_true(sl_tls_identity_ensure(dir, why, sizeof(why)) >= 0);
	p->sctx = sl_tls_server_ctx(path("relay.key"), path("relay.crt"), why,
				    sizeof(why));
	assert_non_null(p->sctx);
	assert_int_equal(sl_ca_ctx_verify_peers(p->sctx, st, require), 0);
	p->cctx = sl_tls_client_ctx(why, sizeof(why));
	assert_non_null(p->cctx);
	if (cert) {
		assert_int_equal(SSL_CTX_use_certificate(p->cctx, cert), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(p->cctx, key), 1);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				    p->sv), 0);
	p->srv = SSL_new(p->sctx);
	p->cli = SSL_new(p->cctx);
	SSL_set_fd(p->srv, p->sv[0]);
	SSL_set_fd(p->cli, p->sv[1]);
	SSL_set_accept_state(p->srv);
	SSL_set_connect_state(p->cli);
}

static void pair_close(struct tls_pair *p)
{
	SSL_free(p->srv);
	SSL_free(p->cli);
	close(p->sv[0]);
	close(p->sv[1]);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
}

static int mtls(X509 *cert, EVP_PKEY *key, X509_STORE *st, bool require,
		struct sl_cert_info *info)
{
	struct tls_pair p;
	int ret;

	pair_open(&p, cert, key, st, require);
	ret = handshake(p.srv, p.cli) ? sl_ca_peer_info(p.srv, info) : -ECONNABORTED;
	ERR_clear_error();
	pair_close(&p);
	return ret;
}

/* An agent enrolled as "plant1": its certificate, and its key in *key. */
static X509 *enrolled_agent(struct sl_ca *agents, EVP_PKEY **key)
{
	unsigned char *der;
	size_t len;
	X509 *cert;

	der = make_csr("agent.key", "plant1", &len);
	cert = sl_ca_sign_csr(agents, der, len, "plant1", 30, NULL, why,
			      sizeof(why));
	free(der);
	assert_non_null(cert);
	*key = sl_key_load_or_create(path("agent.key"), why, sizeof(why));
	assert_non_null(*key);
	return cert;
}

static void test_mtls(void **state)
{
	struct sl_ca *agents = agent_ca(), *users, *rogue;
	const char *paths[2];
	struct sl_cert_info info;
	X509 *ucert, *acert, *rcert;
	unsigned char *der;
	EVP_PKEY *ukey, *akey;
	X509_STORE *st;
	size_t len;

	(void)state;
	users = sl_ca_load_or_create(dir, SL_CA_USER, "sluice user CA", NULL,
				     why, sizeof(why));
	assert_non_null(users);
	assert_int_equal(mkdir(path("other"), 0700), 0);
	rogue = sl_ca_load_or_create(path("other"), SL_CA_USER, "sluice user CA",
				     NULL, why, sizeof(why));
	assert_non_null(rogue);
	paths[0] = sl_ca_cert_path(agents);
	paths[1] = sl_ca_cert_path(users);
	st = sl_ca_store_new(paths, 2, why, sizeof(why));
	assert_non_null(st);

	/* A user with the PKCS#12 credential. */
	assert_int_equal(sl_ca_issue_p12(users, "alice", 30, "pw",
					 path("alice.p12"), NULL, why,
					 sizeof(why)), 0);
	assert_int_equal(sl_p12_load(path("alice.p12"), "pw", &ukey, &ucert, why,
				     sizeof(why)), 0);
	assert_int_equal(mtls(ucert, ukey, st, true, &info), 0);
	assert_string_equal(info.cn, "alice");
	assert_true(sl_ca_issued(users, ucert));
	assert_false(sl_ca_issued(agents, ucert));

	/* An enrolled agent. */
	acert = enrolled_agent(agents, &akey);
	assert_int_equal(mtls(acert, akey, st, true, &info), 0);
	assert_string_equal(info.cn, "plant1");
	assert_true(sl_ca_issued(agents, acert));
	assert_false(sl_ca_issued(users, acert));

	/* Same name, same key, another CA: refused in the handshake. */
	der = make_csr("agent.key", "plant1", &len);
	rcert = sl_ca_sign_csr(rogue, der, len, "plant1", 30, NULL, why,
			       sizeof(why));
	assert_non_null(rcert);
	assert_int_equal(mtls(rcert, akey, st, true, &info), -ECONNABORTED);
	/* No certificate: refused when required, anonymous otherwise. */
	assert_int_equal(mtls(NULL, NULL, st, true, &info), -ECONNABORTED);
	assert_int_equal(mtls(NULL, NULL, st, false, &info), -ENOENT);

	X509_free(rcert);
	X509_free(acert);
	EVP_PKEY_free(akey);
	free(der);
	X509_free(ucert);
	EVP_PKEY_free(ukey);
	X509_STORE_free(st);
	sl_ca_free(rogue);
	sl_ca_free(users);
	sl_ca_free(agents);
}

/* One record from one end to the other: the traffic keys still agree. */
static void exchange(SSL *from, SSL *to, const char *msg)
{
	char buf[64];
	int n = 0, i;

	assert_int_equal(SSL_write(from, msg, (int)strlen(msg)), (int)strlen(msg));
	for (i = 0; i < 100; i++) {
		n = SSL_read(to, buf, sizeof(buf));
		if (n > 0)
			break;
		assert_int_equal(SSL_get_error(to, n), SSL_ERROR_WANT_READ);
	}
	assert_int_equal(n, (int)strlen(msg));
	assert_memory_equal(buf, msg, (size_t)n);
}

static int freed;

/* Counts the certificates freed that carry &freed as their ex_data. */
static void count_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
		       long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (ptr == &freed)
		freed++;
}

/*
 * A logged-in agent's connection: its certificate is freed once the relay
 * forgets the peer, and the connection goes on (data both ways, key
 * updates both ways, the same cipher).  Without keep_no_chain the verified
 * chain still holds the certificate.
 */
static void forget_peer(X509 *cert, EVP_PKEY *key, X509_STORE *st,
			bool keep_no_chain, SSL_CTX **spare)
{
	int idx = X509_get_ex_new_index(0, NULL, NULL, NULL, count_free);
	struct sl_cert_info info;
	struct tls_pair p;
	const char *cipher;
	X509 *peer;

	pair_open(&p, cert, key, st, true);
	if (keep_no_chain)
		sl_tls_server_keep_no_chain(p.sctx);
	assert_int_equal(handshake(p.srv, p.cli), 1);
	/* Verified as before. */
	assert_int_equal(sl_ca_peer_info(p.srv, &info), 0);
	assert_string_equal(info.cn, "plant1");
	assert_int_equal(SSL_get0_verified_chain(p.srv) == NULL, keep_no_chain);
	peer = SSL_get0_peer_certificate(p.srv);
	assert_non_null(peer);
	assert_int_equal(X509_set_ex_data(peer, idx, &freed), 1);
	cipher = SSL_get_cipher_name(p.srv);

	freed = 0;
	assert_int_equal(sl_tls_forget_peer(p.srv, spare), 0);
	assert_null(SSL_get0_peer_certificate(p.srv));
	assert_int_equal(freed, keep_no_chain ? 1 : 0);
	assert_string_equal(SSL_get_cipher_name(p.srv), cipher);
	assert_int_equal(SSL_version(p.srv), TLS1_3_VERSION);
	assert_int_equal(sl_ca_peer_info(p.srv, &info), -ENOENT);

	exchange(p.srv, p.cli, "after forgetting");
	exchange(p.cli, p.srv, "and back");
	assert_int_equal(SSL_key_update(p.srv, SSL_KEY_UPDATE_REQUESTED), 1);
	exchange(p.srv, p.cli, "new server keys");
	exchange(p.cli, p.srv, "new client keys, as asked");
	assert_int_equal(SSL_key_update(p.cli, SSL_KEY_UPDATE_REQUESTED), 1);
	exchange(p.cli, p.srv, "client updates");
	exchange(p.srv, p.cli, "server follows");
	assert_int_equal(SSL_shutdown(p.srv), 0);
	assert_int_equal(SSL_shutdown(p.cli), 0);
	assert_int_equal(SSL_shutdown(p.srv), 1);

	pair_close(&p);
	if (!keep_no_chain)
		assert_int_equal(freed, 1);	/* with the connection */
	CRYPTO_free_ex_index(CRYPTO_EX_INDEX_X509, idx);
}

static void test_forget_peer(void **state)
{
	struct sl_ca *agents = agent_ca();
	const char *paths[1];
	SSL_CTX *spare = NULL;
	X509_STORE *st;
	EVP_PKEY *akey;
	X509 *acert;

	(void)state;
	paths[0] = sl_ca_cert_path(agents);
	st = sl_ca_store_new(paths, 1, why, sizeof(why));
	assert_non_null(st);
	acert = enrolled_agent(agents, &akey);

	forget_peer(acert, akey, st, true, &spare);
	assert_non_null(spare);
	forget_peer(acert, akey, st, true, &spare);	/* the spare again */
	forget_peer(acert, akey, st, false, &spare);

	SSL_CTX_free(spare);
	X509_free(acert);
	EVP_PKEY_free(akey);
	X509_STORE_free(st);
	sl_ca_free(agents);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ca_create_and_load),
		T(test_ca_refuses_open_key),
		T(test_sign_csr),
		T(test_other_ca_refused),
		T(test_tampered_csr),
		T(test_p12),
		T(test_requester_key),
		T(test_cert_pem_roundtrip),
		T(test_mtls),
		T(test_forget_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
