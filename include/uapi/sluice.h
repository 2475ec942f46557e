/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sluice wire protocol: the one message schema shared by the relay, the
 * agent, the client, sluicectl and (later) the kernel module.
 *
 * Every message is a netlink message: a struct nlmsghdr whose nlmsg_type is
 * SLUICE_MSG_TYPE, a struct genlmsghdr whose cmd is an enum sluice_cmd and
 * whose version is SLUICE_GENL_VERSION, then netlink attributes (NLA) from
 * enum sluice_attr.  On TCP/TLS connections messages follow each other with
 * no extra framing: nlmsg_len gives the length of each, and a receiver
 * rejects any nlmsg_len below NLMSG_HDRLEN + GENL_HDRLEN or above
 * SLUICE_MSG_MAX before it reads or allocates the body.
 *
 * nlmsg_seq carries the request number chosen by the side that sends a
 * request; replies echo it.  nlmsg_flags: NLM_F_MULTI marks one part of a
 * multi-part reply, ended by SLUICE_CMD_DONE; NLM_F_REQUEST and NLM_F_DUMP
 * appear only on operator requests (see "Operator commands").  nlmsg_pid
 * is 0.
 *
 * Receivers ignore attributes they do not know (forward compatibility) and
 * close the connection, with a logged reason, on a message that is too long,
 * too short, of an unknown nlmsg_type or genl version, with bytes after its
 * last attribute (at any nesting level), or whose known attributes break the
 * per-command policy (wrong length, missing required attribute, string
 * without its terminating NUL or with a NUL inside).
 *
 * Connections:
 *   control  agent -> relay or client -> relay, long-lived.  The first
 *            message is a HELLO; then requests, replies and HEARTBEATs.
 *   data     one per relayed TCP stream, from the agent and from the client
 *            to the relay.  The first message is ATTACH, answered by
 *            ATTACH_OK or ERROR; after ATTACH_OK the connection carries only
 *            the stream's bytes, so the relay can hand the socket to the
 *            kernel.  A TLS close_notify ends one direction (half-close).
 *
 * Documentation of each command, "->" naming who sends it.  Attribute types
 * are NLA types; [x] marks an optional attribute.
 *
 * Identities.  Agents and users authenticate with certificates of the
 * relay's agent CA and user CA (mutual TLS on control connections); agents
 * get theirs by ENROLL with a one-time join token.  Data legs (ATTACH) and
 * ENROLL need no client certificate.
 *
 * SLUICE_CMD_ENROLL  agent -> relay, first and only request of a connection
 *                    without a client certificate.
 *     SLUICE_A_NAME: NLA_STRING, the agent name to enroll
 *     SLUICE_A_TOKEN: NLA_BINARY, the one-time join token ("sjt_...")
 *     SLUICE_A_CSR: NLA_BINARY, DER certificate request for the agent's
 *                   key, made on the agent (the key never leaves it)
 *     Answer ENROLL_OK or ERROR, then the relay closes the connection.
 *
 * SLUICE_CMD_ENROLL_OK  relay -> agent.
 *     SLUICE_A_CERT: NLA_BINARY, DER agent certificate (subject CN = name)
 *     SLUICE_A_DOMAIN: NLA_STRING, the domain the token was made for
 *     SLUICE_A_STATE: NLA_U8, enum sluice_agent_state
 *
 * SLUICE_CMD_AGENT_HELLO  agent -> relay, first message of an agent control
 *                         connection, under the agent's certificate.
 *     SLUICE_A_VERSION: NLA_U32, SLUICE_PROTO_VERSION
 *     SLUICE_A_NAME: NLA_STRING, agent name, [A-Za-z0-9._-], 1..63 bytes;
 *                    must be its certificate's CN
 *     [SLUICE_A_SECRET]: NLA_BINARY, SLUICE_SECRET_LEN bytes: the
 *                    secondary id the relay handed out at the previous
 *                    connect (absent on the first connect after enrollment
 *                    or an operator reset).  A stale one locks the identity.
 *     [SLUICE_A_SWITCH]: NLA_U8, the site's remote-access switch: 1 on,
 *                    0 off (absent: on).  Also in the agent's heartbeats.
 *     [SLUICE_A_DEVICES]: NLA_NESTED, the devices the agent offers (an
 *                         agent without devices may leave it out)
 *         0: NLA_NESTED, one device (the attribute type is ignored)
 *             SLUICE_DEVICE_A_NAME: NLA_STRING, 1..63 bytes
 *             SLUICE_DEVICE_A_PORTS: NLA_NESTED
 *                 0: NLA_NESTED, one port range
 *                     SLUICE_PORTS_A_FIRST: NLA_U16, first port, >= 1
 *                     SLUICE_PORTS_A_LAST: NLA_U16, last port, >= FIRST
 *                     SLUICE_PORTS_A_PROTO: NLA_U8, IPPROTO_TCP or
 *                                           IPPROTO_UDP
 *                 ...
 *         ...
 *     At most SLUICE_DEVICES_MAX devices, SLUICE_RANGES_MAX ranges each.
 *
 * SLUICE_CMD_CLIENT_HELLO  client -> relay, first message of a client
 *                          control connection, under the user's certificate.
 *     SLUICE_A_VERSION: NLA_U32
 *     SLUICE_A_NAME: NLA_STRING, user name, the certificate's CN
 *     SLUICE_A_PASSWORD: NLA_STRING, 1..SLUICE_PASSWORD_MAX bytes
 *     [SLUICE_A_TOTP]: NLA_STRING, the current TOTP code (6 digits), for
 *                      users with TOTP enabled
 *
 * SLUICE_CMD_HELLO_OK  relay -> agent or client, the HELLO was accepted.
 *     SLUICE_A_VERSION: NLA_U32, the relay's protocol version
 *     SLUICE_A_HEARTBEAT_MS: NLA_U32, interval at which both sides send
 *                            HEARTBEAT; a peer silent for three intervals
 *                            is dead
 *     [SLUICE_A_SECRET]: to an agent: its next secondary id, to present
 *                        at the next connect
 *     [SLUICE_A_STATE]: to an agent: enum sluice_agent_state
 *     [SLUICE_A_DOMAIN]: to an agent: its domain
 *
 * SLUICE_CMD_HEARTBEAT  both ways on control connections, no attributes.
 *
 * SLUICE_CMD_LIST  client -> relay: list agents and devices.  No attributes.
 *     relay -> client: one SLUICE_CMD_LIST message per agent with
 *     NLM_F_MULTI, then SLUICE_CMD_DONE, all with the request's seq.
 *     SLUICE_A_NAME: NLA_STRING, agent name
 *     [SLUICE_A_ADDR]: NLA_STRING, agent's address as the relay sees it
 *     [SLUICE_A_DEVICES]: NLA_NESTED, as in AGENT_HELLO
 *
 * SLUICE_CMD_DONE  relay -> client, ends a multi-part reply.  No attributes.
 *
 * SLUICE_CMD_OPEN  client -> relay: open a session to a device port.
 *     [SLUICE_A_AGENT]: NLA_STRING, agent name; absent: the device name
 *                       must be unique among connected agents
 *     SLUICE_A_DEVICE: NLA_STRING, device name
 *     SLUICE_A_PORT: NLA_U16, TCP port, >= 1
 *     Answered by OPEN_OK once the agent's data leg is attached, or ERROR.
 *
 * SLUICE_CMD_OPEN_OK  relay -> client: the device side is connected.
 *     SLUICE_A_SESSION_ID: NLA_U64
 *     SLUICE_A_TOKEN: NLA_BINARY, SLUICE_SESSION_TOKEN_LEN bytes, one-time
 *                     token for the client's ATTACH
 *     SLUICE_A_AGENT: NLA_STRING, the agent that serves the session
 *
 * SLUICE_CMD_CONNECT  relay -> agent: connect to a device port and attach a
 *                     data leg for the session.
 *     SLUICE_A_SESSION_ID: NLA_U64
 *     SLUICE_A_TOKEN: NLA_BINARY, SLUICE_SESSION_TOKEN_LEN bytes
 *     SLUICE_A_DEVICE: NLA_STRING
 *     SLUICE_A_PORT: NLA_U16
 *     The agent checks the port against its own rules.  If it refuses, it
 *     answers ERROR with SLUICE_A_SESSION_ID on the control connection; if
 *     the device cannot be reached, it still attaches and carries the error
 *     in the ATTACH.
 *
 * SLUICE_CMD_ATTACH  agent or client -> relay, first message of a data
 *                    connection.
 *     SLUICE_A_SESSION_ID: NLA_U64
 *     SLUICE_A_TOKEN: NLA_BINARY, the one-time token of this leg; it
 *                     expires SLUICE_ATTACH_TIMEOUT_MS after the OPEN
 *     [SLUICE_A_ERR_CODE, SLUICE_A_ERR_MSG]: from the agent only: the
 *                     device could not be reached; the relay fails the OPEN
 *
 * SLUICE_CMD_ATTACH_OK  relay -> agent or client on a data connection: the
 *                       leg is accepted, stream bytes follow.  No attributes.
 *
 * SLUICE_CMD_AGENT_UPDATE  agent -> relay on its control connection, after
 *     the agent reloaded its configuration and its device list changed.
 *     SLUICE_A_DEVICES: NLA_NESTED, the whole new list (as in AGENT_HELLO);
 *     it replaces the one the relay holds.  Sessions already open are the
 *     agent's business: it ends those its new rules no longer allow.  No
 *     answer; a list the relay refuses gets an ERROR and the old list stays.
 *
 * SLUICE_CMD_HEARTBEAT from an agent may also carry:
 *     [SLUICE_A_ENFORCEMENT]: NLA_U8, enum sluice_enforcement
 *     [SLUICE_A_DENIALS]: NLA_NESTED, array of denial nests (enum
 *         sluice_denial_attr, at most SLUICE_DENIALS_MAX): connection
 *         attempts the agent's kernel rules refused, counted since the agent
 *         started, per (device, port, protocol).  Counts only grow while the
 *         agent runs; a smaller total means the agent restarted.
 *
 * SLUICE_CMD_ERROR  any direction: a request was refused or failed.
 *     SLUICE_A_ERR_CODE: NLA_U32, enum sluice_err
 *     [SLUICE_A_ERR_MSG]: NLA_STRING, human-readable reason
 *     [SLUICE_A_SESSION_ID]: NLA_U64, the session it is about
 *     The seq is the refused request's.  An ERROR in answer to a HELLO or an
 *     ATTACH is followed by the relay closing the connection.
 *
 * Operator commands: sluicectl <-> relay over netlink
 * ---------------------------------------------------
 *
 * The same messages travel as datagrams on a NETLINK_USERSOCK socket, one
 * message per datagram.  The relay binds its configured port id
 * (control_port_id in relay.conf, default SLUICE_CTL_PORT_ID); sluicectl
 * sends from its own port id to that one, and the relay answers to the
 * sender's port id.  Both receive with SO_PASSCRED:
 *   - the relay answers ERROR(SLUICE_E_PERM) to a request whose
 *     SCM_CREDENTIALS name neither uid 0 nor a member of the configured
 *     control_admin_group (primary or supplementary group of the uid);
 *   - sluicectl accepts a reply only from the relay's port id AND the
 *     relay's uid; anything else is a squatter on the port id.
 *
 * A request carries NLM_F_REQUEST (and NLM_F_DUMP for the _LIST commands)
 * and a seq of the sender's choosing; every reply echoes the seq and never
 * carries NLM_F_REQUEST, so the relay answers only requests and two relays
 * can never answer each other.  The codec checks the attributes a request
 * must carry and, on messages without NLM_F_REQUEST, those a reply must
 * carry.
 *
 * Dumps.  A _LIST request with NLM_F_DUMP is answered by zero or more
 * messages of the same command with NLM_F_MULTI, then SLUICE_CMD_DONE
 * (flags 0, same seq), or an ERROR in place of the DONE when the dump
 * fails half-way.  Each part holds as many elements as fit in
 * SLUICE_MSG_MAX; an element (agent, session) is never split, except in
 * CTL_DEVICE_LIST, where an agent whose devices do not fit in the rest of
 * a message is repeated in the next one with its remaining devices:
 * receivers append devices to the agent of the same name.  The elements of
 * a dump are the agents or sessions that existed when the request arrived,
 * in the relay's order, minus those gone by the time their part is built.
 * The relay sends parts as fast as the receiver's socket buffer takes them
 * and resumes where it stopped when it is full; a receiver that reads
 * nothing for 30 s loses the rest (no DONE).  ERROR(SLUICE_E_LIMIT) answers
 * a request while 16 others still have replies queued.
 *
 * Any operator request may also be answered by ERROR(SLUICE_E_PERM) (see
 * above) or ERROR(SLUICE_E_PROTO) (malformed, or a command this relay does
 * not serve).
 *
 * SLUICE_CMD_CTL_STATUS  sluicectl -> relay: the relay's state.
 *     Request: no attributes.
 *     Reply: SLUICE_A_STATUS: NLA_NESTED
 *         SLUICE_STATUS_A_VERSION: NLA_STRING, software version, required
 *         SLUICE_STATUS_A_PID: NLA_U32
 *         SLUICE_STATUS_A_UPTIME_MS: NLA_U64
 *         SLUICE_STATUS_A_LISTEN: NLA_NESTED, array of NLA_STRING addresses
 *                                 ("HOST:PORT"), element types ignored
 *         [SLUICE_STATUS_A_METRICS]: NLA_STRING, metrics address; absent
 *                                    when metrics_listen = off
 *         SLUICE_STATUS_A_PORT_ID: NLA_U32, the control port id
 *         SLUICE_STATUS_A_DATA_PATH: NLA_U8, enum sluice_data_path, the
 *                                    fastest path new sessions take
 *         SLUICE_STATUS_A_AGENTS, _CLIENTS: NLA_U32, connected now
 *         SLUICE_STATUS_A_SESSIONS_ACTIVE: NLA_U32, relaying bytes now
 *         SLUICE_STATUS_A_SESSIONS_PENDING: NLA_U32, waiting for a leg
 *         SLUICE_STATUS_A_SESSIONS_TOTAL: NLA_U64, ended since start
 *         SLUICE_STATUS_A_BYTES_TO_DEVICE, _TO_CLIENT: NLA_U64, since start
 *         SLUICE_STATUS_A_HEARTBEAT_MS: NLA_U32, for new connections
 *         SLUICE_STATUS_A_MAX_SESSIONS: NLA_U32
 *
 * SLUICE_CMD_CTL_AGENT_LIST  sluicectl -> relay, NLM_F_DUMP: connected
 *                            agents.
 *     Request: no attributes.
 *     Reply parts: SLUICE_A_AGENTS: NLA_NESTED
 *         0: NLA_NESTED, one agent (the attribute type is ignored)
 *             SLUICE_AGENT_A_NAME: NLA_STRING, required
 *             SLUICE_AGENT_A_ADDR: NLA_STRING, "IP:PORT" as the relay sees it
 *             SLUICE_AGENT_A_AGE_MS: NLA_U64, since its TCP connection
 *             SLUICE_AGENT_A_IDLE_MS: NLA_U64, since its last message
 *             SLUICE_AGENT_A_HEARTBEAT_MS: NLA_U32, interval it was given
 *             SLUICE_AGENT_A_NDEVICES: NLA_U32
 *             SLUICE_AGENT_A_NSESSIONS: NLA_U32, sessions open through it
 *         ...
 *
 * SLUICE_CMD_CTL_AGENT_SHOW  sluicectl -> relay: one agent.
 *     Request: SLUICE_A_AGENT: NLA_STRING, agent name
 *     Reply: SLUICE_A_AGENT: the name, echoed
 *            SLUICE_A_AGENTS: one agent nest as in AGENT_LIST, plus
 *                SLUICE_AGENT_A_DEVICES: NLA_NESTED, the device array of
 *                                        AGENT_HELLO
 *     ERROR(SLUICE_E_NO_AGENT) when no agent of that name is connected.
 *
 * SLUICE_CMD_CTL_AGENT_DETACH  sluicectl -> relay: close the agent's
 *                              control connection now (and so its
 *                              sessions); the agent reconnects by itself.
 *     Request: SLUICE_A_AGENT: NLA_STRING
 *     Reply: SLUICE_A_AGENT: the name, echoed, once the connection is closed
 *     ERROR(SLUICE_E_NO_AGENT) when no agent of that name is connected.
 *
 * SLUICE_CMD_CTL_DEVICE_LIST  sluicectl -> relay, NLM_F_DUMP: the devices
 *                             of every connected agent.
 *     Request: [SLUICE_A_AGENT]: only this agent's devices;
 *              ERROR(SLUICE_E_NO_AGENT) when it is not connected
 *     Reply parts: SLUICE_A_AGENTS: agent nests holding only
 *         SLUICE_AGENT_A_NAME and SLUICE_AGENT_A_DEVICES (split as above);
 *         agents without devices are left out.
 *
 * SLUICE_CMD_CTL_SESSION_LIST  sluicectl -> relay, NLM_F_DUMP: open
 *                              sessions.
 *     Request: no attributes.
 *     Reply parts: SLUICE_A_SESSIONS: NLA_NESTED
 *         0: NLA_NESTED, one session (the attribute type is ignored)
 *             SLUICE_SESSION_A_ID: NLA_U64, required
 *             SLUICE_SESSION_A_USER: NLA_STRING, the client's name
 *             SLUICE_SESSION_A_CLIENT_ADDR: NLA_STRING, "IP:PORT" of the
 *                                           client's control connection
 *             SLUICE_SESSION_A_AGENT, _DEVICE: NLA_STRING, names
 *             SLUICE_SESSION_A_PORT: NLA_U16
 *             SLUICE_SESSION_A_STATE: NLA_U8, enum sluice_session_state
 *             [SLUICE_SESSION_A_PATH]: NLA_U8, enum sluice_data_path; absent
 *                                      until the session relays
 *             SLUICE_SESSION_A_BYTES_TO_DEVICE, _TO_CLIENT: NLA_U64
 *             SLUICE_SESSION_A_AGE_MS: NLA_U64, since the OPEN
 *         ...
 *
 * SLUICE_CMD_CTL_SESSION_SHOW  sluicectl -> relay: one session.
 *     Request: SLUICE_A_SESSION_ID: NLA_U64
 *     Reply: SLUICE_A_SESSION_ID, echoed; SLUICE_A_SESSIONS: one session
 *     ERROR(SLUICE_E_NO_SESSION) when the session is not open.
 *
 * SLUICE_CMD_CTL_SESSION_KILL  sluicectl -> relay: close a session now.  Its
 *                              data legs are closed; a client still waiting
 *                              for OPEN_OK gets ERROR(SLUICE_E_KILLED).
 *     Request: SLUICE_A_SESSION_ID: NLA_U64
 *     Reply: SLUICE_A_SESSION_ID, echoed, once the session is closed
 *     ERROR(SLUICE_E_NO_SESSION) when the session is not open.
 *
 * SLUICE_CMD_CTL_RELOAD  sluicectl -> relay: re-read relay.conf.  Keys that
 *                        can change live are applied (existing connections
 *                        and sessions are kept; a new heartbeat_interval
 *                        applies to connections made after the reload);
 *                        keys that need a restart keep their running value.
 *     Request: no attributes.
 *     Reply: SLUICE_A_CHANGES: NLA_NESTED, one element per key whose value
 *                              in the file differs from the running one
 *         0: NLA_NESTED
 *             SLUICE_CHANGE_A_KEY: NLA_STRING, relay.conf key, required
 *             SLUICE_CHANGE_A_OLD: NLA_STRING, running value before (secrets
 *                                  are shown as "(secret)")
 *             SLUICE_CHANGE_A_NEW: NLA_STRING, value in the file
 *             SLUICE_CHANGE_A_ACTION: NLA_U8, enum sluice_change_action
 *         ...
 *     A file that does not parse changes nothing: ERROR(SLUICE_E_CONFIG)
 *     with the parser's "FILE:LINE: reason" in SLUICE_A_ERR_MSG.
 *
 * SLUICE_CMD_CTL_CERT_SHOW  sluicectl -> relay: the relay's certificates.
 *     Request: no attributes.
 *     Reply: SLUICE_A_CERTS: NLA_NESTED
 *         0: NLA_NESTED, one certificate
 *             SLUICE_CERT_A_NAME: NLA_STRING, its role ("relay"), required
 *             SLUICE_CERT_A_PATH: NLA_STRING, file on the relay host
 *             SLUICE_CERT_A_FINGERPRINT: NLA_STRING, "sha256:" and the hex
 *                                        SHA-256 of the SubjectPublicKeyInfo
 *             SLUICE_CERT_A_SUBJECT: NLA_STRING, RFC 2253
 *             SLUICE_CERT_A_NOT_BEFORE, _NOT_AFTER: NLA_U64, seconds since
 *                                                  the epoch
 *         ...
 *
 * Identity and access (the state database; docs/state.md).  Listings are
 * dumps of SLUICE_A_RECORDS parts: an array of record nests (enum
 * sluice_rec_attr; the element attribute type is ignored), each holding
 * the fields its object has.  Every change is written to the audit log with
 * the operator's uid before the reply, and a refusal is audited too.
 * Changes answer with the affected object's record (or its name echoed).
 * Errors: ERROR(SLUICE_E_NOT_FOUND) for an unknown user, agent, domain,
 * token, grant or certificate, ERROR(SLUICE_E_EXISTS) for a name already
 * taken, ERROR(SLUICE_E_INVALID) for a value the relay does not accept
 * (the reason in SLUICE_A_ERR_MSG).
 *
 * SLUICE_CMD_CTL_DOMAIN_ADD     Request: SLUICE_A_DOMAIN.  Reply: echo.
 * SLUICE_CMD_CTL_DOMAIN_REMOVE  Request: SLUICE_A_DOMAIN (no agents, grants
 *                               or sub-domains left).  Reply: echo.
 * SLUICE_CMD_CTL_DOMAIN_LIST    NLM_F_DUMP.  Records: NAME (the path),
 *                               CREATED.
 * SLUICE_CMD_CTL_TOKEN_CREATE   Request: SLUICE_A_DOMAIN, [SLUICE_A_TTL_S]
 *                               (60 s .. 30 d, default 1 d),
 *                               [SLUICE_A_COUNT] (1..SLUICE_TOKENS_MAX, one
 *                               transaction).  Reply: SLUICE_A_RECORDS, one
 *                               per token: ID, TOKEN (the secret, shown
 *                               once), EXPIRES; SLUICE_A_TEXT: the
 *                               relay certificate's fingerprint, for
 *                               relay_fingerprint.
 * SLUICE_CMD_CTL_TOKEN_LIST     NLM_F_DUMP.  Records: ID, DOMAIN, CREATED,
 *                               EXPIRES, [USED, USED_BY], CREATED_BY.
 * SLUICE_CMD_CTL_TOKEN_REVOKE   Request: SLUICE_A_ID.  Reply: echo.
 * SLUICE_CMD_CTL_AGENT_ENROLLED NLM_F_DUMP: every enrolled agent, connected
 *                               or not.  Records: NAME, DOMAIN, STATE
 *                               ("pending", "active", "locked",
 *                               "disabled"), [REASON], SERIAL, FINGERPRINT,
 *                               CREATED, [LAST_SEEN, ADDR], CONNECTED.
 * SLUICE_CMD_CTL_AGENT_ATTACH   Request: SLUICE_A_AGENT, [SLUICE_A_DOMAIN]:
 *                               make a pending (or disabled) agent active,
 *                               optionally moving it.  Reply: its record.
 * SLUICE_CMD_CTL_AGENT_RESET    Request: SLUICE_A_AGENT: unlock a cloned
 *                               agent; its next connect sets a new
 *                               secondary id.  Reply: its record.
 * SLUICE_CMD_CTL_AGENT_DISABLE  Request: SLUICE_A_AGENT, [SLUICE_A_TEXT]
 *                               reason.  Its connection is closed within a
 *                               second.  Reply: its record.
 * SLUICE_CMD_CTL_AGENT_REMOVE   Request: SLUICE_A_AGENT.  Forgets the agent
 *                               (it must enroll again).  Reply: echo.
 * SLUICE_CMD_CTL_USER_ADD       Request: SLUICE_A_NAME, SLUICE_A_PHC (the
 *                               Argon2id hash, made by sluicectl: the
 *                               relay never sees the password; refused
 *                               unless it has the relay's parameters),
 *                               [SLUICE_A_EXPIRES].  Reply: its record.
 * SLUICE_CMD_CTL_USER_LIST      NLM_F_DUMP.  Records: NAME, STATE
 *                               ("enabled", "disabled", "locked",
 *                               "expired"), TOTP, FAILED, [EXPIRES,
 *                               LOCKED_UNTIL], CREATED.
 * SLUICE_CMD_CTL_USER_SHOW      Request: SLUICE_A_NAME.  Reply: one record
 *                               as in USER_LIST plus CERTS: records of
 *                               SERIAL, FINGERPRINT, NOT_AFTER, [REVOKED],
 *                               and GRANTS: records as in GRANT_LIST.
 * SLUICE_CMD_CTL_USER_DISABLE, _ENABLE, _UNLOCK  Request: SLUICE_A_NAME.
 *                               Disabling closes the user's live
 *                               connections within a second.  Reply: its
 *                               record.
 * SLUICE_CMD_CTL_USER_PASSWD    Request: SLUICE_A_NAME, SLUICE_A_PHC.
 * SLUICE_CMD_CTL_USER_CERT_ISSUE  Request: SLUICE_A_NAME, SLUICE_A_CSR (of
 *                               a key made by sluicectl, which writes the
 *                               PKCS#12 file).  Reply: SLUICE_A_CERT (DER),
 *                               one record: SERIAL, FINGERPRINT, NOT_AFTER.
 * SLUICE_CMD_CTL_USER_CERT_REVOKE  Request: SLUICE_A_ID, the certificate's
 *                               serial.  Live connections made with it are
 *                               closed within a second.  Reply: echo.
 * SLUICE_CMD_CTL_USER_TOTP_ENABLE  Request: SLUICE_A_NAME.  Reply:
 *                               SLUICE_A_TEXT, the otpauth:// URI (shown
 *                               once; the secret is stored encrypted).
 * SLUICE_CMD_CTL_GRANT_ADD      Request: SLUICE_A_NAME (user), SLUICE_A_DOMAIN,
 *                               [SLUICE_A_ROLE] ("user", "administrator"),
 *                               [SLUICE_A_WINDOW] (docs/auth.md).  Reply:
 *                               its record.
 * SLUICE_CMD_CTL_GRANT_LIST     NLM_F_DUMP, [SLUICE_A_NAME]: one user's.
 *                               Records: ID, NAME (user), DOMAIN, ROLE,
 *                               [WINDOW], CREATED, CREATED_BY.
 * SLUICE_CMD_CTL_GRANT_REMOVE   Request: SLUICE_A_ID (decimal).  Reply: echo.
 * SLUICE_CMD_CTL_AUDIT_TAIL     NLM_F_DUMP, [SLUICE_A_COUNT] (default 20, at
 *                               most SLUICE_AUDIT_TAIL_MAX): the newest
 *                               lines of the audit log, oldest first.
 *                               Records: TEXT, one JSON line each.
 *
 * Strings of the operator nests are at most SLUICE_TEXT_MAX bytes with
 * their NUL, except names (SLUICE_NAME_MAX) and addresses (SLUICE_ADDR_MAX).
 */
#ifndef _UAPI_SLUICE_H
#define _UAPI_SLUICE_H

#include <linux/types.h>

#define SLUICE_GENL_NAME "sluice"
#define SLUICE_GENL_VERSION 1
#define SLUICE_PROTO_VERSION 1

/* nlmsg_type of every sluice message (>= NLMSG_MIN_TYPE). */
#define SLUICE_MSG_TYPE 0x53

/* Largest message, header included, that any side accepts. */
#define SLUICE_MSG_MAX 65536

#define SLUICE_NAME_MAX 63		/* agent, device and user names */
#define SLUICE_TOKEN_MAX 256		/* HELLO secrets */
#define SLUICE_SESSION_TOKEN_LEN 32	/* ATTACH one-time tokens */
#define SLUICE_ERR_MSG_MAX 512
#define SLUICE_ADDR_MAX 64
#define SLUICE_DEVICES_MAX 256		/* devices per agent */
#define SLUICE_RANGES_MAX 64		/* port ranges per device */
#define SLUICE_ATTACH_TIMEOUT_MS 10000	/* OPEN -> both legs attached */
#define SLUICE_DENIALS_MAX 256		/* denial counters per heartbeat */
#define SLUICE_SECRET_LEN 32		/* agent secondary id */
#define SLUICE_PASSWORD_MAX 1024
#define SLUICE_TOTP_MAX 10		/* TOTP code, digits */
#define SLUICE_CSR_MAX 4096		/* DER certificate request */
#define SLUICE_CERT_MAX 8192		/* DER certificate */
#define SLUICE_DOMAIN_MAX 255		/* "ROOT.acme.plant1" */
#define SLUICE_TEXT_MAX 1024		/* paths, values in operator replies */
#define SLUICE_LINE_MAX 8192		/* an audit line in CTL_AUDIT_TAIL */
#define SLUICE_PHC_MAX 255		/* Argon2id PHC string */
#define SLUICE_WINDOW_MAX 255		/* grant time window */
#define SLUICE_TOKENS_MAX 400		/* join tokens per CTL_TOKEN_CREATE */
#define SLUICE_AUDIT_TAIL_MAX 10000	/* lines per CTL_AUDIT_TAIL */

/*
 * Default netlink port id of the relay's control socket: "SLUC" in ASCII.
 * Above PID_MAX_LIMIT (2^22) and below 2^31, so the kernel's autobind,
 * which takes the process id and then negative ids, never hands it out.
 */
#define SLUICE_CTL_PORT_ID 0x534c5543

enum sluice_cmd {
	SLUICE_CMD_UNSPEC = 0,
	SLUICE_CMD_ERROR = 1,
	SLUICE_CMD_AGENT_HELLO = 2,
	SLUICE_CMD_CLIENT_HELLO = 3,
	SLUICE_CMD_HELLO_OK = 4,
	SLUICE_CMD_HEARTBEAT = 5,
	SLUICE_CMD_LIST = 6,
	SLUICE_CMD_DONE = 7,
	SLUICE_CMD_OPEN = 8,
	SLUICE_CMD_OPEN_OK = 9,
	SLUICE_CMD_CONNECT = 10,
	SLUICE_CMD_ATTACH = 11,
	SLUICE_CMD_ATTACH_OK = 12,
	SLUICE_CMD_AGENT_UPDATE = 13,
	SLUICE_CMD_ENROLL = 14,
	SLUICE_CMD_ENROLL_OK = 15,
	SLUICE_CMD_CTL_STATUS = 16,
	SLUICE_CMD_CTL_AGENT_LIST = 17,
	SLUICE_CMD_CTL_AGENT_SHOW = 18,
	SLUICE_CMD_CTL_AGENT_DETACH = 19,
	SLUICE_CMD_CTL_DEVICE_LIST = 20,
	SLUICE_CMD_CTL_SESSION_LIST = 21,
	SLUICE_CMD_CTL_SESSION_SHOW = 22,
	SLUICE_CMD_CTL_SESSION_KILL = 23,
	SLUICE_CMD_CTL_RELOAD = 24,
	SLUICE_CMD_CTL_CERT_SHOW = 25,
	SLUICE_CMD_CTL_DOMAIN_ADD = 26,
	SLUICE_CMD_CTL_DOMAIN_REMOVE = 27,
	SLUICE_CMD_CTL_DOMAIN_LIST = 28,
	SLUICE_CMD_CTL_TOKEN_CREATE = 29,
	SLUICE_CMD_CTL_TOKEN_LIST = 30,
	SLUICE_CMD_CTL_TOKEN_REVOKE = 31,
	SLUICE_CMD_CTL_AGENT_ENROLLED = 32,
	SLUICE_CMD_CTL_AGENT_ATTACH = 33,
	SLUICE_CMD_CTL_AGENT_RESET = 34,
	SLUICE_CMD_CTL_AGENT_DISABLE = 35,
	SLUICE_CMD_CTL_AGENT_REMOVE = 36,
	SLUICE_CMD_CTL_USER_ADD = 37,
	SLUICE_CMD_CTL_USER_LIST = 38,
	SLUICE_CMD_CTL_USER_SHOW = 39,
	SLUICE_CMD_CTL_USER_DISABLE = 40,
	SLUICE_CMD_CTL_USER_ENABLE = 41,
	SLUICE_CMD_CTL_USER_UNLOCK = 42,
	SLUICE_CMD_CTL_USER_PASSWD = 43,
	SLUICE_CMD_CTL_USER_CERT_ISSUE = 44,
	SLUICE_CMD_CTL_USER_CERT_REVOKE = 45,
	SLUICE_CMD_CTL_USER_TOTP_ENABLE = 46,
	SLUICE_CMD_CTL_GRANT_ADD = 47,
	SLUICE_CMD_CTL_GRANT_LIST = 48,
	SLUICE_CMD_CTL_GRANT_REMOVE = 49,
	SLUICE_CMD_CTL_AUDIT_TAIL = 50,
	__SLUICE_CMD_MAX
};
#define SLUICE_CMD_MAX (__SLUICE_CMD_MAX - 1)

enum sluice_attr {
	SLUICE_A_UNSPEC = 0,
	SLUICE_A_VERSION = 1,		/* NLA_U32 */
	SLUICE_A_NAME = 2,		/* NLA_STRING */
	SLUICE_A_TOKEN = 3,		/* NLA_BINARY */
	SLUICE_A_HEARTBEAT_MS = 4,	/* NLA_U32 */
	SLUICE_A_DEVICES = 5,		/* NLA_NESTED, array of device nests */
	SLUICE_A_ADDR = 6,		/* NLA_STRING */
	SLUICE_A_AGENT = 7,		/* NLA_STRING */
	SLUICE_A_DEVICE = 8,		/* NLA_STRING */
	SLUICE_A_PORT = 9,		/* NLA_U16 */
	SLUICE_A_SESSION_ID = 10,	/* NLA_U64 */
	SLUICE_A_ERR_CODE = 11,		/* NLA_U32, enum sluice_err */
	SLUICE_A_ERR_MSG = 12,		/* NLA_STRING */
	SLUICE_A_ENFORCEMENT = 13,	/* NLA_U8, enum sluice_enforcement */
	SLUICE_A_DENIALS = 14,		/* NLA_NESTED, array of denial nests */
	SLUICE_A_CSR = 15,		/* NLA_BINARY, DER */
	SLUICE_A_CERT = 16,		/* NLA_BINARY, DER */
	SLUICE_A_SECRET = 17,		/* NLA_BINARY, SLUICE_SECRET_LEN */
	SLUICE_A_PASSWORD = 18,		/* NLA_STRING */
	SLUICE_A_TOTP = 19,		/* NLA_STRING, digits */
	SLUICE_A_SWITCH = 20,		/* NLA_U8, 0 off, 1 on */
	SLUICE_A_DOMAIN = 21,		/* NLA_STRING */
	SLUICE_A_STATE = 22,		/* NLA_U8, enum sluice_agent_state */
	SLUICE_A_STATUS = 23,		/* NLA_NESTED, enum sluice_status_attr */
	SLUICE_A_AGENTS = 24,		/* NLA_NESTED, array of agent nests */
	SLUICE_A_SESSIONS = 25,		/* NLA_NESTED, array of session nests */
	SLUICE_A_CERTS = 26,		/* NLA_NESTED, array of cert nests */
	SLUICE_A_CHANGES = 27,		/* NLA_NESTED, array of change nests */
	SLUICE_A_RECORDS = 28,		/* NLA_NESTED, array of record nests */
	SLUICE_A_ID = 29,		/* NLA_STRING: token id, serial, grant id */
	SLUICE_A_PHC = 30,		/* NLA_STRING, Argon2id PHC string */
	SLUICE_A_ROLE = 31,		/* NLA_STRING, "user" or "administrator" */
	SLUICE_A_WINDOW = 32,		/* NLA_STRING, grant time window */
	SLUICE_A_EXPIRES = 33,		/* NLA_U64, seconds since the epoch */
	SLUICE_A_TTL_S = 34,		/* NLA_U32, seconds */
	SLUICE_A_COUNT = 35,		/* NLA_U32 */
	SLUICE_A_TEXT = 36,		/* NLA_STRING, SLUICE_TEXT_MAX */
	__SLUICE_A_LAST
};
#define SLUICE_A_MAX (__SLUICE_A_LAST - 1)

enum sluice_device_attr {
	SLUICE_DEVICE_A_UNSPEC = 0,
	SLUICE_DEVICE_A_NAME = 1,	/* NLA_STRING */
	SLUICE_DEVICE_A_PORTS = 2,	/* NLA_NESTED, array of range nests */
	__SLUICE_DEVICE_A_LAST
};
#define SLUICE_DEVICE_A_MAX (__SLUICE_DEVICE_A_LAST - 1)

enum sluice_ports_attr {
	SLUICE_PORTS_A_UNSPEC = 0,
	SLUICE_PORTS_A_FIRST = 1,	/* NLA_U16 */
	SLUICE_PORTS_A_LAST = 2,	/* NLA_U16 */
	SLUICE_PORTS_A_PROTO = 3,	/* NLA_U8, IPPROTO_TCP or IPPROTO_UDP */
	__SLUICE_PORTS_A_LAST
};
#define SLUICE_PORTS_A_MAX (__SLUICE_PORTS_A_LAST - 1)

/*
 * One kernel denial counter.  DEVICE is absent when the refused address is
 * no device's at all.
 */
enum sluice_denial_attr {
	SLUICE_DENIAL_A_UNSPEC = 0,
	SLUICE_DENIAL_A_DEVICE = 1,	/* NLA_STRING */
	SLUICE_DENIAL_A_PORT = 2,	/* NLA_U16 */
	SLUICE_DENIAL_A_PROTO = 3,	/* NLA_U8, IPPROTO_TCP or IPPROTO_UDP */
	SLUICE_DENIAL_A_COUNT = 4,	/* NLA_U64 */
	__SLUICE_DENIAL_A_LAST
};
#define SLUICE_DENIAL_A_MAX (__SLUICE_DENIAL_A_LAST - 1)

/* SLUICE_A_ENFORCEMENT values: who holds the agent to its device rules. */
enum sluice_enforcement {
	SLUICE_ENFORCE_USERSPACE = 1,	/* the agent's own check only */
	SLUICE_ENFORCE_KERNEL = 2,	/* its check and eBPF in the kernel */
};

/* SLUICE_A_STATE values. */
enum sluice_agent_state {
	SLUICE_AGENT_PENDING = 1,	/* enrolled, waits for an operator */
	SLUICE_AGENT_ACTIVE = 2,
};
enum sluice_status_attr {
	SLUICE_STATUS_A_UNSPEC = 0,
	SLUICE_STATUS_A_VERSION = 1,		/* NLA_STRING */
	SLUICE_STATUS_A_PID = 2,		/* NLA_U32 */
	SLUICE_STATUS_A_UPTIME_MS = 3,		/* NLA_U64 */
	SLUICE_STATUS_A_LISTEN = 4,		/* NLA_NESTED, array of NLA_STRING */
	SLUICE_STATUS_A_METRICS = 5,		/* NLA_STRING */
	SLUICE_STATUS_A_PORT_ID = 6,		/* NLA_U32 */
	SLUICE_STATUS_A_DATA_PATH = 7,		/* NLA_U8, enum sluice_data_path */
	SLUICE_STATUS_A_AGENTS = 8,		/* NLA_U32 */
	SLUICE_STATUS_A_CLIENTS = 9,		/* NLA_U32 */
	SLUICE_STATUS_A_SESSIONS_ACTIVE = 10,	/* NLA_U32 */
	SLUICE_STATUS_A_SESSIONS_PENDING = 11,	/* NLA_U32 */
	SLUICE_STATUS_A_SESSIONS_TOTAL = 12,	/* NLA_U64 */
	SLUICE_STATUS_A_BYTES_TO_DEVICE = 13,	/* NLA_U64 */
	SLUICE_STATUS_A_BYTES_TO_CLIENT = 14,	/* NLA_U64 */
	SLUICE_STATUS_A_HEARTBEAT_MS = 15,	/* NLA_U32 */
	SLUICE_STATUS_A_MAX_SESSIONS = 16,	/* NLA_U32 */
	__SLUICE_STATUS_A_LAST
};
#define SLUICE_STATUS_A_MAX (__SLUICE_STATUS_A_LAST - 1)

enum sluice_agent_attr {
	SLUICE_AGENT_A_UNSPEC = 0,
	SLUICE_AGENT_A_NAME = 1,		/* NLA_STRING */
	SLUICE_AGENT_A_ADDR = 2,		/* NLA_STRING */
	SLUICE_AGENT_A_AGE_MS = 3,		/* NLA_U64 */
	SLUICE_AGENT_A_IDLE_MS = 4,		/* NLA_U64 */
	SLUICE_AGENT_A_HEARTBEAT_MS = 5,	/* NLA_U32 */
	SLUICE_AGENT_A_NDEVICES = 6,		/* NLA_U32 */
	SLUICE_AGENT_A_NSESSIONS = 7,		/* NLA_U32 */
	SLUICE_AGENT_A_DEVICES = 8,		/* NLA_NESTED, as SLUICE_A_DEVICES */
	__SLUICE_AGENT_A_LAST
};
#define SLUICE_AGENT_A_MAX (__SLUICE_AGENT_A_LAST - 1)

enum sluice_session_attr {
	SLUICE_SESSION_A_UNSPEC = 0,
	SLUICE_SESSION_A_ID = 1,		/* NLA_U64 */
	SLUICE_SESSION_A_USER = 2,		/* NLA_STRING */
	SLUICE_SESSION_A_CLIENT_ADDR = 3,	/* NLA_STRING */
	SLUICE_SESSION_A_AGENT = 4,		/* NLA_STRING */
	SLUICE_SESSION_A_DEVICE = 5,		/* NLA_STRING */
	SLUICE_SESSION_A_PORT = 6,		/* NLA_U16 */
	SLUICE_SESSION_A_STATE = 7,		/* NLA_U8, enum sluice_session_state */
	SLUICE_SESSION_A_PATH = 8,		/* NLA_U8, enum sluice_data_path */
	SLUICE_SESSION_A_BYTES_TO_DEVICE = 9,	/* NLA_U64 */
	SLUICE_SESSION_A_BYTES_TO_CLIENT = 10,	/* NLA_U64 */
	SLUICE_SESSION_A_AGE_MS = 11,		/* NLA_U64 */
	__SLUICE_SESSION_A_LAST
};
#define SLUICE_SESSION_A_MAX (__SLUICE_SESSION_A_LAST - 1)

enum sluice_cert_attr {
	SLUICE_CERT_A_UNSPEC = 0,
	SLUICE_CERT_A_NAME = 1,			/* NLA_STRING */
	SLUICE_CERT_A_PATH = 2,			/* NLA_STRING */
	SLUICE_CERT_A_FINGERPRINT = 3,		/* NLA_STRING */
	SLUICE_CERT_A_SUBJECT = 4,		/* NLA_STRING */
	SLUICE_CERT_A_NOT_BEFORE = 5,		/* NLA_U64 */
	SLUICE_CERT_A_NOT_AFTER = 6,		/* NLA_U64 */
	__SLUICE_CERT_A_LAST
};
#define SLUICE_CERT_A_MAX (__SLUICE_CERT_A_LAST - 1)

/*
 * Fields of the identity records (SLUICE_A_RECORDS).  Times are seconds
 * since the epoch; absent means "never" or "not set".
 */
enum sluice_rec_attr {
	SLUICE_REC_A_UNSPEC = 0,
	SLUICE_REC_A_NAME = 1,			/* NLA_STRING: user, agent, domain path */
	SLUICE_REC_A_DOMAIN = 2,		/* NLA_STRING */
	SLUICE_REC_A_STATE = 3,			/* NLA_STRING, per object */
	SLUICE_REC_A_ID = 4,			/* NLA_STRING */
	SLUICE_REC_A_ROLE = 5,			/* NLA_STRING */
	SLUICE_REC_A_WINDOW = 6,		/* NLA_STRING */
	SLUICE_REC_A_CREATED = 7,		/* NLA_U64 */
	SLUICE_REC_A_EXPIRES = 8,		/* NLA_U64 */
	SLUICE_REC_A_USED = 9,			/* NLA_U64 */
	SLUICE_REC_A_USED_BY = 10,		/* NLA_STRING */
	SLUICE_REC_A_CREATED_BY = 11,		/* NLA_STRING */
	SLUICE_REC_A_TOTP = 12,			/* NLA_U8, 0 or 1 */
	SLUICE_REC_A_FAILED = 13,		/* NLA_U32, login failures */
	SLUICE_REC_A_LOCKED_UNTIL = 14,		/* NLA_U64 */
	SLUICE_REC_A_SERIAL = 15,		/* NLA_STRING */
	SLUICE_REC_A_FINGERPRINT = 16,		/* NLA_STRING */
	SLUICE_REC_A_REVOKED = 17,		/* NLA_U64 */
	SLUICE_REC_A_NOT_AFTER = 18,		/* NLA_U64 */
	SLUICE_REC_A_REASON = 19,		/* NLA_STRING */
	SLUICE_REC_A_ADDR = 20,			/* NLA_STRING */
	SLUICE_REC_A_LAST_SEEN = 21,		/* NLA_U64 */
	SLUICE_REC_A_TOKEN = 22,		/* NLA_STRING, a secret */
	SLUICE_REC_A_CONNECTED = 23,		/* NLA_U8, 0 or 1 */
	SLUICE_REC_A_TEXT = 24,			/* NLA_STRING, SLUICE_LINE_MAX */
	SLUICE_REC_A_CERTS = 25,		/* NLA_NESTED, array of records */
	SLUICE_REC_A_GRANTS = 26,		/* NLA_NESTED, array of records */
	__SLUICE_REC_A_LAST
};
#define SLUICE_REC_A_MAX (__SLUICE_REC_A_LAST - 1)

enum sluice_change_attr {
	SLUICE_CHANGE_A_UNSPEC = 0,
	SLUICE_CHANGE_A_KEY = 1,		/* NLA_STRING */
	SLUICE_CHANGE_A_OLD = 2,		/* NLA_STRING */
	SLUICE_CHANGE_A_NEW = 3,		/* NLA_STRING */
	SLUICE_CHANGE_A_ACTION = 4,		/* NLA_U8, enum sluice_change_action */
	__SLUICE_CHANGE_A_LAST
};
#define SLUICE_CHANGE_A_MAX (__SLUICE_CHANGE_A_LAST - 1)

/* How a session's bytes move (docs/datapath.md). */
enum sluice_data_path {
	SLUICE_PATH_USERSPACE = 1,	/* OpenSSL in the relay, epoll or io_uring */
	SLUICE_PATH_KTLS = 2,		/* kernel TLS both ways on both legs, splice */
	__SLUICE_PATH_LAST
};
#define SLUICE_PATH_MAX (__SLUICE_PATH_LAST - 1)

enum sluice_session_state {
	SLUICE_SESSION_WAIT_AGENT = 1,	/* CONNECT sent, agent leg not attached */
	SLUICE_SESSION_WAIT_CLIENT = 2,	/* OPEN_OK sent, client leg not attached */
	SLUICE_SESSION_ACTIVE = 3,	/* both legs attached */
	__SLUICE_SESSION_LAST
};
#define SLUICE_SESSION_STATE_MAX (__SLUICE_SESSION_LAST - 1)

enum sluice_change_action {
	SLUICE_CHANGE_APPLIED = 1,	/* in force now */
	SLUICE_CHANGE_NEEDS_RESTART = 2, /* the running value stays */
	__SLUICE_CHANGE_LAST
};
#define SLUICE_CHANGE_ACTION_MAX (__SLUICE_CHANGE_LAST - 1)

/* SLUICE_A_ERR_CODE values.  0 is never sent. */
enum sluice_err {
	SLUICE_E_PROTO = 1,		/* malformed or unexpected message */
	SLUICE_E_VERSION = 2,		/* protocol version not supported */
	SLUICE_E_AUTH = 3,		/* bad credentials */
	SLUICE_E_DUPLICATE = 4,		/* identity already connected */
	SLUICE_E_NO_AGENT = 5,		/* agent unknown or not connected */
	SLUICE_E_NO_DEVICE = 6,		/* device unknown */
	SLUICE_E_AMBIGUOUS = 7,		/* device name offered by several agents */
	SLUICE_E_PORT_DENIED = 8,	/* port outside the device's rules */
	SLUICE_E_UNREACHABLE = 9,	/* agent could not connect to the device */
	SLUICE_E_TIMEOUT = 10,		/* a leg did not attach in time */
	SLUICE_E_BAD_TOKEN = 11,	/* unknown session or wrong token */
	SLUICE_E_LIMIT = 12,		/* a resource limit was reached */
	SLUICE_E_AGENT_GONE = 13,	/* agent disconnected during the request */
	SLUICE_E_INTERNAL = 14,		/* failure inside the relay */
	SLUICE_E_LOCKED = 15,		/* account, source or agent locked */
	SLUICE_E_DISABLED = 16,		/* account or agent disabled */
	SLUICE_E_EXPIRED = 17,		/* account or certificate expired */
	SLUICE_E_FORBIDDEN = 18,	/* no grant, or outside its time window */
	SLUICE_E_SWITCH_OFF = 19,	/* the site turned remote access off */
	SLUICE_E_PENDING = 20,		/* agent waits for an operator's approval */
	SLUICE_E_PERM = 21,		/* operator command from a uid not allowed */
	SLUICE_E_CONFIG = 22,		/* CTL_RELOAD: the file does not parse */
	SLUICE_E_NO_SESSION = 23,	/* no open session with that id */
	SLUICE_E_KILLED = 24,		/* the operator closed the session */
	SLUICE_E_NOT_FOUND = 25,	/* no such user, domain, token, grant... */
	SLUICE_E_EXISTS = 26,		/* that name is taken */
	SLUICE_E_INVALID = 27,		/* a value the relay does not accept */
	__SLUICE_E_LAST
};
#define SLUICE_E_MAX (__SLUICE_E_LAST - 1)

#endif /* _UAPI_SLUICE_H */
