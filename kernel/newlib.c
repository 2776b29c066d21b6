// SPDX-License-Identifier: BSD-3-Clause
// newlib's porting layer: the system calls libc expects. _sbrk moves the
// same break as the allocator, through the break's owner (kernel/brk.c):
// newlib's own malloc calls it in a NEWLIB_MALLOC=1 image (the image's
// malloc is otherwise the objects layer's, kernel/kobj.c), and the
// self-test takes pages through it as another client of the break would.
// The console is the only file; everything else fails cleanly with errno
// set.
#include "kernel.h"
#include "../include/heaplab.h"

#include <errno.h>
#include <reent.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/types.h>

uintptr_t newlib_sbrk_bytes; // bytes the break moved for newlib (self-test)
uintptr_t newlib_sbrk_high;  // the most newlib_sbrk_bytes has been (bench)

static uintptr_t newlib_top; // the end of what newlib's latest sbrk took
static struct spinlock malloc_lock = SPINLOCK_INIT("newlib malloc");
static int malloc_depth; // newlib's malloc lock is recursive

// newlib's malloc calls these around malloc and free (NEWLIB_MALLOC=1; the
// objects layer takes its own locks), and _sbrk below: one CPU at a time
// inside.
void __malloc_lock(struct _reent *r)
{
	(void)r;
	push_off();
	if (spin_holding(&malloc_lock)) {
		malloc_depth++;
		pop_off();
		return;
	}
	pop_off();
	spin_lock(&malloc_lock);
	malloc_depth = 1;
}

void __malloc_unlock(struct _reent *r)
{
	(void)r;
	if (--malloc_depth == 0)
		spin_unlock(&malloc_lock);
}

// newlib_count adds delta to the bytes newlib holds of the break.
static void newlib_count(intptr_t delta)
{
	newlib_sbrk_bytes += (uintptr_t)delta;
	if (newlib_sbrk_bytes > newlib_sbrk_high)
		newlib_sbrk_high = newlib_sbrk_bytes;
}

// newlib_shrink gives the n bytes below newlib_top back to the break, if
// they are still its top. If someone took memory above them since (a pool
// on another CPU, between malloc_trim's look at the break and this call),
// they stay where they are, newlib's no more and no one else's: answering
// -1 would make malloc_trim take the bytes up to the new break, which are
// not its own.
static void *newlib_shrink(uintptr_t n)
{
	uintptr_t top = newlib_top;

	if (n <= top && kbrk_give(top - n, top) == 0) {
		newlib_top = top - n;
		newlib_count(-(intptr_t)n);
	}
	return (void *)top;
}

// _sbrk grows (or shrinks) newlib's heap by incr bytes, rounded to pages,
// and answers where the bytes start (when growing: the break, rounded up
// to a page) or -1 with errno set. It runs under newlib's malloc lock, as
// when malloc calls it; the break's owner makes each move one step
// against every other client (mem/'s pools) on any CPU.
void *_sbrk(ptrdiff_t incr)
{
	uintptr_t n = (uintptr_t)(incr < 0 ? -incr : incr), at;
	void *v;

	n = (n + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	__malloc_lock(NULL);
	if (incr == 0) {
		v = (void *)kbrk_now();
	} else if (incr < 0) {
		v = newlib_shrink(n);
	} else if (n == 0 || (at = kbrk_sbrk(n, PAGE_SIZE, 0, UINTPTR_MAX)) == HEAPLAB_BRK_FAIL) {
		errno = ENOMEM;
		v = (void *)-1;
	} else {
		newlib_top = at + n;
		newlib_count((intptr_t)n);
		v = (void *)at;
	}
	__malloc_unlock(NULL);
	return v;
}

int _write(int fd, const char *buf, int len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	if (len > 0)
		platform_console_write(buf, (size_t)len);
	return len;
}

int _read(int fd, char *buf, int len)
{
	(void)fd, (void)buf, (void)len;
	errno = EBADF;
	return -1;
}

int _open(const char *path, int flags, int mode)
{
	(void)path, (void)flags, (void)mode;
	errno = ENOENT;
	return -1;
}

int _close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

int _fstat(int fd, struct stat *st)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	st->st_mode = S_IFCHR;
	return 0;
}

int _isatty(int fd)
{
	return fd >= 0 && fd <= 2;
}

_off_t _lseek(int fd, _off_t off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}

int _kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = EINVAL;
	return -1;
}

int _getpid(void)
{
	return 1;
}

clock_t _times(struct tms *t)
{
	(void)t;
	errno = ENOSYS;
	return (clock_t)-1;
}

int _gettimeofday(void *tv, void *tz)
{
	(void)tv, (void)tz;
	errno = ENOSYS;
	return -1;
}

void _exit(int status)
{
	kexit(status);
}
