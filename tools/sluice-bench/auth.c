// SPDX-License-Identifier: MIT
/*
 * How the bench authenticates to the relay, in one place (with the TLS
 * context in tls.c and the operator commands in operator.c).  It follows
 * the identity model of docs/security.md as sluice-agent and sluice-client
 * do:
 *
 *   simulated agents  enroll once: a P-256 key made here, ENROLL with a
 *                     one-time join token and a CSR, ENROLL_OK with the
 *                     agent certificate.  Then each connect is mutual TLS
 *                     with that certificate and an AGENT_HELLO carrying the
 *                     secondary id of the previous HELLO_OK (none the first
 *                     time); the HELLO_OK's new one is kept for the next.
 *   clients           a user's certificate (PKCS#12) and password, as
 *                     sluice-client: mutual TLS and a CLIENT_HELLO with the
 *                     password (an Argon2id check on the relay).
 *
 * Identities are cached per relay, so that repeated runs with 10,000 or
 * 50,000 agents do not enroll them again:
 *
 *   STATE/relay-<first 16 hex digits of the relay's fingerprint>/
 *       agents/NAME.key     the agent's key (0600)
 *       agents/NAME.crt     its certificate
 *       agents/NAME.secret  the secondary id to present next (0600)
 *       agents/NAME.unsure  a HELLO went out whose answer was never read:
 *                           the relay may have rotated the id, and a stale
 *                           one would lock the agent as a clone.  The next
 *                           run resets it first (agent reset NAME).
 *       users/NAME.p12, users/NAME.password   the bench user (0600)
 *
 * The secret files are replaced atomically but not fsync'd: a bench host
 * that crashes may leave a stale id, and the relay then locks that agent,
 * as it must.  Enrolling many agents takes one "token create --count N"
 * (one transaction) and --concurrency ENROLLs in flight at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "ca.h"
#include "conn.h"
#include "stats.h"

#define ENROLL_CONCURRENCY_MAX 64
#define PATH_LEN 1200	/* --state is below 1024 bytes */

/* STATE/relay-XXXXXXXXXXXXXXXX/SUB, made (mode 0700) when missing. */
static int cache_dir(const struct bench_opts *o, const char *sub, char *out, size_t len)
{
	const char *fp = o->fingerprint + strlen("sha256:");
	char dir[PATH_LEN];

	if (!o->state[0]) {
		bench_err("simulated agents and the bench user need --state DIR (their "
			  "identities are kept there)");
		return -EINVAL;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/relay-%.16s", o->state, fp) >= sizeof(dir))
		return -ENAMETOOLONG;
	if ((mkdir(o->state, 0700) == -1 && errno != EEXIST) ||
	    (mkdir(dir, 0700) == -1 && errno != EEXIST)) {
		bench_err("cannot make %s: %s", dir, strerror(errno));
		return -errno;
	}
	if ((size_t)snprintf(out, len, "%s/%s", dir, sub) >= len)
		return -ENAMETOOLONG;
	if (mkdir(out, 0700) == -1 && errno != EEXIST) {
		bench_err("cannot make %s: %s", out, strerror(errno));
		return -errno;
	}
	return 0;
}

/* DIR/NAME.EXT; the state directory's length was bounded by cache_dir. */
static void cache_file(const char *dir, const char *name, const char *ext, char *out,
		       size_t len)
{
	if ((size_t)snprintf(out, len, "%s/%s.%s", dir, name, ext) >= len)
		out[0] = '\0';
}

/* Writes len bytes to path through a temporary file and rename. */
static int write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[PATH_LEN + 8];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	close(fd);
	if (!ret && rename(tmp, path) == -1)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

void bench_agent_name(const char *prefix, unsigned int i, char *out)
{
	snprintf(out, SLUICE_NAME_MAX + 1, "%s%06u", prefix, i);
}

/* ---- enrollment ---- */

struct enroll_run {
	const struct bench_opts *o;
	const char *dir;
	char (*names)[SLUICE_NAME_MAX + 1];
	unsigned int *todo;		/* indices into names */
	char **tokens;
	unsigned int n, next, done, dup;
	unsigned int *dups;		/* enrolled on the relay, not here */
};

/* Join tokens from one "token create DOMAIN --count N": *tokens points
 * into *text (free both). */
static int make_tokens(const struct bench_opts *o, unsigned int n, char **text,
		       char ***tokens)
{
	char count[16], *line, *save = NULL;
	const char *words[] = { "token", "create", o->domain, "--ttl", "2h", "--count",
				count, NULL };
	unsigned int got = 0;
	int ret;

	snprintf(count, sizeof(count), "%u", n);
	*tokens = calloc(n, sizeof(**tokens));
	if (!*tokens)
		return -ENOMEM;
	ret = bench_operator(o, words, text);
	if (ret)
		return ret;
	for (line = strtok_r(*text, "\n", &save); line && got < n;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "sjt_", 4))
			(*tokens)[got++] = line;
	if (got != n) {
		bench_err("token create --count %u printed %u join tokens", n, got);
		return -EPROTO;
	}
	return 0;
}

