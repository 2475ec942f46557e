/* SPDX-License-Identifier: MIT */
/* TCP sockets: listeners, connects with a deadline, address formatting. */
#ifndef SL_NET_H
#define SL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SL_ADDRSTRLEN 64

/*
 * Whether this kernel has kernel TLS: the "tls" ULP can be set on a TCP
 * socket (a loopback pair, made and closed here).  false with the reason.
 */
bool sl_ktls_available(char *why, size_t whylen);

/* Non-blocking listener on host:port.  fd, or -errno with a reason in why. */
int sl_tcp_listen(const char *host, uint16_t port, char *why, size_t whylen);
/* The same; reuseport: SO_REUSEPORT, so that several sockets of this user
 * share host:port and the kernel spreads connections over them. */
int sl_tcp_listen_opt(const char *host, uint16_t port, bool reuseport, char *why,
		      size_t whylen);
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

/* An address prefix ("10.0.0.0/8", "::1"): allow-lists and blocklists. */
struct sl_cidr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned int bits;
};

#define SL_CIDR_LIST_MAX 32

/*
 * Parses a list of addresses and prefixes separated by commas or blanks,
 * appending to list[*n] (at most SL_CIDR_LIST_MAX in all).  0, or -EINVAL
 * with the reason, quoting the bad entry, in why.
 */
int sl_cidr_list_parse(const char *value, struct sl_cidr *list, unsigned int *n,
		       char *why, size_t whylen);
/* Whether sa (IPv4, IPv6, IPv4-mapped IPv6) falls in one of list[n]. */
bool sl_cidr_match(const struct sl_cidr *list, unsigned int n, const struct sockaddr *sa);

#endif
