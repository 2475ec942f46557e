// SPDX-License-Identifier: MIT
/*
 * ktls_probe: does kernel TLS offload work for the suites sluice uses?
 *
 * For each TLS version x cipher of the matrix below, on a loopback TCP pair in
 * one process (server in a thread, client in main):
 *   - handshake OpenSSL server <-> client with SSL_OP_ENABLE_KTLS, using a
 *     throwaway ECDSA P-256 key and self-signed certificate made in-process;
 *   - assert which directions OpenSSL offloaded (BIO_get_ktls_send/recv on
 *     both ends), because OpenSSL silently falls back to user-space TLS when
 *     the kernel refuses a setsockopt;
 *   - move 4 MiB each way and compare SHA-256 of what was sent and received;
 *   - assert from /proc/net/tls_stat that TlsTxSw/TlsRxSw grew by at least
 *     the number of offloaded ends and that TlsDecryptError did not grow.
 *
 * Without the kernel's "tls" ULP (a host kernel with CONFIG_TLS off) it prints
 * "SKIP: kernel has no TLS ULP (...)" and exits 77.  Otherwise one line per
 * case starting "ok" or "FAIL" (details indented with "#"), then
 * "N passed, M failed"; exit 0 only when nothing failed.
 *
 * Runs for real inside the qemu guest: make -f tests/vm/vm.mk check-vm.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define XFER_BYTES (4u << 20)
#define CHUNK (64u << 10)
#define IO_TIMEOUT_S 60 /* per socket operation */
#define PROBE_TIMEOUT_S 240 /* whole program */

struct tls_case {
	int version;
	const char *version_name;
	const char *cipher; /* OpenSSL name, as SSL_CIPHER_get_name reports it */
};

static const struct tls_case cases[] = {
	{ TLS1_2_VERSION, "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256" },
	{ TLS1_2_VERSION, "TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384" },
	{ TLS1_2_VERSION, "TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305" },
	{ TLS1_3_VERSION, "TLSv1.3", "TLS_AES_128_GCM_SHA256" },
};

struct tls_stat {
	long long tx_sw, rx_sw, decrypt_error;
};

/* One end of a connection: what it did and what it saw. */
struct end {
	SSL *ssl;
	uint64_t send_seed, recv_seed;
	unsigned char sent_md[32], recv_md[32];
	size_t sent, received;
	int ktls_tx, ktls_rx;
	char err[512];
};

static EVP_PKEY *key;
static X509 *cert;

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: ktls_probe timed out\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to do */
	}
	_exit(1);
}

static void seterr(struct end *e, const char *fmt, ...)
{
	size_t n;
	va_list ap;
	unsigned long code;

	if (e->err[0])
		return; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
	while ((code = ERR_get_error()) != 0) {
		n = strlen(e->err);
		if (n + 4 >= sizeof(e->err))
			break;
		snprintf(e->err + n, sizeof(e->err) - n, ": ");
		ERR_error_string_n(code, e->err + n + 2, sizeof(e->err) - n - 2);
	}
}

static void ssl_err(struct end *e, const char *what, int ret)
{
	int code = SSL_get_error(e->ssl, ret);

	if (code == SSL_ERROR_SYSCALL)
		seterr(e, "%s: SSL_ERROR_SYSCALL (%s)", what,
		       errno ? strerror(errno) : "unexpected EOF");
	else
		seterr(e, "%s: SSL error %d", what, code);
}

/* Deterministic data, different per direction, so a mix-up shows. */
static void fill(unsigned char *buf, size_t len, uint64_t *state)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		buf[i] = (unsigned char)*state;
	}
}

static int send_all(struct end *e)
{
	unsigned char *buf = malloc(CHUNK);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t state = e->send_seed;
	int ok = 0;

	if (!buf || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		seterr(e, "send: out of memory");
		goto out;
	}
	while (e->sent < XFER_BYTES) {
		size_t len = XFER_BYTES - e->sent < CHUNK ? XFER_BYTES - e->sent : CHUNK;
		size_t off = 0;

		fill(buf, len, &state);
		EVP_DigestUpdate(md, buf, len);
		while (off < len) {
			int n = SSL_write(e->ssl, buf + off, (int)(len - off));

			if (n <= 0) {
				ssl_err(e, "SSL_write", n);
				goto out;
			}
			off += (size_t)n;
		}
		e->sent += len;
	}
	ok = EVP_DigestFinal_ex(md, e->sent_md, NULL);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return ok;
}

