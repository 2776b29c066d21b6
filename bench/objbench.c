// SPDX-License-Identifier: BSD-3-Clause
// The small-object benchmark (make bench): three workloads shaped as real
// programs allocate, through plain malloc/realloc/free, so that one binary
// measures any malloc a program can preload (heaplab's libheaplab.so,
// jemalloc, mimalloc, tcmalloc, or glibc's own when nothing is preloaded);
// objbench-nano is the same program over newlib's nano-malloc (obj-nano.c).
//
//   mixed    small mixed sizes (16 B to 4 KiB, most under 256 B) in a table
//            of slots: each step fills an empty slot, or grows its object
//            by realloc (a chain, as a string builder does) or frees it;
//   tree     binary-tree lifetimes: one long-lived tree, then many short-
//            lived trees of depths 4 to 14 built and freed whole, some
//            nodes with a string of their own;
//   xthread  two producer threads allocating, each handing its objects in
//            batches to a consumer thread that frees them (larson's and
//            xmalloc-test's pattern: most frees on another thread).
//
// Every workload is seeded and makes the same calls with the same sizes
// whatever the allocator; the line it prints carries a digest of them
// (sum=), which bench/run.py compares across allocators. Each object holds
// a tag that is checked before it is freed or grown, so an allocator that
// loses or overlaps objects stops the run. Only ob_malloc, ob_realloc and
// ob_free call the allocator: under callgrind (--toggle-collect=ob_*) they
// are all that counts.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "obj.h"

#ifdef __clang__
#define OB_MEASURED __attribute__((noinline))
#else
#define OB_MEASURED __attribute__((noipa)) // no clones: callgrind finds it by name
#endif

#define PAGE	  4096u
#define MAX_GROW  8192u // a realloc chain stops growing here
#define NPAIRS	  2	// xthread's producer/consumer pairs
#define BATCH	  256	// objects handed over at once
#define INFLIGHT  8	// batches a pair may have in flight
#define LONG_LIVE 32	// tree: the long-lived tree holds about ops/LONG_LIVE nodes

OB_MEASURED void *ob_malloc(size_t n)
{
	return OBJ_MALLOC(n);
}

OB_MEASURED void *ob_realloc(void *p, size_t n)
{
	return OBJ_REALLOC(p, n);
}

OB_MEASURED void ob_free(void *p)
{
	OBJ_FREE(p);
}

static void die(const char *msg)
{
	fprintf(stderr, "objbench: %s\n", msg);
	exit(1);
}

// A xorshift64* generator: every workload and thread seeds its own.
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

// small_size draws a size as programs ask for them: half 16-64 bytes,
// 30% up to 256, 15% up to 1 KiB, 5% up to 4 KiB.
static size_t small_size(uint64_t *s)
{
	uint64_t r = rnd(s);
	unsigned pick = (unsigned)(r % 100);

	r >>= 8;
	if (pick < 50)
		return 16 + r % 49;
	if (pick < 80)
		return 65 + r % 192;
	if (pick < 95)
		return 257 + r % 768;
	return 1025 + r % 3072;
}

// digest folds one call (its kind and size) into a workload's sum=.
static void digest(uint64_t *d, unsigned kind, size_t n)
{
	*d = (*d ^ (n * 4 + kind)) * 1099511628211ull;
}

// put_tag marks a fresh object of n bytes (at least 16): a tag in its first
// word, and a byte in every page it spans and at its end, so that the
// memory is touched as a program filling it would touch it.
static void put_tag(void *v, size_t n, uint64_t tag)
{
	unsigned char *p = v;
	size_t i;

	if (p == NULL)
		die("the allocator answered NULL");
	memcpy(p, &tag, sizeof tag);
	for (i = PAGE; i < n; i += PAGE)
		p[i] = (unsigned char)tag;
	p[n - 1] = (unsigned char)tag;
}

static void check_tag(const void *p, uint64_t tag)
{
	uint64_t got;

	memcpy(&got, p, sizeof got);
	if (got != tag)
		die("an object's tag changed while it was live (overlapping objects?)");
}

struct run {
	size_t ops;	  // allocator calls made
	size_t live;	  // bytes asked for and not yet freed (one thread)
	size_t live_peak; // its highest value
	uint64_t sum;	  // digest of the calls
};

static void live_add(struct run *r, size_t n)
{
	r->live += n;
	if (r->live > r->live_peak)
		r->live_peak = r->live;
}

// zmap answers n zeroed bytes outside the allocator under test, so that
// the driver's own tables neither count in its figures nor come from it.
static void *zmap(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("cannot map the driver's tables");
	memset(p, 0, n); // touched now: the baseline footprint includes them
	return p;
}

// --- mixed ----------------------------------------------------------------------

struct slot {
	void *p;
	size_t n;
};

