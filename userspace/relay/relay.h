/* SPDX-License-Identifier: MIT */
/*
 * sluice-relay internals.
 *
 * Threading: one control thread with one io_uring loop (loop.c, watch.c),
 * plus the handshake threads (handshake.c) that accept new connections and
 * run their TLS handshakes, and the data-plane workers (dataplane.c) that
 * relay active sessions; everything in this header belongs to the control
 * thread, except what handshake.c and relay_conn_new/handshake say the
 * handshake threads use (a connection is theirs until handed over, the
 * watch functions act on the watch passed).  Every socket is
 * a struct relay_conn; it is an agent or client control connection, or a
 * data leg of a session.  Objects are never freed while a batch of
 * completions is being handled:
 * relay_conn_close() and relay_session_close() only unlink and mark, and the
 * loop frees them after the batch (so a later event of the same batch never
 * touches freed memory).
 */
#ifndef RELAY_H
#define RELAY_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>
#include <uthash.h>

#include "dataplane.h"
#include "net.h"
#include "pump.h"
#include "stats.h"
#include "wire.h"

#define RELAY_LISTEN_MAX 8
#define RELAY_TX_MAX (1u << 20)	/* unsent control bytes before we give up */
#define RELAY_PUMP_BUF (64u << 10)

/* Watch tags below any pointer: these; the listeners are accepted apart. */
#define TAG_SIGNAL RELAY_LISTEN_MAX
#define TAG_METRICS (RELAY_LISTEN_MAX + 1)
#define TAG_PASSWORK (RELAY_LISTEN_MAX + 2)
#define TAG_DATAPLANE (RELAY_LISTEN_MAX + 3)
#define TAG_CTL (RELAY_LISTEN_MAX + 4)
#define TAG_HANDSHAKE (RELAY_LISTEN_MAX + 5)
#define TAG_MAX (RELAY_LISTEN_MAX + 6)

struct relay_listen {
	char host[256];
	uint16_t port;
};

struct relay_config {
	struct relay_listen listen[RELAY_LISTEN_MAX];
	unsigned int nlisten;
	char state_dir[1024];
	uint64_t heartbeat_ms;
	uint64_t handshake_timeout_ms;
	uint64_t max_sessions;
	bool metrics_on;
	struct relay_listen metrics;	/* scrape endpoint */
	struct sl_cidr metrics_allow[SL_CIDR_LIST_MAX];
	unsigned int nmetrics_allow;
	uint64_t admission_rate;	/* new connections/s per source, 0: off */
	uint64_t admission_burst;
	struct sl_cidr blocklist[SL_CIDR_LIST_MAX];
	unsigned int nblocklist;
	uint64_t source_lockout_failures; /* 0: never lock sources out */
	uint64_t source_lockout_ms;	/* lockout and failure window */
	bool approval_mode;		/* new agents wait for an operator */
	uint64_t login_failures;	/* account locks after this many; 0 never */
	uint64_t login_lockout_ms;	/* lockout and failure window */
	uint64_t agent_cert_days;
	uint64_t user_cert_days;
	char timezone[64];		/* grant time windows; "" : the system's */
	char audit_log[1100];
	char audit_syslog[300];		/* "", off, local[:PATH], udp:H:P, tcp:H:P */
	uint64_t data_threads;		/* io_uring workers; 0: relay in the loop */
	uint64_t handshake_threads;	/* handshake.c; 0: the loop accepts */
	bool ctl_on;			/* control_port_id is not "off" */
	uint32_t ctl_port_id;		/* netlink port id of sluicectl's socket */
	bool ctl_admin_set;		/* control_admin_group given */
	unsigned int ctl_admin_gid;	/* its gid, resolved when the file is read */
	char ctl_admin_group[64];	/* as written in the file */
};

enum relay_conn_kind {
	CONN_NEW = 1,		/* TLS handshake, then the first message */
	CONN_AGENT = 2,		/* agent control connection */
	CONN_CLIENT = 3,	/* client control connection */
	CONN_LEG = 4,		/* data leg of a session */
	CONN_HTTP = 5,		/* metrics scrape, plain HTTP */
	CONN_CLOSED = 6,	/* waiting to be freed */
};

struct relay_session;
struct relay_admission;
struct store;
struct sl_ca;
struct sl_audit;
struct sl_cert_info;
struct relay_ctl;

