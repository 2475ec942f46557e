// SPDX-License-Identifier: MIT
/* sluicectl cert show: the certificate the relay serves, its SPKI
 * fingerprint (what agents and clients pin) and validity. */
#include <stdio.h>
#include <time.h>

#include "sluicectl.h"

static void print_time(const char *key, uint64_t t)
{
	char buf[40];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	print_u64_text(key, t, buf);
}

static int show(const struct sl_msg_in *m, void *arg)
{
	struct nlattr *tb[SLUICE_CERT_A_MAX + 1], *pos;
	int rem, n = 0;

	(void)arg;
	print_list_begin(NULL, NULL, 0);
	nla_for_each_nested(pos, m->tb[SLUICE_A_CERTS], rem) {
		if (sl_wire_nest(SL_NEST_CERT, pos, tb))
			return EXIT_PROTO;
		if (n++ && !print_json())
			putchar('\n');
		print_obj_begin(NULL);
		print_str("name", nla_get_string(tb[SLUICE_CERT_A_NAME]));
		if (tb[SLUICE_CERT_A_PATH])
			print_str("path", nla_get_string(tb[SLUICE_CERT_A_PATH]));
		if (tb[SLUICE_CERT_A_FINGERPRINT])
			print_str("fingerprint", nla_get_string(tb[SLUICE_CERT_A_FINGERPRINT]));
		if (tb[SLUICE_CERT_A_SUBJECT])
			print_str("subject", nla_get_string(tb[SLUICE_CERT_A_SUBJECT]));
		if (tb[SLUICE_CERT_A_NOT_BEFORE])
			print_time("not_before", nla_get_u64(tb[SLUICE_CERT_A_NOT_BEFORE]));
		if (tb[SLUICE_CERT_A_NOT_AFTER])
			print_time("not_after", nla_get_u64(tb[SLUICE_CERT_A_NOT_AFTER]));
		print_obj_end();
	}
	print_list_end();
	return EXIT_OK;
}

static int cert_show(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc) {
		fprintf(stderr, "sluicectl: cert show takes no arguments\n");
		return EXIT_USAGE;
	}
	return ctl_call(c, ctl_request(c, SLUICE_CMD_CTL_CERT_SHOW, false), show, NULL);
}

const struct ctl_subcmd cert_verbs[] = {
	{ "show", "", "the relay's certificate: SPKI fingerprint, subject, validity",
	  cert_show },
	{ NULL, NULL, NULL, NULL },
};
