// SPDX-License-Identifier: MIT
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

int sl_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -errno;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	if (fcntl(fd, F_SETFL, fl) == -1)
		return -errno;
	return 0;
}

int sl_set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -errno;
	return 0;
}

void sl_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "unknown");
	}
}

static int resolve(const char *host, uint16_t port, int passive,
		   struct addrinfo **res, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = passive ? AI_PASSIVE : 0 };
	char service[8];
	int ret;

	snprintf(service, sizeof(service), "%u", port);
	ret = getaddrinfo(host, service, &hints, res);
	if (ret) {
		snprintf(why, whylen, "cannot resolve '%s': %s", host,
			 gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	return 0;
}

int sl_tcp_listen(const char *host, uint16_t port, char *why, size_t whylen)
{
	return sl_tcp_listen_opt(host, port, false, why, whylen);
}

int sl_tcp_listen_opt(const char *host, uint16_t port, bool reuseport, char *why,
		      size_t whylen)
{
	struct addrinfo *res, *ai;
	int fd = -1, err = 0, one = 1;

	err = resolve(host, port, 1, &res, why, whylen);
	if (err)
		return err;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			err = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (reuseport &&
		    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1) {
			err = -errno;
			close(fd);
			fd = -1;
			continue;
		}
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 4096) == 0)
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, whylen, "cannot listen on %s:%u: %s%s", host, port,
			 strerror(-err),
			 err == -EADDRINUSE ? " (another process holds the port)" :
			 err == -EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
		return err;
	}
	return fd;
}

int sl_tcp_connect_addr(const struct sockaddr *sa, socklen_t salen, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, err, one = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS) {
			err = -errno;
			goto out_close;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			err = poll(&pfd, 1, timeout_ms);
		} while (err == -1 && errno == EINTR);
		if (err == 0) {
			err = -ETIMEDOUT;
			goto out_close;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			err = errno;
		if (err) {
			err = -err;
			goto out_close;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	err = sl_set_nonblock(fd, 0);
	if (err)
		goto out_close;
	return fd;
out_close:
	close(fd);
	return err;
}

int sl_tcp_connect(const char *host, uint16_t port, int timeout_ms, char *why,
		   size_t whylen)
{
	struct addrinfo *res, *ai;
	int fd = -ENOENT;

	fd = resolve(host, port, 0, &res, why, whylen);
	if (fd)
		return fd;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = sl_tcp_connect_addr(ai->ai_addr, ai->ai_addrlen, timeout_ms);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(why, whylen, "cannot connect to %s:%u: %s", host, port,
			 strerror(-fd));
	return fd;
}

/* ---- address prefixes (allow-lists, blocklists) ---- */

static int prefix_parse(const char *s, struct sl_cidr *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;
	char *end;
	int maxbits;

	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		maxbits = 128;
	} else {
		return -EINVAL;
	}
	out->bits = (unsigned int)maxbits;
	if (!slash)
		return 0;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (errno || *end || bits > (unsigned long)maxbits)
		return -EINVAL;
	out->bits = (unsigned int)bits;
	return 0;
}

int sl_cidr_list_parse(const char *value, struct sl_cidr *list,
			unsigned int *n, char *why, size_t whylen)
{
	const char *p = value;
	char item[128];

	while (*p) {
		size_t len = strcspn(p, ", \t");

		if (len) {
			if (len >= sizeof(item) || *n >= SL_CIDR_LIST_MAX) {
				snprintf(why, whylen, "too long or more than %d entries",
					 SL_CIDR_LIST_MAX);
				return -EINVAL;
			}
			memcpy(item, p, len);
			item[len] = '\0';
			if (prefix_parse(item, &list[*n])) {
				snprintf(why, whylen,
					 "'%s' is not an address or prefix like 10.0.0.0/8", item);
				return -EINVAL;
			}
			(*n)++;
		}
		p += len;
		p += strspn(p, ", \t");
	}
	return 0;
}

static bool prefix_eq(const unsigned char *a, const unsigned char *b,
		      unsigned int bits)
{
	unsigned int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole))
		return false;
	return !rest || ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

bool sl_cidr_match(const struct sl_cidr *list, unsigned int n,
			 const struct sockaddr *sa)
{
	const unsigned char *a;
	int family = sa->sa_family;
	unsigned int i;

	if (family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		/* IPv4-mapped sources match IPv4 prefixes. */
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			a += 12;
			family = AF_INET;
		}
	} else {
		return false;
	}
	for (i = 0; i < n; i++)
		if (list[i].family == family && prefix_eq(list[i].addr, a, list[i].bits))
			return true;
	return false;
}

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/*
 * The "tls" upper layer protocol can only be set on an established TCP
 * socket, so make one on loopback.  Setting it also loads the tls module
 * where the kernel builds it as one, as OpenSSL's own attempt would.
 */
bool sl_ktls_available(char *why, size_t whylen)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd, cfd = -1, sfd = -1;
	bool ok = false;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&a, &alen)) {
		snprintf(why, whylen, "loopback listener: %s", strerror(errno));
		goto out;
	}
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, sizeof(a)) ||
	    (sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		snprintf(why, whylen, "loopback connection: %s", strerror(errno));
		goto out;
	}
	if (setsockopt(sfd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		snprintf(why, whylen, "setsockopt(TCP_ULP, \"tls\"): %s%s", strerror(errno),
			 errno == ENOENT ? " (no CONFIG_TLS, or the tls module cannot "
					   "be loaded)" : "");
		goto out;
	}
	ok = true;
out:
	if (sfd >= 0)
		close(sfd);
	if (cfd >= 0)
		close(cfd);
	if (lfd >= 0)
		close(lfd);
	return ok;
}
