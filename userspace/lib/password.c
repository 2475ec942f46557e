// SPDX-License-Identifier: MIT
#include "password.h"

#include <argon2.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

const struct sl_password_params sl_password_default = {
	.t_cost = 3,
	.m_cost_kib = 64 * 1024,
	.parallelism = 1,
};

static bool params_ok(const struct sl_password_params *p)
{
	return p->t_cost >= 1 && p->t_cost <= SL_PASSWORD_T_MAX &&
	       p->parallelism >= 1 && p->parallelism <= SL_PASSWORD_P_MAX &&
	       p->m_cost_kib >= 8 * p->parallelism &&
	       p->m_cost_kib <= SL_PASSWORD_M_MAX_KIB;
}

static int argon2_to_errno(int rc)
{
	switch (rc) {
	case ARGON2_OK:
		return 0;
	case ARGON2_VERIFY_MISMATCH:
		return -EACCES;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	case ARGON2_ENCODING_FAIL:
		return -ENOSPC;
	default:
		return -EINVAL;
	}
}

int sl_password_hash(const char *pw, size_t len,
		     const struct sl_password_params *params, char *out,
		     size_t outlen)
{
	uint8_t salt[SL_PASSWORD_SALT_LEN];
	size_t need;
	int rc;

	if (!params)
		params = &sl_password_default;
	if (!pw || len < SL_PASSWORD_MIN || !params_ok(params))
		return -EINVAL;
	if (len > SL_PASSWORD_MAX)
		return -E2BIG;
	need = argon2_encodedlen(params->t_cost, params->m_cost_kib,
				 params->parallelism, SL_PASSWORD_SALT_LEN,
				 SL_PASSWORD_HASH_LEN, Argon2_id);
	if (!out || outlen < need)
		return -ENOSPC;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -EIO;
	rc = argon2id_hash_encoded(params->t_cost, params->m_cost_kib,
				   params->parallelism, pw, len, salt,
				   sizeof(salt), SL_PASSWORD_HASH_LEN, out,
				   outlen);
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != ARGON2_OK)
		out[0] = '\0';
	return argon2_to_errno(rc);
}

/* A decimal number of at most 10 digits that fits in uint32_t. */
static const char *parse_u32(const char *s, uint32_t *v)
{
	uint64_t n = 0;
	int i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == 10 || (i == 1 && s[0] == '0'))
			return NULL;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || n > UINT32_MAX)
		return NULL;
	*v = (uint32_t)n;
	return s + i;
}

static const char *expect(const char *s, const char *lit)
{
	size_t n = strlen(lit);

	return s && strncmp(s, lit, n) == 0 ? s + n : NULL;
}

/*
 * Reads the parameters of "$argon2id$v=19$m=M,t=T,p=P$..." and checks
 * them against the bounds before libargon2 gets to allocate m KiB.
 */
static int parse_params(const char *enc, struct sl_password_params *p)
{
	const char *s;

	if (!enc || strnlen(enc, 512) >= 512)
		return -EINVAL;
	s = expect(enc, "$argon2id$v=19$m=");
	s = s ? parse_u32(s, &p->m_cost_kib) : NULL;
	s = expect(s, ",t=");
	s = s ? parse_u32(s, &p->t_cost) : NULL;
	s = expect(s, ",p=");
	s = s ? parse_u32(s, &p->parallelism) : NULL;
	s = expect(s, "$");
	if (!s || !params_ok(p))
		return -EINVAL;
	return 0;
}

int sl_password_verify(const char *encoded, const char *pw, size_t len)
{
	struct sl_password_params p;

	if (parse_params(encoded, &p))
		return -EINVAL;
	if (len > SL_PASSWORD_MAX)
		return -E2BIG;
	if (!pw || len == 0)
		return -EACCES;
	return argon2_to_errno(argon2id_verify(encoded, pw, len));
}

bool sl_password_needs_rehash(const char *encoded,
			      const struct sl_password_params *params)
{
	struct sl_password_params p;

	if (!params)
		params = &sl_password_default;
	if (parse_params(encoded, &p))
		return true;
	return p.t_cost != params->t_cost ||
	       p.m_cost_kib != params->m_cost_kib ||
	       p.parallelism != params->parallelism;
}

const char *sl_password_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case -EACCES:
		return "wrong password";
	case -E2BIG:
		return "password too long";
	case -EINVAL:
		return "invalid password, hash or parameters";
	case -ENOSPC:
		return "buffer too small for the hash";
	case -ENOMEM:
		return "out of memory";
	case -EIO:
		return "no randomness for the salt";
	default:
		return "password error";
	}
}
