// SPDX-License-Identifier: BSD-3-Clause
// Stand-in for xv6-riscv's kernel/defs.h: the declarations of the files
// kalloc.c (and heaplab.c beside it) may call, with xv6's signatures.
struct spinlock;
struct cpu;

// kalloc.c
void *kalloc(void);
void kfree(void *);
void kinit(void);

// printf.c
void printf(char *, ...);
void panic(char *) __attribute__((noreturn));

// proc.c
int cpuid(void);
struct cpu *mycpu(void);

// spinlock.c
void acquire(struct spinlock *);
int holding(struct spinlock *);
void initlock(struct spinlock *, char *);
void release(struct spinlock *);
void push_off(void);
void pop_off(void);

// string.c (which also defines memcpy, undeclared here, for gcc's sake)
int memcmp(const void *, const void *, uint);
void *memmove(void *, const void *, uint);
void *memset(void *, int, uint);
char *safestrcpy(char *, const char *, int);
int strlen(const char *);
int strncmp(const char *, const char *, uint);
char *strncpy(char *, const char *, int);
