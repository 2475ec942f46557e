// SPDX-License-Identifier: MIT
/*
 * Unit tests of the relay identity, fingerprints and the pin store
 * (userspace/lib/tls.c).  Files go to a fresh temporary directory per test.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>

#include "tls.h"

#define FP_A "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP_B "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[64];
static char pins[128];
static char why[1024];

static int setup(void **state)
{
	(void)state;
	umask(022);
	snprintf(dir, sizeof(dir), "/tmp/sluice-test-tls.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(pins, sizeof(pins), "%s/known_relays", dir);
	why[0] = '\0';
	return 0;
}

static void rm(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static int teardown(void **state)
{
	(void)state;
	rm("known_relays");
	rm("relay.key");
	rm("relay.crt");
	rm("relay.key.tmp");
	rm("relay.crt.tmp");
	rm("other");
	return rmdir(dir);
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* Reads a whole small file into buf; returns its length. */
static size_t slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static bool is_fp(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7) || strlen(s) != 7 + 64)
		return false;
	for (i = 7; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* ---- sl_tls_fingerprint_parse ---- */

static void test_fp_parse_canonical(void **state)
{
	char out[SL_FP_STRLEN];

	(void)state;
	assert_int_equal(sl_tls_fingerprint_parse(FP_A, out), 0);
	assert_string_equal(out, FP_A);
}

static void test_fp_parse_bare_hex(void **state)
{
	char out[SL_FP_STRLEN];

	(void)state;
	assert_int_equal(sl_tls_fingerprint_parse(HEX_A, out), 0);
	assert_string_equal(out, FP_A);
}

static void test_fp_parse_upper_case(void **state)
{
	char out[SL_FP_STRLEN];

	(void)state;
	assert_int_equal(sl_tls_fingerprint_parse(
				 "SHA256:0123456789ABCDEF0123456789ABCDEF"
				 "0123456789ABCDEF0123456789ABCDEF", out), 0);
	assert_string_equal(out, FP_A);
}

static void test_fp_parse_colons(void **state)
{
	char in[3 * 32 + 8], out[SL_FP_STRLEN];
	size_t off = 0;
	int i;

	(void)state;
	/* "01:23:45:..." as openssl x509 -fingerprint prints it. */
	for (i = 0; i < 32; i++)
		off += (size_t)snprintf(in + off, sizeof(in) - off, "%s%.2s",
					i ? ":" : "", &HEX_A[2 * i]);
	assert_int_equal(sl_tls_fingerprint_parse(in, out), 0);
	assert_string_equal(out, FP_A);
}

static void test_fp_parse_spaces(void **state)
{
	char out[SL_FP_STRLEN];

	(void)state;
	assert_int_equal(sl_tls_fingerprint_parse(
				 "sha256:01234567 89abcdef 01234567 89abcdef "
				 "01234567 89abcdef 01234567 89abcdef", out), 0);
	assert_string_equal(out, FP_A);
}

static void test_fp_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"sha256:",
		"sha256:0123",
		/* 63 and 65 digits */
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
		/* a non-hex digit */
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
		"sha1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	};
	char out[SL_FP_STRLEN];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_tls_fingerprint_parse(bad[i], out) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

/* ---- sl_pin_check ---- */

static void test_pin_first_use_pins(void **state)
{
	char text[512];
	bool pinned = false;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_true(pinned);
	slurp(pins, text, sizeof(text));
	assert_non_null(strstr(text, "relay:11444"));
	assert_non_null(strstr(text, FP_A));
}

static void test_pin_file_mode_0600(void **state)
{
	struct stat st;
	bool pinned;

	(void)state;
	umask(0);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	umask(022);
	assert_int_equal(stat(pins, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_pin_same_fp_accepted(void **state)
{
	struct stat before, after;
	bool pinned = true;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_int_equal(stat(pins, &before), 0);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_false(pinned);
	assert_int_equal(stat(pins, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
}

static void test_pin_mismatch_refused(void **state)
{
	bool pinned = true;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	why[0] = '\0';
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_B, NULL, &pinned,
				      why, sizeof(why)), -EPERM);
	assert_false(pinned);
	assert_non_null(strstr(why, FP_A));
	assert_non_null(strstr(why, FP_B));
}

static void test_pin_mismatch_does_not_repin(void **state)
{
	bool pinned;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_B, NULL, &pinned,
				      why, sizeof(why)), -EPERM);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_B, NULL, &pinned,
				      why, sizeof(why)), -EPERM);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
}