/* Starts the enrollment of names[todo[i]] on c. */
static int enroll_start(struct enroll_run *e, struct bconn *c, int epfd,
			const struct sockaddr_in *dst, unsigned int i, SSL_CTX *ctx)
{
	const char *name = e->names[e->todo[i]];
	char path[PATH_LEN], why[512];
	unsigned char *csr = NULL;
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_addr = bench_source(e->o, i) };
	struct nl_msg *msg;
	size_t csr_len;
	EVP_PKEY *key;

	cache_file(e->dir, name, "key", path, sizeof(path));
	key = sl_key_load_or_create(path, why, sizeof(why));
	if (!key || sl_csr_make(key, name, &csr, &csr_len, why, sizeof(why))) {
		EVP_PKEY_free(key);
		bench_err("agent %s: %s", name, why);
		return -EINVAL;
	}
	EVP_PKEY_free(key);
	msg = sl_wire_new(SLUICE_CMD_ENROLL, 1, 0);
	if (!msg || nla_put_string(msg, SLUICE_A_NAME, name) ||
	    nla_put(msg, SLUICE_A_TOKEN, (int)strlen(e->tokens[i]), e->tokens[i]) ||
	    nla_put(msg, SLUICE_A_CSR, (int)csr_len, csr)) {
		free(csr);
		nlmsg_free(msg);
		return -ENOMEM;
	}
	free(csr);
	if (bconn_start(c, ctx, epfd, &src, dst, NULL, BCONN_ENROLL_OK, e->o->fingerprint,
			msg)) {
		bench_err("enrolling agent %s: %s", name, c->why);
		return -EIO;
	}
	return 0;
}

/* Saves the certificate that arrived on c for names[todo[i]]. */
static int enroll_done(struct enroll_run *e, struct bconn *c, unsigned int i)
{
	const char *name = e->names[e->todo[i]];
	char key_path[PATH_LEN], crt_path[PATH_LEN], why[256];
	EVP_PKEY *key;
	int ret;

	cache_file(e->dir, name, "key", key_path, sizeof(key_path));
	cache_file(e->dir, name, "crt", crt_path, sizeof(crt_path));
	key = sl_key_load_or_create(key_path, why, sizeof(why));
	if (!key || X509_check_private_key(c->cert, key) != 1) {
		EVP_PKEY_free(key);
		bench_err("agent %s: the relay sent a certificate that is not for its key",
			  name);
		return -EPROTO;
	}
	EVP_PKEY_free(key);
	ret = sl_cert_save(c->cert, crt_path);
	if (ret)
		bench_err("cannot save %s: %s", crt_path, strerror(-ret));
	return ret;
}

/*
 * Enrolls names[todo[0..n-1]], up to ENROLL_CONCURRENCY_MAX at a time,
 * bounded by 60 s plus 20 ms per agent.  An agent the relay already knows
 * (enrolled, but its certificate is not in the cache) goes to e->dups.
 */
