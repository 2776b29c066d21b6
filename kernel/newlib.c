// newlib's porting layer: the system calls libc expects. _sbrk moves the
// same break as the allocator, through the same brk trap; the console is
// the only file; everything else fails cleanly with errno set.
#include "kernel.h"

#include <errno.h>
#include <reent.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <sys/types.h>

uintptr_t newlib_sbrk_bytes; // bytes the break moved for newlib (self-test)
uintptr_t newlib_sbrk_high;  // the most newlib_sbrk_bytes has been (bench)

static void *sbrkl(ptrdiff_t incr);
static struct spinlock malloc_lock = SPINLOCK_INIT("newlib malloc");
static int malloc_depth; // newlib's malloc lock is recursive

// newlib calls these around malloc and free: one CPU at a time inside.
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

// _sbrk grows (or shrinks) newlib's heap by incr bytes, rounded to pages
// since the break is page-aligned; it answers the old break or -1. It
// reads and moves the break under mem_lock, as mem/'s sbrk does, so that
// the two users of the break never both take the same pages.
void *_sbrk(ptrdiff_t incr)
{
	void *v;

	spin_lock(&mem_lock);
	v = sbrkl(incr);
	spin_unlock(&mem_lock);
	return v;
}

static void *sbrkl(ptrdiff_t incr)
{
	uintptr_t old = brk_trap(0), want, got;
	uintptr_t n = (uintptr_t)(incr < 0 ? -incr : incr);

	n = (n + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	if (incr >= 0 && n > UINTPTR_MAX - old)
		want = ((uintptr_t)-1);
	else
		want = incr >= 0 ? old + n : old - (n <= old ? n : old);
	got = incr == 0 ? old : brk_trap(want);
	if (got == ((uintptr_t)-1)) {
		errno = ENOMEM;
		return (void *)-1;
	}
	newlib_sbrk_bytes += got - old;
	if (newlib_sbrk_bytes > newlib_sbrk_high)
		newlib_sbrk_high = newlib_sbrk_bytes;
	return (void *)old;
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
