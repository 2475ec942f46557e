// SPDX-License-Identifier: MIT
/*
 * Users: Argon2id PHC string (made and checked by the caller), state flags
 * and the TOTP seed, encrypted.  A TOTP record is
 *
 *	version (1 byte, 1) | nonce (12) | ciphertext | GCM tag (16)
 *
 * under AES-256-GCM with the secret.key, a fresh random nonce per record
 * and "sluice-totp:<user name>" as associated data, so a record copied onto
 * another user's row does not decrypt.
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ports.h"

#define TOTP_VERSION 1
#define NONCE_LEN 12
#define TAG_LEN 16
#define REC_MAX (1 + NONCE_LEN + STORE_TOTP_SECRET_MAX + TAG_LEN)

#define USER_COLS "u.name, u.disabled, u.totp_enc IS NOT NULL, u.expires_at, " \
	"u.created, coalesce(l.failures, 0), coalesce(l.until, 0) FROM users u " \
	"LEFT JOIN lockouts l ON l.kind = 1 AND l.key = u.name "

_Static_assert(STORE_LOCK_ACCOUNT == 1, "USER_COLS joins kind 1");

/* el: a struct store_user (store_rows() zeroes it; single rows do too). */
static void user_row(sqlite3_stmt *st, void *el)
{
	struct store_user *u = el;

	memset(u, 0, sizeof(*u));
	store_col(st, 0, u->name, sizeof(u->name));
	u->disabled = sqlite3_column_int(st, 1);
	u->totp_enabled = sqlite3_column_int(st, 2);
	u->expires_at = sqlite3_column_int64(st, 3);
	u->created = sqlite3_column_int64(st, 4);
	u->failed = (unsigned int)sqlite3_column_int64(st, 5);
	u->locked_until = sqlite3_column_int64(st, 6);
}

int64_t store_user_id(struct store *s, const char *name)
{
	sqlite3_stmt *st;
	int64_t id;
	int ret;

	st = store_stmt(s, "SELECT id FROM users WHERE name = ?", "t", name);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1)
		id = sqlite3_column_int64(st, 0);
	else
		id = ret ? ret : store_err(s, -ENOENT, "no user %s", name);
	store_done(s, st);
	return id;
}

static int check_phc(struct store *s, const char *phc)
{
	/* A hash, never a password: refuse anything else by its shape. */
	if (!phc || strncmp(phc, "$argon2id$", 10) || strlen(phc) > STORE_PHC_MAX)
		return store_err(s, -EINVAL, "password must be an Argon2id "
				 "PHC string ($argon2id$...)");
	return 0;
}

static int update(struct store *s, const char *name, int ret)
{
	if (ret == 0)
		return store_err(s, -ENOENT, "no user %s", name);
	return ret < 0 ? ret : 0;
}

int store_user_create(struct store *s, const char *name, const char *phc,
		      int64_t expires_at, int64_t now)
{
	int ret;

	if (!name || !*name || !sl_name_valid(name))
		return store_err(s, -EINVAL, "bad user name \"%s\"",
				 name ? name : "");
	ret = check_phc(s, phc);
	if (ret)
		return ret;
	ret = store_run(s, "INSERT INTO users (name, phc, expires_at, created) "
			"VALUES (?, ?, ?, ?)", "ttii", name, phc, expires_at,
			now);
	if (ret == -EEXIST)
		return store_err(s, ret, "user %s exists", name);
	return ret < 0 ? ret : 0;
}

int store_user_get(struct store *s, const char *name, struct store_user *out)
{
	sqlite3_stmt *st;
	int ret;

	st = store_stmt(s, "SELECT " USER_COLS "WHERE u.name = ?", "t", name);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1) {
		user_row(st, out);
		ret = 0;
	} else if (!ret) {
		ret = store_err(s, -ENOENT, "no user %s", name);
	}
	store_done(s, st);
	return ret;
}

int store_user_list(struct store *s, struct store_user **out, size_t *n)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "SELECT " USER_COLS "ORDER BY u.name", NULL);
	return store_rows(s, st, sizeof(**out), user_row, (void **)out, n);
}

int store_user_delete(struct store *s, const char *name)
{
	int ret = store_tx(s);

	if (ret)
		return ret;
	ret = update(s, name, store_run(s, "DELETE FROM users WHERE name = ?",
					"t", name));
	if (!ret)
		ret = store_run(s, "DELETE FROM lockouts WHERE kind = 1 AND "
				"key = ?", "t", name);
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_user_set_password(struct store *s, const char *name,
			    const char *phc)
{
	int ret = check_phc(s, phc);

	if (ret)
		return ret;
	return update(s, name, store_run(s, "UPDATE users SET phc = ? WHERE "
					 "name = ?", "tt", phc, name));
}

int store_user_get_password(struct store *s, const char *name, char *phc,
			    size_t len)
{
	sqlite3_stmt *st;
	int ret;

	st = store_stmt(s, "SELECT phc FROM users WHERE name = ?", "t", name);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1) {
		ret = 0;
		if ((size_t)sqlite3_column_bytes(st, 0) >= len)
			ret = store_err(s, -ENOSPC, "PHC string too long");
		else
			store_col(st, 0, phc, len);
	} else if (!ret) {
		ret = store_err(s, -ENOENT, "no user %s", name);
	}
	store_done(s, st);
	return ret;
}