static int enroll_all(struct enroll_run *e)
{
	const struct bench_opts *o = e->o;
	unsigned int conc = o->concurrency < ENROLL_CONCURRENCY_MAX ?
			    o->concurrency : ENROLL_CONCURRENCY_MAX;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	struct epoll_event evs[64];
	unsigned int k;
	struct bconn *conns = calloc(conc, sizeof(*conns));
	unsigned int *slot_of = calloc(conc, sizeof(*slot_of));
	SSL_CTX *ctx = bench_client_ctx();
	uint64_t t0 = bench_now_ns(), deadline;
	int epfd = epoll_create1(EPOLL_CLOEXEC), ret = -ENOMEM, n, i;

	deadline = t0 + (60000ull + 20ull * e->n) * 1000000ull;
	if (!conns || !slot_of || !ctx || epfd == -1)
		goto out;
	if (inet_pton(AF_INET, o->host, &dst.sin_addr) != 1) {
		bench_err("the relay must be an IPv4 address, not '%s'", o->host);
		ret = -EINVAL;
		goto out;
	}
	for (k = 0; k < conc; k++)
		conns[k].fd = -1;
	while (e->done + e->dup < e->n) {
		for (k = 0; k < conc && e->next < e->n; k++) {
			if (conns[k].fd >= 0)
				continue;
			slot_of[k] = e->next++;
			ret = enroll_start(e, &conns[k], epfd, &dst, slot_of[k], ctx);
			if (ret)
				goto out;
		}
		if (bench_now_ns() > deadline) {
			bench_err("enrollment: only %u of %u agents enrolled in time", e->done,
				  e->n);
			ret = -ETIMEDOUT;
			goto out;
		}
		n = epoll_wait(epfd, evs, 64, 1000);
		if (n == -1 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct bconn *c = evs[i].data.ptr;
			unsigned int idx = slot_of[c - conns];
			const char *name = e->names[e->todo[idx]];
			int r = bconn_step(c, epfd);

			if (r == 0)
				continue;
			if (r == 1) {
				ret = enroll_done(e, c, idx);
				if (ret)
					goto out;
				if (++e->done % 5000 == 0)
					bench_info("enrolled %u of %u agents", e->done, e->n);
			} else if (c->err_code == SLUICE_E_DUPLICATE && e->dups) {
				e->dups[e->dup++] = e->todo[idx];
			} else {
				bench_err("enrolling agent %s: %s", name, c->why);
				ret = -EACCES;
				goto out;
			}
			bconn_close(c, epfd, r == 1);
		}
	}
	bench_info("enrolled %u agents in %.1f s", e->done,
		   (double)(bench_now_ns() - t0) / 1e9);
	ret = 0;
out:
	for (k = 0; conns && k < conc; k++)
		bconn_close(&conns[k], epfd, false);
	free(conns);
	free(slot_of);
	if (epfd >= 0)
		close(epfd);
	SSL_CTX_free(ctx);
	return ret;
}

/* Enrolls names[todo[0..n-1]] with fresh join tokens. */
static int enroll(const struct bench_opts *o, const char *dir,
		  char (*names)[SLUICE_NAME_MAX + 1], unsigned int *todo, unsigned int n,
		  unsigned int *dups, unsigned int *ndups)
{
	struct enroll_run e = { .o = o, .dir = dir, .names = names, .todo = todo,
				.n = n, .dups = dups };
	char *text = NULL;
	int ret;

	bench_info("enrolling %u simulated agents in %s", n, o->domain);
	ret = make_tokens(o, n, &text, &e.tokens);
	if (!ret)
		ret = enroll_all(&e);
	if (text)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
	free(e.tokens);
	*ndups = e.dup;
	return ret;
}

/* Runs "agent VERB NAME" for the uncertain or orphaned agent name. */
static int agent_cmd(const struct bench_opts *o, const char *verb, const char *name)
{
	const char *words[] = { "agent", verb, name, NULL };

	return bench_operator(o, words, NULL);
}

