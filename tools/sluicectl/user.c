// SPDX-License-Identifier: MIT
/*
 * sluicectl user add | list | show | disable | enable | unlock | passwd
 *                 | cert-issue | cert-revoke | totp-enable
 *
 * Secrets are handled here, not in the relay: a new password is hashed
 * with Argon2id by sluicectl and only the hash is sent; cert-issue makes
 * the user's key, sends a CSR and writes the PKCS#12 file with the
 * certificate the relay signed.  Passwords come from --password-file,
 * else one line of stdin, else a prompt.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "password.h"
#include "sluicectl.h"

static const struct rec_col user_cols[] = {
	{ SLUICE_REC_A_NAME, "user", "USER", 20, REC_STR },
	{ SLUICE_REC_A_STATE, "state", "STATE", 9, REC_STR },
	{ SLUICE_REC_A_TOTP, "totp", "TOTP", 5, REC_BOOL },
	{ SLUICE_REC_A_FAILED, "failed_logins", "FAILED", 7, REC_U32 },
	{ SLUICE_REC_A_LOCKED_UNTIL, "locked_until", "LOCKED UNTIL", 21, REC_TIME },
	{ SLUICE_REC_A_EXPIRES, "expires", "EXPIRES", 0, REC_TIME },
};
#define NCOLS (int)(sizeof(user_cols) / sizeof(user_cols[0]))

static const struct rec_col cert_cols[] = {
	{ SLUICE_REC_A_SERIAL, "serial", "SERIAL", 34, REC_STR },
	{ SLUICE_REC_A_NOT_AFTER, "not_after", "VALID UNTIL", 21, REC_TIME },
	{ SLUICE_REC_A_REVOKED, "revoked", "REVOKED", 21, REC_TIME },
	{ SLUICE_REC_A_FINGERPRINT, "fingerprint", "FINGERPRINT", 0, REC_STR },
};

static const struct rec_col grant_cols[] = {
	{ SLUICE_REC_A_ID, "id", "GRANT", 6, REC_STR },
	{ SLUICE_REC_A_DOMAIN, "domain", "DOMAIN", 28, REC_STR },
	{ SLUICE_REC_A_ROLE, "role", "ROLE", 13, REC_STR },
	{ SLUICE_REC_A_WINDOW, "window", "WINDOW", 0, REC_STR },
};

/* The new password's hash, made here; the relay never sees the password. */
static int new_phc(const char *file, const char *user, char *phc, size_t len)
{
	char pw[SLUICE_PASSWORD_MAX + 2];
	int ret;

	if (read_secret(file, "new password", true, pw, sizeof(pw)))
		return EXIT_USAGE;
	ret = sl_password_hash(pw, strlen(pw), NULL, phc, len);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (ret) {
		fprintf(stderr, "sluicectl: password of %s: %s (at least %d characters)\n", user,
			sl_password_strerror(ret), SL_PASSWORD_MIN);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int user_add(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "NAME [--expires YYYY-MM-DD] [--password-file FILE]";
	const char *expires = NULL, *pwfile = NULL;
	const struct opt opts[] = { { "--expires", &expires }, { "--password-file", &pwfile } };
	char phc[SLUICE_PHC_MAX + 1], *pos[1];
	struct nl_msg *req;
	int64_t until = 0;
	int ret;

	ret = take_args(argc, argv, opts, 2, pos, 1, 1, "user add", usage);
	if (ret)
		return ret;
	if (!sl_name_valid(pos[0])) {
		fprintf(stderr, "sluicectl: user add: '%s' must be 1-%d characters of A-Z a-z 0-9 "
			". _ -\n", pos[0], SLUICE_NAME_MAX);
		return EXIT_USAGE;
	}
	if (expires) {
		struct tm tm = { 0 };
		char *end = strptime(expires, "%Y-%m-%d", &tm);

		if (!end || *end) {
			fprintf(stderr, "sluicectl: user add: --expires '%s' is not YYYY-MM-DD\n",
				expires);
			return EXIT_USAGE;
		}
		until = (int64_t)timegm(&tm);
	}
	ret = new_phc(pwfile, pos[0], phc, sizeof(phc));
	if (ret)
		return ret;
	req = req_str(c, SLUICE_CMD_CTL_USER_ADD, SLUICE_A_NAME, pos[0]);
	if (req && (nla_put_string(req, SLUICE_A_PHC, phc) ||
		    (until > 0 && nla_put_u64(req, SLUICE_A_EXPIRES, (uint64_t)until)))) {
		nlmsg_free(req);
		req = NULL;
	}
	OPENSSL_cleanse(phc, sizeof(phc));
	ret = show_record(c, req, user_cols, NCOLS);
	if (!ret && !print_json())
		printf("next: sluicectl user cert-issue %s --out %s.p12\n", pos[0], pos[0]);
	return ret;
}

static int user_list(struct ctl *c, int argc, char **argv)
{
	int ret = take_args(argc, argv, NULL, 0, NULL, 0, 0, "user list", "");

	if (ret)
		return ret;
	return list_records(c, ctl_request(c, SLUICE_CMD_CTL_USER_LIST, true), user_cols, NCOLS);
}

/* A blank line, then the list (table), or a member array (JSON). */
static int sub_list(const char *key, const struct nlattr *arr, const struct rec_col cols[4])
{
	if (!print_json())
		putchar('\n');
	return print_record_list(key, arr, cols, 4);
}

static int show_part(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *tb[SLUICE_REC_A_MAX + 1], *pos;
	int rem;

	(void)arg;
	nla_for_each_nested(pos, m->tb[SLUICE_A_RECORDS], rem) {
		if (sl_wire_nest(SL_NEST_RECORD, pos, tb))
			return EXIT_PROTO;
		/* The user's fields, then its certificates and grants, in one object. */
		print_obj_begin(NULL);
		print_fields(tb, user_cols, NCOLS);
		if (tb[SLUICE_REC_A_CERTS] &&
		    sub_list("certificates", tb[SLUICE_REC_A_CERTS], cert_cols))
			return EXIT_PROTO;
		if (tb[SLUICE_REC_A_GRANTS] && sub_list("grants", tb[SLUICE_REC_A_GRANTS], grant_cols))
			return EXIT_PROTO;
		print_obj_end();
		return EXIT_OK;
	}
	return EXIT_PROTO;
}

static int user_show(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int ret = take_args(argc, argv, NULL, 0, pos, 1, 1, "user show", "NAME");

	if (ret)
		return ret;
	return ctl_call(c, req_str(c, SLUICE_CMD_CTL_USER_SHOW, SLUICE_A_NAME, pos[0]), show_part,
			NULL);
}

static int user_set(struct ctl *c, int argc, char **argv, uint8_t cmd, const char *verb)
{
	char *pos[1];
	int ret = take_args(argc, argv, NULL, 0, pos, 1, 1, verb, "NAME");

	if (ret)
		return ret;
	return show_record(c, req_str(c, cmd, SLUICE_A_NAME, pos[0]), user_cols, NCOLS);
}

static int user_disable(struct ctl *c, int argc, char **argv)
{
	return user_set(c, argc, argv, SLUICE_CMD_CTL_USER_DISABLE, "user disable");
}

static int user_enable(struct ctl *c, int argc, char **argv)
{
	return user_set(c, argc, argv, SLUICE_CMD_CTL_USER_ENABLE, "user enable");
}

static int user_unlock(struct ctl *c, int argc, char **argv)
{
	return user_set(c, argc, argv, SLUICE_CMD_CTL_USER_UNLOCK, "user unlock");
}

static int user_passwd(struct ctl *c, int argc, char **argv)
{
	const char *pwfile = NULL;
	const struct opt opts[] = { { "--password-file", &pwfile } };
	char phc[SLUICE_PHC_MAX + 1], *pos[1];
	struct nl_msg *req;
	int ret;

	ret = take_args(argc, argv, opts, 1, pos, 1, 1, "user passwd",
			"NAME [--password-file FILE]");
	if (ret)
		return ret;
	ret = new_phc(pwfile, pos[0], phc, sizeof(phc));
	if (ret)
		return ret;
	req = req_str(c, SLUICE_CMD_CTL_USER_PASSWD, SLUICE_A_NAME, pos[0]);
	if (req && nla_put_string(req, SLUICE_A_PHC, phc)) {
		nlmsg_free(req);
		req = NULL;
	}
	OPENSSL_cleanse(phc, sizeof(phc));
	return echo_done(c, req, SLUICE_A_NAME, "user", "password of %s changed");
}

struct issued {
	X509 *cert;
};

static int issued_part(const struct sl_msg_in *m, void *arg)
{
	const struct nlattr *der = m->tb[SLUICE_A_CERT];
	struct issued *is = arg;

	struct nlattr *tb[SLUICE_REC_A_MAX + 1], *pos;
	int rem;

	is->cert = sl_cert_parse(nla_data(der), (size_t)nla_len(der));
	if (!is->cert) {
		fprintf(stderr, "sluicectl: the relay's certificate does not parse\n");
		return EXIT_PROTO;
	}
	/* Its fields go into the caller's object, beside the file name. */
	nla_for_each_nested(pos, m->tb[SLUICE_A_RECORDS], rem) {
		if (sl_wire_nest(SL_NEST_RECORD, pos, tb))
			return EXIT_PROTO;
		print_fields(tb, cert_cols, 4);
		return EXIT_OK;
	}
	return EXIT_PROTO;
}

/*
 * The key is made here and exists only in the PKCS#12 file: the relay gets
 * a CSR and returns the certificate it signed with its user CA.
 */
static int user_cert_issue(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "NAME --out FILE.p12 [--password-file FILE]";
	const char *out = NULL, *pwfile = NULL;
	const struct opt opts[] = { { "--out", &out }, { "--password-file", &pwfile } };
	char pw[SLUICE_PASSWORD_MAX + 2], why[512], *pos[1];
	struct issued is = { NULL };
	unsigned char *csr = NULL;
	EVP_PKEY *key = NULL;
	struct nl_msg *req;
	size_t csr_len;
	int ret;

	ret = take_args(argc, argv, opts, 2, pos, 1, 1, "user cert-issue", usage);
	if (ret)
		return ret;
	if (!out) {
		fprintf(stderr, "sluicectl: user cert-issue: --out FILE.p12 is required\n");
		return EXIT_USAGE;
	}
	if (read_secret(pwfile, "password protecting the PKCS#12 file", !pwfile, pw, sizeof(pw)))
		return EXIT_USAGE;
	key = EVP_EC_gen("P-256");
	if (!key || sl_csr_make(key, pos[0], &csr, &csr_len, why, sizeof(why))) {
		fprintf(stderr, "sluicectl: user cert-issue: cannot make a key and CSR\n");
		ret = EXIT_FAILED;
		goto out;
	}
	req = req_str(c, SLUICE_CMD_CTL_USER_CERT_ISSUE, SLUICE_A_NAME, pos[0]);
	if (req && nla_put(req, SLUICE_A_CSR, (int)csr_len, csr)) {
		nlmsg_free(req);
		req = NULL;
	}
	print_obj_begin(NULL);
	ret = ctl_call(c, req, issued_part, &is);
	if (!ret && sl_p12_write(key, is.cert, pw, out, why, sizeof(why))) {
		fprintf(stderr, "sluicectl: user cert-issue: %s; revoke the certificate above "
			"(user cert-revoke) and issue again\n", why);
		ret = EXIT_FAILED;
	}
	if (!ret)
		print_str("p12", out);
	print_obj_end();
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	free(csr);
	X509_free(is.cert);
	EVP_PKEY_free(key);
	return ret;
}

static int user_cert_revoke(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int ret = take_args(argc, argv, NULL, 0, pos, 1, 1, "user cert-revoke", "SERIAL");

	if (ret)
		return ret;
	return echo_done(c, req_str(c, SLUICE_CMD_CTL_USER_CERT_REVOKE, SLUICE_A_ID, pos[0]),
			 SLUICE_A_ID, "serial", "certificate %s revoked");
}

static int totp_part(const struct sl_msg_in *m, void *arg)
{
	(void)arg;
	if (print_json()) {
		print_obj_begin(NULL);
		print_str("otpauth_uri", sl_wire_str(m, SLUICE_A_TEXT));
		print_obj_end();
	} else {
		printf("TOTP enabled; give the user this URI (or its QR code), shown once:\n%s\n",
		       sl_wire_str(m, SLUICE_A_TEXT));
	}
	return EXIT_OK;
}

static int user_totp_enable(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int ret = take_args(argc, argv, NULL, 0, pos, 1, 1, "user totp-enable", "NAME");

	if (ret)
		return ret;
	return ctl_call(c, req_str(c, SLUICE_CMD_CTL_USER_TOTP_ENABLE, SLUICE_A_NAME, pos[0]),
			totp_part, NULL);
}

const struct ctl_subcmd user_verbs[] = {
	{ "add", "NAME [--expires DATE] [--password-file F]",
	  "a new user with a password (Argon2id, hashed here)", user_add },
	{ "list", "", "every user with state, TOTP and failed logins", user_list },
	{ "show", "NAME", "one user with certificates and grants", user_show },
	{ "disable", "NAME", "refuse logins; live connections close within a second",
	  user_disable },
	{ "enable", "NAME", "allow logins again", user_enable },
	{ "unlock", "NAME", "end a lockout after failed logins", user_unlock },
	{ "passwd", "NAME [--password-file F]", "set a new password", user_passwd },
	{ "cert-issue", "NAME --out F.p12 [--password-file F]",
	  "a new certificate in a password-protected PKCS#12 file", user_cert_issue },
	{ "cert-revoke", "SERIAL", "revoke a certificate; its connections close",
	  user_cert_revoke },
	{ "totp-enable", "NAME", "require TOTP codes; prints the otpauth:// URI once",
	  user_totp_enable },
	{ NULL, NULL, NULL, NULL },
};
