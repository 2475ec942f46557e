// SPDX-License-Identifier: MIT
/*
 * The relay loop's io_uring (userspace/relay/watch.c): level-triggered
 * readiness, event changes, removal and descriptor reuse, multishot
 * accept with pause and resume, and fdatasync on the ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../userspace/relay/relay.h"

static struct relay_watch *w;

static int setup(void **state)
{
	char why[256];

	(void)state;
	if (relay_watch_init(&w, why, sizeof(why))) {
		print_error("relay_watch_init: %s\n", why);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	relay_watch_uninit(w);
	w = NULL;
	return 0;
}

/* Waits up to ms; returns the number of events, copied into ev. */
static int wait_ev(struct relay_event *ev, int max, int ms)
{
	int n = relay_watch_wait(w, ms, ev, max);

	assert_true(n >= 0);
	return n;
}

static void test_level_triggered(void **state)
{
	struct relay_event ev[8];
	int sv[2];
	char c;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(relay_watch_add(w, sv[0], 0x1000, POLLIN), 0);
	assert_int_equal(wait_ev(ev, 8, 20), 0);	/* nothing to read */
	assert_int_equal(write(sv[1], "ab", 2), 2);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(ev[0].type, RELAY_EV_READY);
	assert_int_equal(ev[0].data, 0x1000);
	assert_true(ev[0].res & POLLIN);
	/* Still readable: it comes back without new bytes. */
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(ev[0].data, 0x1000);
	assert_int_equal(read(sv[0], &c, 1), 1);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(read(sv[0], &c, 1), 1);
	assert_int_equal(wait_ev(ev, 8, 20), 0);	/* drained: quiet */
	/* Writable once asked for. */
	relay_watch_set(w, sv[0], POLLIN | POLLOUT);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_true(ev[0].res & POLLOUT);
	/* Asking for nothing silences it, even with bytes waiting. */
	relay_watch_set(w, sv[0], 0);
	assert_int_equal(write(sv[1], "c", 1), 1);
	assert_int_equal(wait_ev(ev, 8, 20), 0);
	relay_watch_set(w, sv[0], POLLIN);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_true(ev[0].res & POLLIN);
	/* The peer's close is reported as readable with a hang-up. */
	assert_int_equal(read(sv[0], &c, 1), 1);
	close(sv[1]);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_true(ev[0].res & (POLLHUP | POLLIN));
	relay_watch_del(w, sv[0]);
	close(sv[0]);
}

/*
 * As with epoll, a hang-up is reported even to a watch that asks for
 * nothing; a peer's shutdown of its sending side alone is not, and does
 * not make the loop spin: a full socket whose peer half-closed is
 * reported writable only once the peer has read.
 */
static void test_hangups(void **state)
{
	struct relay_event ev[8];
	char buf[65536];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(relay_watch_add(w, sv[0], 0x4000, 0), 0);
	assert_int_equal(wait_ev(ev, 8, 20), 0);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	assert_int_equal(wait_ev(ev, 8, 50), 0);
	assert_int_equal(wait_ev(ev, 8, 50), 0);
	relay_watch_set(w, sv[0], POLLIN);	/* EOF is readable */
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(ev[0].data, 0x4000);
	assert_true(ev[0].res & POLLIN);
	relay_watch_set(w, sv[0], 0);
	assert_int_equal(wait_ev(ev, 8, 50), 0);
	/* Fill the socket; the half-closed peer still reads. */
	memset(buf, 'x', sizeof(buf));
	while (write(sv[0], buf, sizeof(buf)) > 0)
		;
	relay_watch_set(w, sv[0], POLLOUT);
	assert_int_equal(wait_ev(ev, 8, 50), 0);
	assert_int_equal(wait_ev(ev, 8, 50), 0);
	while (read(sv[1], buf, sizeof(buf)) > 0)
		;
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(ev[0].data, 0x4000);
	assert_true(ev[0].res & POLLOUT);
	relay_watch_set(w, sv[0], 0);
	close(sv[1]);				/* now a full hang-up */
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(ev[0].data, 0x4000);
	assert_true(ev[0].res & POLLHUP);
	relay_watch_del(w, sv[0]);
	close(sv[0]);
	assert_int_equal(wait_ev(ev, 8, 20), 0);
}

