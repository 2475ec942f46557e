// SPDX-License-Identifier: MIT
/*
 * The agent's control connection: dial out, HELLO with the device list,
 * heartbeats both ways, and CONNECT requests checked against the agent's
 * own port rules (the relay's word is not enough).  When the relay goes
 * away the agent reconnects with exponential backoff and jitter.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "backoff.h"
#include "enforce.h"
#include "log.h"
#include "msgio.h"
#include "tls.h"

/*
 * Reads one signal: SIGHUP reloads the configuration, SIGINT and SIGTERM
 * stop the agent.  Returns 1 when the device list changed.
 */
static int take_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	if (read(a->signal_fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP)
		return agent_reload(a) == 1;
	sl_log_info("signal %u: shutting down", si.ssi_signo);
	a->stop = true;
	return 0;
}

/* Sleeps up to ms, or until a signal stops the agent. */
static void wait_or_signal(struct agent *a, int ms)
{
	struct pollfd pfd = { .fd = a->signal_fd, .events = POLLIN };
	uint64_t end = sl_now_ms() + (uint64_t)ms;

	while (!a->stop) {
		uint64_t now = sl_now_ms();

		if (now >= end || poll(&pfd, 1, (int)(end - now)) != 1)
			return;
		take_signal(a);
	}
}

static int put_devices(struct nl_msg *msg, const struct agent_config *cfg)
{
	struct nlattr *devs = nla_nest_start(msg, SLUICE_A_DEVICES);
	unsigned int i;

	if (!devs)
		return -EMSGSIZE;
	for (i = 0; i < cfg->ndevices; i++)
		if (sl_wire_put_device(msg, &cfg->devices[i].info))
			return -EMSGSIZE;
	nla_nest_end_keep_empty(msg, devs);
	return 0;
}

/* After a reload changed the devices: the relay's list follows. */
static int send_update(struct agent *a, SSL *ssl)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_AGENT_UPDATE, 0, 0);

	if (msg && put_devices(msg, &a->cfg)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return sl_msg_send_free(ssl, msg);
}

/* A heartbeat says how the rules are enforced and what the kernel refused. */
static int send_heartbeat(struct agent *a, SSL *ssl)
{
	static struct sl_denial denials[SLUICE_DENIALS_MAX];
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_HEARTBEAT, 0, 0);
	unsigned int n = agent_enforce_denials(a, denials);
	bool on = agent_switch_on(a);

	agent_stats_switch(&a->stats, on);
	if (msg && (nla_put_u8(msg, SLUICE_A_SWITCH, on) ||
		    nla_put_u8(msg, SLUICE_A_ENFORCEMENT,
			       a->enforce ? SLUICE_ENFORCE_KERNEL
					  : SLUICE_ENFORCE_USERSPACE) ||
		    (n && sl_wire_put_denials(msg, denials, n)))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return sl_msg_send_free(ssl, msg);
}

static struct nl_msg *build_hello(struct agent *a)
{
	const struct agent_config *cfg = &a->cfg;
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_AGENT_HELLO, 1, 0);

	unsigned char secret[SLUICE_SECRET_LEN];
	bool on = agent_switch_on(a);

	agent_stats_switch(&a->stats, on);
	if (!msg || nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
	    nla_put_string(msg, SLUICE_A_NAME, cfg->name) ||
	    nla_put_u8(msg, SLUICE_A_SWITCH, on) ||
	    (agent_secret_load(a, secret) &&
	     nla_put(msg, SLUICE_A_SECRET, SLUICE_SECRET_LEN, secret)))
		goto err;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (put_devices(msg, cfg))
		goto err;
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

static void refuse(struct agent *a, SSL *ssl, uint32_t seq, uint64_t id,
		   enum sluice_err code, const char *text)
{
	agent_stats_session_end(&a->stats, AGENT_OUTCOME_REFUSED, false, 0, 0);
	sl_log_warn("refused session %016llx: %s", (unsigned long long)id, text);
	sl_msg_send_free(ssl, sl_wire_error(seq, code, id, "%s", text));
}