struct relay_agent {
	char name[SLUICE_NAME_MAX + 1];
	struct relay_conn *conn;
	struct sl_device_info *devices;
	unsigned int ndevices;
	char domain[SLUICE_DOMAIN_MAX + 1];
	bool pending;			/* enrolled, not approved: offers nothing */
	bool switch_off;		/* the site turned remote access off */
	uint8_t enforcement;		/* enum sluice_enforcement, 0: not said */
	uint64_t denials_reported;	/* sum of its last heartbeat's counters */
	UT_hash_handle hh;
};

struct relay_conn {
	enum relay_conn_kind kind;
	int fd;
	SSL *ssl;
	bool handshaken;
	bool close_after_flush;	/* refused: send the ERROR, then close */
	char addr[SL_ADDRSTRLEN];
	struct sockaddr_storage peer;
	char name[SLUICE_NAME_MAX + 1];	/* agent or user name */
	short rd_wait, wr_wait;		/* what a blocked SSL call waits for */

	/* Message being received: header first, then the rest. */
	char *rx;
	size_t rx_len, rx_need;

	/* Control bytes queued for sending. */
	char *tx;
	size_t tx_head, tx_len, tx_cap;

	uint64_t accepted_ms;
	uint64_t deadline_ms;	/* CONN_NEW, CONN_HTTP: end of the window */
	struct relay_auth_job *auth_job; /* CONN_NEW: password check running */
	uint64_t last_rx_ms, last_tx_ms;
	uint64_t released_ms;		/* its held answers last went out */
	uint64_t heartbeat_ms;	/* interval in force when it was accepted */

	struct relay_agent *agent;	/* CONN_AGENT */
	struct relay_session *session;	/* CONN_LEG */
	int leg;			/* CONN_LEG: 0 client, 1 agent */
	LIST_HEAD(, relay_session) sessions; /* control conns: sessions */
	bool in_conns;			/* on relay.conns (ticked) */
	bool held;			/* tx waits for a group commit (commit.c) */
	bool syncing;			/* on relay.syncing, not relay.held */

	LIST_ENTRY(relay_conn) link;	/* relay.conns or relay.dead_conns */
	LIST_ENTRY(relay_conn) held_link;
};

enum relay_session_state {
	SESSION_WAIT_AGENT = 1,	/* CONNECT sent, agent leg not attached */
	SESSION_WAIT_CLIENT = 2,	/* OPEN_OK sent, client leg not attached */
	SESSION_ACTIVE = 3,	/* both legs attached, bytes flow */
	SESSION_CLOSED = 4,
};

struct relay_session {
	uint64_t id;
	enum relay_session_state state;
	unsigned char token[2][SLUICE_SESSION_TOKEN_LEN]; /* [leg] */
	struct relay_conn *ctl[2];	/* client and agent control conns */
	struct relay_conn *legs[2];	/* client and agent data legs */
	uint32_t client_seq;		/* seq of the OPEN */
	char user[SLUICE_NAME_MAX + 1];
	char client_addr[SL_ADDRSTRLEN];	/* the user's address, for the audit log */
	char agent[SLUICE_NAME_MAX + 1];
	char device[SLUICE_NAME_MAX + 1];
	uint16_t port;
	uint64_t created_ms, started_ms;
	bool pumping;
	bool on_again;
	enum relay_outcome outcome;
	uint64_t counted[2];		/* pump bytes already in the stats */
	struct sl_pump pump;		/* relayed in the loop (no data plane) */
	uint64_t dp_handle;		/* relayed by a data-plane worker */
	bool dp_done;			/* its result came back */
	uint64_t dp_bytes[2];		/* from the result: to device, to client */
	enum relay_path path;
	UT_hash_handle hh;
	LIST_ENTRY(relay_session) link;	/* graveyard */
	LIST_ENTRY(relay_session) again_link;
	LIST_ENTRY(relay_session) ctl_link[2]; /* ctl[i]->sessions */
};

