// SPDX-License-Identifier: MIT
/*
 * sluicectl's domain, token, grant and audit commands.  Changes go to the
 * store (its own transaction, fsync'd), then to the audit log, then the
 * reply: an acknowledged change is on disk.  Listings snapshot the rows at
 * the request and send them as a dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authz.h"
#include "conf.h"
#include "ctl.h"
#include "relay.h"
#include "store.h"
#include "tls.h"

#define TOKEN_TTL_DEFAULT_S (24 * 3600)
#define TOKEN_TTL_MIN_S 60
#define TOKEN_TTL_MAX_S (30 * 86400)
#define AUDIT_TAIL_DEFAULT 20
#define AUDIT_TAIL_BYTES_MAX (8u << 20)	/* read at most this much of the file */

/* ---- domains ---- */

struct nl_msg *relay_ctl_domain_add(struct relay *r, struct relay_ctl_req *q,
				    const struct sl_msg_in *m)
{
	const char *path = sl_wire_str(m, SLUICE_A_DOMAIN);
	int ret = store_domain_create(r->store, path, (int64_t)time(NULL));

	if (ret)
		return relay_ctl_store_error(r, q, ret, "domain add");
	relay_ctl_audit(r, q, "domain.add", "ok", path, path, NULL);
	return relay_ctl_echo(q, SLUICE_A_DOMAIN, path);
}

struct nl_msg *relay_ctl_domain_remove(struct relay *r, struct relay_ctl_req *q,
				       const struct sl_msg_in *m)
{
	const char *path = sl_wire_str(m, SLUICE_A_DOMAIN);
	int ret = store_domain_delete(r->store, path);

	if (ret)
		return relay_ctl_store_error(r, q, ret, "domain remove");
	relay_ctl_audit(r, q, "domain.remove", "ok", path, path, NULL);
	return relay_ctl_echo(q, SLUICE_A_DOMAIN, path);
}

int relay_ctl_domain_start(struct relay *r, struct relay_ctl_req *q,
			   const struct sl_msg_in *m)
{
	(void)m;
	return store_domain_list(r->store, (struct store_domain **)&q->keys, &q->nkeys);
}

static int put_domain(struct relay *r, struct nl_msg *msg, const void *row)
{
	const struct store_domain *d = row;

	(void)r;
	return nla_put_string(msg, SLUICE_REC_A_NAME, d->path) ||
	       relay_rec_time(msg, SLUICE_REC_A_CREATED, d->created);
}

int relay_ctl_domain_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg)
{
	return relay_ctl_rows_dump(q, msg, sizeof(struct store_domain), put_domain, r);
}

/* ---- join tokens ---- */

static void actor_of(const struct relay_ctl_req *q, char *out, size_t len)
{
	snprintf(out, len, "uid %u", (unsigned int)q->op.uid);
}

/*
 * COUNT tokens in one transaction: all are valid or none.  The secrets
 * exist only in this reply (the store keeps their SHA-256).
 */
struct nl_msg *relay_ctl_token_create(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	const char *domain = sl_wire_str(m, SLUICE_A_DOMAIN);
	uint32_t ttl = m->tb[SLUICE_A_TTL_S] ? nla_get_u32(m->tb[SLUICE_A_TTL_S])
					      : TOKEN_TTL_DEFAULT_S;
	uint32_t count = m->tb[SLUICE_A_COUNT] ? nla_get_u32(m->tb[SLUICE_A_COUNT]) : 1;
	char tok[STORE_TOKEN_STRLEN], id[STORE_TOKEN_ID_STRLEN], actor[32];
	char cert[sizeof(r->cfg.state_dir) + 16], fp[SL_FP_STRLEN];
	int64_t now = (int64_t)time(NULL);
	struct nlattr *list, *el;
	struct nl_msg *msg;
	uint32_t i;
	int ret;

	if (ttl < TOKEN_TTL_MIN_S || ttl > TOKEN_TTL_MAX_S)
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0,
				     "token create: a token lives 1 minute to 30 days, not %u s",
				     ttl);
	if (count < 1 || count > SLUICE_TOKENS_MAX)
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0,
				     "token create: 1 to %d tokens per request, not %u",
				     SLUICE_TOKENS_MAX, count);
	msg = sl_wire_new(q->cmd, q->seq, 0);
	list = msg ? nla_nest_start(msg, SLUICE_A_RECORDS) : NULL;
	if (!list || (ret = store_begin(r->store))) {
		nlmsg_free(msg);
		return list ? relay_ctl_store_error(r, q, ret, "token create") : NULL;
	}
	actor_of(q, actor, sizeof(actor));
	for (i = 0; i < count; i++) {
		ret = store_token_create(r->store, domain, ttl, actor, now, tok, id);
		if (ret)
			goto store_err;
		el = nla_nest_start(msg, 0);
		if (!el || nla_put_string(msg, SLUICE_REC_A_ID, id) ||
		    nla_put_string(msg, SLUICE_REC_A_TOKEN, tok) ||
		    nla_put_u64(msg, SLUICE_REC_A_EXPIRES, (uint64_t)(now + ttl))) {
			ret = -ENOMEM;
			goto err;
		}
		nla_nest_end(msg, el);
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	nla_nest_end(msg, list);
	ret = store_commit(r->store);
	if (ret)
		goto store_err;
	snprintf(cert, sizeof(cert), "%s/relay.crt", r->cfg.state_dir);
	if (sl_tls_fingerprint_file(cert, fp) == 0 && nla_put_string(msg, SLUICE_A_TEXT, fp))
		goto err_committed;
	if (count == 1)
		relay_ctl_audit(r, q, "token.create", "ok", id, domain, "valid %u s", ttl);
	else
		relay_ctl_audit(r, q, "token.create", "ok", "-", domain, "%u tokens, valid %u s",
				count, ttl);
	return msg;
store_err:
	store_rollback(r->store);
	OPENSSL_cleanse(tok, sizeof(tok));
	nlmsg_free(msg);
	return relay_ctl_store_error(r, q, ret, "token create");
err:
	store_rollback(r->store);
err_committed:
	OPENSSL_cleanse(tok, sizeof(tok));
	nlmsg_free(msg);
	return NULL;
}

