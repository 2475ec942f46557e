// SPDX-License-Identifier: MIT
/*
 * Unit tests of one-time passwords (userspace/lib/totp.c): the RFC 4226
 * and RFC 6238 (appendix B, SHA-1) vectors, the +-1 step window, replay
 * refusal, malformed codes, base32 (RFC 4648 section 10 vectors, round
 * trips, invalid input) and the otpauth:// URI.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "totp.h"

static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEYLEN 20

static void test_hotp_rfc4226(void **state)
{
	static const uint32_t want[] = {
		755224, 287082, 359152, 969429, 338314,
		254676, 287922, 162583, 399871, 520489,
	};
	uint64_t c;

	(void)state;
	for (c = 0; c < 10; c++) {
		uint32_t v = 0;

		assert_int_equal(sl_hotp(rfc_key, RFC_KEYLEN, c, 6, &v), 0);
		assert_int_equal(v, want[c]);
	}
}

static const struct {
	time_t t;
	const char *code8;
} rfc6238[] = {
	{ 59, "94287082" },
	{ 1111111109, "07081804" },
	{ 1111111111, "14050471" },
	{ 1234567890, "89005924" },
	{ 2000000000, "69279037" },
	{ 20000000000LL, "65353130" },
};

static void test_totp_rfc6238_8_digits(void **state)
{
	char code[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
		assert_int_equal(sl_totp_code(rfc_key, RFC_KEYLEN, rfc6238[i].t,
					      8, code, sizeof(code)), 0);
		assert_string_equal(code, rfc6238[i].code8);
	}
}

/* 6 digits: the same truncated value modulo 10^6, i.e. the last 6. */
static void test_totp_rfc6238_6_digits(void **state)
{
	char code[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
		uint64_t m = 0;

		assert_int_equal(sl_totp_code(rfc_key, RFC_KEYLEN, rfc6238[i].t,
					      6, code, sizeof(code)), 0);
		assert_string_equal(code, rfc6238[i].code8 + 2);
		/* And the verifier accepts it at that very time. */
		assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code,
						rfc6238[i].t, 0, &m), 0);
		assert_int_equal(m, (uint64_t)rfc6238[i].t / 30);
	}
}

static void test_totp_bad_args(void **state)
{
	char code[16];
	uint32_t v;

	(void)state;
	assert_int_equal(sl_hotp(rfc_key, RFC_KEYLEN, 0, 0, &v), -EINVAL);
	assert_int_equal(sl_hotp(rfc_key, RFC_KEYLEN, 0, 10, &v), -EINVAL);
	assert_int_equal(sl_hotp(rfc_key, 0, 0, 6, &v), -EINVAL);
	assert_int_equal(sl_totp_code(rfc_key, RFC_KEYLEN, 59, 6, code, 6),
			 -ENOSPC);
}

/* The code of step s for the RFC key, 6 digits. */
static void code_at_step(uint64_t s, char out[8])
{
	assert_int_equal(sl_totp_code(rfc_key, RFC_KEYLEN, (time_t)(s * 30),
				      6, out, 8), 0);
}

static void test_totp_window(void **state)
{
	const time_t now = 1700000015; /* in the middle of its step */
	const uint64_t s = (uint64_t)now / 30;
	char code[8];
	uint64_t m;
	int d;

	(void)state;
	for (d = -1; d <= 1; d++) {
		code_at_step(s + (uint64_t)(int64_t)d, code);
		m = 0;
		assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now,
						0, &m), 0);
		assert_int_equal(m, s + (uint64_t)(int64_t)d);
	}
	code_at_step(s - 2, code);
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now, 0, &m),
			 -EACCES);
	code_at_step(s + 2, code);
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now, 0, &m),
			 -EACCES);
}