/* An armed poll's change of events takes effect (poll update path). */
static void test_update_armed(void **state)
{
	struct relay_event ev[8];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(relay_watch_add(w, sv[0], 0x2000, POLLIN), 0);
	assert_int_equal(wait_ev(ev, 8, 20), 0);	/* now armed for POLLIN */
	relay_watch_set(w, sv[0], POLLIN | POLLOUT);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_true(ev[0].res & POLLOUT);
	relay_watch_del(w, sv[0]);
	close(sv[0]);
	close(sv[1]);
}

/* A removed watch reports nothing, and a reused descriptor number
 * reports only for its new owner. */
static void test_del_and_reuse(void **state)
{
	struct relay_event ev[8];
	int sv[2], sv2[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(relay_watch_add(w, sv[0], 0x3000, POLLIN), 0);
	assert_int_equal(wait_ev(ev, 8, 20), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	relay_watch_del(w, sv[0]);
	assert_int_equal(wait_ev(ev, 8, 20), 0);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv2), 0);
	assert_int_equal(sv2[0], sv[0]);	/* the lowest numbers again */
	assert_int_equal(relay_watch_add(w, sv2[0], 0x3001, POLLIN), 0);
	assert_int_equal(write(sv2[1], "y", 1), 1);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(ev[0].data, 0x3001);
	relay_watch_del(w, sv2[0]);
	close(sv2[0]);
	close(sv2[1]);
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void test_accept(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct relay_event ev[8];
	int lfd, c[4], got = 0, i, n;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	relay_watch_accept(w, 0, lfd, true);
	for (i = 0; i < 3; i++)
		c[i] = connect_to(ntohs(sa.sin_port));
	/* One posted accept brings all three. */
	while (got < 3 && (n = wait_ev(ev, 8, 1000)) > 0) {
		for (i = 0; i < n; i++) {
			assert_int_equal(ev[i].type, RELAY_EV_ACCEPT);
			assert_int_equal(ev[i].data, 0);
			assert_true(ev[i].res >= 0);
			assert_true(fcntl(ev[i].res, F_GETFL) & O_NONBLOCK);
			close(ev[i].res);
			got++;
		}
	}
	assert_int_equal(got, 3);
	/* Paused: a connection waits in the backlog... */
	relay_watch_accept(w, 0, lfd, false);
	assert_int_equal(wait_ev(ev, 8, 20), 0);
	c[3] = connect_to(ntohs(sa.sin_port));
	assert_int_equal(wait_ev(ev, 8, 50), 0);
	/* ...until accepting resumes. */
	relay_watch_accept(w, 0, lfd, true);
	assert_int_equal(wait_ev(ev, 8, 1000), 1);
	assert_int_equal(ev[0].type, RELAY_EV_ACCEPT);
	assert_true(ev[0].res >= 0);
	close(ev[0].res);
	relay_watch_accept(w, 0, lfd, false);
	assert_int_equal(wait_ev(ev, 8, 20), 0);
	for (i = 0; i < 4; i++)
		close(c[i]);
	close(lfd);
}

static void test_fsync(void **state)
{
	char path[] = "/tmp/sluice-test-watch.XXXXXX";
	struct relay_event ev[8];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "record\n", 7), 7);
	assert_int_equal(relay_watch_fsync(w, fd, 7), 0);
	assert_int_equal(wait_ev(ev, 8, 5000), 1);
	assert_int_equal(ev[0].type, RELAY_EV_SYNC);
	assert_int_equal(ev[0].data, 7);
	assert_int_equal(ev[0].res, 0);
	close(fd);
	unlink(path);
	/* An error comes back as the event's result. */
	assert_int_equal(relay_watch_fsync(w, fd, 8), 0);
	assert_int_equal(wait_ev(ev, 8, 5000), 1);
	assert_int_equal(ev[0].data, 8);
	assert_int_equal(ev[0].res, -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_level_triggered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_armed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
