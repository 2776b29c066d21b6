// SPDX-License-Identifier: BSD-3-Clause
// heaplab as the malloc of real programs (build/host/libheaplab.so, loaded
// with LD_PRELOAD): the objects layer over one pool of the break mode, its
// break a bump pointer over a large MAP_NORESERVE reservation (anonymous
// memory reads as zero, as the pool's sbrk contract asks), its locks
// futex locks that know their holder; large blocks (from 128 KiB, a
// threshold that moves as glibc's) are mappings of their own ("Huge
// blocks").
//   HEAPLAB_STATS=1  one line of counts on stderr at exit, the proof that a
//                    program ran on heaplab; HEAPLAB_STATS=/a/file appends
//                    it to that file instead (a program may close stderr
//                    before it exits, as coreutils' sort does);
//   HEAPLAB_CHECK=1  the full check after every operation (slow).
// Init happens on the first call and calls nothing that allocates (mmap,
// getenv), so it cannot recurse; fork takes every lock first
// (pthread_atfork, from the first lock taken with two threads or more:
// plock_take), so the child's heap is whole.
//
// Each thread has its own cache (objects/cache.c), in initial-exec TLS: a
// small malloc, and a free of an object of a span the thread's cache owns,
// take no lock. A thread's first small malloc or free sets its cache up and
// registers a pthread key's destructor, which gives the cache's spans back
// to the central lists when the thread exits. Until then (the key being
// set may allocate) and after (other destructors may still free), the
// thread goes through the class locks. A forked child has one thread: it
// takes back what the caches of the threads it did not inherit held.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../objects/fast.h"

#define API	  __attribute__((visibility("default")))
#define POOL_LOCK HOBJ_NLOCK	  // the pool's lock, after the heap's
#define HUGE_LOCK (POOL_LOCK + 1) // the huge blocks' table, never held with another

// A lock: a futex word (0 free, 1 held, 2 held and waited for, Drepper's
// "Futexes Are Tricky" mutex 2) and its holder, the address of a TLS word
// of the holding thread's. Not a pthread mutex: that costs about a hundred
// instructions a lock and unlock, with pthread_self to record the holder,
// and the layer takes a lock on every free from another thread.
struct plock {
	int word;
	const void *owner; // &tself of the holder; valid while held
	int depth;	   // takes again by a forking holder (forking, below)
};

static struct plock locks[HOBJ_NLOCK + 2];
static struct heaplab_pool pool;
static struct hobj_heap heap;
static uintptr_t res_lo, res_hi, res_brk; // the reservation and its break
static uintptr_t res_rw;		  // [res_lo, res_rw) readable and writable
static int state;			  // 0 not set up, 1 being set up, 2 ready
static pthread_key_t cache_key;		  // its destructor flushes a thread's cache
static long nthread;			  // names the caches

// The thread's cache, and where it is in its life.
enum { T_NONE, T_SETUP, T_READY, T_GONE };
// One TLS block: malloc and free find both with one load of its offset.
// fast: the cache is ready and the heap is not checking, so malloc and
// free may take objects/fast.h's paths (one test for both).
static __thread struct {
	struct hobj_cache cache;
	int fast, state;
} tls __attribute__((tls_model("initial-exec")));
#define tcache tls.cache
#define tstate tls.state
#define tfast  tls.fast

static void say_fd(int fd, const char *s)
{
	size_t n = strlen(s);
	ssize_t k;

	while (n > 0 && (k = write(fd, s, n)) > 0) {
		s += k;
		n -= (size_t)k;
	}
}

static void say(const char *s)
{
	say_fd(2, s);
}

// die writes "heaplab: msg" and aborts, as glibc's malloc_printerr does.
static __attribute__((noreturn)) void die(const char *msg)
{
	say("heaplab: ");
	say(msg);
	say("\n");
	abort();
}

// tself's address names the calling thread (plock's owner).
static __thread char tself __attribute__((tls_model("initial-exec")));

static void futex(int *w, int op, int v)
{
	syscall(SYS_futex, w, op | FUTEX_PRIVATE_FLAG, v, NULL, NULL, 0);
}

static HEAPLAB_NOINLINE void plock_wait(struct plock *l)
{
	while (__atomic_exchange_n(&l->word, 2, __ATOMIC_ACQUIRE) != 0)
		futex(&l->word, FUTEX_WAIT, 2);
}