static void handle_connect(struct agent *a, SSL *ssl, struct sl_msg_in *m)
{
	uint64_t id = nla_get_u64(m->tb[SLUICE_A_SESSION_ID]);
	const char *device = sl_wire_str(m, SLUICE_A_DEVICE);
	uint16_t port = nla_get_u16(m->tb[SLUICE_A_PORT]);
	const struct agent_device *dev = agent_device_find(&a->cfg, device);
	char text[200];
	int ret;

	if (!dev) {
		snprintf(text, sizeof(text), "no device '%s' on agent %s", device,
			 a->cfg.name);
		refuse(a, ssl, m->seq, id, SLUICE_E_NO_DEVICE, text);
		return;
	}
	if (!sl_ports_allows(&dev->info.ports, IPPROTO_TCP, port)) {
		snprintf(text, sizeof(text), "port %u not allowed on device %s",
			 port, device);
		refuse(a, ssl, m->seq, id, SLUICE_E_PORT_DENIED, text);
		return;
	}
	ret = agent_session_start(a, dev, port, id, nla_data(m->tb[SLUICE_A_TOKEN]));
	if (ret) {
		snprintf(text, sizeof(text), "agent cannot start a session: %s",
			 strerror(-ret));
		refuse(a, ssl, m->seq, id, ret == -EAGAIN ? SLUICE_E_LIMIT : SLUICE_E_INTERNAL,
		       text);
	}
}

static void dispatch(struct agent *a, SSL *ssl, struct sl_msg_in *m)
{
	switch (m->cmd) {
	case SLUICE_CMD_HEARTBEAT:
		return;
	case SLUICE_CMD_CONNECT:
		handle_connect(a, ssl, m);
		return;
	case SLUICE_CMD_ERROR:
		sl_log_warn("relay reports: %s: %s",
			    sl_err_name(nla_get_u32(m->tb[SLUICE_A_ERR_CODE])),
			    sl_wire_str(m, SLUICE_A_ERR_MSG) ?: "");
		return;
	default:
		sl_log_debug("ignoring %s from the relay", sl_cmd_name(m->cmd));
	}
}

/* What a refused HELLO leaves the agent in until it tries again. */
static enum agent_link refused_link(int err)
{
	switch (err) {
	case -ENOLCK:
		return AGENT_LINK_LOCKED;
	case -EKEYEXPIRED:
		return AGENT_LINK_DISABLED;
	case -EACCES:
	case -EEXIST:
	case -EPROTONOSUPPORT:
	case -EPROTO:
		return AGENT_LINK_REFUSED;
	default:
		return AGENT_LINK_DISCONNECTED;
	}
}