static void test_pin_per_relay(void **state)
{
	bool pinned = false;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay-a:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_int_equal(sl_pin_check(pins, "relay-b:11444", FP_B, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_true(pinned);
	assert_int_equal(sl_pin_check(pins, "relay-a:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_false(pinned);
	assert_int_equal(sl_pin_check(pins, "relay-b:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), -EPERM);
}

static void test_pin_reads_hand_written_file(void **state)
{
	FILE *f;
	bool pinned = true;

	(void)state;
	f = fopen(pins, "w");
	assert_non_null(f);
	fprintf(f, "# pinned by hand\nrelay:11444 %s\n", FP_A);
	fclose(f);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_false(pinned);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_B, NULL, &pinned,
				      why, sizeof(why)), -EPERM);
}

static void test_pin_expected_match(void **state)
{
	bool pinned = true;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, FP_A, &pinned,
				      why, sizeof(why)), 0);
	assert_false(pinned);
	/* The configuration decides: nothing is pinned on disk. */
	assert_int_equal(access(pins, F_OK), -1);
}

static void test_pin_expected_mismatch(void **state)
{
	bool pinned = true;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_B, FP_A, &pinned,
				      why, sizeof(why)), -EPERM);
	assert_false(pinned);
	assert_non_null(strstr(why, FP_A));
	assert_non_null(strstr(why, FP_B));
	assert_int_equal(access(pins, F_OK), -1);
}

static void test_pin_expected_overrides_pin_file(void **state)
{
	bool pinned;

	(void)state;
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_A, NULL, &pinned,
				      why, sizeof(why)), 0);
	assert_int_equal(sl_pin_check(pins, "relay:11444", FP_B, FP_B, &pinned,
				      why, sizeof(why)), 0);
}

static void test_pin_unwritable_file_fails(void **state)
{
	char bad[160];
	bool pinned = true;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/no-such-dir/known_relays", dir);
	assert_true(sl_pin_check(bad, "relay:11444", FP_A, NULL, &pinned, why,
				 sizeof(why)) < 0);
	assert_false(pinned);
	assert_non_null(strstr(why, bad));
}

/* ---- identity ---- */

