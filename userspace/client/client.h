/* SPDX-License-Identifier: MIT */
/* sluice-client internals: config, the control connection, commands. */
#ifndef CLIENT_H
#define CLIENT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "peer.h"
#include "wire.h"

struct client_config {
	char user[SLUICE_NAME_MAX + 1];
	char certificate[1024];		/* the user's PKCS#12 file */
	char password_file[1024];	/* "" : $SLUICE_PASSWORD or a prompt */
	char certificate_password_file[1024];	/* "" : the login password */
	char state_dir[SL_STATE_DIR_MAX];
	struct sl_relay_addr relay;
};

struct client {
	struct client_config cfg;
	SSL_CTX *tls;			/* control connection: TLS 1.3 */
	SSL_CTX *data_tls;		/* data legs: TLS 1.2, kernel TLS */
	char password[SLUICE_PASSWORD_MAX + 1];
	char totp[SLUICE_TOTP_MAX + 1];	/* "" : none given */
	int signal_fd;
	bool stop;
};

/* config.c */
int client_config_load(struct client_config *cfg, const char *path, char *err,
		       size_t errlen);
/* $HOME/.config/sluice/client.conf into buf. */
void client_config_default_path(char *buf, size_t len);

/* identity.c: password, then the PKCS#12 into c->tls; 0 or -1 (logged). */
int client_identity_load(struct client *c);
void client_identity_clear(struct client *c);

/* control.c: dial and log in; the SSL or NULL (logged). */
SSL *client_connect(struct client *c, uint32_t *hb_ms);

/* list.c and forward.c: the commands; they return exit codes. */
int client_list_main(struct client *c);
int client_forward_main(struct client *c, const char *target,
			const char *local);

#endif
