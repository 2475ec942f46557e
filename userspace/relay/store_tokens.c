// SPDX-License-Identifier: MIT
/*
 * One-time join tokens of agent enrollment.  The token is 32 random bytes
 * shown once to the operator; the store keeps only its SHA-256 (a copy of
 * the database enrolls nobody).  A token is fully random, so one unsalted
 * hash is enough: there is nothing to guess.
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define PREFIX "sjt_"

static void hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int store_token_create(struct store *s, const char *domain, int64_t ttl_s,
		       const char *created_by, int64_t now,
		       char out[STORE_TOKEN_STRLEN],
		       char id[STORE_TOKEN_ID_STRLEN])
{
	char tok[STORE_TOKEN_STRLEN], tid[STORE_TOKEN_ID_STRLEN];
	unsigned char raw[32], h[32];
	int64_t did;
	int ret;

	if (ttl_s <= 0)
		return store_err(s, -EINVAL, "token lifetime must be positive");
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return store_err(s, -EIO, "no random bytes for a token");
	memcpy(tok, PREFIX, strlen(PREFIX));
	hex(raw, sizeof(raw), tok + strlen(PREFIX));
	OPENSSL_cleanse(raw, sizeof(raw));
	store_sha256(tok, strlen(tok), h);
	hex(h, (STORE_TOKEN_ID_STRLEN - 1) / 2, tid);
	ret = store_tx(s);
	if (ret)
		goto out;
	did = store_domain_id(s, domain);
	ret = did < 0 ? (int)did :
	      store_run(s, "INSERT INTO join_tokens (hash, id, domain_id, "
			"created_by, created, expires_at) VALUES (?, ?, ?, ?, "
			"?, ?)", "btitii", h, (int)sizeof(h), tid, did,
			created_by ? created_by : "", now, now + ttl_s);
	ret = store_tx_end(s, ret < 0 ? ret : 0);
	if (!ret) {
		memcpy(out, tok, sizeof(tok));
		if (id)
			memcpy(id, tid, sizeof(tid));
	}
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	return ret;
}

int store_token_consume(struct store *s, const char *token,
			const char *used_by, int64_t now,
			char domain[STORE_DOMAIN_MAX + 1])
{
	char path[STORE_DOMAIN_MAX + 1];
	int64_t expires, used;
	unsigned char h[32];
	sqlite3_stmt *st;
	int ret;

	if (!token || strlen(token) != STORE_TOKEN_STRLEN - 1 ||
	    strncmp(token, PREFIX, strlen(PREFIX)))
		return store_err(s, -ENOENT, "unknown join token");
	store_sha256(token, strlen(token), h);
	/* BEGIN IMMEDIATE: read and mark under one write lock. */
	ret = store_tx(s);
	if (ret)
		return ret;
	st = store_stmt(s, "SELECT t.expires_at, t.used_at, d.path FROM "
			"join_tokens t JOIN domains d ON d.id = t.domain_id "
			"WHERE t.hash = ?", "b", h, (int)sizeof(h));
	if (!st) {
		ret = -EIO;
		goto out;
	}
	ret = store_step(s, st);
	if (ret == 1) {
		expires = sqlite3_column_int64(st, 0);
		used = sqlite3_column_int64(st, 1);
		store_col(st, 2, path, sizeof(path));
		if (used)
			ret = store_err(s, -EALREADY, "join token was used "
					"already");
		else if (now >= expires)
			ret = store_err(s, -EKEYEXPIRED, "join token has "
					"expired");
		else
			ret = 0;
	} else if (!ret) {
		ret = store_err(s, -ENOENT, "unknown join token");
	}
	store_done(s, st);
	if (ret)
		goto out;
	ret = store_run(s, "UPDATE join_tokens SET used_at = ?, used_by = ? "
			"WHERE hash = ? AND used_at = 0", "itb", now,
			used_by ? used_by : "", h, (int)sizeof(h));
	if (ret == 0)	/* cannot happen under the write lock; be sure */
		ret = store_err(s, -EALREADY, "join token was used already");
	if (ret > 0) {
		ret = 0;
		if (domain)
			memcpy(domain, path, sizeof(path));
	}
out:
	return store_tx_end(s, ret);
}

static void token_row(sqlite3_stmt *st, void *el)
{
	struct store_token *t = el;

	store_col(st, 0, t->id, sizeof(t->id));
	store_col(st, 1, t->domain, sizeof(t->domain));
	store_col(st, 2, t->created_by, sizeof(t->created_by));
	t->created = sqlite3_column_int64(st, 3);
	t->expires_at = sqlite3_column_int64(st, 4);
	t->used_at = sqlite3_column_int64(st, 5);
	store_col(st, 6, t->used_by, sizeof(t->used_by));
}

int store_token_list(struct store *s, struct store_token **out, size_t *n)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "SELECT t.id, d.path, t.created_by, t.created, "
			"t.expires_at, t.used_at, t.used_by FROM join_tokens t "
			"JOIN domains d ON d.id = t.domain_id ORDER BY t.created, "
			"t.rowid", NULL);
	return store_rows(s, st, sizeof(**out), token_row, (void **)out, n);
}

int store_token_delete(struct store *s, const char *id)
{
	int ret = store_run(s, "DELETE FROM join_tokens WHERE id = ?", "t", id);

	if (ret == 0)
		return store_err(s, -ENOENT, "no join token %s", id);
	return ret < 0 ? ret : 0;
}
