// SPDX-License-Identifier: MIT
/*
 * Argon2id checks off the event loop.  One check costs about half a second
 * and 64 MiB by design; run in the loop it would stall every connection,
 * heartbeats included.  One worker thread checks passwords in order (so a
 * flood of logins costs at most 64 MiB and one core) and hands results back
 * through an eventfd the loop watches.  A connection that closes
 * while its check runs leaves a job whose conn is NULL: its result is
 * dropped.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "password.h"
#include "relay.h"

struct relay_passwork {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct relay_auth_job *todo, *todo_tail, *done;
	int efd;
	bool stop, started;
};

static struct relay_auth_job *pop(struct relay_auth_job **head,
				  struct relay_auth_job **tail)
{
	struct relay_auth_job *j = *head;

	if (j) {
		*head = j->next;
		if (tail && !*head)
			*tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void *worker(void *arg)
{
	struct relay_passwork *w = arg;
	struct relay_auth_job *j;
	uint64_t one = 1;

	pthread_setname_np(pthread_self(), "sluice-passwd");
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stop && !w->todo)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		j = pop(&w->todo, &w->todo_tail);
		pthread_mutex_unlock(&w->lock);
		j->result = sl_password_verify(j->phc, j->password, strlen(j->password));
		OPENSSL_cleanse(j->password, sizeof(j->password));
		pthread_mutex_lock(&w->lock);
		j->next = w->done;
		w->done = j;
		if (write(w->efd, &one, sizeof(one)) < 0)
			sl_log_errno(errno, "password worker: eventfd");
	}
	pthread_mutex_unlock(&w->lock);
	OPENSSL_thread_stop();
	return NULL;
}

int relay_passwork_start(struct relay *r, char *why, size_t whylen)
{
	struct relay_passwork *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->passwork = w;
	if (w->efd == -1) {
		snprintf(why, whylen, "password worker: %s", strerror(errno));
		return -errno;
	}
	if (relay_watch_add(r->watch, w->efd, TAG_PASSWORK, POLLIN)) {
		snprintf(why, whylen, "password worker: out of memory");
		return -ENOMEM;
	}
	if (pthread_create(&w->thread, NULL, worker, w)) {
		snprintf(why, whylen, "password worker: cannot start a thread");
		return -EAGAIN;
	}
	w->started = true;
	return 0;
}

void relay_passwork_stop(struct relay *r)
{
	struct relay_passwork *w = r->passwork;
	struct relay_auth_job *j;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	while ((j = pop(&w->todo, &w->todo_tail)) || (j = pop(&w->done, NULL))) {
		OPENSSL_cleanse(j->password, sizeof(j->password));
		free(j);
	}
	if (w->efd >= 0)
		close(w->efd);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	r->passwork = NULL;
}

void relay_passwork_submit(struct relay *r, struct relay_auth_job *j)
{
	struct relay_passwork *w = r->passwork;

	pthread_mutex_lock(&w->lock);
	if (w->todo_tail)
		w->todo_tail->next = j;
	else
		w->todo = j;
	w->todo_tail = j;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void relay_passwork_forget(struct relay *r, struct relay_auth_job *j)
{
	pthread_mutex_lock(&r->passwork->lock);
	j->conn = NULL;
	pthread_mutex_unlock(&r->passwork->lock);
}

void relay_passwork_event(struct relay *r)
{
	struct relay_passwork *w = r->passwork;
	struct relay_auth_job *list, *j;
	uint64_t n;

	if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		sl_log_errno(errno, "password worker: eventfd");
	pthread_mutex_lock(&w->lock);
	list = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	while ((j = pop(&list, NULL))) {
		if (j->conn) {
			j->conn->auth_job = NULL;
			relay_login_client_finish(r, j->conn, j);
		}
		free(j);
	}
}