struct relay {
	struct relay_config cfg;
	SSL_CTX *tls;
	SSL_CTX *tls_spare;		/* logged-in agents' (sl_tls_forget_peer) */
	struct relay_watch *watch;	/* watch.c: the loop's io_uring */
	int listen_fd[RELAY_LISTEN_MAX];
	unsigned int nlisten;
	int metrics_fd;
	struct relay_stats stats;
	struct relay_admission *admission;	/* admission.c */
	struct store *store;		/* state.db (identity.c) */
	struct sl_ca *agent_ca, *user_ca;
	X509_STORE *verify_store;	/* both CAs */
	struct sl_audit *audit;		/* journal.c */
	struct relay_passwork *passwork; /* passwork.c */
	uint64_t store_polled_ms;
	struct relay_ctl *ctl;			/* ctl.c: sluicectl's socket */
	const char *conf_path;			/* re-read by sluicectl reload */
	time_t started;			/* wall clock, for uptime */
	time_t cert_not_after;		/* relay certificate expiry */
	bool listen_paused;
	LIST_HEAD(, relay_conn) conns;	/* every conn but data legs */
	LIST_HEAD(, relay_conn) dead_conns;
	LIST_HEAD(, relay_session) dead_sessions;
	struct relay_agent *agents;	/* by name */
	struct relay_session *sessions;	/* by id */
	unsigned int nsessions;
	LIST_HEAD(, relay_session) again; /* pumps to step again at once */
	bool grouping;			/* commit.c: a group commit is open */
	LIST_HEAD(, relay_conn) held;	/* answers of groups not yet syncing */
	LIST_HEAD(, relay_conn) syncing; /* answers of the syncs in flight */
	unsigned int syncs_in_flight;
	bool owe_store_sync, owe_audit_sync; /* committed, sync not issued */
	uint64_t owed_since_ms;		/* when the first of those was committed */
	char sync_why[200];		/* a failed store sync of this round */
	uint64_t now_ms;
	volatile int stop;
	struct relay_hs *hs;		/* NULL: the loop accepts and handshakes */
	struct relay_dp *dp;		/* NULL: sessions are relayed in the loop */
	int dp_efd;			/* its completion eventfd, watched */
	bool ktls;			/* the kernel has TLS (sl_ktls_available) */
};

/* identity.c: store, CAs and the client-certificate side of TLS */
int relay_identity_init(struct relay *r, char *why, size_t whylen);
void relay_identity_uninit(struct relay *r);
/* The verified peer certificate of c: 0, -ENOKEY (none), -EKEYREJECTED. */
int relay_peer_cert(struct relay_conn *c, struct sl_cert_info *info, char *why,
		    size_t whylen);
/* Timer: audit day boundaries; store changes by others reach live
 * connections. */
void relay_identity_tick(struct relay *r);
/* Closes connections whose identity no longer passes the store (revoked,
 * disabled, locked, removed) and applies approvals and moves. */
void relay_identity_recheck(struct relay *r);

