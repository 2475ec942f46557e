// SPDX-License-Identifier: MIT
#include "workers.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static struct sl_worker *workers;
static unsigned int nworkers;
static bool stopping;

int sl_worker_start(struct sl_worker *w, unsigned int max, void *(*fn)(void *),
		    void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	w->fd[0] = w->fd[1] = -1;
	pthread_mutex_lock(&lock);
	if (stopping || nworkers >= max) {
		ret = stopping ? -ESHUTDOWN : -EAGAIN;
		pthread_mutex_unlock(&lock);
		return ret;
	}
	w->next = workers;
	if (workers)
		workers->pprev = &w->next;
	w->pprev = &workers;
	workers = w;
	nworkers++;
	pthread_mutex_unlock(&lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (ret) {
		sl_worker_done(w);
		return -ret;
	}
	return 0;
}

bool sl_worker_set_fd(struct sl_worker *w, int i, int fd)
{
	bool ok;

	pthread_mutex_lock(&lock);
	w->fd[i] = fd;
	ok = !stopping;
	pthread_mutex_unlock(&lock);
	return ok;
}

void sl_worker_done(struct sl_worker *w)
{
	/* OpenSSL keeps per-thread state (DRBGs) that it frees only from a
	 * thread-exit destructor, which may run after main() returned. */
	OPENSSL_thread_stop();
	pthread_mutex_lock(&lock);
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	nworkers--;
	if (!nworkers)
		pthread_cond_broadcast(&idle);
	pthread_mutex_unlock(&lock);
}

static void shut(struct sl_worker *w)
{
	if (w->fd[0] >= 0)
		shutdown(w->fd[0], SHUT_RDWR);
	if (w->fd[1] >= 0)
		shutdown(w->fd[1], SHUT_RDWR);
}

unsigned int sl_workers_shutdown_if(bool (*pred)(struct sl_worker *w, void *arg),
				    void *arg)
{
	struct sl_worker *w;
	unsigned int n = 0;

	pthread_mutex_lock(&lock);
	for (w = workers; w; w = w->next)
		if (pred(w, arg)) {
			shut(w);
			n++;
		}
	pthread_mutex_unlock(&lock);
	return n;
}

unsigned int sl_workers_stop(int timeout_ms)
{
	struct timespec deadline;
	struct sl_worker *w;
	unsigned int left;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	stopping = true;
	/* A shut-down socket wakes its thread's poll with EOF or an error. */
	for (w = workers; w; w = w->next)
		shut(w);
	while (nworkers &&
	       pthread_cond_timedwait(&idle, &lock, &deadline) != ETIMEDOUT)
		;
	left = nworkers;
	pthread_mutex_unlock(&lock);
	return left;
}
