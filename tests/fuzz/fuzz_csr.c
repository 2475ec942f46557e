// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for what enrollment reads from the network: a CSR (PEM
 * or DER) handed to the agent CA, and a certificate handed back to the
 * agent.  Besides the sanitizers it checks the CA's promises: whatever it
 * signs carries the CA's chosen name, verifies against the CA and is a
 * client certificate, never a CA.
 */
#include <ftw.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"

static struct sl_ca *ca;
static X509_STORE *store;
static char dir[64];

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	X509_STORE_free(store);
	sl_ca_free(ca);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *paths[1];
	char why[512];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/sluice-fuzz-csr.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	ca = sl_ca_load_or_create(dir, SL_CA_AGENT, "fuzz CA", NULL, why,
				  sizeof(why));
	if (!ca)
		abort();
	paths[0] = sl_ca_cert_path(ca);
	store = sl_ca_store_new(paths, 1, why, sizeof(why));
	if (!store)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_cert_info info;
	char why[512];
	X509 *x;

	x = sl_ca_sign_csr(ca, data, size, "plant1", 1, &info, why, sizeof(why));
	if (x) {
		if (strcmp(info.cn, "plant1") || X509_check_ca(x) ||
		    !(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT) ||
		    sl_ca_verify(store, x, NULL, 0, why, sizeof(why)))
			abort();
		X509_free(x);
	}
	x = sl_cert_parse(data, size);
	if (x) {
		sl_cert_info_get(x, &info);
		X509_free(x);
	}
	return 0;
}
