// SPDX-License-Identifier: MIT
/*
 * The user's credentials: the PKCS#12 file an operator issued (certificate
 * and key, opened with the user's password or certificate_password_file),
 * the password itself, and a
 * TOTP code when the account has one.  The password comes from
 * password_file, then $SLUICE_PASSWORD, then a prompt on the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "ca.h"
#include "client.h"
#include "log.h"
#include "tls.h"

static int read_password_file(const char *path, char *out, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		sl_log_errno(errno, "cannot open password_file %s", path);
		return -1;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		sl_log_err("password_file %s may be read by others: chmod 600 %s", path, path);
		close(fd);
		return -1;
	}
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* A line from the terminal without echo. */
static int prompt(const char *what, char *out, size_t len)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+e");
	int ret = -1;

	if (!tty)
		return -1;
	fprintf(tty, "%s: ", what);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	if (fgets(out, (int)len, tty)) {
		out[strcspn(out, "\r\n")] = '\0';
		ret = 0;
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return ret;
}

int client_identity_load(struct client *c)
{
	const char *env = getenv("SLUICE_PASSWORD");
	char p12_password[SLUICE_PASSWORD_MAX + 1];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char why[1024];
	int ret;

	if (c->cfg.password_file[0]) {
		if (read_password_file(c->cfg.password_file, c->password, sizeof(c->password)))
			return -1;
	} else if (env) {
		snprintf(c->password, sizeof(c->password), "%s", env);
	} else if (prompt("password", c->password, sizeof(c->password))) {
		sl_log_err("no password: set password_file in the configuration, "
			   "SLUICE_PASSWORD, or run on a terminal");
		return -1;
	}
	if (!c->password[0]) {
		sl_log_err("empty password");
		return -1;
	}
	/* The PKCS#12 file has its own password when the operator chose one. */
	snprintf(p12_password, sizeof(p12_password), "%s", c->password);
	if (c->cfg.certificate_password_file[0] &&
	    read_password_file(c->cfg.certificate_password_file, p12_password,
			       sizeof(p12_password)))
		return -1;
	ret = sl_p12_load(c->cfg.certificate, p12_password, &key, &cert, why, sizeof(why));
	OPENSSL_cleanse(p12_password, sizeof(p12_password));
	if (ret) {
		sl_log_err("%s: %s%s", c->cfg.certificate, why,
			   ret == -EACCES ? " (wrong password, or not the file the "
					    "operator issued)" : "");
		return -1;
	}
	ret = sl_tls_ctx_use_identity(c->tls, key, cert, why, sizeof(why));
	EVP_PKEY_free(key);
	X509_free(cert);
	if (ret) {
		sl_log_err("%s: %s", c->cfg.certificate, why);
		return -1;
	}
	return 0;
}

void client_identity_clear(struct client *c)
{
	OPENSSL_cleanse(c->password, sizeof(c->password));
}