/* journal.c: audit records (fsync'd before the relay answers) */
int relay_audit_open(struct relay *r, char *why, size_t whylen);
void relay_audit_close(struct relay *r);
bool relay_audit_syslog_valid(const char *v);
void relay_audit(struct relay *r, const char *event, const char *actor,
		 const char *object, const char *domain, const char *source,
		 const char *outcome, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/*
 * watch.c: the loop's io_uring.  Level-triggered readiness of descriptors
 * (POLLIN/POLLOUT; completions report poll bits), multishot accept on the
 * listeners, asynchronous fdatasync.  Changes are queued and go to the
 * kernel with the next relay_watch_wait().
 */
enum relay_event_type {
	RELAY_EV_READY = 1,	/* data: the watch's; res: poll bits */
	RELAY_EV_ACCEPT,	/* data: listener index; res: fd or -errno */
	RELAY_EV_SYNC,		/* data: the tag; res: 0 or -errno */
};
struct relay_event {
	uint64_t data;
	int32_t res;
	uint8_t type;
};
struct relay_watch;
int relay_watch_init(struct relay_watch **out, char *why, size_t whylen);
void relay_watch_uninit(struct relay_watch *x);
const char *relay_watch_describe(const struct relay_watch *x);
int relay_watch_add(struct relay_watch *x, int fd, uint64_t data, uint32_t events);
void relay_watch_set(struct relay_watch *x, int fd, uint32_t events);
void relay_watch_del(struct relay_watch *x, int fd);	/* before close(fd) */
/* Starts (on) or stops accepting on listener i, descriptor fd. */
void relay_watch_accept(struct relay_watch *x, unsigned int i, int fd, bool on);
/* fdatasync(fd) on the ring: a RELAY_EV_SYNC comes back; -EBUSY: no room. */
int relay_watch_fsync(struct relay_watch *x, int fd, uint64_t tag);
/* Submits, waits up to timeout_ms (-1: no limit), returns the events. */
int relay_watch_wait(struct relay_watch *x, int timeout_ms, struct relay_event *ev,
		     int max);

/*
 * commit.c: group commit.  Between relay_commit_begin() and
 * relay_commit_end() the store's writes join one transaction and audit
 * records are written without their fdatasync; relay_conn_send() holds
 * back what it queues once anything is owed (relay_commit_owed).
 * relay_commit_end() commits without syncing and has the syncs done on
 * the ring while the loop goes on; what was held is sent when they
 * complete (relay_commit_synced).  Outside a group every write is durable
 * when it returns, as before.
 */
void relay_commit_begin(struct relay *r);
bool relay_commit_owed(struct relay *r);
void relay_commit_hold(struct relay *r, struct relay_conn *c);
void relay_commit_end(struct relay *r);
void relay_commit_synced(struct relay *r, const struct relay_event *ev);
/* Milliseconds until writes no answer waits for are due for a sync; -1
 * when none wait for one. */
int relay_commit_timeout_ms(const struct relay *r);
/* Shutdown: syncs what is owed and waits for the syncs in flight. */
void relay_commit_drain(struct relay *r);

/*
 * passwork.c: a client login waiting for its Argon2id check, which runs
 * on a worker thread.  conn is cleared (under the worker's lock) when the
 * connection closes first.
 */
struct relay_auth_job {
	struct relay_conn *conn;
	uint32_t seq;
	char name[SLUICE_NAME_MAX + 1];
	char totp[SLUICE_TOTP_MAX + 1];	/* "" : none sent */
	char phc[256];
	char password[SLUICE_PASSWORD_MAX + 1];
	int result;			/* sl_password_verify() */
	struct relay_auth_job *next;
};
struct relay_passwork;
int relay_passwork_start(struct relay *r, char *why, size_t whylen);
void relay_passwork_stop(struct relay *r);
void relay_passwork_submit(struct relay *r, struct relay_auth_job *j);
void relay_passwork_forget(struct relay *r, struct relay_auth_job *j);
void relay_passwork_event(struct relay *r);	/* TAG_PASSWORK */

/* login.c: HELLOs of agents and clients; enroll.c: ENROLL */
void relay_login_client_finish(struct relay *r, struct relay_conn *c,
			       const struct relay_auth_job *j);
void relay_login_agent(struct relay *r, struct relay_conn *c, struct sl_msg_in *m);
void relay_login_client(struct relay *r, struct relay_conn *c, struct sl_msg_in *m);
void relay_enroll(struct relay *r, struct relay_conn *c, struct sl_msg_in *m);
/* Refuses the first message of c: ERROR, then close. */
void relay_refuse(struct relay *r, struct relay_conn *c, uint32_t seq,
		  enum sluice_err code, const char *text);

/* access.c: a user's grants, read once per request */
struct store_grant;
struct relay_grants {
	const char *user;
	struct store_grant *g;
	size_t n;
};
int relay_grants_load(struct relay *r, const char *user, struct relay_grants *g);
void relay_grants_free(struct relay_grants *g);
/* May the user reach agent a now?  0, or an SLUICE_E_* with the rule in why. */
int relay_access(const struct relay_grants *g, const struct relay_agent *a,
		 char *why, size_t whylen);

/* config.c */
void relay_config_defaults(struct relay_config *cfg);
/* HOST:PORT, [HOST]:PORT for IPv6, as the configuration writes it. */
void relay_listen_str(const struct relay_listen *l, char *out, size_t len);
int relay_config_load(struct relay_config *cfg, const char *path, char *err,
		      size_t errlen);

/* loop.c */
int relay_loop_init(struct relay *r, char *why, size_t whylen);
int relay_loop_run(struct relay *r);
void relay_loop_uninit(struct relay *r);
void relay_conn_update_events(struct relay *r, struct relay_conn *c);

/* conn.c */
struct relay_conn *relay_conn_accept(struct relay *r, int fd,
				     const struct sockaddr *sa);
/* A socket fresh from accept(), any thread: its address into ss,
 * TCP_NODELAY, admission.  false: it was closed. */
bool relay_conn_vet(struct relay *r, int fd, struct sockaddr_storage *ss,
		    uint64_t now_ms);
/* The parts of relay_conn_accept(): a new connection, any thread... */
struct relay_conn *relay_conn_new(SSL_CTX *tls, int fd, const struct sockaddr *sa,
				  uint64_t now_ms, uint64_t timeout_ms);
/* ... and the control loop taking it over: 0, or -errno (c is not its). */
int relay_conn_adopt(struct relay *r, struct relay_conn *c);
/* Closes and frees a connection the control loop never took over. */
void relay_conn_discard(struct relay_conn *c);
/* One step of c's TLS handshake, any thread: 1 done, 0 waits for
 * c->rd_wait, -1 failed (why: OpenSSL's reason, valid until the next). */
int relay_conn_handshake(struct relay_conn *c, const char **why);
/* The control loop's bookkeeping of a handshake that ended at done_ms. */
void relay_conn_handshaken(struct relay *r, struct relay_conn *c, uint64_t done_ms);
void relay_conn_event(struct relay *r, struct relay_conn *c, uint32_t events);
int relay_conn_send(struct relay *r, struct relay_conn *c, struct nl_msg *msg);
/* Sends what c has queued: 0, or -errno after closing c. */
int relay_conn_flush(struct relay *r, struct relay_conn *c);
/* The message queued next is the connection's last: it is closed once that
 * is sent, or RELAY_LAST_ANSWER_MS after it could be (refusals, ENROLL_OK). */
#define RELAY_LAST_ANSWER_MS 2000
void relay_conn_last_answer(struct relay *r, struct relay_conn *c);
void relay_conn_close(struct relay *r, struct relay_conn *c, const char *why);
void relay_conn_free(struct relay_conn *c);
void relay_conn_tick(struct relay *r, struct relay_conn *c);

/* control.c */
void relay_control_dispatch(struct relay *r, struct relay_conn *c,
			    struct sl_msg_in *m);
void relay_agent_remove(struct relay *r, struct relay_agent *a);
struct store_agent;
/* After a successful login: the connection becomes an agent or a client. */
void relay_agent_register(struct relay *r, struct relay_conn *c, struct sl_msg_in *m,
			  const struct store_agent *row, const unsigned char *secret);
void relay_client_register(struct relay *r, struct relay_conn *c, const char *user,
			   uint32_t seq);

/*
 * handshake.c: handshake threads (handshake_threads > 0).  Each accepts on
 * listeners of its own (SO_REUSEPORT) and runs the TLS handshakes; the
 * control loop takes the handshaken connections over (TAG_HANDSHAKE).
 */
struct relay_hs;
int relay_hs_start(struct relay *r, char *why, size_t whylen);
void relay_hs_stop(struct relay *r);
void relay_hs_event(struct relay *r);		/* TAG_HANDSHAKE */
void relay_hs_configure(struct relay *r);	/* after a reload */
unsigned int relay_hs_pending(struct relay *r);	/* handshakes in flight */
void relay_hs_stats(struct relay *r);		/* their failures, into stats */
unsigned int relay_hs_threads(const struct relay *r);
/* Connections thread k accepted since start. */
uint64_t relay_hs_accepted(const struct relay *r, unsigned int k);
const char *relay_hs_describe(const struct relay *r);

/* http.c: the metrics endpoint's connections */
int relay_http_init(struct relay *r, char *why, size_t whylen);
void relay_http_accept(struct relay *r);
void relay_http_event(struct relay *r, struct relay_conn *c);

/* metrics.c: the Prometheus text exposition into a malloc'd buffer. */
char *relay_metrics_render(struct relay *r, size_t *len);

/* session.c */
struct relay_session *relay_session_open(struct relay *r,
					 struct relay_conn *client,
					 struct relay_agent *agent,
					 const char *device, uint16_t port,
					 uint32_t seq);
void relay_session_attach(struct relay *r, struct relay_conn *c,
			  struct sl_msg_in *m);
void relay_session_fail(struct relay *r, struct relay_session *s,
			enum sluice_err code, const char *msg);
enum relay_outcome relay_outcome_of(enum sluice_err code);
void relay_session_close(struct relay *r, struct relay_session *s,
			 const char *why);
void relay_session_leg_event(struct relay *r, struct relay_conn *c,
			     uint32_t events);
void relay_session_pump(struct relay *r, struct relay_session *s);
void relay_session_try_start(struct relay *r, struct relay_session *s);
void relay_sessions_of_conn_close(struct relay *r, struct relay_conn *c,
				  const char *why);
void relay_sessions_tick(struct relay *r);
struct relay_session *relay_session_find(struct relay *r, uint64_t id);
void relay_session_free(struct relay_session *s);
/* The data plane's completion callback (relay_dp_reap): arg is the relay. */
void relay_session_dp_done(void *arg, void *cookie,
			   const struct relay_dp_result *res);

#endif
