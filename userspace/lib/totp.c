// SPDX-License-Identifier: MIT
#include "totp.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int sl_hotp(const uint8_t *key, size_t keylen, uint64_t counter,
	    unsigned int digits, uint32_t *code)
{
	static const uint32_t pow10[] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000, 1000000000,
	};
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, off;
	uint32_t bin;
	int i;

	if (!key || keylen < 1 || keylen > SL_TOTP_KEY_MAX || digits < 1 ||
	    digits > 9)
		return -EINVAL;
	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)counter;
		counter >>= 8;
	}
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac,
		  &maclen) || maclen != 20)
		return -EINVAL;
	/* RFC 4226 5.3: dynamic truncation. */
	off = mac[19] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	      ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
	      mac[off + 3];
	*code = bin % pow10[digits];
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

uint64_t sl_totp_step(time_t t)
{
	return t < 0 ? 0 : (uint64_t)t / SL_TOTP_STEP;
}

static int format_code(uint32_t v, unsigned int digits, char *out,
		       size_t outlen)
{
	if (outlen <= digits)
		return -ENOSPC;
	snprintf(out, outlen, "%0*u", (int)digits, v);
	return 0;
}

int sl_totp_code(const uint8_t *key, size_t keylen, time_t t,
		 unsigned int digits, char *out, size_t outlen)
{
	uint32_t v;
	int err;

	err = sl_hotp(key, keylen, sl_totp_step(t), digits, &v);
	if (err)
		return err;
	return format_code(v, digits, out, outlen);
}

int sl_totp_verify(const uint8_t *key, size_t keylen, const char *code,
		   time_t now, uint64_t last_step, uint64_t *matched)
{
	uint64_t step = sl_totp_step(now), s, hit = 0;
	unsigned int i, found = 0;
	char want[SL_TOTP_DIGITS + 1];
	int err = 0;

	if (!code)
		return -EINVAL;
	for (i = 0; i < SL_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return -EINVAL;
	if (code[SL_TOTP_DIGITS])
		return -EINVAL;

	/*
	 * Compute and compare every step of the window whatever matched, so
	 * the time taken does not depend on the code.
	 */
	for (s = step >= SL_TOTP_WINDOW ? step - SL_TOTP_WINDOW : 0;
	     s <= step + SL_TOTP_WINDOW; s++) {
		uint32_t v;
		unsigned int eq;

		err = sl_hotp(key, keylen, s, SL_TOTP_DIGITS, &v);
		if (err)
			break;
		format_code(v, SL_TOTP_DIGITS, want, sizeof(want));
		eq = CRYPTO_memcmp(want, code, SL_TOTP_DIGITS) == 0;
		/* The latest matching step wins (codes may repeat). */
		hit = eq ? s : hit;
		found |= eq;
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (err)
		return err;
	if (!found)
		return -EACCES;
	if (hit <= last_step)
		return -EALREADY;
	if (matched)
		*matched = hit;
	return 0;
}

int sl_totp_secret_new(uint8_t key[SL_TOTP_SECRET_LEN])
{
	return RAND_bytes(key, SL_TOTP_SECRET_LEN) == 1 ? 0 : -EIO;
}

ssize_t sl_base32_encode(const uint8_t *in, size_t n, bool pad, char *out,
			 size_t outlen)
{
	size_t chars = (n * 8 + 4) / 5, total, i, o = 0;
	uint32_t acc = 0;
	unsigned int bits = 0;

	total = pad ? (n + 4) / 5 * 8 : chars;
	if (outlen <= total)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	while (o < total)
		out[o++] = '=';
	out[o] = '\0';
	return (ssize_t)o;
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

ssize_t sl_base32_decode(const char *in, uint8_t *out, size_t outlen)
{
	size_t len, data, i, o = 0, rem;
	uint32_t acc = 0;
	unsigned int bits = 0;

	if (!in)
		return -EINVAL;
	len = strlen(in);
	data = len;
	while (data > 0 && in[data - 1] == '=')
		data--;
	/* Padding, when present, fills the last 8-character group. */
	if (data != len && len % 8)
		return -EINVAL;
	if (len - data > 6)
		return -EINVAL;
	/* 1, 3 and 6 leftover characters cannot end a byte string. */
	rem = data % 8;
	if (rem == 1 || rem == 3 || rem == 6)
		return -EINVAL;
	if (data != len && (len - data) != (8 - rem) % 8)
		return -EINVAL;
	if (data * 5 / 8 > outlen)
		return -ENOSPC;
	for (i = 0; i < data; i++) {
		int v = b32_value(in[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Canonical input only: the bits after the last byte are zero. */
	if (acc & ((1u << bits) - 1))
		return -EINVAL;
	return (ssize_t)o;
}

/* RFC 3986 unreserved characters stay, everything else is %XX. */
static int pct_encode(const char *s, char *out, size_t outlen, size_t *pos)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = *pos;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (o + 1 >= outlen)
				return -ENOSPC;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				return -ENOSPC;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	*pos = o;
	return 0;
}

static int append(const char *s, char *out, size_t outlen, size_t *pos)
{
	size_t n = strlen(s);

	if (*pos + n >= outlen)
		return -ENOSPC;
	memcpy(out + *pos, s, n + 1);
	*pos += n;
	return 0;
}

int sl_totp_uri(const char *issuer, const char *account, const uint8_t *key,
		size_t keylen, char *out, size_t outlen)
{
	char secret[SL_BASE32_MAX];
	size_t pos = 0;
	int err;

	if (!issuer || !account || !*issuer || !*account ||
	    strchr(issuer, ':') || strchr(account, ':') || !key ||
	    keylen < 1 || keylen > SL_TOTP_KEY_MAX || outlen < 1)
		return -EINVAL;
	if (sl_base32_encode(key, keylen, false, secret, sizeof(secret)) < 0)
		return -EINVAL;
	err = append("otpauth://totp/", out, outlen, &pos);
	err = err ?: pct_encode(issuer, out, outlen, &pos);
	err = err ?: append(":", out, outlen, &pos);
	err = err ?: pct_encode(account, out, outlen, &pos);
	err = err ?: append("?secret=", out, outlen, &pos);
	err = err ?: append(secret, out, outlen, &pos);
	err = err ?: append("&issuer=", out, outlen, &pos);
	err = err ?: pct_encode(issuer, out, outlen, &pos);
	err = err ?: append("&algorithm=SHA1&digits=6&period=30", out, outlen,
			    &pos);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (err)
		out[0] = '\0';
	return err;
}
