// SPDX-License-Identifier: MIT
/*
 * Operator commands: `sluice-relay [-f FILE] COMMAND ...` acts on the state
 * directory of that configuration, whether the relay runs or not; a
 * running relay picks the change up within a second (identity.c).  Each
 * change is audited with the operator's user name and uid.  The actions are
 * the admin_* functions below, so that the netlink control tool can call
 * the same code.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "audit.h"
#include "authz.h"
#include "ca.h"
#include "conf.h"
#include "log.h"
#include "password.h"
#include "relay.h"
#include "store.h"
#include "tls.h"
#include "totp.h"

struct admin {
	struct relay *r;
	char operator[SLUICE_NAME_MAX + 32];	/* "root (uid 0)" */
	int argc;
	char **argv;
	const char *opt_out, *opt_password_file, *opt_role, *opt_window, *opt_ttl,
		*opt_expires, *opt_count;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sluice-relay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int store_fail(struct admin *ad, const char *what)
{
	return fail("%s: %s", what, store_why(ad->r->store));
}

static void audit(struct admin *ad, const char *event, const char *object,
		  const char *domain, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void audit(struct admin *ad, const char *event, const char *object,
		  const char *domain, const char *fmt, ...)
{
	char details[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(details, sizeof(details), fmt, ap);
		va_end(ap);
	}
	relay_audit(ad->r, event, ad->operator, object, domain, "local", "ok", "%s", details);
}

static const char *when(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t)
		return "-";
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* ---- passwords ---- */

static int read_secret(struct admin *ad, const char *what, char *out, size_t len)
{
	FILE *f;
	int ret = -1;

	if (ad->opt_password_file) {
		f = fopen(ad->opt_password_file, "re");
		if (!f)
			return fail("cannot open %s: %s", ad->opt_password_file, strerror(errno));
	} else if (!isatty(STDIN_FILENO)) {
		f = stdin;
	} else {
		struct termios old, quiet;

		fprintf(stderr, "%s: ", what);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		if (fgets(out, (int)len, stdin))
			ret = 0;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
		out[strcspn(out, "\r\n")] = '\0';
		return ret ? fail("no %s read", what) : 0;
	}
	if (fgets(out, (int)len, f))
		ret = 0;
	if (f != stdin)
		fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return ret ? fail("no %s read (--password-file FILE or one line on stdin)", what) : 0;
}

static int new_password_hash(struct admin *ad, const char *user, char *phc, size_t len)
{
	char pw[SLUICE_PASSWORD_MAX + 2];
	int ret;

	if (read_secret(ad, "new password", pw, sizeof(pw)))
		return -1;
	ret = sl_password_hash(pw, strlen(pw), NULL, phc, len);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (ret)
		return fail("password of %s: %s (at least %d characters)", user,
			    sl_password_strerror(ret), SL_PASSWORD_MIN), -1;
	return 0;
}

/* ---- domains ---- */

static int domain_cmd(struct admin *ad, const char *verb, const char *arg)
{
	struct store *s = ad->r->store;
	struct store_domain *d;
	size_t i, n;

	if (!strcmp(verb, "list")) {
		if (store_domain_list(s, &d, &n))
			return store_fail(ad, "domain list");
		for (i = 0; i < n; i++)
			printf("%s\n", d[i].path);
		free(d);
		return 0;
	}
	if (!arg)
		return fail("domain %s: which domain? (e.g. ROOT.acme.plant1)", verb);
	if (!strcmp(verb, "add")) {
		if (store_domain_create(s, arg, (int64_t)time(NULL)))
			return store_fail(ad, "domain add");
		audit(ad, "domain.add", arg, arg, NULL);
		printf("domain %s added\n", arg);
		return 0;
	}
	if (!strcmp(verb, "remove")) {
		if (store_domain_delete(s, arg))
			return store_fail(ad, "domain remove");
		audit(ad, "domain.remove", arg, arg, NULL);
		printf("domain %s removed\n", arg);
		return 0;
	}
	return fail("domain: unknown command '%s' (add, list, remove)", verb);
}

/* ---- join tokens ---- */

/* --count N: N tokens in one transaction (one fsync), one per line, for
 * provisioning many sites (and sluice-bench's simulated agents). */
static int token_create_many(struct admin *ad, const char *domain, uint64_t ttl_s,
			     uint64_t count)
{
	struct store *s = ad->r->store;
	char tok[STORE_TOKEN_STRLEN], id[STORE_TOKEN_ID_STRLEN];
	int64_t now = (int64_t)time(NULL);
	uint64_t i;

	if (store_begin(s))
		return store_fail(ad, "token create");
	for (i = 0; i < count; i++) {
		if (store_token_create(s, domain, (int64_t)ttl_s, ad->operator, now, tok, id)) {
			store_rollback(s);
			return store_fail(ad, "token create");
		}
		printf("%s\n", tok);
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	if (store_commit(s)) {
		fflush(stdout);
		return fail("token create: %s; none of the tokens above is valid",
			    store_why(s));
	}
	audit(ad, "token.create", "-", domain, "%llu tokens, valid %llu s",
	      (unsigned long long)count, (unsigned long long)ttl_s);
	return 0;
}

static int token_cmd(struct admin *ad, const char *verb, const char *arg)
{
	struct store *s = ad->r->store;
	char tok[STORE_TOKEN_STRLEN], id[STORE_TOKEN_ID_STRLEN], t1[32], t2[32], fp[SL_FP_STRLEN];
	char cert[1200];
	struct store_token *t;
	uint64_t ttl_ms = 24 * 3600 * 1000ull, count = 1;
	int64_t now = (int64_t)time(NULL);
	size_t i, n;

	if (!strcmp(verb, "list")) {
		if (store_token_list(s, &t, &n))
			return store_fail(ad, "token list");
		printf("%-17s %-24s %-20s %-20s %s\n", "ID", "DOMAIN", "EXPIRES", "USED", "BY");
		for (i = 0; i < n; i++)
			printf("%-17s %-24s %-20s %-20s %s\n", t[i].id, t[i].domain,
			       when(t[i].expires_at, t1, sizeof(t1)),
			       when(t[i].used_at, t2, sizeof(t2)),
			       t[i].used_at ? t[i].used_by : "-");
		free(t);
		return 0;
	}
	if (!arg)
		return fail("token %s: %s", verb, !strcmp(verb, "create") ? "which domain?" : "which id?");
	if (!strcmp(verb, "create")) {
		if (ad->opt_ttl && (sl_parse_duration_ms(ad->opt_ttl, &ttl_ms) || ttl_ms < 60000 ||
				    ttl_ms > 30ull * 86400000))
			return fail("token create: --ttl '%s' is not 1m to 30d (e.g. 2h, 7d)",
				    ad->opt_ttl);
		if (ad->opt_count && (sl_parse_uint(ad->opt_count, 1, 100000, &count)))
			return fail("token create: --count '%s' is not 1 to 100000", ad->opt_count);
		if (count > 1)
			return token_create_many(ad, arg, ttl_ms / 1000, count);
		if (store_token_create(s, arg, (int64_t)(ttl_ms / 1000), ad->operator, now, tok, id))
			return store_fail(ad, "token create");
		audit(ad, "token.create", id, arg, "valid %llu s", (unsigned long long)(ttl_ms / 1000));
		snprintf(cert, sizeof(cert), "%s/relay.crt", ad->r->cfg.state_dir);
		printf("join token for %s (id %s, valid until %s), shown once:\n%s\n", arg, id,
		       when(now + (int64_t)(ttl_ms / 1000), t1, sizeof(t1)), tok);
		if (sl_tls_fingerprint_file(cert, fp) == 0)
			printf("in agent.conf:\n  join_token = %s\n  relay_fingerprint = %s\n", tok, fp);
		OPENSSL_cleanse(tok, sizeof(tok));
		return 0;
	}
	if (!strcmp(verb, "revoke")) {
		if (store_token_delete(s, arg))
			return store_fail(ad, "token revoke");
		audit(ad, "token.revoke", arg, NULL, NULL);
		printf("token %s revoked\n", arg);
		return 0;
	}
	return fail("token: unknown command '%s' (create, list, revoke)", verb);
}

/* ---- agents ---- */

static int agent_cmd(struct admin *ad, const char *verb, const char *arg, const char *arg2)
{
	struct store *s = ad->r->store;
	struct store_agent *a, one;
	char t1[32];
	size_t i, n;
	int ret;

	if (!strcmp(verb, "list")) {
		if (store_agent_list(s, NULL, &a, &n))
			return store_fail(ad, "agent list");
		printf("%-20s %-24s %-9s %-20s %s\n", "AGENT", "DOMAIN", "STATE", "LAST SEEN", "FROM");
		for (i = 0; i < n; i++)
			printf("%-20s %-24s %-9s %-20s %s\n", a[i].name, a[i].domain,
			       store_agent_state_name(a[i].state),
			       when(a[i].last_seen, t1, sizeof(t1)),
			       a[i].last_addr[0] ? a[i].last_addr : "-");
		free(a);
		return 0;
	}
	if (!arg)
		return fail("agent %s: which agent?", verb);
	if (!strcmp(verb, "show")) {
		if (store_agent_get(s, arg, &one))
			return store_fail(ad, "agent show");
		printf("agent %s\n  domain %s\n  state %s%s%s\n  certificate %s\n  key %s\n"
		       "  enrolled %s\n", one.name, one.domain, store_agent_state_name(one.state),
		       one.reason[0] ? ": " : "", one.reason, one.serial, one.fingerprint,
		       when(one.created, t1, sizeof(t1)));
		printf("  last seen %s from %s\n", when(one.last_seen, t1, sizeof(t1)),
		       one.last_addr[0] ? one.last_addr : "-");
		return 0;
	}
	if (!strcmp(verb, "approve") || !strcmp(verb, "attach")) {
		if (arg2 && ((ret = store_agent_set_domain(s, arg, arg2))))
			return store_fail(ad, "agent attach");
		if (store_agent_set_state(s, arg, STORE_AGENT_ACTIVE, NULL))
			return store_fail(ad, "agent attach");
		audit(ad, "agent.attach", arg, arg2, NULL);
		printf("agent %s attached%s%s\n", arg, arg2 ? " to " : "", arg2 ? arg2 : "");
		return 0;
	}
	if (!strcmp(verb, "reset")) {
		if (store_agent_reset(s, arg))
			return store_fail(ad, "agent reset");
		audit(ad, "agent.reset", arg, NULL, "secondary id cleared, unlocked");
		printf("agent %s reset: unlocked; its next connect sets a new secondary id\n", arg);
		return 0;
	}
	if (!strcmp(verb, "disable")) {
		if (store_agent_set_state(s, arg, STORE_AGENT_DISABLED, arg2 ? arg2 : "by operator"))
			return store_fail(ad, "agent disable");
		audit(ad, "agent.disable", arg, NULL, NULL);
		printf("agent %s disabled\n", arg);
		return 0;
	}
	if (!strcmp(verb, "remove") || !strcmp(verb, "detach")) {
		if (store_agent_delete(s, arg))
			return store_fail(ad, "agent remove");
		audit(ad, "agent.remove", arg, NULL, NULL);
		printf("agent %s removed; it must enroll again\n", arg);
		return 0;
	}
	return fail("agent: unknown command '%s' (list, show, attach, reset, disable, remove)",
		    verb);
}

/* ---- users ---- */

static int user_add(struct admin *ad, const char *name)
{
	char phc[STORE_PHC_MAX + 1];
	int64_t expires = 0;

	if (!sl_name_valid(name))
		return fail("user add: '%s' must be 1-%d characters of A-Z a-z 0-9 . _ -", name,
			    SLUICE_NAME_MAX);
	if (ad->opt_expires) {
		struct tm tm = { 0 };
		char *end = strptime(ad->opt_expires, "%Y-%m-%d", &tm);

		if (!end || *end)
			return fail("user add: --expires '%s' is not YYYY-MM-DD", ad->opt_expires);
		expires = (int64_t)timegm(&tm);
	}
	if (new_password_hash(ad, name, phc, sizeof(phc)))
		return 1;
	if (store_user_create(ad->r->store, name, phc, expires, (int64_t)time(NULL)))
		return store_fail(ad, "user add");
	audit(ad, "user.add", name, NULL, NULL);
	printf("user %s added; issue a certificate with: user cert-issue %s --out FILE.p12\n",
	       name, name);
	return 0;
}

static int user_cert_issue(struct admin *ad, const char *name)
{
	char pw[SLUICE_PASSWORD_MAX + 2], why[512], t1[32];
	struct sl_cert_info info;
	int ret;

	if (!ad->opt_out)
		return fail("user cert-issue: --out FILE.p12 is required");
	if (store_user_get(ad->r->store, name, &(struct store_user){ 0 }))
		return store_fail(ad, "user cert-issue");
	if (read_secret(ad, "password protecting the PKCS#12 file", pw, sizeof(pw)))
		return 1;
	ret = sl_ca_issue_p12(ad->r->user_ca, name, (unsigned int)ad->r->cfg.user_cert_days, pw,
			      ad->opt_out, &info, why, sizeof(why));
	OPENSSL_cleanse(pw, sizeof(pw));
	if (ret)
		return fail("user cert-issue: %s", why);
	if (store_cert_add(ad->r->store, name, info.serial, info.fingerprint,
			   (int64_t)info.not_after, (int64_t)time(NULL))) {
		unlink(ad->opt_out);
		return store_fail(ad, "user cert-issue");
	}
	audit(ad, "user.cert_issue", name, NULL, "serial %s", info.serial);
	printf("certificate %s for %s (valid until %s) in %s\n", info.serial, name,
	       when((int64_t)info.not_after, t1, sizeof(t1)), ad->opt_out);
	return 0;
}

static int user_totp_enable(struct admin *ad, const char *name)
{
	uint8_t key[SL_TOTP_SECRET_LEN];
	char uri[SL_TOTP_URI_MAX];
	int ret;

	if (sl_totp_secret_new(key))
		return fail("cannot make a TOTP secret");
	ret = store_user_totp_set(ad->r->store, name, key, sizeof(key));
	if (!ret)
		ret = sl_totp_uri("sluice", name, key, sizeof(key), uri, sizeof(uri));
	OPENSSL_cleanse(key, sizeof(key));
	if (ret)
		return store_fail(ad, "user totp-enable");
	audit(ad, "user.totp_enable", name, NULL, NULL);
	printf("TOTP enabled for %s; give the user this URI (or its QR code), shown once:\n%s\n",
	       name, uri);
	OPENSSL_cleanse(uri, sizeof(uri));
	return 0;
}

static int user_show(struct admin *ad, const char *name)
{
	struct store_cert *c;
	struct store_user u;
	char t1[32], t2[32];
	size_t i, n;

	if (store_user_get(ad->r->store, name, &u) ||
	    store_cert_list(ad->r->store, name, &c, &n))
		return store_fail(ad, "user show");
	printf("user %s\n  %s%s\n  expires %s\n  totp %s\n  failed logins %u\n  locked until %s\n",
	       u.name, u.disabled ? "disabled" : "enabled", "", when(u.expires_at, t1, sizeof(t1)),
	       u.totp_enabled ? "on" : "off", u.failed, when(u.locked_until, t2, sizeof(t2)));
	for (i = 0; i < n; i++)
		printf("  certificate %s until %s%s%s\n", c[i].serial,
		       when(c[i].not_after, t1, sizeof(t1)), c[i].revoked_at ? " revoked " : "",
		       c[i].revoked_at ? when(c[i].revoked_at, t2, sizeof(t2)) : "");
	free(c);
	return 0;
}

static int user_cmd(struct admin *ad, const char *verb, const char *arg)
{
	struct store *s = ad->r->store;
	char phc[STORE_PHC_MAX + 1];
	struct store_user *u;
	size_t i, n;
	int ret;

	if (!strcmp(verb, "list")) {
		if (store_user_list(s, &u, &n))
			return store_fail(ad, "user list");
		printf("%-20s %-9s %-5s %s\n", "USER", "STATE", "TOTP", "FAILED");
		for (i = 0; i < n; i++)
			printf("%-20s %-9s %-5s %u\n", u[i].name,
			       u[i].disabled ? "disabled" : "enabled",
			       u[i].totp_enabled ? "on" : "off", u[i].failed);
		free(u);
		return 0;
	}
	if (!arg)
		return fail("user %s: which %s?", verb,
			    !strcmp(verb, "cert-revoke") ? "certificate serial" : "user");
	if (!strcmp(verb, "add"))
		return user_add(ad, arg);
	if (!strcmp(verb, "show"))
		return user_show(ad, arg);
	if (!strcmp(verb, "cert-issue"))
		return user_cert_issue(ad, arg);
	if (!strcmp(verb, "totp-enable"))
		return user_totp_enable(ad, arg);
	if (!strcmp(verb, "disable") || !strcmp(verb, "enable")) {
		if (store_user_set_disabled(s, arg, verb[0] == 'd'))
			return store_fail(ad, "user disable");
		audit(ad, verb[0] == 'd' ? "user.disable" : "user.enable", arg, NULL, NULL);
		printf("user %s %sd\n", arg, verb);
		return 0;
	}
	if (!strcmp(verb, "unlock")) {
		if (store_lockout_clear(s, STORE_LOCK_ACCOUNT, arg) && store_user_login_ok(s, arg))
			return store_fail(ad, "user unlock");
		store_user_login_ok(s, arg);
		audit(ad, "user.unlock", arg, NULL, NULL);
		printf("user %s unlocked\n", arg);
		return 0;
	}
	if (!strcmp(verb, "passwd")) {
		if (new_password_hash(ad, arg, phc, sizeof(phc)))
			return 1;
		if (store_user_set_password(s, arg, phc))
			return store_fail(ad, "user passwd");
		audit(ad, "user.passwd", arg, NULL, NULL);
		printf("password of %s changed\n", arg);
		return 0;
	}
	if (!strcmp(verb, "cert-revoke")) {
		ret = store_cert_revoke(s, arg, (int64_t)time(NULL));
		if (ret && ret != -EALREADY)
			return store_fail(ad, "user cert-revoke");
		audit(ad, "user.cert_revoke", arg, NULL, NULL);
		printf("certificate %s revoked%s\n", arg, ret ? " (it already was)" : "");
		return 0;
	}
	return fail("user: unknown command '%s' (add, list, show, disable, enable, unlock, passwd, "
		    "cert-issue, cert-revoke, totp-enable)", verb);
}

/* ---- grants ---- */

static int grant_cmd(struct admin *ad, const char *verb, const char *arg, const char *arg2)
{
	struct store *s = ad->r->store;
	enum store_role role = STORE_ROLE_USER;
	struct store_grant *g;
	struct sl_timewin w;
	char why[200];
	int64_t id;
	size_t i, n;
	int ret;

	if (!strcmp(verb, "list")) {
		ret = arg ? store_grant_list_user(s, arg, &g, &n)
			  : store_grant_list_domain(s, NULL, &g, &n);
		if (ret)
			return store_fail(ad, "grant list");
		printf("%-6s %-20s %-24s %-13s %s\n", "ID", "USER", "DOMAIN", "ROLE", "WINDOW");
		for (i = 0; i < n; i++)
			printf("%-6lld %-20s %-24s %-13s %s\n", (long long)g[i].id, g[i].user,
			       g[i].domain, store_role_name(g[i].role),
			       g[i].window[0] ? g[i].window : "always");
		free(g);
		return 0;
	}
	if (!strcmp(verb, "add")) {
		if (!arg || !arg2)
			return fail("grant add USER DOMAIN [--role user|administrator] [--window SPEC]");
		if (ad->opt_role && store_role_parse(ad->opt_role, &role))
			return fail("grant add: --role '%s' is not user or administrator", ad->opt_role);
		if (ad->opt_window && sl_timewin_parse(ad->opt_window, &w, why, sizeof(why)))
			return fail("grant add: --window '%s': %s", ad->opt_window, why);
		if (store_grant_add(s, arg, arg2, role, ad->opt_window ? ad->opt_window : "",
				    ad->operator, (int64_t)time(NULL), &id))
			return store_fail(ad, "grant add");
		audit(ad, "grant.add", arg, arg2, "role %s, window %s", store_role_name(role),
		      ad->opt_window ? ad->opt_window : "always");
		printf("grant %lld: %s on %s as %s\n", (long long)id, arg, arg2,
		       store_role_name(role));
		return 0;
	}
	if (!strcmp(verb, "remove")) {
		if (!arg || sl_parse_uint(arg, 1, INT64_MAX, (uint64_t *)&id))
			return fail("grant remove: which grant id? (grant list)");
		if (store_grant_delete(s, id))
			return store_fail(ad, "grant remove");
		audit(ad, "grant.remove", arg, NULL, NULL);
		printf("grant %lld removed\n", (long long)id);
		return 0;
	}
	return fail("grant: unknown command '%s' (add, list, remove)", verb);
}

bool relay_admin_is_command(const char *word)
{
	static const char *const cmds[] = { "domain", "token", "agent", "user", "grant",
					    "audit-verify" };
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(word, cmds[i]))
			return true;
	return false;
}

/* Options may come anywhere after the command: --out, --password-file... */
static int take_options(struct admin *ad, int argc, char **argv, char **pos, int *npos)
{
	static const char *const names[] = { "--out", "--password-file", "--role", "--window",
					     "--ttl", "--expires", "--count" };
	const char **slots[] = { &ad->opt_out, &ad->opt_password_file, &ad->opt_role,
				 &ad->opt_window, &ad->opt_ttl, &ad->opt_expires, &ad->opt_count };
	int i, k;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		for (k = 0; k < 7; k++)
			if (!strcmp(argv[i], names[k]))
				break;
		if (k == 7) {
			if (argv[i][0] == '-' && argv[i][1] == '-')
				return fail("unknown option '%s'", argv[i]);
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (i + 1 == argc)
			return fail("%s needs a value", argv[i]);
		*slots[k] = argv[++i];
	}
	return 0;
}

int relay_admin_main(struct relay *r, int argc, char **argv)
{
	struct admin ad = { .r = r, .argc = argc, .argv = argv };
	struct passwd *pw = getpwuid(getuid());
	char *pos[16] = { 0 }, why[1024];
	int npos, ret;

	if (!strcmp(argv[0], "audit-verify")) {
		char *vargv[3] = { argv[0], argc > 1 ? argv[1] : r->cfg.audit_log, NULL };

		return sl_audit_verify_main(2, vargv);
	}
	if (argc > 16 || take_options(&ad, argc, argv, pos, &npos))
		return 2;
	if (npos < 2)
		return fail("%s: which command? (see sluice-relay -h)", argv[0]), 2;
	snprintf(ad.operator, sizeof(ad.operator), "%s (uid %u)", pw ? pw->pw_name : "?",
		 (unsigned)getuid());
	if (relay_identity_init(r, why, sizeof(why)))
		return fail("%s", why);
	if (!strcmp(pos[0], "domain"))
		ret = domain_cmd(&ad, pos[1], pos[2]);
	else if (!strcmp(pos[0], "token"))
		ret = token_cmd(&ad, pos[1], pos[2]);
	else if (!strcmp(pos[0], "agent"))
		ret = agent_cmd(&ad, pos[1], pos[2], pos[3]);
	else if (!strcmp(pos[0], "user"))
		ret = user_cmd(&ad, pos[1], pos[2]);
	else
		ret = grant_cmd(&ad, pos[1], pos[2], pos[3]);
	relay_identity_uninit(r);
	return ret;
}
