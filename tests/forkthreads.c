// SPDX-License-Identifier: BSD-3-Clause
// fork in a threaded program: three threads allocate, reallocate and free
// objects of mixed sizes with no pause, and hand some to each other
// through a shared table (freed by the thread that takes them: remote
// frees), while the main thread forks children one after another. The
// other threads may be anywhere in malloc or free when the fork comes;
// each child, alone in its copy of the heap, must still work: it frees
// the objects in the table (the other threads' allocations), allocates
// and checks twenty thousand of its own (ROUNDS thousand), starts a thread that does the
// same (its stack and TLS may be a vanished thread's), and exits 0.
// The program's own fork handlers, registered before any thread starts
// (so before a preloaded malloc's, which runs them in between), allocate
// in prepare and free in the parent and the child, as a library's may.
// What it prints depends only on the children's statuses, so a run under
// LD_PRELOAD=build/host/libheaplab.so prints what a plain run does.
//   forkthreads [CHILDREN [ROUNDS]]   (default 200, 20); exit 0, or 1 if a
//   child failed, 2 on bad use
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NT    3
#define SLOTS 64
#define TABLE 256

static int stop;
static int rounds = 20;		    // of own's thousand objects
static unsigned char *table[TABLE]; // objects any thread may take and free

static char *at_fork; // prepare's object, freed on either side

static void prepare(void)
{
	at_fork = malloc(100);
	if (at_fork != NULL)
		strcpy(at_fork, "prepare");
}

static void after(void)
{
	if (at_fork == NULL || strcmp(at_fork, "prepare") != 0)
		abort();
	free(at_fork);
	at_fork = NULL;
}

static unsigned next(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

// churn: the other threads' work until stop, its objects tagged with their
// length's low byte.
static void churn_for(unsigned s, long ops)
{
	unsigned char *v[SLOTS] = {0}, *q;
	size_t n[SLOTS];
	unsigned r, k;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && ops-- != 0) {
		r = next(&s);
		k = r % SLOTS;
		if (v[k] == NULL) {
			n[k] = r / SLOTS % 3000 + 1;
			v[k] = malloc(n[k]);
			memset(v[k], (int)(n[k] & 0xff), n[k]);
		} else if (r % 7 == 0) { // to the table; free what was there
			q = __atomic_exchange_n(&table[r / 7 % TABLE], v[k], __ATOMIC_ACQ_REL);
			free(q);
			v[k] = NULL;
		} else if (r % 5 == 0) {
			q = realloc(v[k], r / 5 % 5000 + 1);
			if (q != NULL) {
				v[k] = q;
				n[k] = r / 5 % 5000 + 1;
				memset(q, (int)(n[k] & 0xff), n[k]);
			}
		} else {
			free(v[k]);
			v[k] = NULL;
		}
	}
	for (k = 0; k < SLOTS; k++)
		free(v[k]);
}

static void *churn(void *arg)
{
	churn_for((unsigned)(uintptr_t)arg, -1);
	return NULL;
}

// own: a few thousand objects of the caller's, checked and freed; 0 if
// they kept their contents.
static int own(unsigned seed)
{
	unsigned char *a[1000];
	unsigned s = seed, i, r;

	for (r = 0; r < (unsigned)rounds; r++) {
		for (i = 0; i < 1000; i++) {
			a[i] = malloc(i % 500 + 1);
			if (a[i] == NULL)
				return 1;
			memset(a[i], (int)(i + s) & 0xff, i % 500 + 1);
		}
		for (i = 0; i < 1000; i++) {
			if (a[i][i % 500] != ((i + s) & 0xff))
				return 1;
			free(a[i]);
		}
		next(&s);
	}
	return 0;
}

// child_thread: the other threads' work, a while, then its own.
static void *child_thread(void *arg)
{
	churn_for((unsigned)(uintptr_t)arg, 20000);
	return (void *)(uintptr_t)own((unsigned)(uintptr_t)arg);
}

static int child(void)
{
	pthread_t t;
	void *res;
	int i;

	for (i = 0; i < TABLE; i++) { // the vanished threads' objects
		free(table[i]);
		table[i] = NULL;
	}
	if (own(7) != 0)
		return 3;
	if (pthread_create(&t, NULL, child_thread, (void *)(uintptr_t)9) != 0 ||
	    pthread_join(t, &res) != 0 || res != NULL)
		return 4;
	return own(11) != 0 ? 5 : 0;
}

int main(int argc, char **argv)
{
	pthread_t t[NT];
	long children = argc > 1 ? atol(argv[1]) : 200, c, failed = 0;
	int i, st;
	pid_t pid;

	if (argc > 2)
		rounds = atoi(argv[2]);
	if (children < 1 || rounds < 1 || argc > 3) {
		fprintf(stderr, "usage: forkthreads [CHILDREN [ROUNDS]]\n");
		return 2;
	}
	if (pthread_atfork(prepare, after, after) != 0)
		return 2;
	for (i = 0; i < NT; i++)
		if (pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)) != 0)
			return 2;
	for (c = 0; c < children; c++) {
		pid = fork();
		if (pid == 0)
			_exit(child());
		if (pid < 0 || waitpid(pid, &st, 0) != pid) {
			perror("forkthreads: fork");
			return 2;
		}
		if (st != 0) {
			failed++;
			fprintf(stderr, "forkthreads: child %ld: wait status %#x\n", c, st);
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < TABLE; i++)
		free(table[i]);
	printf("forked %ld children from %d busy threads: %ld failed\n", children, NT, failed);
	return failed != 0;
}
