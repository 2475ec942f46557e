// SPDX-License-Identifier: MIT
/* client.conf: see docs/configuration.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conf.h"
#include "tls.h"

void client_config_default_path(char *buf, size_t len)
{
	const char *home = getenv("HOME");

	snprintf(buf, len, "%s/.config/sluice/client.conf", home ? home : ".");
}

static int client_conf_key(struct sl_conf *c, const char *section,
			   const char *key, const char *value, void *ctx)
{
	struct client_config *cfg = ctx;
	int ret;

	if (section)
		return sl_conf_error(c, "unknown section '[%s]': client.conf has no sections",
				     section);
	ret = sl_peer_conf_key(c, key, value, &cfg->relay, cfg->state_dir);
	if (ret <= 0)
		return ret;
	if (!strcmp(key, "user")) {
		if (!sl_name_valid(value))
			return sl_conf_error(c, "user: '%s' must be 1-%d characters of A-Z a-z 0-9 . _ -",
					     value, SLUICE_NAME_MAX);
		snprintf(cfg->user, sizeof(cfg->user), "%s", value);
		return 0;
	}
	if (!strcmp(key, "certificate") || !strcmp(key, "password_file") ||
	    !strcmp(key, "certificate_password_file")) {
		char *out = !strcmp(key, "certificate") ? cfg->certificate :
			    key[0] == 'p' ? cfg->password_file : cfg->certificate_password_file;

		if (value[0] != '/' || strlen(value) >= sizeof(cfg->certificate))
			return sl_conf_error(c, "%s: '%s' must be an absolute path", key, value);
		snprintf(out, sizeof(cfg->certificate), "%s", value);
		return 0;
	}
	return sl_conf_error(c, "unknown key '%s' (known: relay, user, certificate, "
			     "password_file, certificate_password_file, relay_fingerprint, "
			     "state_dir)", key);
}

int client_config_load(struct client_config *cfg, const char *path, char *err,
		       size_t errlen)
{
	const char *home = getenv("HOME");
	struct sl_conf c;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s/.local/state/sluice",
		 home ? home : ".");
	sl_conf_init(&c, path, client_conf_key, cfg);
	ret = sl_conf_load(&c);
	if (ret) {
		snprintf(err, errlen, "%s", c.err);
		return ret;
	}
	if (!cfg->relay.host[0] || !cfg->user[0] || !cfg->certificate[0]) {
		snprintf(err, errlen, "%s: relay, user and certificate are required", path);
		return -EINVAL;
	}
	snprintf(cfg->relay.pin_file, sizeof(cfg->relay.pin_file), "%s/known_relays",
		 cfg->state_dir);
	cfg->relay.timeout_ms = 10000;
	return 0;
}
