// SPDX-License-Identifier: MIT
/*
 * User certificates issued by the user CA, by serial.  The relay accepts a
 * user certificate only when the CA signed it (TLS verify) *and* its row
 * here is live: revocation is deleting trust here, no CRL to distribute.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CERT_COLS "u.name, c.serial, c.fingerprint, c.created, c.not_after, " \
	"c.revoked_at FROM user_certs c JOIN users u ON u.id = c.user_id "

/* el: a struct store_cert (store_rows() zeroes it; single rows do too). */
static void cert_row(sqlite3_stmt *st, void *el)
{
	struct store_cert *c = el;

	memset(c, 0, sizeof(*c));
	store_col(st, 0, c->user, sizeof(c->user));
	store_col(st, 1, c->serial, sizeof(c->serial));
	store_col(st, 2, c->fingerprint, sizeof(c->fingerprint));
	c->created = sqlite3_column_int64(st, 3);
	c->not_after = sqlite3_column_int64(st, 4);
	c->revoked_at = sqlite3_column_int64(st, 5);
}

int store_cert_add(struct store *s, const char *user, const char *serial,
		   const char *fingerprint, int64_t not_after, int64_t now)
{
	int64_t uid;
	int ret;

	if (!serial || !*serial || strlen(serial) >= SL_CA_SERIAL_STRLEN ||
	    !fingerprint || strlen(fingerprint) >= SL_FP_STRLEN)
		return store_err(s, -EINVAL, "bad certificate serial or "
				 "fingerprint");
	ret = store_tx(s);
	if (ret)
		return ret;
	uid = store_user_id(s, user);
	if (uid < 0) {
		ret = (int)uid;
		goto out;
	}
	ret = store_run(s, "INSERT INTO user_certs (serial, user_id, fingerprint, "
			"created, not_after) VALUES (?, ?, ?, ?, ?)", "titii",
			serial, uid, fingerprint, now, not_after);
	if (ret == -EEXIST)
		store_err(s, ret, "certificate serial %s exists", serial);
out:
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_cert_get(struct store *s, const char *serial, struct store_cert *out)
{
	sqlite3_stmt *st;
	int ret;

	st = store_stmt(s, "SELECT " CERT_COLS "WHERE c.serial = ?", "t", serial);
	if (!st)
		return -EIO;
	ret = store_step(s, st);
	if (ret == 1) {
		cert_row(st, out);
		ret = 0;
	} else if (!ret) {
		ret = store_err(s, -ENOENT, "no certificate with serial %s",
				serial);
	}
	store_done(s, st);
	return ret;
}

int store_cert_list(struct store *s, const char *user, struct store_cert **out,
		    size_t *n)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "SELECT " CERT_COLS "WHERE ?1 IS NULL OR u.name = ?1 "
			"ORDER BY u.name, c.created, c.serial", "t", user);
	return store_rows(s, st, sizeof(**out), cert_row, (void **)out, n);
}

int store_cert_revoke(struct store *s, const char *serial, int64_t now)
{
	struct store_cert c;
	int ret = store_tx(s);

	if (ret)
		return ret;
	ret = store_cert_get(s, serial, &c);
	if (!ret && c.revoked_at)
		ret = store_err(s, -EALREADY, "certificate %s was revoked "
				"already", serial);
	if (!ret)
		ret = store_run(s, "UPDATE user_certs SET revoked_at = ? WHERE "
				"serial = ?", "it", now, serial);
	return store_tx_end(s, ret < 0 ? ret : 0);
}

int store_cert_revoke_user(struct store *s, const char *user, int64_t now)
{
	int64_t uid;
	int ret = store_tx(s);

	if (ret)
		return ret;
	uid = store_user_id(s, user);
	ret = uid < 0 ? (int)uid :
	      store_run(s, "UPDATE user_certs SET revoked_at = ? WHERE "
			"user_id = ? AND revoked_at = 0", "ii", now, uid);
	return store_tx_end(s, ret);
}

int store_cert_check(struct store *s, const char *serial,
		     const char *fingerprint, const char *user, int64_t now,
		     struct store_cert *out)
{
	struct store_cert c;
	int ret = store_cert_get(s, serial, &c);

	if (ret)
		return ret;
	if ((user && strcmp(user, c.user)) ||
	    (fingerprint && strcmp(fingerprint, c.fingerprint)))
		return store_err(s, -ENOENT, "certificate %s is not %s's",
				 serial, user ? user : "that key");
	if (out)
		*out = c;
	if (c.revoked_at)
		return store_err(s, -EKEYREVOKED, "certificate %s of %s is "
				 "revoked", serial, c.user);
	if (c.not_after && now > c.not_after)
		return store_err(s, -EKEYEXPIRED, "certificate %s of %s has "
				 "expired", serial, c.user);
	return 0;
}
