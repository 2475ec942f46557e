// SPDX-License-Identifier: MIT
/*
 * Unit tests of Argon2id password hashes (userspace/lib/password.c):
 * hash and verify, wrong password, tampered and out-of-bounds encoded
 * strings, length bounds, parameters, rehash decisions.  Most tests use
 * cheap parameters; one hashes with the default cost and prints the time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "password.h"

static const struct sl_password_params cheap = {
	.t_cost = 1,
	.m_cost_kib = 256,
	.parallelism = 1,
};

#define PW "correct horse battery staple"

static void hash_cheap(const char *pw, size_t len, char *out)
{
	assert_int_equal(sl_password_hash(pw, len, &cheap, out,
					  SL_PASSWORD_ENCODED_MAX), 0);
}

static void test_hash_verify(void **state)
{
	char enc[SL_PASSWORD_ENCODED_MAX];

	(void)state;
	hash_cheap(PW, strlen(PW), enc);
	assert_true(strncmp(enc, "$argon2id$v=19$m=256,t=1,p=1$", 29) == 0);
	assert_int_equal(sl_password_verify(enc, PW, strlen(PW)), 0);
}

static void test_salt_is_random(void **state)
{
	char a[SL_PASSWORD_ENCODED_MAX], b[SL_PASSWORD_ENCODED_MAX];

	(void)state;
	hash_cheap(PW, strlen(PW), a);
	hash_cheap(PW, strlen(PW), b);
	assert_string_not_equal(a, b);
	assert_int_equal(sl_password_verify(b, PW, strlen(PW)), 0);
}

static void test_wrong_password(void **state)
{
	char enc[SL_PASSWORD_ENCODED_MAX];

	(void)state;
	hash_cheap(PW, strlen(PW), enc);
	assert_int_equal(sl_password_verify(enc, "correct horse battery stapl",
					    strlen(PW) - 1), -EACCES);
	assert_int_equal(sl_password_verify(enc, "Correct horse battery staple",
					    strlen(PW)), -EACCES);
	assert_int_equal(sl_password_verify(enc, "", 0), -EACCES);
	assert_int_equal(sl_password_verify(enc, NULL, 0), -EACCES);
}

/* The length counts, not the C string: bytes after a NUL matter. */
static void test_binary_password(void **state)
{
	char enc[SL_PASSWORD_ENCODED_MAX];
	static const char pw[] = "abc\0defghij";

	(void)state;
	hash_cheap(pw, sizeof(pw) - 1, enc);
	assert_int_equal(sl_password_verify(enc, pw, sizeof(pw) - 1), 0);
	assert_int_equal(sl_password_verify(enc, "abc\0defghiX",
					    sizeof(pw) - 1), -EACCES);
	assert_int_equal(sl_password_verify(enc, pw, 3), -EACCES);
}

/* Flips one character of the salt and of the hash: no longer matches. */
static void test_tampered_hash(void **state)
{
	char enc[SL_PASSWORD_ENCODED_MAX], t[SL_PASSWORD_ENCODED_MAX];
	char *salt, *hash;

	(void)state;
	hash_cheap(PW, strlen(PW), enc);
	salt = strrchr(enc, '$');
	assert_non_null(salt);
	hash = salt + 1;
	salt = strstr(enc, "p=1$") + 4;

	strcpy(t, enc);
	t[hash - enc + 3] = t[hash - enc + 3] == 'A' ? 'B' : 'A';
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EACCES);

	strcpy(t, enc);
	t[salt - enc + 2] = t[salt - enc + 2] == 'A' ? 'B' : 'A';
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EACCES);

	/* A changed cost gives another hash too. */
	strcpy(t, enc);
	memcpy(strstr(t, "t=1"), "t=2", 3);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EACCES);
}