// The fork handlers (below) are registered by the first lock taken once
// the process has more than one thread, not at start-up: pthread_atfork
// faults in 128 KiB of the C library (a program run with setarch -R: 816
// KiB of libc resident as main starts without it, 944 with), and a
// program with one thread never needs them: no lock is held and no other
// cache exists at its forks. A lock taken while the process had one thread
// was let go before a second one was started (pthread_create clears
// __libc_single_threaded before it allocates), so that once a thread can
// fork while another holds a lock, the handlers are there: the holder
// registered them before it took the lock, or waited while another did.
// The handlers hold every lock from fork_prepare to fork_done, and other
// handlers run meanwhile: those registered before these (their prepare
// runs after fork_prepare, their parent and child handlers before
// fork_done) may call malloc and free. So while forking, the holder may
// take a lock it holds again (plock_take counts it in depth): every other
// thread is kept out, and no operation of the layer is under way in this
// one, so a whole operation nested there finds the heap as it was left.
static __thread char forking __attribute__((tls_model("initial-exec")));
static void fork_prepare(void);
static void fork_done(void);
static void fork_child(void);
static int atfork_state; // 0 not registered, 1 being registered, 2 registered
static __thread char registering __attribute__((tls_model("initial-exec")));

static HEAPLAB_NOINLINE void atfork_register(void)
{
	int zero = 0;

	if (registering) // its own malloc's locks
		return;
	if (__atomic_compare_exchange_n(&atfork_state, &zero, 1, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		registering = 1;
		if (pthread_atfork(fork_prepare, fork_done, fork_child) != 0)
			die("pthread_atfork failed: a fork could not be made safe");
		registering = 0;
		__atomic_store_n(&atfork_state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&atfork_state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}

static void plock_take(struct plock *l)
{
	int free = 0;

	if (!__libc_single_threaded &&
	    __builtin_expect(__atomic_load_n(&atfork_state, __ATOMIC_ACQUIRE) != 2, 0))
		atfork_register();
	if (!__atomic_compare_exchange_n(&l->word, &free, 1, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		if (forking && l->owner == &tself) { // another fork handler's malloc
			l->depth++;
			return;
		}
		plock_wait(l);
	}
	l->owner = &tself;
}

static void plock_give(struct plock *l)
{
	if (l->owner != &tself)
		die("lock released by a thread that does not hold it");
	if (l->depth != 0) {
		l->depth--;
		return;
	}
	l->owner = NULL;
	if (__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) == 2)
		futex(&l->word, FUTEX_WAKE, 1);
}

static int plock_holding(struct plock *l)
{
	return l->owner == &tself;
}

static void heap_lock(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	plock_take(&locks[lk]);
}

static void heap_unlock(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	plock_give(&locks[lk]);
}

static int heap_holding(struct hobj_heap *h, unsigned lk)
{
	(void)h;
	return plock_holding(&locks[lk]);
}

static void pool_lock(struct heaplab_pool *p)
{
	(void)p;
	plock_take(&locks[POOL_LOCK]);
}

static void pool_unlock(struct heaplab_pool *p)
{
	(void)p;
	plock_give(&locks[POOL_LOCK]);
}

static int pool_holding(struct heaplab_pool *p)
{
	(void)p;
	return plock_holding(&locks[POOL_LOCK]);
}

// res_brkfn is the reservation's brk: the pool is its only client, and
// calls it under the pool's lock. Memory is never given back to the break,
// so what it hands out is fresh anonymous memory: zero. The reservation is
// mapped with no access, which the kernel does not count against its
// commit limit; the break's pages are made writable as it passes them, a
// MiB at least at a time (RW_STEP). With vm.overcommit_memory 2 (strict)
// a writable reservation counted whole: each program's 64 GiB, or what the
// limit let it have, was charged at its first malloc, and the next fork
// anywhere on the machine failed. There a growth past the limit is refused,
// and malloc answers NULL.
#define RW_STEP ((uintptr_t)1 << 20)
static uintptr_t res_brkfn(uintptr_t addr)
{
	uintptr_t to;

	if (addr == 0)
		return res_brk;
	if (addr < res_lo || addr > res_hi)
		return HEAPLAB_BRK_FAIL;
	if (addr > res_rw) {
		to = addr - res_rw < RW_STEP ? res_rw + RW_STEP : addr;
		to = (to + HEAPLAB_PAGE - 1) & ~(uintptr_t)(HEAPLAB_PAGE - 1);
		if (to > res_hi)
			to = res_hi;
		if (mprotect((void *)res_rw, to - res_rw, PROT_READ | PROT_WRITE) != 0)
			return HEAPLAB_BRK_FAIL;
		res_rw = to;
	}
	res_brk = addr;
	return res_brk;
}

static uintptr_t res_sbrk(uintptr_t n, uintptr_t align, uintptr_t lo, uintptr_t hi)
{
	return heaplab_brk_sbrk(res_brkfn, n, align, lo, hi);
}

static const struct heaplab_ops pool_ops = {
    .sbrk = res_sbrk,
    .lock = pool_lock,
    .unlock = pool_unlock,
    .holding = pool_holding,
    .panic = die,
};

// thread_cache answers the calling thread's cache, setting it up on its
// first call (cache_setup); NULL while it is being set up and once the
// thread exits.
static HEAPLAB_NOINLINE struct hobj_cache *cache_setup(struct hobj_heap *h);

static struct hobj_cache *thread_cache(struct hobj_heap *h)
{
	if (__builtin_expect(tstate == T_READY, 1))
		return &tcache;
	return cache_setup(h);
}

static struct hobj_cache *cache_setup(struct hobj_heap *h)
{
	if (tstate != T_NONE)
		return NULL;
	tstate = T_SETUP;
	hobj_cache_init(h, &tcache, __atomic_add_fetch(&nthread, 1, __ATOMIC_RELAXED));
	if (pthread_setspecific(cache_key, &tcache) != 0) { // no destructor: no cache
		hobj_cache_fini(h, &tcache);
		tstate = T_GONE;
		return NULL;
	}
	tstate = T_READY;
	tfast = !h->checking;
	if (tfast)
		hobj_outbox_open(h, &tcache); // remote frees batched (objects.c, "The outbox")
	else
		hobj_fast_close(&tcache);
	return &tcache;
}

// thread_exit, the key's destructor: the cache's spans back to the classes.
static void thread_exit(void *cache)
{
	tstate = T_GONE;
	tfast = 0;
	hobj_cache_fini(&heap, cache);
}

static const struct hobj_ops heap_ops = {heap_lock, heap_unlock,  heap_holding,
					 die,	    thread_cache, NULL};

// strict_overcommit: is the kernel's vm.overcommit_memory 2, every
// writable page counted against the commit limit? Read with open and
// read: setup allocates nothing.
static int strict_overcommit(void)
{
	char c = 0;
	int fd = open("/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '2';
}

// setup reserves the address space (64 GiB, or less if refused) and sets
// up the pool and the heap on it. Under strict overcommit the reservation
// is 4 GiB at most: the page map, made writable whole at the start, is
// then 8 MiB of the commit limit, not 128 (objects of 128 KiB and more are
// mappings of their own, outside it). Under a limit on the address space
// (ulimit -v) it is a quarter of the limit at most: the largest that fit
// left the program too little for its own mappings (python3 under 200 MB
// could not map a 50 MB bytearray that it could on glibc).
static void setup(void)
{
	uintptr_t size = (uintptr_t)1 << (sizeof(void *) == 8 ? 36 : 30);
	const char *check = getenv("HEAPLAB_CHECK");
	void *p = MAP_FAILED;
	struct rlimit as;

	if (strict_overcommit() && size > ((uintptr_t)1 << 32))
		size = (uintptr_t)1 << 32;
	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY &&
	    size > as.rlim_cur / 4)
		size = (uintptr_t)(as.rlim_cur / 4) & ~(((uintptr_t)1 << 20) - 1);
	while (size >= ((uintptr_t)1 << 24)) {
		p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			 0); // made writable as the break grows (res_brkfn)
		if (p != MAP_FAILED)
			break;
		size >>= 1;
	}
	if (p == MAP_FAILED)
		die("cannot reserve address space for the heap");
	// No transparent huge pages in the reservation. Where the kernel's
	// setting is "always", the first touch of any 2 MiB stretch of it
	// would fault a whole huge page in: the page map's first entry, one
	// span, a program with a 100 KiB heap resident by 4 MiB more before
	// main (bench/objbench.c mixed: peak footprint 2.9x glibc's, against
	// 1.2x with this). A kernel without them refuses the advice: nothing
	// to do then.
	(void)madvise(p, size, MADV_NOHUGEPAGE);
	res_lo = res_brk = res_rw = (uintptr_t)p; // mmap answers whole pages
	res_hi = (uintptr_t)p + size;
	if (pthread_key_create(&cache_key, thread_exit) != 0)
		die("cannot create the threads' cache key");
	heaplab_init(&pool, &pool_ops, NULL, res_lo, res_hi, HEAPLAB_PAGE);
	pool.name = "libheaplab";
	// The reservation is fresh anonymous memory and the break only grows:
	// what the pool takes is zero. Not zeroing it again keeps untouched
	// pages untouched (the page map of a 64 GiB reservation is 128 MiB,
	// of which a program touches the entries of the pages it uses).
	pool.fresh_zero = 1;
	if (hobj_init(&heap, &pool, &heap_ops, locks) != HOBJ_OK)
		die("cannot set up the heap");
	heap.checking = check != NULL && strcmp(check, "1") == 0;
}

// ready sets the heap up on the first call from any thread; the others
// wait for it.
static inline void ready(void)
{
	int zero = 0;

	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&state, &zero, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		setup();
		__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}

// Huge blocks. A malloc or calloc of HUGE_MIN bytes or more is a mapping
// of its own, as glibc's above its mmap threshold, not pages of the pool:
// the pool zeroes every byte it takes back, and a program that asks for a
// large buffer and touches a part of it (sort asks for 385 MB on a 6 MB
// file) paid for zeroing it all, and had all of it resident. A mapping's
// untouched pages stay untouched and munmap drops them, and realloc moves
// one with mremap, copying nothing. The threshold moves as glibc's does
// (its malloc(3) "M_MMAP_THRESHOLD"): it starts at HUGE_START, and the
// free of a mapping of up to HUGE_TOP bytes raises it past that mapping's
// size, so that a program that allocates and frees blocks of one large
// size takes pages of the pool for them after the first, pages it keeps
// and reuses, where a mapping each time would fault every page in afresh
// (python3's script frees six blocks of 946,176 bytes in turn). A realloc
// that grows an object to HUGE_START or more moves it to a mapping above
// the threshold, as malloc would, and below it too if the spare (below)
// fits it (one that shrinks a huge block below HUGE_START moves it back
// into the pool): a buffer that grows by realloc grows again, and a
// mapping grows by mremap, where the pool would copy it into fresh pages
// each time. glibc grows such a buffer in place at the top of its heap;
// the pool cannot. sqlite3's script grows its sorter's buffer from 128 KiB
// to 2 MiB by doubling, twice: with a threshold of 1 MiB and no realloc
// rule, the pool's copies faulted in 1.5 MB more than glibc's run (1,585
// page faults against 1,195). Not below the threshold whatever the spare:
// a program that grows and frees such buffers over and over took a fresh
// mapping each time (four threads growing buffers of 50 to 750 KB took
// 3.9 s, 1.3 s now, 5.4 s with the pool alone, 0.5 s on glibc).
// The table finds a huge block by its address (open addressing, linear
// probing, backward-shift deletion: no tombstones), under HUGE_LOCK; a
// pointer neither in the pool nor in the table is refused as before. The
// table full (half its slots), a request goes to the pool. Alignment
// requests stay in the pool.
#define HUGE_START ((size_t)128 << 10) // glibc's DEFAULT_MMAP_THRESHOLD
#define HUGE_TOP   ((size_t)32 << 20)  // glibc's DEFAULT_MMAP_THRESHOLD_MAX (64-bit)
// HUGE_MIN, the threshold: raised under HUGE_LOCK, read without it (a
// stale value only sends one request the other way).
static size_t huge_min_bytes = HUGE_START;
#define HUGE_MIN   __atomic_load_n(&huge_min_bytes, __ATOMIC_RELAXED)
#define HUGE_SLOTS 4096u // a power of two

static struct huge_slot {
	uintptr_t p; // the mapping (page-aligned); 0: an empty slot
	size_t len;  // its bytes, whole pages
} huge[HUGE_SLOTS];
static uintptr_t huge_n, huge_bytes; // HUGE_LOCK
static uint64_t huge_nalloc, huge_nfree;
#define HUGE_FULL ((void *)1) // huge_alloc: use the pool (the table is full)

// The spare: the huge block freed last, if of HUGE_TOP bytes or less,
// still mapped (HUGE_LOCK; p 0: none). The next realloc that makes a huge
// block and fits in it takes it, the pages the program touched in it
// still resident: python3's script grows a list by realloc from 128 KiB
// to 784 KiB and frees it, again and again, and a new mapping each time
// faulted in about 3,000 pages more (13,952 page faults; 10,987 when the
// pool kept the lists, 13,381 on glibc). glibc keeps such memory at the
// top of its heap (its trim threshold); the spare is one block of it.
static struct huge_slot spare;

static unsigned huge_hash(uintptr_t p)
{
	return (unsigned)(((uint64_t)(p >> 12) * 0x9e3779b97f4a7c15ull) >> 52) & (HUGE_SLOTS - 1);
}

// huge_findl answers p's slot, or -1. HUGE_LOCK held.
static int huge_findl(uintptr_t p)
{
	unsigned i;

	for (i = huge_hash(p); huge[i].p != 0; i = (i + 1) & (HUGE_SLOTS - 1))
		if (huge[i].p == p)
			return (int)i;
	return -1;
}

static void huge_insertl(uintptr_t p, size_t len)
{
	unsigned i;

	for (i = huge_hash(p); huge[i].p != 0; i = (i + 1) & (HUGE_SLOTS - 1))
		;
	huge[i] = (struct huge_slot){p, len};
	huge_n++;
	huge_bytes += len;
}

// huge_deletel empties slot i and moves later entries of its run back, so
// that every entry stays reachable from its hash.
static void huge_deletel(unsigned i)
{
	unsigned j = i, k;

	huge_n--;
	huge_bytes -= huge[i].len;
	for (;;) {
		huge[i].p = 0;
		for (;;) {
			j = (j + 1) & (HUGE_SLOTS - 1);
			if (huge[j].p == 0)
				return;
			k = huge_hash(huge[j].p);
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue; // between the hole and itself: stays
			break;
		}
		huge[i] = huge[j];
		i = j;
	}
}

// huge_len answers n rounded up to whole pages, 0 if that overflows.
static size_t huge_len(size_t n)
{
	size_t pg = HEAPLAB_PAGE;

	return n > SIZE_MAX - pg ? 0 : (n + pg - 1) & ~(pg - 1);
}

// spare_takel answers the spare if len bytes fit in it, trimmed to at most
// twice len (a block that grows by realloc has room for one doubling; the
// rest goes back to the system), and forgets it; else NULL. *plen is the
// answer's bytes. HUGE_LOCK held.
static void *spare_takel(size_t len, size_t *plen)
{
	uintptr_t p = spare.p;

	if (p == 0 || spare.len < len)
		return NULL;
	*plen = spare.len;
	if (spare.len / 2 > len) {
		munmap((void *)(p + 2 * len), spare.len - 2 * len);
		*plen = 2 * len;
	}
	spare.p = 0;
	return (void *)p;
}

// huge_alloc answers a mapping of at least n bytes, NULL with errno
// ENOMEM, or HUGE_FULL (the pool's, then). With reuse (realloc, which
// need not zero) the spare if n fits in it, else, n below the threshold,
// HUGE_FULL; else a fresh mapping (zero). Only a realloc's n can fit: a
// malloc's or calloc's is above the threshold, which the free that made
// the spare raised past its size.
static void *huge_alloc(size_t n, int reuse)
{
	size_t len = huge_len(n), got = len;
	void *p = NULL;
	int full;

	if (len == 0 || len > PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (reuse) {
		plock_take(&locks[HUGE_LOCK]);
		full = huge_n >= HUGE_SLOTS / 2;
		if (!full && (p = spare_takel(len, &got)) != NULL) {
			huge_insertl((uintptr_t)p, got);
			huge_nalloc++;
		}
		plock_give(&locks[HUGE_LOCK]);
		if (p != NULL || full || n < HUGE_MIN)
			return p != NULL ? p : HUGE_FULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	plock_take(&locks[HUGE_LOCK]);
	full = huge_n >= HUGE_SLOTS / 2;
	if (!full) {
		huge_insertl((uintptr_t)p, len);
		huge_nalloc++;
	}
	plock_give(&locks[HUGE_LOCK]);
	if (full) {
		munmap(p, len);
		return HUGE_FULL;
	}
	return p;
}

// huge_size answers the bytes of the huge block at p, or 0 if p is not one.
static size_t huge_size(const void *p)
{
	size_t len = 0;
	int i;

	plock_take(&locks[HUGE_LOCK]);
	i = huge_findl((uintptr_t)p);
	if (i >= 0)
		len = huge[i].len;
	plock_give(&locks[HUGE_LOCK]);
	return len;
}

// huge_free makes the huge block at p the spare, or unmaps it, the spare
// before it unmapped: 1, or 0 if p is not one.
static int huge_free(void *p)
{
	struct huge_slot gone = {0, 0};
	size_t len = 0;
	int i;

	plock_take(&locks[HUGE_LOCK]);
	i = huge_findl((uintptr_t)p);
	if (i >= 0) {
		len = huge[i].len;
		huge_deletel((unsigned)i);
		huge_nfree++;
		// the next request of this size, or less, takes pages of the pool
		if (len >= huge_min_bytes && len <= HUGE_TOP)
			__atomic_store_n(&huge_min_bytes, len + 1, __ATOMIC_RELAXED);
		gone = (struct huge_slot){(uintptr_t)p, len};
		if (len <= HUGE_TOP) {
			gone = spare;
			spare = (struct huge_slot){(uintptr_t)p, len};
		}
	}
	plock_give(&locks[HUGE_LOCK]);
	if (gone.p != 0)
		munmap((void *)gone.p, gone.len);
	return i >= 0;
}

// huge_inside stops the program if p lies inside a huge block (not at its
// start), naming the block as the layer names an interior pointer's
// object; else it returns, and the layer refuses p.
static void huge_inside(const char *call, const void *p)
{
	uintptr_t a = (uintptr_t)p, base = 0, len = 0;
	char msg[200];
	unsigned i;

	plock_take(&locks[HUGE_LOCK]);
	for (i = 0; i < HUGE_SLOTS; i++)
		if (huge[i].p != 0 && a - huge[i].p < huge[i].len) {
			base = huge[i].p;
			len = huge[i].len;
		}
	plock_give(&locks[HUGE_LOCK]);
	if (len == 0)
		return;
	snprintf(msg, sizeof msg,
		 "%s(): invalid pointer %#lx: pointer inside an object, not at its start: the "
		 "huge block at %#lx (%lu bytes)",
		 call, (unsigned long)a, (unsigned long)base, (unsigned long)len);
	die(msg);
}

// in_pool: is p in the reservation (the pool's pages, or refused by it)?
static int in_pool(const void *p)
{
	return (uintptr_t)p - res_lo < res_hi - res_lo;
}

// huge_realloc moves the huge block p (old bytes) to n bytes: in place if
// n fits and wastes less than half, mremap for n of HUGE_START or more
// (the threshold left aside: a block that grew by realloc stays a
// mapping), else into the pool (copying n bytes).
static void *huge_realloc(void *p, size_t old, size_t n)
{
	size_t len = huge_len(n);
	void *q;
	int i;

	if (n >= HUGE_START && len <= old && len >= old / 2)
		return p; // as the spare taken, trimmed to twice the request
	if (n >= HUGE_START) {
		q = len != 0 && len <= PTRDIFF_MAX ? mremap(p, old, len, MREMAP_MAYMOVE)
						   : MAP_FAILED;
		if (q == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		plock_take(&locks[HUGE_LOCK]);
		i = huge_findl((uintptr_t)p);
		huge_deletel((unsigned)i);
		huge_insertl((uintptr_t)q, len);
		plock_give(&locks[HUGE_LOCK]);
		return q;
	}
	q = hobj_malloc(&heap, n);
	if (q != NULL) {
		memcpy(q, p, n);
		huge_free(p);
	}
	return q;
}

// malloc and free try the thread's cache alone first (a thread with a
// cache set up has seen the heap ready); the rest is out of line, so that
// the fast path saves no registers.
static HEAPLAB_NOINLINE void *malloc_slow(size_t n)
{
	void *p;

	if (tfast && n <= HOBJ_MAX_SMALL && (p = hobj_cache_malloc(&heap, &tcache, n)) != NULL)
		return p; // a refill of the thread's cache
	ready();
	if (n >= HUGE_MIN && (p = huge_alloc(n, 0)) != HUGE_FULL)
		return p;
	return hobj_malloc(&heap, n);
}

static HEAPLAB_NOINLINE void free_slow(void *p)
{
	if (tfast && hobj_cache_free(&heap, &tcache, p))
		return; // another thread's object, or a span that settles
	ready();
	if (!in_pool(p)) {
		if (huge_free(p))
			return;
		huge_inside("free", p);
	}
	hobj_free(&heap, p);
}

API void *malloc(size_t n)
{
	void *p;

	if (__builtin_expect(tfast, 1) && (p = hobj_fast_malloc(&heap, &tcache, n)) != NULL)
		return p;
	return malloc_slow(n);
}

// free_other: p, an object of s that is another thread's span (or the
// thread's own with objects on its remote list), into this thread's
// outbox, else the whole path. Apart from free_slow, which saves every
// register it uses: a free that goes to the outbox saves few.
static HEAPLAB_NOINLINE void free_other(void *p, struct hobj_span *s)
{
	if (!hobj_fast_remote_span(&heap, &tcache, s, p))
		free_slow(p);
}

// free reads p's page map entry once: a span of the thread's cache, the
// fast free (objects/fast.h, hobj_fast_free's steps); another thread's,
// free_other with the span in hand (an object freed by a thread other
// than the one that allocated it asked the page map twice, a seventh of
// xthread's instructions). While tcache's fast paths are closed,
// hobj_fast_page answers NULL and everything takes the whole path.
API void free(void *p)
{
	struct hobj_span *s = hobj_fast_page(&heap, &tcache, (uintptr_t)p);

	if (__builtin_expect(s != NULL, 1)) {
		if (__builtin_expect(!hobj_fast_kept(&tcache, s), 0)) {
			free_other(p, s);
			return;
		}
		if (hobj_fast_free_kept(&heap, &tcache, s, p))
			return;
	}
	if (p != NULL)
		free_slow(p);
}

API void *calloc(size_t nmemb, size_t size)
{
	size_t n;
	int zero;
	void *p;

	// the thread's cache first, as malloc: an object never handed out is
	// zero already (objects/objects.c, "Zero")
	if (__builtin_expect(tfast, 1) && !__builtin_mul_overflow(nmemb, size, &n) &&
	    (p = hobj_fast_alloc(&tcache, n, &zero)) != NULL) {
		if (!zero)
			memset(p, 0, n);
		return p;
	}
	ready();
	if (size != 0 && nmemb <= SIZE_MAX / size && nmemb * size >= HUGE_MIN &&
	    (p = huge_alloc(nmemb * size, 0)) != HUGE_FULL)
		return p; // a fresh mapping is zero
	return hobj_calloc(&heap, nmemb, size);
}

// realloc: a huge block moves by mremap (or into the pool when it
// shrinks below HUGE_START); an object of the pool that grows to HUGE_START
// or more may move to a huge block. A small object that must move to another
// class does so through malloc and free, the thread's cache first (the
// layer's hobj_realloc would take the whole paths). Anything else, a
// refusal included, is the layer's.
// move answers a small object of n bytes holding what p's old bytes hold
// (up to n), p freed, or NULL with p untouched: realloc across classes.
// With own, s is p's span, one of the thread's cache's with nothing on its
// remote list as realloc found it, and i p's index in it: the free needs no
// second page map lookup, unless the malloc's refill let another thread's
// free into s meanwhile (hobj_fast_kept): then free takes it. Inlined
// into its two callers: moved (no span known) and moved_own (realloc's
// own object, out of line).
static inline __attribute__((always_inline)) void *move(void *p, size_t old, size_t n,
							struct hobj_span *s, unsigned i, int own)
{
	void *q = malloc(n);

	if (q != NULL) {
		memcpy(q, p, old < n ? old : n);
		if (!own || tcache.fast_len == 0 || !hobj_fast_kept(&tcache, s) ||
		    !hobj_fast_give(&heap, &tcache, s, i, p))
			free(p);
	}
	return q;
}

static void *moved(void *p, size_t old, size_t n)
{
	return move(p, old, n, NULL, 0, 0);
}

static HEAPLAB_NOINLINE void *moved_own(void *p, struct hobj_span *s, unsigned i, size_t n)
{
	return move(p, s->size, n, s, i, 1);
}

// realloc_slow: every case but the thread's own small object, out of line
// as malloc_slow is.
static HEAPLAB_NOINLINE void *realloc_slow(void *p, size_t n)
{
	size_t old;
	void *q;

	ready();
	if (p != NULL && n - 1 < HOBJ_MAX_SMALL && in_pool(p) && !heap.checking &&
	    hobj_objsize(&heap, p, &old, NULL) == HOBJ_OK && old <= HOBJ_MAX_SMALL) {
		// old is its class's size
		return hobj_class_of(n) == hobj_class_of(old) ? p : moved(p, old, n);
	}
	if (p != NULL && !in_pool(p)) {
		old = huge_size(p);
		if (old != 0 && n == 0) { // realloc(p, 0) frees p, as glibc does
			huge_free(p);
			return NULL;
		}
		if (old != 0)
			return huge_realloc(p, old, n);
		huge_inside("realloc", p);
	}
	if (p != NULL && n >= HUGE_START && hobj_objsize(&heap, p, &old, NULL) == HOBJ_OK &&
	    old < n) {
		q = huge_alloc(n, 1);
		if (q == NULL)
			return NULL;
		if (q != HUGE_FULL) {
			memcpy(q, p, old);
			hobj_free(&heap, p);
			return q;
		}
	}
	return hobj_realloc(&heap, p, n);
}

API void *realloc(void *p, size_t n)
{
	struct hobj_span *s;
	unsigned i;

	if (n - 1 < HOBJ_MAX_SMALL &&
	    (s = hobj_fast_span(&heap, &tcache, (uintptr_t)p, &i)) != NULL &&
	    hobj_fast_live(s, i)) { // the thread's own: no lock
		return hobj_fast_class(n) == s->cls ? p : moved_own(p, s, i, n);
	}
	return realloc_slow(p, n);
}

API void *memalign(size_t align, size_t n)
{
	ready();
	return hobj_memalign(&heap, align, n);
}

API int posix_memalign(void **pp, size_t align, size_t n)
{
	ready();
	return hobj_posix_memalign(&heap, pp, align, n);
}

API void *aligned_alloc(size_t align, size_t n)
{
	ready();
	return hobj_aligned_alloc(&heap, align, n);
}

API void *valloc(size_t n)
{
	ready();
	return hobj_valloc(&heap, n);
}

API void *pvalloc(size_t n)
{
	ready();
	return hobj_pvalloc(&heap, n);
}

API size_t malloc_usable_size(void *p)
{
	size_t n;

	ready();
	if (p != NULL && !in_pool(p)) {
		if ((n = huge_size(p)) != 0)
			return n;
		huge_inside("malloc_usable_size", p);
	}
	return hobj_malloc_usable_size(&heap, p);
}

// Fork: the child must not inherit a lock another thread held mid-change.
// Every lock, in the heap's order (classes, large, store, then the pool),
// and the huge blocks' table.
static void fork_prepare(void)
{
	int k;

	ready();
	for (k = 1; k < HOBJ_NCLASS; k++)
		plock_take(&locks[k]);
	plock_take(&locks[HOBJ_LOCK_LARGE]);
	plock_take(&locks[HOBJ_LOCK_STORE]);
	plock_take(&locks[POOL_LOCK]);
	plock_take(&locks[HUGE_LOCK]);
	forking = 1;
}

static void fork_done(void)
{
	int k;

	forking = 0;
	plock_give(&locks[HUGE_LOCK]);
	plock_give(&locks[POOL_LOCK]);
	plock_give(&locks[HOBJ_LOCK_STORE]);
	plock_give(&locks[HOBJ_LOCK_LARGE]);
	for (k = HOBJ_NCLASS - 1; k >= 1; k--)
		plock_give(&locks[k]);
}

// fork_child: the other threads did not come along, and each may have
// stopped anywhere, halfway through a change of its cache's spans or
// lists: their caches are buried (hobj_cache_bury), not flushed (a flush
// of a half-changed list gave a span back to the pool twice, and the
// child stopped: "the pool refused pages back"). What they held goes to
// the classes, but for a span caught mid-change, which is heirs' for
// good (cache -1 in gdb: it never allocates, its fast paths closed).
static struct hobj_cache heirs;

static void fork_child(void)
{
	fork_done();
	if (heirs.self == NULL) {
		hobj_cache_init(&heap, &heirs, -1);
		hobj_fast_close(&heirs);
	}
	hobj_cache_bury(&heap, tstate == T_READY ? &tcache : NULL, &heirs);
}

static __attribute__((constructor)) void preload_init(void)
{
	ready();
}

// At exit, with HEAPLAB_STATS set: "heaplab: pid N: A allocations, F frees,
// U in use, S spans, L bytes in large objects", on stderr or to a file.
static __attribute__((destructor)) void preload_fini(void)
{
	const char *st = getenv("HEAPLAB_STATS");
	struct hobj_stats s;
	char line[200];
	int fd = 2;

	if (st == NULL || st[0] == '\0' || state != 2)
		return;
	if (strcmp(st, "1") != 0 &&
	    (fd = open(st, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		say("heaplab: cannot open HEAPLAB_STATS's file\n");
		return;
	}
	hobj_stats(&heap, &s);
	plock_take(&locks[HUGE_LOCK]); // huge blocks count as large objects
	s.nalloc += huge_nalloc;
	s.nfree += huge_nfree;
	s.inuse += huge_n;
	s.large_bytes += huge_bytes;
	plock_give(&locks[HUGE_LOCK]);
	snprintf(line, sizeof line,
		 "heaplab: pid %ld: %llu allocations, %llu frees, %lu in use, %lu spans, %lu bytes "
		 "in large objects\n",
		 (long)getpid(), (unsigned long long)s.nalloc, (unsigned long long)s.nfree,
		 (unsigned long)s.inuse, (unsigned long)s.nspan, (unsigned long)s.large_bytes);
	say_fd(fd, line);
	if (fd != 2)
		close(fd);
}