static int recv_all(struct end *e)
{
	unsigned char *buf = malloc(CHUNK);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (!buf || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		seterr(e, "recv: out of memory");
		goto out;
	}
	while (e->received < XFER_BYTES) {
		size_t want = XFER_BYTES - e->received < CHUNK ? XFER_BYTES - e->received : CHUNK;
		int n = SSL_read(e->ssl, buf, (int)want);

		if (n <= 0) {
			ssl_err(e, "SSL_read", n);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		e->received += (size_t)n;
	}
	ok = EVP_DigestFinal_ex(md, e->recv_md, NULL);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return ok;
}

static void note_ktls(struct end *e)
{
	e->ktls_tx = BIO_get_ktls_send(SSL_get_wbio(e->ssl)) > 0;
	e->ktls_rx = BIO_get_ktls_recv(SSL_get_rbio(e->ssl)) > 0;
}

/* Server: accept, receive, then send (the client sends first: no deadlock). */
static void *server_main(void *arg)
{
	struct end *e = arg;
	int ret = SSL_accept(e->ssl);

	if (ret != 1)
		ssl_err(e, "SSL_accept", ret);
	else
		note_ktls(e);
	if (ret == 1 && recv_all(e) && send_all(e))
		SSL_shutdown(e->ssl);
	if (e->err[0]) /* unblock a client waiting on us */
		shutdown(SSL_get_fd(e->ssl), SHUT_RDWR);
	return NULL;
}

static void client_run(struct end *e)
{
	int ret = SSL_connect(e->ssl);

	if (ret != 1) {
		ssl_err(e, "SSL_connect", ret);
		return;
	}
	note_ktls(e);
	if (send_all(e) && recv_all(e))
		SSL_shutdown(e->ssl);
}

static int read_tls_stat(struct tls_stat *st, char *why, size_t whylen)
{
	FILE *f = fopen("/proc/net/tls_stat", "r");
	char name[64];
	long long v;
	int seen = 0;

	memset(st, 0, sizeof(*st));
	if (!f) {
		snprintf(why, whylen, "/proc/net/tls_stat: %s", strerror(errno));
		return -1;
	}
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "TlsTxSw"))
			st->tx_sw = v, seen |= 1;
		else if (!strcmp(name, "TlsRxSw"))
			st->rx_sw = v, seen |= 2;
		else if (!strcmp(name, "TlsDecryptError"))
			st->decrypt_error = v, seen |= 4;
	}
	fclose(f);
	if (seen != 7) {
		snprintf(why, whylen, "/proc/net/tls_stat lacks TlsTxSw/TlsRxSw/TlsDecryptError");
		return -1;
	}
	return 0;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A connected loopback TCP pair: fds[0] client, fds[1] server. */
static int tcp_pair(int fds[2], char *why, size_t whylen)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int lfd, one = 1;

	fds[0] = fds[1] = -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&a, &alen))
		goto fail;
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	fds[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fds[1] < 0)
		goto fail;
	close(lfd);
	for (int i = 0; i < 2; i++) {
		setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_timeouts(fds[i]);
	}
	return 0;
fail:
	snprintf(why, whylen, "loopback TCP pair: %s", strerror(errno));
	if (lfd >= 0)
		close(lfd);
	if (fds[0] >= 0)
		close(fds[0]);
	fds[0] = -1;
	return -1;
}

/* Is the "tls" ULP there?  Needs an established socket. */
static int have_tls_ulp(char *why, size_t whylen)
{
	int fds[2], ret;

	if (tcp_pair(fds, why, whylen))
		return -1;
	ret = setsockopt(fds[0], IPPROTO_TCP, TCP_ULP, "tls", 3);
	if (ret)
		snprintf(why, whylen, "setsockopt(TCP_ULP, \"tls\"): %s", strerror(errno));
	close(fds[0]);
	close(fds[1]);
	return ret ? 0 : 1;
}

