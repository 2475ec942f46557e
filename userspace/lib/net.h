/* SPDX-License-Identifier: MIT */
/* TCP sockets: listeners, connects with a deadline, address formatting. */
#ifndef SL_NET_H
#define SL_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SL_ADDRSTRLEN 64

/* Non-blocking listener on host:port.  fd, or -errno with a reason in why. */
int sl_tcp_listen(const char *host, uint16_t port, char *why, size_t whylen);
/*
 * Blocking connect to host:port trying each resolved address in turn, each
 * bounded by timeout_ms.  Returns a blocking fd with TCP_NODELAY, or -errno
 * with a reason in why.
 */
int sl_tcp_connect(const char *host, uint16_t port, int timeout_ms, char *why,
		   size_t whylen);
/* The same for one address; a blocking fd with TCP_NODELAY or -errno. */
int sl_tcp_connect_addr(const struct sockaddr *sa, socklen_t salen, int timeout_ms);
/* "1.2.3.4:80" or "[::1]:80". */
void sl_addr_str(const struct sockaddr *sa, char *buf, size_t len);
int sl_set_nonblock(int fd, int on);
/* SO_RCVTIMEO and SO_SNDTIMEO; 0 clears them. */
int sl_set_timeouts(int fd, int ms);

#endif
