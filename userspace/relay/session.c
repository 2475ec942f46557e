// SPDX-License-Identifier: MIT
/*
 * Sessions: one relayed TCP stream.  OPEN creates it and sends CONNECT to
 * the agent; the agent's data leg attaches (then the client gets OPEN_OK),
 * the client's leg attaches, and the pump moves bytes until both directions
 * have ended.  A session lives at most SLUICE_ATTACH_TIMEOUT_MS before both
 * legs are attached, and no longer than either control connection.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>

#include "log.h"
#include "relay.h"

#define PUMP_BUDGET (256u << 10)

struct relay_session *relay_session_find(struct relay *r, uint64_t id)
{
	struct relay_session *s;

	HASH_FIND(hh, r->sessions, &id, sizeof(id), s);
	return s;
}

static uint64_t new_session_id(struct relay *r)
{
	uint64_t id;

	do {
		if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
			return 0;
		id &= 0x7fffffffffffffffull;
	} while (id == 0 || relay_session_find(r, id));
	return id;
}

struct relay_session *relay_session_open(struct relay *r,
					 struct relay_conn *client,
					 struct relay_agent *agent,
					 const char *device, uint16_t port,
					 uint32_t seq)
{
	struct relay_session *s = calloc(1, sizeof(*s));
	struct nl_msg *msg;

	if (!s)
		return NULL;
	s->id = new_session_id(r);
	if (!s->id || RAND_bytes(s->token[0], SLUICE_SESSION_TOKEN_LEN) != 1 ||
	    RAND_bytes(s->token[1], SLUICE_SESSION_TOKEN_LEN) != 1) {
		free(s);
		return NULL;
	}
	msg = sl_wire_new(SLUICE_CMD_CONNECT, 0, 0);
	if (!msg || nla_put_u64(msg, SLUICE_A_SESSION_ID, s->id) ||
	    nla_put(msg, SLUICE_A_TOKEN, SLUICE_SESSION_TOKEN_LEN, s->token[1]) ||
	    nla_put_string(msg, SLUICE_A_DEVICE, device) ||
	    nla_put_u16(msg, SLUICE_A_PORT, port)) {
		nlmsg_free(msg);
		free(s);
		return NULL;
	}
	s->state = SESSION_WAIT_AGENT;
	s->outcome = OUTCOME_ERROR;
	s->ctl[0] = client;
	s->ctl[1] = agent->conn;
	s->client_seq = seq;
	s->port = port;
	s->created_ms = r->now_ms;
	snprintf(s->user, sizeof(s->user), "%s", client->name);
	snprintf(s->client_addr, sizeof(s->client_addr), "%s", client->addr);
	snprintf(s->agent, sizeof(s->agent), "%s", agent->name);
	snprintf(s->device, sizeof(s->device), "%s", device);
	LIST_INSERT_HEAD(&client->sessions, s, ctl_link[0]);
	LIST_INSERT_HEAD(&agent->conn->sessions, s, ctl_link[1]);
	HASH_ADD(hh, r->sessions, id, sizeof(s->id), s);
	r->nsessions++;
	sl_log_info("session %016llx: client %s -> %s/%s:%u: asking the agent to connect",
		    (unsigned long long)s->id, s->user, s->agent, s->device, port);
	relay_conn_send(r, agent->conn, msg);
	return s;
}

enum relay_outcome relay_outcome_of(enum sluice_err code)
{
	switch (code) {
	case SLUICE_E_UNREACHABLE:
		return OUTCOME_UNREACHABLE;
	case SLUICE_E_TIMEOUT:
		return OUTCOME_TIMEOUT;
	case SLUICE_E_AGENT_GONE:
		return OUTCOME_CANCELLED;
	case SLUICE_E_PORT_DENIED:
	case SLUICE_E_NO_DEVICE:
	case SLUICE_E_LIMIT:
		return OUTCOME_AGENT_REFUSED;
	default:
		return OUTCOME_ERROR;
	}
}

/* Adds the bytes moved since the last call to the relay's counters. */
static void count_bytes(struct relay *r, struct relay_session *s)
{
	if (!s->pumping || s->dp_handle)	/* the workers count their own */
		return;
	r->stats.bytes_to_device += s->pump.end[0].rx_bytes - s->counted[0];
	r->stats.bytes_to_client += s->pump.end[1].rx_bytes - s->counted[1];
	s->counted[0] = s->pump.end[0].rx_bytes;
	s->counted[1] = s->pump.end[1].rx_bytes;
}