static void test_totp_wrong_code(void **state)
{
	const time_t now = 1700000015;
	const uint64_t s = (uint64_t)now / 30;
	char c0[8], c1[8], c2[8], wrong[8];
	unsigned int v;

	(void)state;
	code_at_step(s - 1, c0);
	code_at_step(s, c1);
	code_at_step(s + 1, c2);
	/* A code next to the right one, matching no step of the window. */
	for (v = (unsigned int)atoi(c1) + 1;; v++) {
		snprintf(wrong, sizeof(wrong), "%06u", v % 1000000);
		if (strcmp(wrong, c0) && strcmp(wrong, c1) && strcmp(wrong, c2))
			break;
	}
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, wrong, now, 0,
					NULL), -EACCES);
}

static void test_totp_replay(void **state)
{
	const time_t now = 1700000015;
	const uint64_t s = (uint64_t)now / 30;
	char code[8];
	uint64_t m = 0;

	(void)state;
	code_at_step(s, code);
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now, 0, &m),
			 0);
	/* The same code again, also 20 s later (next step). */
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now, m,
					NULL), -EALREADY);
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now + 20, m,
					NULL), -EALREADY);
	/* An older code after a newer one was used. */
	code_at_step(s - 1, code);
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now, m,
					NULL), -EALREADY);
	/* The next step's code is fine. */
	code_at_step(s + 1, code);
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, code, now, m, &m),
			 0);
	assert_int_equal(m, s + 1);
}

static void test_totp_malformed(void **state)
{
	static const char *const bad[] = {
		"", "12345", "1234567", "12a456", " 12345", "123456 ",
		"+12345", "-12345",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, bad[i],
						1700000015, 0, NULL), -EINVAL);
	assert_int_equal(sl_totp_verify(rfc_key, RFC_KEYLEN, NULL, 1700000015,
					0, NULL), -EINVAL);
}

