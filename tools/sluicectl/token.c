// SPDX-License-Identifier: MIT
/*
 * sluicectl token create DOMAIN [--ttl DURATION] [--count N] | list
 *                 | revoke ID
 *
 * A join token enrolls one agent into DOMAIN once.  The secret is shown
 * only here (the relay keeps its SHA-256).  With --count the tokens are
 * printed one per line, made in transactions of SLUICE_TOKENS_MAX.
 */
#include <openssl/crypto.h>
#include <stdio.h>

#include "conf.h"
#include "sluicectl.h"

#define COUNT_MAX 100000

static const struct rec_col token_cols[] = {
	{ SLUICE_REC_A_ID, "id", "ID", 17, REC_STR },
	{ SLUICE_REC_A_DOMAIN, "domain", "DOMAIN", 28, REC_STR },
	{ SLUICE_REC_A_EXPIRES, "expires", "EXPIRES", 20, REC_TIME },
	{ SLUICE_REC_A_USED, "used", "USED", 20, REC_TIME },
	{ SLUICE_REC_A_USED_BY, "used_by", "BY", 20, REC_STR },
	{ SLUICE_REC_A_CREATED_BY, "created_by", "MADE BY", 0, REC_STR },
};
#define NCOLS (int)(sizeof(token_cols) / sizeof(token_cols[0]))

struct made {
	const char *domain;
	bool one;		/* a single token: the agent.conf lines too */
	uint64_t n;
};

static int made_part(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *tb[SLUICE_REC_A_MAX + 1], *pos;
	const char *fp = sl_wire_str(m, SLUICE_A_TEXT);
	struct made *mk = arg;
	char t[32];
	int rem;

	nla_for_each_nested(pos, m->tb[SLUICE_A_RECORDS], rem) {
		if (sl_wire_nest(SL_NEST_RECORD, pos, tb) || !tb[SLUICE_REC_A_TOKEN] ||
		    !tb[SLUICE_REC_A_ID] || !tb[SLUICE_REC_A_EXPIRES])
			return EXIT_PROTO;
		mk->n++;
		if (print_json()) {
			print_obj_begin(NULL);
			print_str("id", nla_get_string(tb[SLUICE_REC_A_ID]));
			print_str("token", nla_get_string(tb[SLUICE_REC_A_TOKEN]));
			print_str("domain", mk->domain);
			print_u64("expires", nla_get_u64(tb[SLUICE_REC_A_EXPIRES]));
			if (fp)
				print_str("relay_fingerprint", fp);
			print_obj_end();
		} else if (mk->one) {
			fmt_time(nla_get_u64(tb[SLUICE_REC_A_EXPIRES]), t, sizeof(t));
			printf("join token for %s (id %s, valid until %s), shown once:\n%s\n",
			       mk->domain, nla_get_string(tb[SLUICE_REC_A_ID]), t,
			       nla_get_string(tb[SLUICE_REC_A_TOKEN]));
			printf("in agent.conf:\n  join_token = %s\n",
			       nla_get_string(tb[SLUICE_REC_A_TOKEN]));
			if (fp)
				printf("  relay_fingerprint = %s\n", fp);
		} else {
			puts(nla_get_string(tb[SLUICE_REC_A_TOKEN]));
		}
		OPENSSL_cleanse(nla_data(tb[SLUICE_REC_A_TOKEN]),
				(size_t)nla_len(tb[SLUICE_REC_A_TOKEN]));
	}
	return EXIT_OK;
}

static int token_create(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "DOMAIN [--ttl DURATION] [--count N]";
	const char *ttl = NULL, *count = NULL;
	const struct opt opts[] = { { "--ttl", &ttl }, { "--count", &count } };
	struct made mk = { 0 };
	uint64_t ttl_ms = 24 * 3600 * 1000ull, n = 1, batch;
	struct nl_msg *req;
	char *pos[1];
	int ret;

	ret = take_args(argc, argv, opts, 2, pos, 1, 1, "token create", usage);
	if (ret)
		return ret;
	if (ttl && (sl_parse_duration_ms(ttl, &ttl_ms) || ttl_ms < 60000 ||
		    ttl_ms > 30ull * 86400000)) {
		fprintf(stderr, "sluicectl: token create: --ttl '%s' is not 1m to 30d "
			"(e.g. 2h, 7d)\n", ttl);
		return EXIT_USAGE;
	}
	if (count && sl_parse_uint(count, 1, COUNT_MAX, &n)) {
		fprintf(stderr, "sluicectl: token create: --count '%s' is not 1 to %d\n", count,
			COUNT_MAX);
		return EXIT_USAGE;
	}
	mk.domain = pos[0];
	mk.one = !count;
	if (print_json())
		print_list_begin(NULL, NULL, 0);
	while (!ret && mk.n < n) {
		batch = n - mk.n < SLUICE_TOKENS_MAX ? n - mk.n : SLUICE_TOKENS_MAX;
		req = ctl_request(c, SLUICE_CMD_CTL_TOKEN_CREATE, false);
		if (req && (nla_put_string(req, SLUICE_A_DOMAIN, pos[0]) ||
			    nla_put_u32(req, SLUICE_A_TTL_S, (uint32_t)(ttl_ms / 1000)) ||
			    nla_put_u32(req, SLUICE_A_COUNT, (uint32_t)batch))) {
			nlmsg_free(req);
			fprintf(stderr, "sluicectl: token create: bad domain '%s'\n", pos[0]);
			return EXIT_USAGE;
		}
		ret = ctl_call(c, req, made_part, &mk);
	}
	if (print_json())
		print_list_end();
	if (ret && mk.n)
		fprintf(stderr, "sluicectl: token create: %llu of %llu tokens were made (those "
			"printed are valid)\n", (unsigned long long)mk.n, (unsigned long long)n);
	return ret;
}

static int token_list(struct ctl *c, int argc, char **argv)
{
	int ret = take_args(argc, argv, NULL, 0, NULL, 0, 0, "token list", "");

	if (ret)
		return ret;
	return list_records(c, ctl_request(c, SLUICE_CMD_CTL_TOKEN_LIST, true), token_cols,
			    NCOLS);
}

static int token_revoke(struct ctl *c, int argc, char **argv)
{
	char *pos[1];
	int ret = take_args(argc, argv, NULL, 0, pos, 1, 1, "token revoke", "ID");

	if (ret)
		return ret;
	return echo_done(c, req_str(c, SLUICE_CMD_CTL_TOKEN_REVOKE, SLUICE_A_ID, pos[0]),
			 SLUICE_A_ID, "id", "token %s revoked");
}

const struct ctl_subcmd token_verbs[] = {
	{ "create", "DOMAIN [--ttl D] [--count N]",
	  "one-time join tokens for agents of DOMAIN (default valid 24h), shown once",
	  token_create },
	{ "list", "", "join tokens: used, unused, expired", token_list },
	{ "revoke", "ID", "delete an unused token", token_revoke },
	{ NULL, NULL, NULL, NULL },
};