int bench_agents_ready(const struct bench_opts *o, char (*names)[SLUICE_NAME_MAX + 1],
		       unsigned int n)
{
	char dir[PATH_LEN], path[PATH_LEN];
	unsigned int *todo = calloc(n ? n : 1, sizeof(*todo));
	unsigned int *dups = calloc(n ? n : 1, sizeof(*dups));
	unsigned int i, ntodo = 0, ndups = 0;
	int ret;

	if (!todo || !dups) {
		ret = -ENOMEM;
		goto out;
	}
	ret = cache_dir(o, "agents", dir, sizeof(dir));
	if (ret)
		goto out;
	for (i = 0; i < n; i++) {
		cache_file(dir, names[i], "crt", path, sizeof(path));
		if (!exists(path)) {
			todo[ntodo++] = i;
			continue;
		}
		cache_file(dir, names[i], "unsure", path, sizeof(path));
		if (!exists(path))
			continue;
		/* Its secondary id may be stale: start it afresh. */
		ret = agent_cmd(o, "reset", names[i]);
		if (ret)
			goto out;
		unlink(path);
		cache_file(dir, names[i], "secret", path, sizeof(path));
		unlink(path);
	}
	if (!ntodo)
		goto out;
	ret = enroll(o, dir, names, todo, ntodo, dups, &ndups);
	if (ret || !ndups)
		goto out;
	/* Enrolled on the relay but lost here (an enrollment whose answer
	 * never arrived, or a cache removed by hand): remove and enroll again. */
	bench_info("%u agents are enrolled on the relay but not in %s: removing "
		   "them there and enrolling them again", ndups, dir);
	for (i = 0; i < ndups; i++) {
		ret = agent_cmd(o, "remove", names[dups[i]]);
		if (ret)
			goto out;
	}
	ret = enroll(o, dir, names, dups, ndups, NULL, &ndups);
out:
	free(todo);
	free(dups);
	return ret;
}

int bench_ident_load(const struct bench_opts *o, const char *name, struct bench_ident *id)
{
	char dir[PATH_LEN], path[PATH_LEN], why[512];
	ssize_t got;
	int fd, ret;

	memset(id, 0, sizeof(*id));
	snprintf(id->name, sizeof(id->name), "%s", name);
	ret = cache_dir(o, "agents", dir, sizeof(dir));
	if (ret)
		return ret;
	cache_file(dir, name, "crt", path, sizeof(path));
	id->cert = sl_cert_load(path);
	if (!id->cert) {
		bench_err("agent %s is not enrolled: no certificate %s", name, path);
		return -ENOENT;
	}
	cache_file(dir, name, "key", path, sizeof(path));
	id->key = sl_key_load_or_create(path, why, sizeof(why));
	if (!id->key) {
		bench_err("agent %s: %s", name, why);
		bench_ident_free(id);
		return -EINVAL;
	}
	cache_file(dir, name, "secret", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		got = read(fd, id->secret, sizeof(id->secret));
		id->has_secret = got == (ssize_t)sizeof(id->secret);
		close(fd);
	}
	return 0;
}

void bench_ident_free(struct bench_ident *id)
{
	if (!id)
		return;
	EVP_PKEY_free(id->key);
	id->key = NULL;
	X509_free(id->cert);
	id->cert = NULL;
	OPENSSL_cleanse(id->secret, sizeof(id->secret));
	id->has_secret = false;
}

int bench_ident_secret_save(const struct bench_opts *o, struct bench_ident *id,
			    const unsigned char *secret)
{
	char dir[PATH_LEN], path[PATH_LEN];
	int ret;

	memcpy(id->secret, secret, sizeof(id->secret));
	id->has_secret = true;
	ret = cache_dir(o, "agents", dir, sizeof(dir));
	if (ret)
		return ret;
	cache_file(dir, id->name, "secret", path, sizeof(path));
	ret = write_file(path, secret, SLUICE_SECRET_LEN, 0600);
	if (ret)
		bench_err("cannot save %s: %s: agent %s will be locked as a clone at its "
			  "next connect", path, strerror(-ret), id->name);
	return ret;
}

void bench_ident_unsure(const struct bench_opts *o, const char *name)
{
	char dir[PATH_LEN], path[PATH_LEN];

	if (cache_dir(o, "agents", dir, sizeof(dir)))
		return;
	cache_file(dir, name, "unsure", path, sizeof(path));
	if (write_file(path, "", 0, 0600))
		bench_err("cannot write %s: reset agent %s before its next use", path,
			  name);
}