int store_user_set_disabled(struct store *s, const char *name, bool disabled)
{
	return update(s, name, store_run(s, "UPDATE users SET disabled = ? "
					 "WHERE name = ?", "it",
					 (int64_t)disabled, name));
}

int store_user_set_expiry(struct store *s, const char *name,
			  int64_t expires_at)
{
	return update(s, name, store_run(s, "UPDATE users SET expires_at = ? "
					 "WHERE name = ?", "it", expires_at,
					 name));
}

/* AES-256-GCM of in[0..len) into rec (REC_MAX); returns the record length. */
static int seal(struct store *s, const char *name, const unsigned char *in,
		size_t len, unsigned char *rec)
{
	char aad[SLUICE_NAME_MAX + 16];
	EVP_CIPHER_CTX *c;
	int n = 0, m = 0, ok;

	snprintf(aad, sizeof(aad), "sluice-totp:%s", name);
	rec[0] = TOTP_VERSION;
	if (RAND_bytes(rec + 1, NONCE_LEN) != 1)
		return store_err(s, -EIO, "no random bytes for a nonce");
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), s->key, rec + 1,
				      NULL) &&
	     EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)aad,
			       (int)strlen(aad)) &&
	     EVP_EncryptUpdate(c, rec + 1 + NONCE_LEN, &n, in, (int)len) &&
	     EVP_EncryptFinal_ex(c, rec + 1 + NONCE_LEN + n, &m) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
				 rec + 1 + NONCE_LEN + n + m);
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return store_err(s, -EIO, "AES-256-GCM encryption failed");
	return 1 + NONCE_LEN + n + m + TAG_LEN;
}

static int open_rec(struct store *s, const char *name, const unsigned char *rec,
		    size_t rlen, unsigned char *out, size_t *len)
{
	char aad[SLUICE_NAME_MAX + 16];
	EVP_CIPHER_CTX *c;
	int n = 0, m = 0, ok, clen;

	if (rlen < 1 + NONCE_LEN + TAG_LEN || rlen > REC_MAX ||
	    rec[0] != TOTP_VERSION)
		return store_err(s, -EBADMSG, "TOTP record of %s is damaged",
				 name);
	clen = (int)(rlen - 1 - NONCE_LEN - TAG_LEN);
	snprintf(aad, sizeof(aad), "sluice-totp:%s", name);
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_DecryptInit_ex2(c, EVP_aes_256_gcm(), s->key, rec + 1,
				      NULL) &&
	     EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)aad,
			       (int)strlen(aad)) &&
	     EVP_DecryptUpdate(c, out, &n, rec + 1 + NONCE_LEN, clen) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
				 (void *)(rec + 1 + NONCE_LEN + clen)) &&
	     EVP_DecryptFinal_ex(c, out + n, &m) > 0;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		OPENSSL_cleanse(out, STORE_TOTP_SECRET_MAX);
		return store_err(s, -EBADMSG, "TOTP record of %s does not "
				 "decrypt (wrong %s, or the row was edited)",
				 name, STORE_KEY_FILE);
	}
	*len = (size_t)(n + m);
	return 0;
}

int store_user_totp_set(struct store *s, const char *name,
			const unsigned char *secret, size_t len)
{
	unsigned char rec[REC_MAX];
	int ret;

	if (!len || len > STORE_TOTP_SECRET_MAX)
		return store_err(s, -EINVAL, "TOTP secret of %zu bytes (1..%d)",
				 len, STORE_TOTP_SECRET_MAX);
	ret = store_secret_key(s);
	if (ret)
		return ret;
	ret = seal(s, name, secret, len, rec);
	if (ret < 0)
		return ret;
	return update(s, name, store_run(s, "UPDATE users SET totp_enc = ?, "
					 "totp_last_step = 0 WHERE name = ?",
					 "bt", rec, ret, name));
}

int store_user_totp_clear(struct store *s, const char *name)
{
	return update(s, name, store_run(s, "UPDATE users SET totp_enc = NULL, "
					 "totp_last_step = 0 WHERE name = ?",
					 "t", name));
}

int store_user_totp_get(struct store *s, const char *name,
			unsigned char secret[STORE_TOTP_SECRET_MAX], size_t *len)
{
	sqlite3_stmt *st;
	int ret;

	ret = store_secret_key(s);
	if (ret)
		return ret;
	st = store_stmt(s, "SELECT totp_enc FROM users WHERE name = ?", "t",
			name);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 0) {
		ret = store_err(s, -ENOENT, "no user %s", name);
	} else if (ret == 1) {
		const unsigned char *rec = sqlite3_column_blob(st, 0);

		ret = rec ? open_rec(s, name, rec,
				     (size_t)sqlite3_column_bytes(st, 0),
				     secret, len) :
			    store_err(s, -ENOENT, "user %s has no TOTP", name);
	}
	store_done(s, st);
	return ret;
}

int store_user_totp_use(struct store *s, const char *name, int64_t step)
{
	int ret = store_tx(s);

	if (ret)
		return ret;
	/* One conditional UPDATE: two logins with one code cannot both win. */
	ret = store_run(s, "UPDATE users SET totp_last_step = ? WHERE name = ? "
			"AND totp_last_step < ?", "iti", step, name, step);
	if (ret == 0) {
		int64_t id = store_user_id(s, name);

		ret = id < 0 ? (int)id :
		      store_err(s, -EALREADY, "TOTP code of %s already used",
				name);
	}
	return store_tx_end(s, ret < 0 ? ret : 0);
}