static void test_identity_created(void **state)
{
	char key[128], crt[128];
	struct stat st;

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	path_of(crt, sizeof(crt), "relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	assert_int_equal(stat(key, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(st.st_size > 0);
	assert_int_equal(stat(crt, &st), 0);
	assert_true(st.st_size > 0);
}

static void test_identity_key_0600_despite_umask(void **state)
{
	char key[128];
	struct stat st;

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	umask(0);
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	umask(022);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_identity_kept(void **state)
{
	static char key1[8192], key2[8192], crt1[8192], crt2[8192];
	char key[128], crt[128];

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	path_of(crt, sizeof(crt), "relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	slurp(key, key1, sizeof(key1));
	slurp(crt, crt1, sizeof(crt1));
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 0);
	slurp(key, key2, sizeof(key2));
	slurp(crt, crt2, sizeof(crt2));
	assert_string_equal(key1, key2);
	assert_string_equal(crt1, crt2);
}

static void test_identity_pem_contents(void **state)
{
	static char text[8192];
	char key[128], crt[128];

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	path_of(crt, sizeof(crt), "relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	slurp(key, text, sizeof(text));
	assert_non_null(strstr(text, "PRIVATE KEY-----"));
	slurp(crt, text, sizeof(text));
	assert_non_null(strstr(text, "-----BEGIN CERTIFICATE-----"));
	assert_null(strstr(text, "PRIVATE KEY"));
}

static void test_identity_half_present_refused(void **state)
{
	char crt[128];

	(void)state;
	path_of(crt, sizeof(crt), "relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	rm("relay.key");
	why[0] = '\0';
	assert_true(sl_tls_identity_ensure(dir, why, sizeof(why)) < 0);
	assert_true(why[0] != '\0');
	/* The remaining certificate is not replaced by a new identity. */
	assert_int_equal(access(crt, F_OK), 0);
	rm("relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
}

static void test_identity_missing_dir_fails(void **state)
{
	char bad[160];

	(void)state;
	snprintf(bad, sizeof(bad), "%s/no-such-dir", dir);
	why[0] = '\0';
	assert_true(sl_tls_identity_ensure(bad, why, sizeof(why)) < 0);
	assert_true(why[0] != '\0');
}

static void test_fingerprint_stable(void **state)
{
	char crt[128], fp1[SL_FP_STRLEN], fp2[SL_FP_STRLEN], fp3[SL_FP_STRLEN];
	char parsed[SL_FP_STRLEN];

	(void)state;
	path_of(crt, sizeof(crt), "relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	assert_int_equal(sl_tls_fingerprint_file(crt, fp1), 0);
	assert_true(is_fp(fp1));
	assert_int_equal(sl_tls_fingerprint_file(crt, fp2), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 0);
	assert_int_equal(sl_tls_fingerprint_file(crt, fp3), 0);
	assert_string_equal(fp1, fp3);
	assert_int_equal(sl_tls_fingerprint_parse(fp1, parsed), 0);
	assert_string_equal(parsed, fp1);
}

static void test_fingerprint_differs_per_identity(void **state)
{
	char crt[128], fp1[SL_FP_STRLEN], fp2[SL_FP_STRLEN];

	(void)state;
	path_of(crt, sizeof(crt), "relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	assert_int_equal(sl_tls_fingerprint_file(crt, fp1), 0);
	rm("relay.key");
	rm("relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	assert_int_equal(sl_tls_fingerprint_file(crt, fp2), 0);
	assert_string_not_equal(fp1, fp2);
}

static void test_fingerprint_file_errors(void **state)
{
	char other[128], fp[SL_FP_STRLEN];
	FILE *f;

	(void)state;
	path_of(other, sizeof(other), "other");
	assert_int_equal(sl_tls_fingerprint_file(other, fp), -ENOENT);
	f = fopen(other, "w");
	assert_non_null(f);
	fputs("not a certificate\n", f);
	fclose(f);
	assert_int_equal(sl_tls_fingerprint_file(other, fp), -EINVAL);
}

static void test_server_ctx_loads_identity(void **state)
{
	char key[128], crt[128];
	SSL_CTX *ctx;

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	path_of(crt, sizeof(crt), "relay.crt");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	ctx = sl_tls_server_ctx(key, crt, why, sizeof(why));
	if (!ctx)
		fail_msg("server context: %s", why);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
	SSL_CTX_free(ctx);
}

/* ---- data legs: TLS 1.2 with kernel TLS asked for, control stays 1.3 ---- */

/*
 * Runs both handshakes over a socketpair, stepped in turn.  Returns 1 when
 * both finished; the SSLs are left for the caller to inspect and free.
 */
static int pair_handshake(SSL_CTX *sctx, SSL_CTX *cctx, SSL **srv, SSL **cli, int sv[2])
{
	bool s_done = false, c_done = false;
	int i, r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	*srv = SSL_new(sctx);
	*cli = SSL_new(cctx);
	assert_non_null(*srv);
	assert_non_null(*cli);
	SSL_set_fd(*srv, sv[0]);
	SSL_set_fd(*cli, sv[1]);
	SSL_set_accept_state(*srv);
	SSL_set_connect_state(*cli);
	for (i = 0; i < 1000 && !(s_done && c_done); i++) {
		if (!c_done) {
			r = SSL_do_handshake(*cli);
			if (r == 1)
				c_done = true;
			else if (SSL_get_error(*cli, r) != SSL_ERROR_WANT_READ)
				return 0;
		}
		if (!s_done) {
			r = SSL_do_handshake(*srv);
			if (r == 1)
				s_done = true;
			else if (SSL_get_error(*srv, r) != SSL_ERROR_WANT_READ)
				return 0;
		}
	}
	return s_done && c_done;
}

static void pair_free(SSL *srv, SSL *cli, int sv[2])
{
	SSL_free(srv);
	SSL_free(cli);
	close(sv[0]);
	close(sv[1]);
}

static SSL_CTX *relay_ctx(bool data_legs)
{
	char key[128], crt[128];
	SSL_CTX *ctx;

	path_of(key, sizeof(key), "relay.key");
	path_of(crt, sizeof(crt), "relay.crt");
	assert_true(sl_tls_identity_ensure(dir, why, sizeof(why)) >= 0);
	ctx = sl_tls_server_ctx(key, crt, why, sizeof(why));
	if (!ctx)
		fail_msg("server context: %s", why);
	if (data_legs && sl_tls_server_allow_data_legs(ctx, why, sizeof(why)))
		fail_msg("data legs: %s", why);
	return ctx;
}

static void test_data_leg_is_tls12_aes_gcm_with_ktls_asked(void **state)
{
	SSL_CTX *sctx = relay_ctx(true), *cctx = sl_tls_data_ctx(why, sizeof(why));
	SSL *srv, *cli;
	int sv[2];

	(void)state;
	assert_non_null(cctx);
	assert_int_equal(SSL_CTX_get_max_proto_version(cctx), TLS1_2_VERSION);
	assert_true(SSL_CTX_get_options(cctx) & SSL_OP_NO_TICKET);
	assert_true(SSL_CTX_get_options(cctx) & SSL_OP_NO_RENEGOTIATION);
	assert_int_equal(pair_handshake(sctx, cctx, &srv, &cli, sv), 1);
	assert_int_equal(SSL_version(srv), TLS1_2_VERSION);
	assert_string_equal(SSL_get_cipher_name(srv), "ECDHE-ECDSA-AES128-GCM-SHA256");
	/* Asked for on both ends; a socketpair cannot take it, so no offload. */
	assert_true(SSL_get_options(srv) & SSL_OP_ENABLE_KTLS);
	assert_true(SSL_get_options(cli) & SSL_OP_ENABLE_KTLS);
	assert_false(BIO_get_ktls_send(SSL_get_wbio(srv)));
	pair_free(srv, cli, sv);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void test_control_stays_tls13_without_ktls(void **state)
{
	SSL_CTX *sctx = relay_ctx(true), *cctx = sl_tls_client_ctx(why, sizeof(why));
	SSL *srv, *cli;
	int sv[2];

	(void)state;
	assert_non_null(cctx);
	assert_int_equal(pair_handshake(sctx, cctx, &srv, &cli, sv), 1);
	assert_int_equal(SSL_version(srv), TLS1_3_VERSION);
	assert_false(SSL_get_options(srv) & SSL_OP_ENABLE_KTLS);
	pair_free(srv, cli, sv);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void test_data_leg_needs_relay_with_tls12(void **state)
{
	SSL_CTX *sctx = relay_ctx(false), *cctx = sl_tls_data_ctx(why, sizeof(why));
	SSL *srv, *cli;
	int sv[2];

	(void)state;
	assert_non_null(cctx);
	assert_int_equal(pair_handshake(sctx, cctx, &srv, &cli, sv), 0);
	ERR_clear_error();
	pair_free(srv, cli, sv);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* ---- sl_key_perms_check ---- */

static void test_key_perms_0600_ok(void **state)
{
	char key[128];

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	assert_int_equal(sl_key_perms_check(key, why, sizeof(why)), 0);
}

static void test_key_perms_0644_refused(void **state)
{
	char key[128];

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	assert_int_equal(chmod(key, 0644), 0);
	why[0] = '\0';
	assert_int_equal(sl_key_perms_check(key, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, key));
	assert_non_null(strstr(why, "0644"));
}

static void test_key_perms_group_readable_refused(void **state)
{
	char key[128];

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	assert_int_equal(sl_tls_identity_ensure(dir, why, sizeof(why)), 1);
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(sl_key_perms_check(key, why, sizeof(why)), -EPERM);
	assert_int_equal(chmod(key, 0400), 0);
	assert_int_equal(sl_key_perms_check(key, why, sizeof(why)), 0);
}

static void test_key_perms_missing_file(void **state)
{
	char key[128];

	(void)state;
	path_of(key, sizeof(key), "relay.key");
	why[0] = '\0';
	assert_int_equal(sl_key_perms_check(key, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, key));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fp_parse_canonical),
		T(test_fp_parse_bare_hex),
		T(test_fp_parse_upper_case),
		T(test_fp_parse_colons),
		T(test_fp_parse_spaces),
		T(test_fp_parse_rejects),
		T(test_pin_first_use_pins),
		T(test_pin_file_mode_0600),
		T(test_pin_same_fp_accepted),
		T(test_pin_mismatch_refused),
		T(test_pin_mismatch_does_not_repin),
		T(test_pin_per_relay),
		T(test_pin_reads_hand_written_file),
		T(test_pin_expected_match),
		T(test_pin_expected_mismatch),
		T(test_pin_expected_overrides_pin_file),
		T(test_pin_unwritable_file_fails),
		T(test_identity_created),
		T(test_identity_key_0600_despite_umask),
		T(test_identity_kept),
		T(test_identity_pem_contents),
		T(test_identity_half_present_refused),
		T(test_identity_missing_dir_fails),
		T(test_fingerprint_stable),
		T(test_fingerprint_differs_per_identity),
		T(test_fingerprint_file_errors),
		T(test_server_ctx_loads_identity),
		T(test_data_leg_is_tls12_aes_gcm_with_ktls_asked),
		T(test_control_stays_tls13_without_ktls),
		T(test_data_leg_needs_relay_with_tls12),
		T(test_key_perms_0600_ok),
		T(test_key_perms_0644_refused),
		T(test_key_perms_group_readable_refused),
		T(test_key_perms_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
