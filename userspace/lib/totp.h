/* SPDX-License-Identifier: MIT */
/*
 * One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA-1,
 * 6 digits and a 30 s step, the parameters every authenticator app
 * supports; base32 (RFC 4648) for the secrets; otpauth:// URIs for
 * enrolment (the "Key Uri Format" of Google Authenticator).
 */
#ifndef SL_TOTP_H
#define SL_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define SL_TOTP_SECRET_LEN 20	/* bytes: RFC 4226's 160-bit secret */
#define SL_TOTP_STEP 30		/* seconds */
#define SL_TOTP_DIGITS 6
#define SL_TOTP_WINDOW 1	/* steps accepted either side of now */
#define SL_TOTP_KEY_MAX 64	/* longest secret accepted (bytes) */
/* base32 of SL_TOTP_KEY_MAX bytes with padding, and the NUL. */
#define SL_BASE32_MAX (((SL_TOTP_KEY_MAX + 4) / 5) * 8 + 1)
#define SL_TOTP_URI_MAX 1024

/*
 * HOTP value of counter: HMAC-SHA-1, dynamic truncation, modulo
 * 10^digits.  digits is 1..9 (RFC 6238's vectors use 8; sluice uses 6).
 * keylen 1..SL_TOTP_KEY_MAX.  Returns 0 with the value in *code, or
 * -EINVAL.
 */
int sl_hotp(const uint8_t *key, size_t keylen, uint64_t counter,
	    unsigned int digits, uint32_t *code);

/* The TOTP step of t: floor(t / SL_TOTP_STEP); 0 for t < 0. */
uint64_t sl_totp_step(time_t t);

/*
 * The TOTP code for time t as a zero-padded string of digits (1..9)
 * characters in out (outlen > digits).  Returns 0 or -EINVAL / -ENOSPC.
 */
int sl_totp_code(const uint8_t *key, size_t keylen, time_t t,
		 unsigned int digits, char *out, size_t outlen);

/*
 * Checks a user's code: exactly SL_TOTP_DIGITS ASCII digits, equal to the
 * code of step(now) - 1, step(now) or step(now) + 1.  Every candidate is
 * computed and compared in constant time, so the timing tells nothing
 * about which step matched.
 *
 * Replay: a code whose step is <= last_step is refused; pass the step the
 * previous successful login of this account used (0 when none) and store
 * *matched after a successful login.  This refuses the same code twice,
 * and also an older code after a newer one was used.
 *
 * Returns 0 with the step in *matched, -EACCES when no step matches,
 * -EALREADY when the code matched a step <= last_step (a replay), or
 * -EINVAL when code is not SL_TOTP_DIGITS digits or the key is bad.
 */
int sl_totp_verify(const uint8_t *key, size_t keylen, const char *code,
		   time_t now, uint64_t last_step, uint64_t *matched);

/* New random secret of SL_TOTP_SECRET_LEN bytes.  0 or -EIO. */
int sl_totp_secret_new(uint8_t key[SL_TOTP_SECRET_LEN]);

/*
 * RFC 4648 base32 ("A-Z2-7") of n bytes into out, with "=" padding when
 * pad is set (otpauth URIs use none).  out gets the NUL too.  Returns the
 * string length, or -ENOSPC when outlen is too small.
 */
ssize_t sl_base32_encode(const uint8_t *in, size_t n, bool pad, char *out,
			 size_t outlen);

/*
 * Decodes base32; accepts lower case and a missing or complete padding,
 * nothing else (no spaces, no non-zero bits after the last byte, no
 * impossible lengths).  Returns the number of bytes, -EINVAL on bad input
 * or -ENOSPC when outlen is too small.
 */
ssize_t sl_base32_decode(const char *in, uint8_t *out, size_t outlen);

/*
 *   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER
 *   &algorithm=SHA1&digits=6&period=30 (one line)
 * with issuer and account percent-encoded (everything but RFC 3986
 * unreserved characters).  Neither may be empty or contain ':' (the label
 * separator).  Returns 0, -EINVAL or -ENOSPC (outlen: SL_TOTP_URI_MAX is
 * enough for names up to 128 bytes).
 */
int sl_totp_uri(const char *issuer, const char *account, const uint8_t *key,
		size_t keylen, char *out, size_t outlen);

#endif
