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