#define SESSION_OBJECT(s, buf) \
	(snprintf(buf, sizeof(buf), "%s/%s:%u", (s)->agent, (s)->device, (s)->port), buf)

static void audit_open(struct relay *r, struct relay_session *s)
{
	char object[2 * SLUICE_NAME_MAX + 16];

	relay_audit(r, "session.open", s->user, SESSION_OBJECT(s, object), NULL,
		    s->client_addr, "ok", "session %016llx",
		    (unsigned long long)s->id);
}

static void audit_close(struct relay *r, struct relay_session *s, const char *why,
			uint64_t to_dev, uint64_t to_cl)
{
	char object[2 * SLUICE_NAME_MAX + 16];

	relay_audit(r, "session.close", s->user, SESSION_OBJECT(s, object), NULL,
		    s->client_addr, relay_outcome_names[s->outcome],
		    "session %016llx, %s; %llu bytes to device, %llu bytes to client, %.3f s",
		    (unsigned long long)s->id, why, (unsigned long long)to_dev,
		    (unsigned long long)to_cl,
		    s->pumping ? (double)(r->now_ms - s->started_ms) / 1000.0 : 0.0);
}

static void log_end(struct relay *r, struct relay_session *s, const char *why)
{
	uint64_t to_dev = s->dp_handle ? s->dp_bytes[0] : s->pump.end[0].rx_bytes;
	uint64_t to_cl = s->dp_handle ? s->dp_bytes[1] : s->pump.end[1].rx_bytes;

	r->stats.sessions[s->outcome]++;
	if (s->pumping) {
		r->stats.sessions_ended_path[s->path]++;
		sl_log_info("session %016llx closed (%s): client %s -> %s/%s:%u, "
			    "%llu bytes to device, %llu bytes to client, %.3f s, path %s (%s)",
			    (unsigned long long)s->id, why, s->user, s->agent,
			    s->device, s->port, (unsigned long long)to_dev,
			    (unsigned long long)to_cl,
			    (double)(r->now_ms - s->started_ms) / 1000.0,
			    relay_path_names[s->path],
			    !s->dp_handle ? "control loop" :
			    s->path == PATH_KTLS ? "io_uring splice" : "io_uring");
	} else {
		sl_log_info("session %016llx closed before it started (%s): client %s -> %s/%s:%u",
			    (unsigned long long)s->id, why, s->user, s->agent,
			    s->device, s->port);
	}
	audit_close(r, s, why, s->pumping ? to_dev : 0, s->pumping ? to_cl : 0);
}

/*
 * Closes a session.  One that a data-plane worker relays is only unlinked
 * here and told to stop: its end is logged and counted, and it is freed,
 * when the worker's result comes back (relay_session_dp_done).
 */
void relay_session_close(struct relay *r, struct relay_session *s,
			 const char *why)
{
	bool in_dp = s->dp_handle && !s->dp_done;
	int i;

	if (s->state == SESSION_CLOSED)
		return;
	count_bytes(r, s);
	if (in_dp)
		relay_dp_cancel(r->dp, s->dp_handle, why);
	else
		log_end(r, s, why);
	s->state = SESSION_CLOSED;
	HASH_DEL(r->sessions, s);
	r->nsessions--;
	for (i = 0; i < 2; i++)
		if (s->ctl[i]) {
			LIST_REMOVE(s, ctl_link[i]);
			s->ctl[i] = NULL;
		}
	if (s->on_again) {
		LIST_REMOVE(s, again_link);
		s->on_again = false;
	}
	for (i = 0; i < 2; i++) {
		struct relay_conn *leg = s->legs[i];

		if (leg) {
			s->legs[i] = NULL;
			leg->session = NULL;
			relay_conn_close(r, leg, why);
		}
	}
	if (!in_dp)
		LIST_INSERT_HEAD(&r->dead_sessions, s, link);
}

void relay_session_dp_done(void *arg, void *cookie,
			   const struct relay_dp_result *res)
{
	struct relay *r = arg;
	struct relay_session *s = cookie;

	s->dp_done = true;
	s->dp_bytes[0] = res->bytes[0];
	s->dp_bytes[1] = res->bytes[1];
	s->path = res->path;
	if (res->ok)
		s->outcome = OUTCOME_OK;
	if (s->state != SESSION_CLOSED) {
		relay_session_close(r, s, res->why);
		return;
	}
	/* Closed by the control side while the worker still had it. */
	log_end(r, s, res->why);
	LIST_INSERT_HEAD(&r->dead_sessions, s, link);
}

void relay_session_free(struct relay_session *s)
{
	if (!s)
		return;
	if (s->pumping)
		sl_pump_uninit(&s->pump);
	OPENSSL_cleanse(s->token, sizeof(s->token));
	free(s);
}