static void mixed_step(struct run *r, struct slot *s, uint64_t *seed)
{
	size_t n;

	if (s->p == NULL) {
		n = small_size(seed);
		s->p = ob_malloc(n);
		put_tag(s->p, n, n);
		s->n = n;
		live_add(r, n);
		digest(&r->sum, 0, n);
	} else if (s->n < MAX_GROW && rnd(seed) % 4 == 0) {
		n = s->n + s->n / 2 + 8;
		check_tag(s->p, s->n);
		s->p = ob_realloc(s->p, n);
		check_tag(s->p, s->n); // realloc keeps the contents
		put_tag(s->p, n, n);
		live_add(r, n - s->n);
		s->n = n;
		digest(&r->sum, 1, n);
	} else {
		check_tag(s->p, s->n);
		ob_free(s->p);
		r->live -= s->n;
		digest(&r->sum, 2, s->n);
		s->p = NULL;
	}
	r->ops++;
}

static void mixed(struct run *r, size_t target)
{
	size_t nslots = target / 250 > 64 ? target / 250 : 64, i;
	struct slot *slots = zmap(nslots * sizeof *slots);
	uint64_t seed = 0x6d69786564;

	while (r->ops < target)
		mixed_step(r, &slots[rnd(&seed) % nslots], &seed);
	for (i = 0; i < nslots; i++) { // the program's exit frees what is left
		if (slots[i].p != NULL) {
			check_tag(slots[i].p, slots[i].n);
			ob_free(slots[i].p);
			r->live -= slots[i].n;
			r->ops++;
		}
	}
}

// --- tree -----------------------------------------------------------------------

struct node {
	struct node *l, *r;
	char *name; // every fourth node has one
	uint64_t tag;
};

static struct node *build(struct run *r, int depth, uint64_t *seed)
{
	struct node *t = ob_malloc(sizeof *t);
	size_t n;

	put_tag(t, sizeof *t, 0); // tag last: put_tag writes the whole first word
	t->tag = depth;
	t->name = NULL;
	live_add(r, sizeof *t);
	digest(&r->sum, 0, sizeof *t);
	r->ops++;
	if (rnd(seed) % 4 == 0) {
		n = small_size(seed) % 240 + 16;
		t->name = ob_malloc(n);
		put_tag(t->name, n, n);
		live_add(r, n);
		digest(&r->sum, 0, n);
		r->ops++;
	}
	t->l = depth > 0 ? build(r, depth - 1, seed) : NULL;
	t->r = depth > 0 ? build(r, depth - 1, seed) : NULL;
	return t;
}

// drop frees a tree bottom-up, as a program tearing it down does.
static void drop(struct run *r, struct node *t, int depth)
{
	size_t n;

	if (t == NULL)
		return;
	if (t->tag != (uint64_t)depth)
		die("a tree node changed while it was live (overlapping objects?)");
	drop(r, t->l, depth - 1);
	drop(r, t->r, depth - 1);
	if (t->name != NULL) {
		memcpy(&n, t->name, sizeof n);
		check_tag(t->name, n);
		ob_free(t->name);
		r->live -= n;
		r->ops++;
	}
	ob_free(t);
	r->live -= sizeof *t;
	r->ops++;
}

static void tree(struct run *r, size_t target)
{
	uint64_t seed = 0x74726565;
	int long_depth = 4, d, i;
	struct node *keep, *t;

	while (long_depth < 16 && ((size_t)2 << long_depth) < target / LONG_LIVE)
		long_depth++;
	keep = build(r, long_depth, &seed);
	for (i = 0; r->ops < target; i++) {
		d = 4 + 2 * (i % 6);
		t = build(r, d, &seed);
		drop(r, t, d);
	}
	drop(r, keep, long_depth);
}

// --- xthread --------------------------------------------------------------------

struct batch {
	void *p[BATCH];
	size_t n[BATCH];
};

// One producer/consumer pair: a ring of INFLIGHT batches under a mutex.
// The producer fills ring[head % INFLIGHT] and the consumer empties
// ring[tail % INFLIGHT]; head - tail batches are in flight.
struct pair {
	pthread_mutex_t m;
	pthread_cond_t cv;
	struct batch ring[INFLIGHT];
	size_t head, tail, nbatches;
	struct run prod, cons; // each thread's own counts
	uint64_t seed;
	size_t live, live_peak; // bytes in flight, under m
};

static void *producer(void *v)
{
	struct pair *pr = v;
	struct batch *b;
	size_t k, i, n, bytes;

	for (k = 0; k < pr->nbatches; k++) {
		pthread_mutex_lock(&pr->m);
		while (pr->head - pr->tail == INFLIGHT)
			pthread_cond_wait(&pr->cv, &pr->m);
		pthread_mutex_unlock(&pr->m);
		b = &pr->ring[pr->head % INFLIGHT];
		for (i = 0, bytes = 0; i < BATCH; i++) {
			n = small_size(&pr->seed) % 1009 + 16;
			b->p[i] = ob_malloc(n);
			put_tag(b->p[i], n, n);
			b->n[i] = n;
			bytes += n;
			digest(&pr->prod.sum, 0, n);
		}
		pr->prod.ops += BATCH;
		pthread_mutex_lock(&pr->m);
		pr->head++;
		pr->live += bytes;
		if (pr->live > pr->live_peak)
			pr->live_peak = pr->live;
		pthread_cond_broadcast(&pr->cv);
		pthread_mutex_unlock(&pr->m);
	}
	return NULL;
}