int relay_ctl_token_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m)
{
	(void)m;
	return store_token_list(r->store, (struct store_token **)&q->keys, &q->nkeys);
}

static int put_token(struct relay *r, struct nl_msg *msg, const void *row)
{
	const struct store_token *t = row;

	(void)r;
	return nla_put_string(msg, SLUICE_REC_A_ID, t->id) ||
	       nla_put_string(msg, SLUICE_REC_A_DOMAIN, t->domain) ||
	       relay_rec_time(msg, SLUICE_REC_A_CREATED, t->created) ||
	       relay_rec_time(msg, SLUICE_REC_A_EXPIRES, t->expires_at) ||
	       relay_rec_time(msg, SLUICE_REC_A_USED, t->used_at) ||
	       relay_rec_str(msg, SLUICE_REC_A_USED_BY, t->used_at ? t->used_by : NULL) ||
	       relay_rec_str(msg, SLUICE_REC_A_CREATED_BY, t->created_by);
}

int relay_ctl_token_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg)
{
	return relay_ctl_rows_dump(q, msg, sizeof(struct store_token), put_token, r);
}

struct nl_msg *relay_ctl_token_revoke(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	const char *id = sl_wire_str(m, SLUICE_A_ID);
	int ret = store_token_delete(r->store, id);

	if (ret)
		return relay_ctl_store_error(r, q, ret, "token revoke");
	relay_ctl_audit(r, q, "token.revoke", "ok", id, NULL, NULL);
	return relay_ctl_echo(q, SLUICE_A_ID, id);
}

/* ---- grants ---- */

struct nl_msg *relay_ctl_grant_add(struct relay *r, struct relay_ctl_req *q,
				   const struct sl_msg_in *m)
{
	const char *user = sl_wire_str(m, SLUICE_A_NAME), *domain = sl_wire_str(m, SLUICE_A_DOMAIN);
	const char *window = m->tb[SLUICE_A_WINDOW] ? sl_wire_str(m, SLUICE_A_WINDOW) : "";
	enum store_role role = STORE_ROLE_USER;
	struct store_grant g = { 0 };
	struct sl_timewin w;
	char why[200], actor[32];
	int ret;

	if (m->tb[SLUICE_A_ROLE] && store_role_parse(sl_wire_str(m, SLUICE_A_ROLE), &role))
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0,
				     "grant add: role '%s' is not user or administrator",
				     sl_wire_str(m, SLUICE_A_ROLE));
	if (window[0] && sl_timewin_parse(window, &w, why, sizeof(why)))
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0, "grant add: window '%s': %s",
				     window, why);
	actor_of(q, actor, sizeof(actor));
	g.created = (int64_t)time(NULL);
	ret = store_grant_add(r->store, user, domain, role, window, actor, g.created, &g.id);
	if (ret)
		return relay_ctl_store_error(r, q, ret, "grant add");
	relay_ctl_audit(r, q, "grant.add", "ok", user, domain, "grant %lld, role %s, window %s",
			(long long)g.id, store_role_name(role), window[0] ? window : "always");
	snprintf(g.user, sizeof(g.user), "%s", user);
	snprintf(g.domain, sizeof(g.domain), "%s", domain);
	snprintf(g.window, sizeof(g.window), "%s", window);
	snprintf(g.created_by, sizeof(g.created_by), "%s", actor);
	g.role = role;
	return relay_ctl_one_record(r, q, relay_rec_grant, &g);
}