static int make_identity(void)
{
	X509_NAME *name;

	key = EVP_EC_gen("P-256");
	cert = X509_new();
	if (!key || !cert)
		return -1;
	name = X509_get_subject_name(cert);
	if (!X509_set_version(cert, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 86400) ||
	    !X509_set_pubkey(cert, key) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"sluice-ktls-probe", -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_sign(cert, key, EVP_sha256()))
		return -1;
	return 0;
}

static SSL_CTX *make_ctx(const struct tls_case *c, int server, char *why, size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	int ok;

	if (!ctx)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	ok = SSL_CTX_set_min_proto_version(ctx, c->version) &&
	     SSL_CTX_set_max_proto_version(ctx, c->version);
	if (c->version == TLS1_3_VERSION)
		ok = ok && SSL_CTX_set_ciphersuites(ctx, c->cipher);
	else
		ok = ok && SSL_CTX_set_cipher_list(ctx, c->cipher);
	if (!ok)
		goto fail;
	if (server) {
		if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
			goto fail;
	} else {
		if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert) != 1)
			goto fail;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
fail:
	snprintf(why, whylen, "%s context for %s %s: %s", server ? "server" : "client",
		 c->version_name, c->cipher, ERR_reason_error_string(ERR_peek_last_error()));
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *dirs(const struct end *e)
{
	return e->ktls_tx ? (e->ktls_rx ? "tx+rx" : "tx") : (e->ktls_rx ? "rx" : "none");
}