static void test_malformed_encoded(void **state)
{
	char enc[SL_PASSWORD_ENCODED_MAX], t[SL_PASSWORD_ENCODED_MAX + 32];
	const char *rest;

	(void)state;
	hash_cheap(PW, strlen(PW), enc);
	rest = strstr(enc, "p=1$") + 3;

	/* Truncated in the hash. */
	strcpy(t, enc);
	t[strlen(t) - 10] = '\0';
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	/* Another Argon2 variant. */
	snprintf(t, sizeof(t), "$argon2i$v=19$m=256,t=1,p=1%s", rest);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	/* Another version. */
	snprintf(t, sizeof(t), "$argon2id$v=16$m=256,t=1,p=1%s", rest);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	/* Costs beyond the bounds are refused before any work. */
	snprintf(t, sizeof(t), "$argon2id$v=19$m=4194304,t=1,p=1%s", rest);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	snprintf(t, sizeof(t), "$argon2id$v=19$m=256,t=1000,p=1%s", rest);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	snprintf(t, sizeof(t), "$argon2id$v=19$m=256,t=1,p=64%s", rest);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	snprintf(t, sizeof(t), "$argon2id$v=19$m=99999999999,t=1,p=1%s", rest);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	snprintf(t, sizeof(t), "$argon2id$v=19$m=0256,t=1,p=1%s", rest);
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	/* Garbage in the base64 of the salt. */
	strcpy(t, enc);
	t[rest - enc + 2] = '*';
	assert_int_equal(sl_password_verify(t, PW, strlen(PW)), -EINVAL);
	assert_int_equal(sl_password_verify("", PW, strlen(PW)), -EINVAL);
	assert_int_equal(sl_password_verify(NULL, PW, strlen(PW)), -EINVAL);
	assert_int_equal(sl_password_verify("plain text", PW, strlen(PW)),
			 -EINVAL);
}

static void test_length_bounds(void **state)
{
	static char big[SL_PASSWORD_MAX + 2];
	char enc[SL_PASSWORD_ENCODED_MAX];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(sl_password_hash(big, SL_PASSWORD_MAX + 1, &cheap, enc,
					  sizeof(enc)), -E2BIG);
	assert_int_equal(sl_password_hash(big, SL_PASSWORD_MAX, &cheap, enc,
					  sizeof(enc)), 0);
	assert_int_equal(sl_password_verify(enc, big, SL_PASSWORD_MAX), 0);
	assert_int_equal(sl_password_verify(enc, big, SL_PASSWORD_MAX + 1),
			 -E2BIG);
	assert_int_equal(sl_password_hash("1234567", SL_PASSWORD_MIN - 1,
					  &cheap, enc, sizeof(enc)), -EINVAL);
	assert_int_equal(sl_password_hash("12345678", SL_PASSWORD_MIN, &cheap,
					  enc, sizeof(enc)), 0);
	assert_string_equal(sl_password_strerror(-E2BIG), "password too long");
}

static void test_bad_params_and_space(void **state)
{
	struct sl_password_params p = cheap;
	char enc[SL_PASSWORD_ENCODED_MAX];

	(void)state;
	p.t_cost = 0;
	assert_int_equal(sl_password_hash(PW, strlen(PW), &p, enc, sizeof(enc)),
			 -EINVAL);
	p = cheap;
	p.m_cost_kib = 4;
	assert_int_equal(sl_password_hash(PW, strlen(PW), &p, enc, sizeof(enc)),
			 -EINVAL);
	p = cheap;
	p.parallelism = SL_PASSWORD_P_MAX + 1;
	assert_int_equal(sl_password_hash(PW, strlen(PW), &p, enc, sizeof(enc)),
			 -EINVAL);
	assert_int_equal(sl_password_hash(PW, strlen(PW), &cheap, enc, 40),
			 -ENOSPC);
}

static void test_needs_rehash(void **state)
{
	struct sl_password_params p = cheap;
	char enc[SL_PASSWORD_ENCODED_MAX];

	(void)state;
	hash_cheap(PW, strlen(PW), enc);
	assert_false(sl_password_needs_rehash(enc, &cheap));
	assert_true(sl_password_needs_rehash(enc, NULL));
	p.t_cost = 2;
	assert_true(sl_password_needs_rehash(enc, &p));
	assert_true(sl_password_needs_rehash("junk", &cheap));
}

/* The default cost, as the relay uses it; prints how long a hash takes. */
static void test_default_params(void **state)
{
	char enc[SL_PASSWORD_ENCODED_MAX];
	struct timespec t0, t1;
	double ms;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sl_password_hash(PW, strlen(PW), NULL, enc,
					  sizeof(enc)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("argon2id t=3 m=64MiB p=1: %.0f ms per hash\n", ms);
	assert_true(strncmp(enc, "$argon2id$v=19$m=65536,t=3,p=1$", 31) == 0);
	assert_false(sl_password_needs_rehash(enc, NULL));
	assert_int_equal(sl_password_verify(enc, PW, strlen(PW)), 0);
	assert_int_equal(sl_password_verify(enc, "wrong password", 14),
			 -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_salt_is_random),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_binary_password),
		cmocka_unit_test(test_tampered_hash),
		cmocka_unit_test(test_malformed_encoded),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_bad_params_and_space),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_default_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
