// SPDX-License-Identifier: BSD-3-Clause
// newlib's nano-malloc for bench/objbench.c: nano-mallocr.c as Debian's
// newlib-source ships it (bench/nano-shim.h renames its entry points), its
// break a bump pointer over an anonymous reservation (zero-filled, as
// sbrk's memory is; nano never gives any back). nano has no lock of its
// own on the host: once a workload starts threads, every call takes one,
// as newlib's __malloc_lock does in a threaded newlib.
#include "obj.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define NANO_RESERVE ((size_t)1 << 32)

void *nano_host_malloc(size_t n);
void *nano_host_realloc(void *p, size_t n);
void nano_host_free(void *p);

static char *res_lo, *res_brk;
static pthread_mutex_t nano_lock = PTHREAD_MUTEX_INITIALIZER;
static int threaded;

// _sbrk_r moves nano's break by incr bytes; answers the old break, or
// (void *)-1 past the reservation.
void *_sbrk_r(ptrdiff_t incr)
{
	char *at;

	if (res_lo == NULL) {
		res_lo = mmap(NULL, NANO_RESERVE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (res_lo == MAP_FAILED) {
			fputs("objbench: cannot reserve nano's heap\n", stderr);
			exit(1);
		}
		res_brk = res_lo;
	}
	if (incr < 0 || (size_t)incr > NANO_RESERVE - (size_t)(res_brk - res_lo))
		return (void *)-1;
	at = res_brk;
	res_brk += incr;
	return at;
}

void obj_threads_start(void)
{
	threaded = 1;
}

void *obj_nano_malloc(size_t n)
{
	void *p;

	if (!threaded)
		return nano_host_malloc(n);
	pthread_mutex_lock(&nano_lock);
	p = nano_host_malloc(n);
	pthread_mutex_unlock(&nano_lock);
	return p;
}

void *obj_nano_realloc(void *p, size_t n)
{
	if (!threaded)
		return nano_host_realloc(p, n);
	pthread_mutex_lock(&nano_lock);
	p = nano_host_realloc(p, n);
	pthread_mutex_unlock(&nano_lock);
	return p;
}

void obj_nano_free(void *p)
{
	if (!threaded) {
		nano_host_free(p);
		return;
	}
	pthread_mutex_lock(&nano_lock);
	nano_host_free(p);
	pthread_mutex_unlock(&nano_lock);
}
