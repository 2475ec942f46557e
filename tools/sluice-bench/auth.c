// SPDX-License-Identifier: MIT
/*
 * How the bench authenticates to the relay, in one place: today every
 * agent and every client presents the relay's static agent_token or
 * client_token (relay.conf) in its HELLO.  When issue 3's model (agent
 * certificates, user certificates with password and TOTP) arrives, this
 * file and the TLS context in tls.c are what change.
 */
#include <string.h>

#include "bench.h"

int bench_auth_put(struct nl_msg *msg, const struct bench_opts *o)
{
	return nla_put(msg, SLUICE_A_TOKEN, (int)strlen(o->token), o->token);
}

struct nl_msg *bench_client_hello(const struct bench_opts *o)
{
	struct nl_msg *msg = sl_wire_new(SLUICE_CMD_CLIENT_HELLO, 1, 0);

	if (!msg || nla_put_u32(msg, SLUICE_A_VERSION, SLUICE_PROTO_VERSION) ||
	    nla_put_string(msg, SLUICE_A_NAME, o->user) || bench_auth_put(msg, o)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}