void relay_session_fail(struct relay *r, struct relay_session *s,
			enum sluice_err code, const char *msg)
{
	s->outcome = relay_outcome_of(code);
	/* The client still waits for its OPEN answer only before OPEN_OK. */
	if (s->state == SESSION_WAIT_AGENT && s->ctl[0])
		relay_conn_send(r, s->ctl[0], sl_wire_error(s->client_seq, code,
							    s->id, "%s", msg));
	relay_session_close(r, s, msg);
}

void relay_sessions_of_conn_close(struct relay *r, struct relay_conn *c,
				  const char *why)
{
	struct relay_session *s;

	while ((s = LIST_FIRST(&c->sessions))) {
		if (s->ctl[0] == c) {
			/* Do not answer a client that is going away. */
			LIST_REMOVE(s, ctl_link[0]);
			s->ctl[0] = NULL;
		}
		relay_session_fail(r, s, SLUICE_E_AGENT_GONE, why);
	}
}

static void leg_attached(struct relay *r, struct relay_session *s,
			 struct relay_conn *c, int leg)
{
	struct nl_msg *ok;

	if (c->in_conns) {
		LIST_REMOVE(c, link);
		c->in_conns = false;
	}
	c->kind = CONN_LEG;
	c->session = s;
	c->leg = leg;
	s->legs[leg] = c;
	relay_conn_send(r, c, sl_wire_new(SLUICE_CMD_ATTACH_OK, 0, 0));
	if (leg == 1) {
		s->state = SESSION_WAIT_CLIENT;
		ok = sl_wire_new(SLUICE_CMD_OPEN_OK, s->client_seq, 0);
		if (!ok || nla_put_u64(ok, SLUICE_A_SESSION_ID, s->id) ||
		    nla_put(ok, SLUICE_A_TOKEN, SLUICE_SESSION_TOKEN_LEN, s->token[0]) ||
		    nla_put_string(ok, SLUICE_A_AGENT, s->agent)) {
			nlmsg_free(ok);
			relay_session_close(r, s, "out of memory");
			return;
		}
		relay_conn_send(r, s->ctl[0], ok);
	} else {
		s->state = SESSION_ACTIVE;
		relay_session_try_start(r, s);
	}
}

void relay_session_attach(struct relay *r, struct relay_conn *c,
			  struct sl_msg_in *m)
{
	uint64_t id = nla_get_u64(m->tb[SLUICE_A_SESSION_ID]);
	const struct nlattr *tok = m->tb[SLUICE_A_TOKEN];
	struct relay_session *s = relay_session_find(r, id);
	int leg = -1;

	if (s && nla_len(tok) == SLUICE_SESSION_TOKEN_LEN) {
		if (s->state == SESSION_WAIT_AGENT &&
		    !CRYPTO_memcmp(nla_data(tok), s->token[1], SLUICE_SESSION_TOKEN_LEN))
			leg = 1;
		else if (s->state == SESSION_WAIT_CLIENT &&
			 !CRYPTO_memcmp(nla_data(tok), s->token[0], SLUICE_SESSION_TOKEN_LEN))
			leg = 0;
	}
	if (leg < 0) {
		sl_log_warn("ATTACH from %s refused: no pending session %016llx with that token",
			    c->addr, (unsigned long long)id);
		r->stats.auth_failures[AUTH_FAIL_SESSION_TOKEN]++;
		relay_conn_last_answer(r, c);
		relay_conn_send(r, c, sl_wire_error(m->seq, SLUICE_E_BAD_TOKEN, id,
						    "no pending session with that id and token"));
		return;
	}
	if (leg == 1 && m->tb[SLUICE_A_ERR_CODE]) {
		uint32_t code = nla_get_u32(m->tb[SLUICE_A_ERR_CODE]);
		const char *text = sl_wire_str(m, SLUICE_A_ERR_MSG);

		relay_conn_close(r, c, "agent reported an error");
		relay_session_fail(r, s, code <= SLUICE_E_MAX ? code : SLUICE_E_INTERNAL,
				   text ? text : sl_err_name(code));
		return;
	}
	leg_attached(r, s, c, leg);
}

/* Takes a leg's SSL and socket away from the control loop. */
static void leg_detach(struct relay *r, struct relay_conn *c, SSL **ssl, int *fd)
{
	relay_watch_del(r->watch, c->fd);
	*ssl = c->ssl;
	*fd = c->fd;
	c->ssl = NULL;
	c->fd = -1;
	c->session = NULL;
	c->kind = CONN_CLOSED;
	LIST_INSERT_HEAD(&r->dead_conns, c, link);
}