int relay_ctl_grant_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m)
{
	struct store_grant **rows = (struct store_grant **)&q->keys;

	if (m->tb[SLUICE_A_NAME])
		return store_grant_list_user(r->store, sl_wire_str(m, SLUICE_A_NAME), rows,
					     &q->nkeys);
	return store_grant_list_domain(r->store, NULL, rows, &q->nkeys);
}

int relay_ctl_grant_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg)
{
	return relay_ctl_rows_dump(q, msg, sizeof(struct store_grant), relay_rec_grant, r);
}

struct nl_msg *relay_ctl_grant_remove(struct relay *r, struct relay_ctl_req *q,
				      const struct sl_msg_in *m)
{
	const char *arg = sl_wire_str(m, SLUICE_A_ID);
	uint64_t id;
	int ret;

	if (sl_parse_uint(arg, 1, INT64_MAX, &id))
		return sl_wire_error(q->seq, SLUICE_E_INVALID, 0,
				     "grant remove: '%s' is not a grant id (grant list)", arg);
	ret = store_grant_delete(r->store, (int64_t)id);
	if (ret)
		return relay_ctl_store_error(r, q, ret, "grant remove");
	relay_ctl_audit(r, q, "grant.remove", "ok", arg, NULL, NULL);
	return relay_ctl_echo(q, SLUICE_A_ID, arg);
}

/* ---- audit tail ---- */

/*
 * The newest n lines of the audit log: read backwards from the end in
 * chunks until n + 1 line ends are seen (or the cap).  q->keys becomes one
 * block: n pointers, then the text they point into.
 */
int relay_ctl_audit_start(struct relay *r, struct relay_ctl_req *q,
			  const struct sl_msg_in *m)
{
	uint32_t want = m->tb[SLUICE_A_COUNT] ? nla_get_u32(m->tb[SLUICE_A_COUNT])
					       : AUDIT_TAIL_DEFAULT;
	size_t len, nl = 0, i, n;
	char *text, **lines, *p;
	struct stat st;
	off_t start;
	int fd;

	if (want > SLUICE_AUDIT_TAIL_MAX)
		want = SLUICE_AUDIT_TAIL_MAX;
	fd = open(r->cfg.audit_log, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		int err = -errno;

		if (fd != -1)
			close(fd);
		return err;
	}
	len = (size_t)st.st_size < AUDIT_TAIL_BYTES_MAX ? (size_t)st.st_size
							 : AUDIT_TAIL_BYTES_MAX;
	start = st.st_size - (off_t)len;
	text = malloc(len + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	if (pread(fd, text, len, start) != (ssize_t)len) {
		close(fd);
		free(text);
		return -EIO;
	}
	close(fd);
	text[len] = '\0';
	/* Back over want whole lines; a line cut by the cap is dropped. */
	p = text + len;
	if (p > text && p[-1] == '\n')
		p--;
	while (want && p > text) {
		if (p[-1] == '\n' && ++nl == want)
			break;
		p--;
	}
	if (!want) {
		p = text + len;
	} else if (p == text && start > 0) {
		p = strchr(text, '\n');
		p = p ? p + 1 : text + len;
	}
	for (n = 0, i = (size_t)(p - text); i < len; i++)
		n += text[i] == '\n';
	lines = malloc(n * sizeof(*lines) + (len - (size_t)(p - text)) + 1);
	if (!lines) {
		free(text);
		return -ENOMEM;
	}
	memcpy((char *)(lines + n), p, len - (size_t)(p - text) + 1);
	p = (char *)(lines + n);
	for (i = 0; i < n; i++) {
		lines[i] = p;
		p = strchr(p, '\n');
		*p++ = '\0';
	}
	free(text);
	q->keys = lines;
	q->nkeys = n;
	return 0;
}

static int put_line(struct relay *r, struct nl_msg *msg, const void *row)
{
	const char *const *line = row;
	size_t len = strlen(*line);

	(void)r;
	if (len >= SLUICE_LINE_MAX)	/* not a line the journal writes */
		return nla_put_string(msg, SLUICE_REC_A_TEXT, "(line too long to show)");
	return nla_put_string(msg, SLUICE_REC_A_TEXT, len ? *line : " ");
}

int relay_ctl_audit_dump(struct relay *r, struct relay_ctl_req *q, struct nl_msg *msg)
{
	return relay_ctl_rows_dump(q, msg, sizeof(char *), put_line, r);
}