struct nl_msg *bench_agent_hello(const struct bench_opts *o, const struct bench_ident *id)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_AGENT_HELLO, 1, 0);
	struct sl_device_info dev = { 0 };
	struct nlattr *devs;

	snprintf(dev.name, sizeof(dev.name), "%s", o->device);
	if (!msg || sl_ports_add(&dev.ports, IPPROTO_TCP, o->device_port, o->device_port))
		goto err;
	if (nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
	    nla_put_string(msg, SLUICE_A_NAME, id->name) ||
	    (id->has_secret &&
	     nla_put(msg, SLUICE_A_SECRET, SLUICE_SECRET_LEN, id->secret)))
		goto err;
	devs = nla_nest_start(msg, SLUICE_A_DEVICES);
	if (!devs || sl_wire_put_device(msg, &dev))
		goto err;
	nla_nest_end(msg, devs);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

/* ---- the user ---- */

static int read_password(const char *path, char *out, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		bench_err("cannot open the password file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		bench_err("password file %s may be read by others: chmod 600 %s", path,
			  path);
		close(fd);
		return -EPERM;
	}
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0) {
		bench_err("password file %s is empty", path);
		return -EINVAL;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* Makes o->user on the relay (password, certificate, grant on o->domain)
 * with its credentials in dir. */
static int user_create(const struct bench_opts *o, const char *p12, const char *pwfile)
{
	const char *add[] = { "user", "add", o->user, "--password-file", pwfile, NULL };
	const char *issue[] = { "user", "cert-issue", o->user, "--out", p12,
				"--password-file", pwfile, NULL };
	const char *grant[] = { "grant", "add", o->user, o->domain, NULL };
	unsigned char raw[16];
	char pw[40];
	unsigned int i;
	int ret;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(pw + 2 * i, 3, "%02x", raw[i]);
	pw[2 * sizeof(raw)] = '\n';
	ret = write_file(pwfile, pw, 2 * sizeof(raw) + 1, 0600);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (ret) {
		bench_err("cannot write %s: %s", pwfile, strerror(-ret));
		return ret;
	}
	bench_info("making user %s with a grant on %s", o->user, o->domain);
	ret = bench_operator(o, add, NULL);
	if (!ret)
		ret = bench_operator(o, issue, NULL);
	if (!ret)
		ret = bench_operator(o, grant, NULL);
	if (ret)
		unlink(p12);
	return ret;
}

int bench_user_ready(struct bench_opts *o)
{
	char dir[PATH_LEN], p12[PATH_LEN], pwfile[PATH_LEN];
	int ret;

	if (!o->user_cert[0]) {
		ret = cache_dir(o, "users", dir, sizeof(dir));
		if (ret)
			return ret;
		cache_file(dir, o->user, "p12", p12, sizeof(p12));
		cache_file(dir, o->user, "password", pwfile, sizeof(pwfile));
		if (!exists(p12)) {
			ret = user_create(o, p12, pwfile);
			if (ret)
				return ret;
		}
		snprintf(o->user_cert, sizeof(o->user_cert), "%s", p12);
		snprintf(o->password_file, sizeof(o->password_file), "%s", pwfile);
	}
	return read_password(o->password_file, o->password, sizeof(o->password));
}

int bench_user_use(const struct bench_opts *o, SSL_CTX *ctx)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char why[1024];
	int ret;

	ret = sl_p12_load(o->user_cert, o->password, &key, &cert, why, sizeof(why));
	if (ret) {
		bench_err("%s: %s%s", o->user_cert, why,
			  ret == -EACCES ? " (wrong password, or not the file the operator "
					   "issued)" : "");
		return ret;
	}
	ret = sl_tls_ctx_use_identity(ctx, key, cert, why, sizeof(why));
	if (ret)
		bench_err("%s: %s", o->user_cert, why);
	EVP_PKEY_free(key);
	X509_free(cert);
	return ret;
}

struct nl_msg *bench_client_hello(const struct bench_opts *o)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CLIENT_HELLO, 1, 0);

	if (!msg || nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
	    nla_put_string(msg, SLUICE_A_NAME, o->user) ||
	    nla_put_string(msg, SLUICE_A_PASSWORD, o->password)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}