/*
 * Starts relaying once both legs are attached and their ATTACH_OKs are
 * sent.  The path is chosen here, before the hand-over replaces any BIO
 * (relay_dp_path_for): kernel TLS splice when both legs are offloaded both
 * ways, the userspace io_uring path when neither is, and the control
 * loop's pump for anything in between or without a data plane.
 */
void relay_session_try_start(struct relay *r, struct relay_session *s)
{
	struct relay_conn *cl = s->legs[0], *ag = s->legs[1];
	char ktls[96], why[160];
	SSL *ssl[2];
	int fd[2], path;

	if (s->state != SESSION_ACTIVE || s->pumping || !cl || !ag ||
	    cl->tx || ag->tx)
		return;
	ssl[0] = cl->ssl;
	ssl[1] = ag->ssl;
	path = relay_dp_path_for(ssl, ktls, sizeof(ktls));
	if (r->dp && path >= 0) {
		leg_detach(r, cl, &ssl[0], &fd[0]);
		leg_detach(r, ag, &ssl[1], &fd[1]);
		s->legs[0] = s->legs[1] = NULL;
		s->dp_handle = relay_dp_submit(r->dp, s, ssl, fd, (enum relay_path)path);
		if (!s->dp_handle) {
			snprintf(why, sizeof(why), "cannot hand the session to the data plane: %s",
				 strerror(errno));
			relay_session_close(r, s, why);
			return;
		}
	} else if (sl_pump_init(&s->pump, cl->fd, cl->ssl, ag->fd, ag->ssl,
				RELAY_PUMP_BUF)) {
		relay_session_close(r, s, "out of memory");
		return;
	}
	s->pumping = true;
	s->path = s->dp_handle ? (enum relay_path)path : PATH_USERSPACE;
	s->started_ms = r->now_ms;
	if (s->path == PATH_KTLS)
		r->stats.sessions_started_ktls++;
	else
		r->stats.sessions_started_userspace++;
	relay_hist_observe(&r->stats.setup_seconds,
			   (double)(r->now_ms - s->created_ms) / 1000.0);
	sl_log_info("session %016llx: relaying client %s <-> %s/%s:%u (%s), %s",
		    (unsigned long long)s->id, s->user, s->agent, s->device,
		    s->port, !s->dp_handle ? "control loop" :
			     s->path == PATH_KTLS ? "io_uring data plane, kernel TLS splice" :
						    "io_uring data plane",
		    ktls);
	audit_open(r, s);
	if (!s->dp_handle)
		relay_session_pump(r, s);
}

void relay_session_pump(struct relay *r, struct relay_session *s)
{
	int ret = sl_pump_step(&s->pump, PUMP_BUDGET);

	count_bytes(r, s);
	if (ret == SL_PUMP_DONE) {
		s->outcome = OUTCOME_OK;
		relay_session_close(r, s, "finished");
		return;
	}
	if (ret < 0) {
		relay_session_close(r, s, s->pump.why);
		return;
	}
	if (ret == SL_PUMP_AGAIN && !s->on_again) {
		LIST_INSERT_HEAD(&r->again, s, again_link);
		s->on_again = true;
	}
	relay_conn_update_events(r, s->legs[0]);
	relay_conn_update_events(r, s->legs[1]);
}

void relay_session_leg_event(struct relay *r, struct relay_conn *c,
			     uint32_t events)
{
	struct relay_session *s = c->session;

	if (!s)
		return;
	if (!s->pumping) {
		if (events & (POLLHUP | POLLERR))
			relay_session_close(r, s, "a leg closed before the session started");
		return;
	}
	relay_session_pump(r, s);
	/* An error on an end the pump no longer waits on would fire forever. */
	if (s->state != SESSION_CLOSED && (events & (POLLHUP | POLLERR)) &&
	    !sl_pump_events(&s->pump, c->leg) && !s->on_again)
		relay_session_close(r, s, "connection reset");
}

void relay_sessions_tick(struct relay *r)
{
	struct relay_session *s, *tmp;

	HASH_ITER(hh, r->sessions, s, tmp) {
		if (s->state == SESSION_ACTIVE ||
		    r->now_ms - s->created_ms < SLUICE_ATTACH_TIMEOUT_MS)
			continue;
		relay_session_fail(r, s, SLUICE_E_TIMEOUT,
				   s->state == SESSION_WAIT_AGENT ?
					   "the agent did not attach in time" :
					   "the client did not attach in time");
	}
}