/* 1 passed, 0 failed, -1 skipped (this OpenSSL lacks the cipher). */
static int run_case(const struct tls_case *c)
{
	struct end cli = { .send_seed = 0x9e3779b97f4a7c15ull, .recv_seed = 0 };
	struct end srv = { .send_seed = 0xd1b54a32d192ed03ull, .recv_seed = 0 };
	char fail[1024] = "", why[512] = "";
	struct tls_stat before, after;
	SSL_CTX *sctx = NULL, *cctx = NULL;
	int fds[2] = { -1, -1 }, rx_expected, ret = 0;
	size_t fl = 0;
	pthread_t tid;
	double t0 = now();
	const char *got;

#define FAILF(...)                                                                           \
	do {                                                                                 \
		if (fl < sizeof(fail))                                                       \
			fl += (size_t)snprintf(fail + fl, sizeof(fail) - fl, "    # " __VA_ARGS__); \
	} while (0)

	/* TLS 1.3 receive offload arrived in OpenSSL 3.2; 3.0/3.1 never do it. */
	rx_expected = c->version == TLS1_2_VERSION ? 1 :
		      OpenSSL_version_num() < 0x30200000L ? 0 : -1 /* either */;

	sctx = make_ctx(c, 1, why, sizeof(why));
	cctx = sctx ? make_ctx(c, 0, why, sizeof(why)) : NULL;
	if (!sctx || !cctx) {
		printf("skip %s %s: %s\n", c->version_name, c->cipher, why);
		ret = -1;
		goto out;
	}
	if (read_tls_stat(&before, why, sizeof(why)) || tcp_pair(fds, why, sizeof(why))) {
		FAILF("%s\n", why);
		goto report;
	}
	cli.ssl = SSL_new(cctx);
	srv.ssl = SSL_new(sctx);
	if (!cli.ssl || !srv.ssl || !SSL_set_fd(cli.ssl, fds[0]) || !SSL_set_fd(srv.ssl, fds[1])) {
		FAILF("SSL_new/SSL_set_fd failed\n");
		goto report;
	}
	if (pthread_create(&tid, NULL, server_main, &srv)) {
		FAILF("pthread_create failed\n");
		goto report;
	}
	client_run(&cli);
	if (cli.err[0]) /* unblock a server stuck on a dead peer */
		shutdown(fds[0], SHUT_RDWR);
	pthread_join(tid, NULL);

	if (cli.err[0])
		FAILF("client: %s\n", cli.err);
	if (srv.err[0])
		FAILF("server: %s\n", srv.err);
	if (cli.err[0] || srv.err[0])
		goto report;

	if (SSL_version(cli.ssl) != c->version)
		FAILF("negotiated %s, wanted %s\n", SSL_get_version(cli.ssl), c->version_name);
	got = SSL_CIPHER_get_name(SSL_get_current_cipher(cli.ssl));
	if (!got || strcmp(got, c->cipher))
		FAILF("negotiated cipher %s, wanted %s\n", got ? got : "(none)", c->cipher);
	if (!cli.ktls_tx || !srv.ktls_tx)
		FAILF("kTLS send not enabled (client %s, server %s)\n", dirs(&cli), dirs(&srv));
	if (rx_expected >= 0 && (cli.ktls_rx != rx_expected || srv.ktls_rx != rx_expected))
		FAILF("kTLS receive %s expected (client %s, server %s)\n",
		      rx_expected ? "is" : "is not", dirs(&cli), dirs(&srv));
	if (cli.sent != XFER_BYTES || srv.received != XFER_BYTES ||
	    memcmp(cli.sent_md, srv.recv_md, sizeof(cli.sent_md)))
		FAILF("client->server data corrupted (%zu sent, %zu received, SHA-256 %s)\n",
		      cli.sent, srv.received,
		      memcmp(cli.sent_md, srv.recv_md, 32) ? "differs" : "equal");
	if (srv.sent != XFER_BYTES || cli.received != XFER_BYTES ||
	    memcmp(srv.sent_md, cli.recv_md, sizeof(srv.sent_md)))
		FAILF("server->client data corrupted (%zu sent, %zu received, SHA-256 %s)\n",
		      srv.sent, cli.received,
		      memcmp(srv.sent_md, cli.recv_md, 32) ? "differs" : "equal");

report:
	if (cli.ssl)
		SSL_free(cli.ssl);
	if (srv.ssl)
		SSL_free(srv.ssl);
	cli.ssl = srv.ssl = NULL;
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (!fail[0]) {
		long long tx_min = cli.ktls_tx + srv.ktls_tx, rx_min = cli.ktls_rx + srv.ktls_rx;

		if (read_tls_stat(&after, why, sizeof(why))) {
			FAILF("%s\n", why);
		} else {
			if (after.tx_sw - before.tx_sw < tx_min || after.tx_sw == before.tx_sw)
				FAILF("TlsTxSw grew by %lld, expected at least %lld\n",
				      after.tx_sw - before.tx_sw, tx_min);
			if (after.rx_sw - before.rx_sw < rx_min ||
			    (rx_min && after.rx_sw == before.rx_sw))
				FAILF("TlsRxSw grew by %lld, expected at least %lld\n",
				      after.rx_sw - before.rx_sw, rx_min);
			if (after.decrypt_error != before.decrypt_error)
				FAILF("TlsDecryptError grew by %lld\n",
				      after.decrypt_error - before.decrypt_error);
		}
	}
	if (fail[0]) {
		printf("FAIL %s %s\n%s", c->version_name, c->cipher, fail);
	} else {
		printf("ok   %s %s: kTLS client %s, server %s; TlsTxSw +%lld TlsRxSw +%lld "
		       "TlsDecryptError +0; %u bytes each way, SHA-256 equal (%.2f s)\n",
		       c->version_name, c->cipher, dirs(&cli), dirs(&srv),
		       after.tx_sw - before.tx_sw, after.rx_sw - before.rx_sw, XFER_BYTES,
		       now() - t0);
		ret = 1;
	}
out:
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	return ret;
#undef FAILF
}

int main(void)
{
	char why[512];
	int passed = 0, failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(PROBE_TIMEOUT_S);

	switch (have_tls_ulp(why, sizeof(why))) {
	case 1:
		break;
	case 0:
		printf("SKIP: kernel has no TLS ULP (%s)\n", why);
		return 77;
	default:
		printf("FAIL: %s\n", why);
		return 1;
	}
	if (make_identity()) {
		printf("FAIL: cannot make the ECDSA P-256 key and certificate: %s\n",
		       ERR_reason_error_string(ERR_peek_last_error()));
		return 1;
	}
	printf("# %s, kernel TLS ULP present\n", OpenSSL_version(OPENSSL_VERSION));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = run_case(&cases[i]);

		passed += r == 1;
		failed += r == 0;
	}
	printf("%d passed, %d failed\n", passed, failed);
	X509_free(cert);
	EVP_PKEY_free(key);
	return failed || !passed ? 1 : 0;
}