static void *consumer(void *v)
{
	struct pair *pr = v;
	struct batch *b;
	size_t k, i, bytes;

	for (k = 0; k < pr->nbatches; k++) {
		pthread_mutex_lock(&pr->m);
		while (pr->head == pr->tail)
			pthread_cond_wait(&pr->cv, &pr->m);
		pthread_mutex_unlock(&pr->m);
		b = &pr->ring[pr->tail % INFLIGHT];
		for (i = 0, bytes = 0; i < BATCH; i++) {
			check_tag(b->p[i], b->n[i]);
			ob_free(b->p[i]);
			bytes += b->n[i];
			digest(&pr->cons.sum, 2, b->n[i]);
		}
		pr->cons.ops += BATCH;
		pthread_mutex_lock(&pr->m);
		pr->tail++;
		pr->live -= bytes;
		pthread_cond_broadcast(&pr->cv);
		pthread_mutex_unlock(&pr->m);
	}
	return NULL;
}

static void xthread(struct run *r, size_t target)
{
	struct pair *pairs = zmap(NPAIRS * sizeof *pairs);
	pthread_t th[2 * NPAIRS];
	size_t nb =
	    (target + 2 * BATCH * NPAIRS - 1) / (2 * BATCH * NPAIRS); // at least target calls
	int i;

	obj_threads_start();
	for (i = 0; i < NPAIRS; i++) {
		pthread_mutex_init(&pairs[i].m, NULL);
		pthread_cond_init(&pairs[i].cv, NULL);
		pairs[i].nbatches = nb;
		pairs[i].seed = 0x78746872 + (uint64_t)i;
		if (pthread_create(&th[2 * i], NULL, producer, &pairs[i]) != 0 ||
		    pthread_create(&th[2 * i + 1], NULL, consumer, &pairs[i]) != 0)
			die("cannot start the threads");
	}
	for (i = 0; i < 2 * NPAIRS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NPAIRS; i++) { // sums added: the threads' order does not matter
		r->ops += pairs[i].prod.ops + pairs[i].cons.ops;
		r->sum += pairs[i].prod.sum + pairs[i].cons.sum;
		r->live_peak += pairs[i].live_peak;
	}
}

// --- main -----------------------------------------------------------------------

static const struct workload {
	const char *name, *what;
	void (*run)(struct run *r, size_t target);
} workloads[] = {
    {"mixed", "small mixed sizes (16 B to 4 KiB, half under 64 B) with realloc chains", mixed},
    {"tree", "binary-tree lifetimes: a long-lived tree and many short-lived ones", tree},
    {"xthread", "2 producers allocating, 2 consumers freeing (frees on another thread)", xthread},
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// status_kb answers a "Vm...:" field of /proc/self/status in bytes, or 0.
// The footprint is the process's: VmRSS as main starts (with a preloaded
// malloc, after it has set itself up), VmHWM, its highest ever, at the end.
static size_t status_kb(const char *field)
{
	char line[128];
	size_t len = strlen(field), v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, len) == 0)
			v = strtoull(line + len, NULL, 10) * 1024;
	if (f != NULL)
		fclose(f);
	return v;
}

static const char usage[] = "usage: objbench WORKLOAD [OPS]   (default OPS 1000000)\n"
			    "       objbench --list\n";

int main(int argc, char **argv)
{
	const struct workload *w = NULL;
	struct run r = {0};
	unsigned long long target = 1000000;
	uint64_t t0, t1;
	size_t base, peak, i;
	char *end;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
			printf("%s\t%s\n", workloads[i].name, workloads[i].what);
		return 0;
	}
	for (i = 0; argc >= 2 && i < sizeof workloads / sizeof workloads[0]; i++)
		if (strcmp(argv[1], workloads[i].name) == 0)
			w = &workloads[i];
	if (argc == 3)
		target = strtoull(argv[2], &end, 10);
	if (w == NULL || argc > 3 || (argc == 3 && (*end != '\0' || target < 1000))) {
		fputs(usage, stderr);
		fputs("objbench: OPS is a number of at least 1000\n", stderr);
		return 2;
	}
	base = status_kb("VmRSS:");
	t0 = now_ns();
	w->run(&r, target);
	t1 = now_ns();
	peak = status_kb("VmHWM:");
	if (r.live != 0)
		die("the workload did not free everything it allocated");
	printf("objbench workload=%s build=%s ops=%zu ns=%llu rss_base=%zu rss_peak=%zu "
	       "live_peak=%zu sum=%016llx\n",
	       w->name, OBJ_NAME, r.ops, (unsigned long long)(t1 - t0), base, peak, r.live_peak,
	       (unsigned long long)r.sum);
	return 0;
}