/* Serves one control connection.  1 if it got as far as HELLO_OK. */
static int serve_once(struct agent *a)
{
	static char buf[SLUICE_MSG_MAX];
	const struct sl_relay_addr *relay = &a->cfg.relay;
	struct sl_heartbeat hbt;
	struct sl_hello_ok ok;
	uint64_t silent;
	char why[1024];
	SSL *ssl;
	int err, ret;

	ret = agent_identity_ready(a);
	if (ret == -ENOKEY || ret == -EACCES) {
		a->stop = true;
		a->exit_code = 1;
		return 0;
	}
	if (ret) {
		agent_stats_link(&a->stats, AGENT_LINK_DISCONNECTED);
		return 0;
	}
	agent_stats_link(&a->stats, AGENT_LINK_CONNECTING);
	ssl = sl_tls_dial(a->tls, relay->host, relay->port, relay->timeout_ms,
			  relay->pin_file, relay->fingerprint[0] ? relay->fingerprint : NULL,
			  &err, why, sizeof(why));
	if (!ssl) {
		if (err == -EPERM)
			sl_log_err("fingerprint mismatch: %s", why);
		else
			sl_log_warn("%s", why);
		agent_stats_link(&a->stats, AGENT_LINK_DISCONNECTED);
		return 0;
	}
	ret = sl_peer_hello(ssl, build_hello(a), &ok, why, sizeof(why));
	if (ret) {
		sl_log_err("relay %s:%u: %s", relay->host, relay->port, why);
		agent_stats_link(&a->stats, refused_link(ret));
		sl_tls_close(ssl);
		return 0;
	}
	/* Saved before anything else is sent: the relay wants it next time. */
	if (ok.has_secret && agent_secret_save(a, ok.secret)) {
		agent_stats_link(&a->stats, AGENT_LINK_DISCONNECTED);
		sl_tls_close(ssl);
		return 0;
	}
	OPENSSL_cleanse(ok.secret, sizeof(ok.secret));
	sl_log_info("connected to relay %s:%u as %s in %s (heartbeat %u ms, %u device%s)%s",
		    relay->host, relay->port, a->cfg.name, ok.domain, ok.hb_ms,
		    a->cfg.ndevices, a->cfg.ndevices == 1 ? "" : "s",
		    ok.state == SLUICE_AGENT_PENDING ? "; pending an operator's approval: "
						       "no sessions until then" : "");
	agent_stats_link(&a->stats, ok.state == SLUICE_AGENT_PENDING ? AGENT_LINK_PENDING
								     : AGENT_LINK_CONNECTED);
	sl_heartbeat_start(&hbt, ok.hb_ms);
	while (!a->stop) {
		struct pollfd pfd[2] = {
			{ .fd = SSL_get_fd(ssl), .events = POLLIN },
			{ .fd = a->signal_fd, .events = POLLIN },
		};

		if (SSL_pending(ssl) > 0)
			pfd[0].revents = POLLIN;
		else if (poll(pfd, 2, sl_heartbeat_timeout(&hbt)) == -1 && errno != EINTR)
			break;
		if (pfd[1].revents && take_signal(a) && send_update(a, ssl)) {
			sl_log_warn("lost the relay connection while sending the new device list");
			break;
		}
		if (a->stop)
			break;
		if (pfd[0].revents) {
			struct sl_msg_in m;

			ret = sl_msg_recv(ssl, buf, &m, why, sizeof(why));
			if (ret) {
				if (ret == -EBADMSG)
					sl_log_err("malformed message from the relay: %s", why);
				else
					sl_log_warn("lost the relay connection: %s", why);
				break;
			}
			hbt.last_rx_ms = sl_now_ms();
			dispatch(a, ssl, &m);
		}
		agent_enforce_poll(a);
		if (sl_heartbeat_dead(&hbt, &silent)) {
			sl_log_warn("relay silent for %llu ms (3 heartbeats): reconnecting",
				    (unsigned long long)silent);
			agent_stats_heartbeat_miss(&a->stats);
			break;
		}
		if (sl_heartbeat_due(&hbt) && send_heartbeat(a, ssl)) {
			sl_log_warn("lost the relay connection while sending a heartbeat");
			break;
		}
	}
	agent_stats_link(&a->stats, AGENT_LINK_DISCONNECTED);
	sl_tls_close(ssl);
	return 1;
}

int agent_run(struct agent *a)
{
	struct sl_backoff b;
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)getpid() ^ sl_now_ms();
	sl_backoff_init(&b, 1000, (uint32_t)a->cfg.reconnect_max_ms, seed);
	while (!a->stop) {
		uint32_t delay;

		if (serve_once(a))
			sl_backoff_reset(&b);
		if (a->stop)
			break;
		delay = sl_backoff_next(&b);
		agent_stats_reconnect(&a->stats);
		sl_log_info("reconnecting to %s:%u in %.1f s", a->cfg.relay.host,
			    a->cfg.relay.port, delay / 1000.0);
		wait_or_signal(a, (int)delay);
	}
	return 0;
}