static void test_secret_new(void **state)
{
	uint8_t a[SL_TOTP_SECRET_LEN], b[SL_TOTP_SECRET_LEN];
	static const uint8_t zero[SL_TOTP_SECRET_LEN];

	(void)state;
	assert_int_equal(sl_totp_secret_new(a), 0);
	assert_int_equal(sl_totp_secret_new(b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
}

static const struct {
	const char *in, *pad, *nopad;
} b32_vec[] = {
	{ "", "", "" },
	{ "f", "MY======", "MY" },
	{ "fo", "MZXQ====", "MZXQ" },
	{ "foo", "MZXW6===", "MZXW6" },
	{ "foob", "MZXW6YQ=", "MZXW6YQ" },
	{ "fooba", "MZXW6YTB", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI======", "MZXW6YTBOI" },
};

static void test_base32_rfc4648(void **state)
{
	char out[64];
	uint8_t dec[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(b32_vec) / sizeof(b32_vec[0]); i++) {
		size_t n = strlen(b32_vec[i].in);

		assert_int_equal(sl_base32_encode((const uint8_t *)b32_vec[i].in,
						  n, true, out, sizeof(out)),
				 strlen(b32_vec[i].pad));
		assert_string_equal(out, b32_vec[i].pad);
		assert_int_equal(sl_base32_encode((const uint8_t *)b32_vec[i].in,
						  n, false, out, sizeof(out)),
				 strlen(b32_vec[i].nopad));
		assert_string_equal(out, b32_vec[i].nopad);
		assert_int_equal(sl_base32_decode(b32_vec[i].pad, dec,
						  sizeof(dec)), n);
		assert_memory_equal(dec, b32_vec[i].in, n);
		assert_int_equal(sl_base32_decode(b32_vec[i].nopad, dec,
						  sizeof(dec)), n);
		assert_memory_equal(dec, b32_vec[i].in, n);
	}
	assert_int_equal(sl_base32_decode("mzxw6ytboi", dec, sizeof(dec)), 6);
	assert_memory_equal(dec, "foobar", 6);
}

static void test_base32_round_trip(void **state)
{
	uint8_t in[41], dec[41];
	char enc[80];
	size_t n, i;
	int pad;

	(void)state;
	for (n = 0; n <= sizeof(in); n++) {
		for (i = 0; i < n; i++)
			in[i] = (uint8_t)(i * 37 + n * 11 + 0xa5);
		for (pad = 0; pad <= 1; pad++) {
			assert_true(sl_base32_encode(in, n, pad, enc,
						     sizeof(enc)) >= 0);
			assert_int_equal(sl_base32_decode(enc, dec,
							  sizeof(dec)), n);
			assert_memory_equal(dec, in, n);
		}
	}
}

static void test_base32_invalid(void **state)
{
	static const char *const bad[] = {
		"M",		/* 1 leftover character */
		"MZX",		/* 3 */
		"MZXW6Y",	/* 6 */
		"MY=====",	/* padding short of the group */
		"MY=",
		"MY=======",	/* 9 characters */
		"MZXW6YTB========", /* a whole group of padding */
		"MY======MY======", /* padding in the middle */
		"MZ======",	/* non-zero bits after the byte */
		"MZXW6YQ1",	/* '1' is not in the alphabet */
		"MZXW 6YQ",	/* space */
		"MZXW6YQ\n",
		"MZXW6YT=",	/* non-zero bits after the last byte */
	};
	uint8_t dec[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_base32_decode(bad[i], dec, sizeof(dec)) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(sl_base32_decode(NULL, dec, sizeof(dec)), -EINVAL);
}

static void test_base32_space(void **state)
{
	uint8_t dec[5];
	char enc[9];

	(void)state;
	assert_int_equal(sl_base32_decode("MZXW6YTBOI", dec, sizeof(dec)),
			 -ENOSPC);
	assert_int_equal(sl_base32_encode((const uint8_t *)"fooba", 5, true,
					  enc, 8), -ENOSPC);
	assert_int_equal(sl_base32_encode((const uint8_t *)"fooba", 5, true,
					  enc, 9), 8);
}

static void test_uri(void **state)
{
	char uri[SL_TOTP_URI_MAX];

	(void)state;
	assert_int_equal(sl_totp_uri("sluice relay", "alice@acme.example",
				     rfc_key, RFC_KEYLEN, uri, sizeof(uri)), 0);
	assert_string_equal(uri,
		"otpauth://totp/sluice%20relay:alice%40acme.example"
		"?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
		"&issuer=sluice%20relay&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(sl_totp_uri("relay&x=1", "b\xc3\xa4r/~_.-", rfc_key,
				     RFC_KEYLEN, uri, sizeof(uri)), 0);
	assert_non_null(strstr(uri, "totp/relay%26x%3D1:b%C3%A4r%2F~_.-?"));
	assert_non_null(strstr(uri, "&issuer=relay%26x%3D1&"));
}

static void test_uri_invalid(void **state)
{
	char uri[SL_TOTP_URI_MAX];

	(void)state;
	assert_int_equal(sl_totp_uri("a:b", "alice", rfc_key, RFC_KEYLEN, uri,
				     sizeof(uri)), -EINVAL);
	assert_int_equal(sl_totp_uri("relay", "al:ice", rfc_key, RFC_KEYLEN,
				     uri, sizeof(uri)), -EINVAL);
	assert_int_equal(sl_totp_uri("", "alice", rfc_key, RFC_KEYLEN, uri,
				     sizeof(uri)), -EINVAL);
	assert_int_equal(sl_totp_uri("relay", "", rfc_key, RFC_KEYLEN, uri,
				     sizeof(uri)), -EINVAL);
	assert_int_equal(sl_totp_uri("relay", "alice", rfc_key, 0, uri,
				     sizeof(uri)), -EINVAL);
	assert_int_equal(sl_totp_uri("relay", "alice", rfc_key, RFC_KEYLEN, uri,
				     40), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_rfc4226),
		cmocka_unit_test(test_totp_rfc6238_8_digits),
		cmocka_unit_test(test_totp_rfc6238_6_digits),
		cmocka_unit_test(test_totp_bad_args),
		cmocka_unit_test(test_totp_window),
		cmocka_unit_test(test_totp_wrong_code),
		cmocka_unit_test(test_totp_replay),
		cmocka_unit_test(test_totp_malformed),
		cmocka_unit_test(test_secret_new),
		cmocka_unit_test(test_base32_rfc4648),
		cmocka_unit_test(test_base32_round_trip),
		cmocka_unit_test(test_base32_invalid),
		cmocka_unit_test(test_base32_space),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_uri_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
