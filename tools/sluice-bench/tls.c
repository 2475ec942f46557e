// SPDX-License-Identifier: MIT
/*
 * TLS glue: the contexts come from the sluice library (userspace/lib/tls.c),
 * so the bench's clients offer exactly what sluice-agent and sluice-client
 * offer, and the bench device accepts exactly what sluice-relay accepts.
 * Also the probe subcommand, which reports what a target negotiates.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "link.h"

SSL_CTX *bench_client_ctx(void)
{
	char why[512];
	SSL_CTX *ctx = sl_tls_client_ctx(why, sizeof(why));

	if (!ctx)
		bench_err("%s", why);
	return ctx;
}

SSL_CTX *bench_server_ctx(const char *cert, const char *key)
{
	char why[1200];
	SSL_CTX *ctx = sl_tls_server_ctx(key, cert, why, sizeof(why));

	if (!ctx)
		bench_err("%s", why);
	return ctx;
}

int bench_pin_check(SSL *ssl, const char *fp, char *why, size_t whylen)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	char got[SL_FP_STRLEN];

	if (!peer || sl_tls_fingerprint(peer, got)) {
		snprintf(why, whylen, "the server sent no usable certificate");
		return -EPERM;
	}
	if (fp[0] && strcmp(fp, got)) {
		snprintf(why, whylen, "the server presented %s, expected %s", got, fp);
		return -EPERM;
	}
	return 0;
}

void bench_tls_describe(SSL *ssl, char *buf, size_t len)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	EVP_PKEY *pk = peer ? X509_get0_pubkey(peer) : NULL;
	int group = SSL_get_negotiated_group(ssl);
	const char *gname = group ? SSL_group_to_name(ssl, group) : NULL;

	snprintf(buf, len, "%s,%s,%s,%s-%d", SSL_get_version(ssl),
		 SSL_get_cipher_name(ssl), gname ? gname : "unknown",
		 pk ? EVP_PKEY_get0_type_name(pk) : "none",
		 pk ? EVP_PKEY_get_bits(pk) : 0);
}

/*
 * Opens one stream through the target and prints what TLS negotiated on
 * the connections the bench made: "tls,control,..." (sluice's control
 * connection) and "tls,stream,..." (the data leg, or the TLS connection to
 * HAProxy or the device).  A working probe also shows the whole path, up
 * to the device's greeting, is in place.
 */
int probe_main(const struct bench_opts *o)
{
	struct bench_link l;
	char desc[256];
	SSL *s;

	if (bench_link_open(&l, o))
		return 1;
	if (l.ctl) {
		bench_tls_describe(l.ctl, desc, sizeof(desc));
		printf("tls,control,%s\n", desc);
	}
	s = bench_stream_open(&l);
	if (!s) {
		bench_link_close(&l);
		return 1;
	}
	bench_tls_describe(s, desc, sizeof(desc));
	printf("tls,stream,%s\n", desc);
	fflush(stdout);
	bench_stream_close(s);
	bench_link_close(&l);
	return 0;
}
