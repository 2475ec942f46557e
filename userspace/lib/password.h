/* SPDX-License-Identifier: MIT */
/*
 * User passwords, stored as Argon2id hashes in the PHC string format
 * ("$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>", base64 without
 * padding), made and checked with Debian's libargon2.
 *
 * Default cost: t=3 passes over m=64 MiB with p=1 lane.  This is RFC 9106's
 * second recommended setting ("if much less memory is available": t=3,
 * m=64 MiB) with one lane instead of four, so one check uses one core and
 * never starts threads.  64 MiB per guess is what makes offline guessing
 * on GPUs expensive.  Cost measured with Debian 12's libargon2:
 * 350-520 ms per hash on a shared, busy 2-core build VM; expect
 * 0.2-0.5 s on one core of a server.  So a check must not run on an event
 * loop that moves other users' bytes, and concurrent checks must be
 * bounded (each holds 64 MiB while it runs).
 *
 * Each hash records its own parameters, so raising the default later
 * keeps old hashes valid; sl_password_needs_rehash() says when to store a
 * new one.
 */
#ifndef SL_PASSWORD_H
#define SL_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_PASSWORD_MIN 8	/* bytes, for a new password */
#define SL_PASSWORD_MAX 1024	/* bytes; longer input is refused, not cut */
#define SL_PASSWORD_SALT_LEN 16
#define SL_PASSWORD_HASH_LEN 32
/* Longest encoded string sl_password_hash() writes, with its NUL. */
#define SL_PASSWORD_ENCODED_MAX 128

/*
 * Bounds on the parameters a stored string may carry, so that an edited
 * database cannot make a login take minutes or gigabytes.
 */
#define SL_PASSWORD_T_MAX 16
#define SL_PASSWORD_M_MAX_KIB (1024 * 1024)
#define SL_PASSWORD_P_MAX 8

struct sl_password_params {
	uint32_t t_cost;	/**< passes, 1..SL_PASSWORD_T_MAX */
	uint32_t m_cost_kib;	/**< KiB, 8*p..SL_PASSWORD_M_MAX_KIB */
	uint32_t parallelism;	/**< lanes, 1..SL_PASSWORD_P_MAX */
};

/* t=3, m=65536 KiB, p=1: see the comment at the top. */
extern const struct sl_password_params sl_password_default;

/*
 * Hashes pw (len bytes, SL_PASSWORD_MIN..SL_PASSWORD_MAX; any bytes) with
 * a fresh random salt.  params NULL means sl_password_default (tests pass
 * cheaper ones).  Writes the NUL-terminated PHC string into out.
 * Returns 0, -EINVAL (password too short or bad params), -E2BIG (password
 * too long), -ENOSPC (outlen too small), -EIO (no randomness) or -ENOMEM.
 */
int sl_password_hash(const char *pw, size_t len,
		     const struct sl_password_params *params, char *out,
		     size_t outlen);

/*
 * Checks pw against an encoded string from sl_password_hash().  Returns
 * 0 when it matches, -EACCES when it does not (also for an empty
 * password), -E2BIG when pw is longer than SL_PASSWORD_MAX, -EINVAL when
 * encoded is not an Argon2id string within the bounds above (a damaged
 * or tampered record: log it, it is not a wrong password), -ENOMEM.
 */
int sl_password_verify(const char *encoded, const char *pw, size_t len);

/*
 * True when encoded uses other parameters than params (NULL: the
 * default) or cannot be parsed: after a successful login the caller may
 * then store a new hash of the same password.
 */
bool sl_password_needs_rehash(const char *encoded,
			      const struct sl_password_params *params);

/* Short text for an error returned above ("password too long", ...). */
const char *sl_password_strerror(int err);

#endif
