// SPDX-License-Identifier: MIT
#include "msgio.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

int sl_msg_send(SSL *ssl, struct nl_msg *msg)
{
	size_t len, done = 0;
	const char *p = sl_wire_bytes(msg, &len);

	while (done < len) {
		size_t n;

		if (SSL_write_ex(ssl, p + done, len - done, &n) != 1) {
			ERR_clear_error();
			return -EIO;
		}
		done += n;
	}
	return 0;
}

int sl_msg_send_free(SSL *ssl, struct nl_msg *msg)
{
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = sl_msg_send(ssl, msg);
	nlmsg_free(msg);
	return ret;
}

static int read_full(SSL *ssl, char *p, size_t len, char *why, size_t whylen)
{
	size_t done = 0;

	while (done < len) {
		size_t n;

		if (SSL_read_ex(ssl, p + done, len - done, &n) == 1) {
			done += n;
			continue;
		}
		switch (SSL_get_error(ssl, 0)) {
		case SSL_ERROR_ZERO_RETURN:
			snprintf(why, whylen, "peer closed the connection");
			return -ECONNRESET;
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			snprintf(why, whylen, "receive timed out");
			return -ETIMEDOUT;
		default:
			ERR_clear_error();
			snprintf(why, whylen, "connection lost");
			return done ? -EIO : -ECONNRESET;
		}
	}
	return 0;
}

int sl_msg_recv(SSL *ssl, void *buf, struct sl_msg_in *m, char *why,
		size_t whylen)
{
	int ret, len;

	ret = read_full(ssl, buf, SL_WIRE_HDRLEN, why, whylen);
	if (ret)
		return ret;
	len = sl_wire_frame_len(buf, why, whylen);
	if (len < 0)
		return len;
	ret = read_full(ssl, (char *)buf + SL_WIRE_HDRLEN,
			(size_t)len - SL_WIRE_HDRLEN, why, whylen);
	if (ret)
		return ret == -ETIMEDOUT ? -EIO : ret;
	return sl_wire_parse(buf, (size_t)len, m, why, whylen);
}
