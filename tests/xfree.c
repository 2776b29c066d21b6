// SPDX-License-Identifier: BSD-3-Clause
// Four threads in a ring, each freeing what the one before it allocated:
// thread t allocates objects of mixed sizes, fills each with a pattern and
// passes it to thread t+1, which checks the pattern and frees it; a
// quarter come from calloc, checked zero first. What it
// prints depends only on the objects' contents, so a run under
// LD_PRELOAD=build/host/libheaplab.so prints what a plain run does.
//   xfree [OBJECTS_PER_THREAD]   (default 200000); exit 0, or 1 on a bad
//   pattern, 2 on bad use
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NT   4
#define QLEN 256

struct queue {
	pthread_mutex_t m;
	pthread_cond_t cv;
	unsigned char *item[QLEN];
	size_t len[QLEN];
	unsigned head, tail; // head - tail items waiting
};

static struct queue q[NT];
static long per_thread = 200000;
static unsigned long long sum[NT];
static int bad;

static void put(struct queue *x, unsigned char *p, size_t n)
{
	pthread_mutex_lock(&x->m);
	while (x->head - x->tail == QLEN)
		pthread_cond_wait(&x->cv, &x->m);
	x->item[x->head % QLEN] = p;
	x->len[x->head % QLEN] = n;
	x->head++;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->m);
}

// take answers the next object for this thread, or NULL when none is
// waiting (so that a thread can allocate meanwhile and the ring never
// stalls).
static unsigned char *take(struct queue *x, size_t *n, int wait)
{
	unsigned char *p = NULL;

	pthread_mutex_lock(&x->m);
	while (wait && x->head == x->tail)
		pthread_cond_wait(&x->cv, &x->m);
	if (x->head != x->tail) {
		p = x->item[x->tail % QLEN];
		*n = x->len[x->tail % QLEN];
		x->tail++;
		pthread_cond_broadcast(&x->cv);
	}
	pthread_mutex_unlock(&x->m);
	return p;
}

static void consume(int t, unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)(n + i)) {
			__atomic_store_n(&bad, 1, __ATOMIC_SEQ_CST);
			break;
		}
	sum[t] += n * 31 + p[0];
	free(p);
}

static void *run(void *arg)
{
	int t = (int)(intptr_t)arg;
	unsigned seed = 1234u + (unsigned)t;
	long k, got = 0;
	unsigned char *p;
	int zeroed;
	size_t n;

	for (k = 0; k < per_thread; k++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 8 == 0 ? 1 + (seed >> 8) % 40000 : 1 + (seed >> 8) % 300;
		zeroed = (seed >> 12) % 4 == 0;
		p = zeroed ? calloc(1, n) : malloc(n);
		if (p == NULL) {
			fprintf(stderr, "xfree: out of memory\n");
			exit(1);
		}
		for (size_t i = 0; zeroed && i < n; i++) // calloc's, reused objects too
			if (p[i] != 0)
				__atomic_store_n(&bad, 1, __ATOMIC_SEQ_CST);
		memset(p, 0, n);
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)(n + i);
		if ((seed >> 20) % 16 == 0) { // some grow before they travel
			p = realloc(p, n + 100);
			memset(p + n, 0, 100);
		}
		put(&q[(t + 1) % NT], p, n);
		while ((p = take(&q[t], &n, 0)) != NULL) {
			consume(t, p, n);
			got++;
		}
	}
	for (; got < per_thread; got++) {
		p = take(&q[t], &n, 1);
		consume(t, p, n);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NT];
	int t;

	if (argc > 2 || (argc == 2 && (per_thread = strtol(argv[1], NULL, 10)) <= 0)) {
		fprintf(stderr, "usage: xfree [OBJECTS_PER_THREAD]\n");
		return 2;
	}
	for (t = 0; t < NT; t++) {
		pthread_mutex_init(&q[t].m, NULL);
		pthread_cond_init(&q[t].cv, NULL);
	}
	for (t = 0; t < NT; t++)
		pthread_create(&th[t], NULL, run, (void *)(intptr_t)t);
	for (t = 0; t < NT; t++)
		pthread_join(th[t], NULL);
	for (t = 0; t < NT; t++)
		printf("thread %d freed %ld objects of thread %d, checksum %llu\n", t, per_thread,
		       (t + NT - 1) % NT, sum[t]);
	if (bad) {
		printf("xfree: an object's bytes were wrong (changed between threads, or "
		       "calloc's not zero)\n");
		return 1;
	}
	return 0;
}
