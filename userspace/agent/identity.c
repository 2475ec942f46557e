// SPDX-License-Identifier: MIT
/*
 * The agent's identity: its key (made here, never sent), its certificate
 * from the relay's agent CA (got once by ENROLL with a join token), and
 * the secondary id the relay hands out at each connect.  All three live in
 * state_dir: agent.key (0600), agent.crt, secondary (0600).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "ca.h"
#include "log.h"
#include "msgio.h"
#include "tls.h"

static void state_path(const struct agent *a, const char *file, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", a->cfg.state_dir, file);
}

/* Writes bytes to path atomically and durably (tmp, fsync, rename). */
static int write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[1200];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd))
		ret = -errno ? -errno : -EIO;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int agent_secret_save(struct agent *a, const unsigned char *secret)
{
	char path[1100];
	int ret;

	state_path(a, "secondary", path, sizeof(path));
	ret = write_file(path, secret, SLUICE_SECRET_LEN, 0600);
	if (ret)
		sl_log_err("cannot save %s: %s: the next connect will be refused as a clone",
			   path, strerror(-ret));
	return ret;
}

bool agent_secret_load(struct agent *a, unsigned char *secret)
{
	char path[1100];
	ssize_t n;
	int fd;

	state_path(a, "secondary", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return false;
	n = read(fd, secret, SLUICE_SECRET_LEN);
	close(fd);
	return n == SLUICE_SECRET_LEN;
}

/* ENROLL over a connection without a certificate; saves agent.crt. */
static int enroll(struct agent *a, EVP_PKEY *key, const char *crt_path)
{
	static char buf[SLUICE_MSG_MAX];
	const struct sl_relay_addr *relay = &a->cfg.relay;
	unsigned char *csr = NULL;
	struct nl_msg *msg;
	struct sl_msg_in m;
	char why[1024];
	size_t csr_len;
	X509 *cert;
	SSL *ssl;
	int err, ret;

	if (sl_csr_make(key, a->cfg.name, &csr, &csr_len, why, sizeof(why))) {
		sl_log_err("cannot make a certificate request: %s", why);
		return -EINVAL;
	}
	ssl = sl_tls_dial(a->tls, relay->host, relay->port, relay->timeout_ms,
			  relay->pin_file, relay->fingerprint[0] ? relay->fingerprint : NULL,
			  &err, why, sizeof(why));
	if (!ssl) {
		free(csr);
		sl_log_warn("enrollment: %s", why);
		return err ? err : -EIO;
	}
	msg = sl_wire_new(SLUICE_CMD_ENROLL, 1, 0);
	if (msg && (nla_put_string(msg, SLUICE_A_NAME, a->cfg.name) ||
		    nla_put(msg, SLUICE_A_TOKEN, (int)strlen(a->cfg.join_token),
			    a->cfg.join_token) ||
		    nla_put(msg, SLUICE_A_CSR, (int)csr_len, csr))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	free(csr);
	ret = sl_msg_send_free(ssl, msg);
	if (!ret)
		ret = sl_msg_recv(ssl, buf, &m, why, sizeof(why));
	sl_tls_close(ssl);
	if (ret) {
		sl_log_warn("enrollment: lost the relay: %s", why);
		return ret;
	}
	if (m.cmd == SLUICE_CMD_ERROR) {
		sl_log_err("enrollment refused by the relay: %s: %s",
			   sl_err_name(nla_get_u32(m.tb[SLUICE_A_ERR_CODE])),
			   sl_wire_str(&m, SLUICE_A_ERR_MSG) ?: "");
		return -EACCES;
	}
	if (m.cmd != SLUICE_CMD_ENROLL_OK) {
		sl_log_err("enrollment: the relay answered %s", sl_cmd_name(m.cmd));
		return -EPROTO;
	}
	cert = sl_cert_parse(nla_data(m.tb[SLUICE_A_CERT]), (size_t)nla_len(m.tb[SLUICE_A_CERT]));
	if (!cert || X509_check_private_key(cert, key) != 1) {
		X509_free(cert);
		sl_log_err("enrollment: the relay sent a certificate that is not for this key");
		return -EPROTO;
	}
	ret = sl_cert_save(cert, crt_path);
	X509_free(cert);
	if (ret) {
		sl_log_err("cannot save %s: %s", crt_path, strerror(-ret));
		return ret;
	}
	sl_log_info("enrolled as %s in domain %s%s; certificate %s", a->cfg.name,
		    sl_wire_str(&m, SLUICE_A_DOMAIN),
		    nla_get_u8(m.tb[SLUICE_A_STATE]) == SLUICE_AGENT_PENDING ?
			    " (pending an operator's approval)" : "",
		    crt_path);
	return 0;
}

int agent_identity_ready(struct agent *a)
{
	char key_path[1100], crt_path[1100], why[1024];
	EVP_PKEY *key;
	X509 *cert;
	int ret = 0;

	if (a->identity_ready)
		return 0;
	state_path(a, "agent.key", key_path, sizeof(key_path));
	state_path(a, "agent.crt", crt_path, sizeof(crt_path));
	key = sl_key_load_or_create(key_path, why, sizeof(why));
	if (!key) {
		sl_log_err("%s", why);
		return -EINVAL;
	}
	if (access(crt_path, F_OK)) {
		if (!a->cfg.join_token[0]) {
			sl_log_err("no certificate (%s) and no join_token in %s: ask an operator "
				   "for a join token (sluice-relay token create DOMAIN) and set it",
				   crt_path, a->conf_path);
			EVP_PKEY_free(key);
			return -ENOKEY;
		}
		agent_stats_link(&a->stats, AGENT_LINK_ENROLLING);
		ret = enroll(a, key, crt_path);
	}
	cert = ret ? NULL : sl_cert_load(crt_path);
	if (!ret && !cert) {
		sl_log_err("cannot read %s", crt_path);
		ret = -EINVAL;
	}
	if (cert && sl_tls_ctx_use_identity(a->tls, key, cert, why, sizeof(why))) {
		sl_log_err("%s and %s: %s", crt_path, key_path, why);
		ret = -EINVAL;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	a->identity_ready = ret == 0;
	return ret;
}

/*
 * The site's remote-access switch: a file ("on" unless it is missing or
 * says off/0/no) or a command ("!/path": on when it exits 0).  No switch
 * configured: on.
 */
bool agent_switch_on(struct agent *a)
{
	const char *sw = a->cfg.remote_access_switch;
	char word[16] = "";
	FILE *f;
	int st;

	if (!sw[0])
		return true;
	if (sw[0] == '!') {
		st = system(sw + 1);
		return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	f = fopen(sw, "re");
	if (!f)
		return false;
	if (fscanf(f, "%15s", word) != 1)
		word[0] = '\0';
	fclose(f);
	return strcmp(word, "off") && strcmp(word, "0") && strcmp(word, "no");
}
