# SPDX-License-Identifier: BSD-3-Clause
# make bench: heaplab against glibc, jemalloc and newlib's nano-malloc on the
# same traces (bench/), its objects layer against those and mimalloc and
# tcmalloc on small-object workloads, then the QEMU figures; tables on
# stdout and in $(B)/bench.md. Included by the top Makefile after mk/host.mk.
# BENCH_RUNS: timed runs per figure (median taken; default 5).

BENCH_DIR      := $(B)/bench
BENCH_CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fno-omit-frame-pointer
# The trace driver's programs (every allocator's, on the page workloads)
# with link-time optimization, as the preload library has it: mem/'s files
# call one another across files (each lab replaces one of them), and a call
# between them saved registers and set a frame up that one file would not
# (make dist's amalgamation is one file). bench/objbench.c, one file
# calling a preloaded malloc, is built as before.
BENCH_LTO      := $(BENCH_CFLAGS) -flto=auto
BENCH_DRIVER   := bench/driver.c bench/load.c bench/scale.c
BENCH_HDRS     := bench/bench.h $(HOST_HDRS)
BENCH_ALLOCS   := heaplab-index heaplab-list heaplab-exact glibc jemalloc nano
BENCH_BINS     := $(BENCH_ALLOCS:%=$(BENCH_DIR)/bench-%) $(BENCH_DIR)/gen
# The small-object workloads (bench/objbench.c): one program for every
# malloc that can be preloaded (heaplab's libheaplab.so among them), one
# over newlib's nano-malloc.
OBJ_BENCH_BINS := $(BENCH_DIR)/objbench $(BENCH_DIR)/objbench-nano $(B)/host/libheaplab.so
NEWLIB_TARBALL ?= /usr/src/newlib/newlib-3.3.0.tar.xz
NANO_MALLOC    := */newlib/libc/stdlib/nano-mallocr.c
BENCH_RUNS     ?= 5

.PHONY: bench bench-build bench-deps bench-irqoff bench-smp bench-small bench-objects bench-pairs
bench: bench-build
	python3 bench/run.py --dir $(BENCH_DIR) --md $(B)/bench.md --runs $(BENCH_RUNS)

# The page layer on small blocks at granule 64 against glibc, instructions
# per operation (bench/small.py; also part of make bench).
BENCH_SMALL := $(BENCH_DIR)/bench-heaplab-g64 $(BENCH_DIR)/bench-glibc-g64 \
	       $(BENCH_DIR)/bench-glibc-calloc $(B)/host/replay
bench-small: $(BENCH_SMALL)
	python3 bench/small.py --dir $(BENCH_DIR)

# The small-object workloads and the real programs on heaplab's preload
# malloc against its peers (bench/objects.py; also part of make bench).
bench-objects: bench-build
	python3 bench/objects.py --dir $(BENCH_DIR) --md $(B)/bench-objects.md --runs $(BENCH_RUNS)

# Only the images' malloc/free pairs, the objects layer against newlib's own
# malloc (NEWLIB_MALLOC=1), under -icount (bench/qemu.py; also in make bench).
# BENCH_ARCHES: the targets (default all five; about half a minute each).
bench-pairs: $(BENCH_DIR)/gen | bench-deps
	python3 bench/qemu.py --dir $(BENCH_DIR) $(BENCH_ARCHES)

# The longest interrupts-off stretch per allocator operation, 4 KiB to
# 64 MiB, in guest instructions (bench/irqoff.py; also part of make bench).
bench-irqoff:
	python3 bench/irqoff.py

# The SMP stress with 1, 2 and 4 CPUs, one lock and the per-CPU page
# caches: ops/s, tick rate, lock statistics (bench/smp.py; also in make bench).
bench-smp:
	python3 bench/smp.py

bench-build: $(BENCH_BINS) $(BENCH_SMALL) $(OBJ_BENCH_BINS) $(B)/host/replay

bench-deps:
	@tools/deps.sh bench x86 arm gdb

# heaplab as the image has it but without the full check after every
# operation (MEM_DEBUG=0), which is a debugging aid, not the allocator:
# once with the placement index (the default), once with the list walk, and
# once with the index and the exact-free record on (heaplab_track), for
# what that record costs.
$(BENCH_DIR)/bench-heaplab-%: $(BENCH_DRIVER) bench/alloc-heaplab.c $(HOST_SRCS) $(BENCH_HDRS) \
			      | bench-deps
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_LTO) -DHEAPLAB_DEBUG=0 -DBENCH_INDEX=$(if $(filter list,$*),0,1) \
		-DBENCH_TRACK=$(if $(filter exact,$*),1,0) \
		-o $@ $(BENCH_DRIVER) bench/alloc-heaplab.c $(HOST_SRCS)

# The same two at granule 64, and glibc's calloc (malloc's 16-byte
# alignment), for bench/small.py.
$(BENCH_DIR)/bench-heaplab-g64: $(BENCH_DRIVER) bench/alloc-heaplab.c $(HOST_SRCS) $(BENCH_HDRS) \
				| bench-deps
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_LTO) -DHEAPLAB_DEBUG=0 -DBENCH_INDEX=1 -DBENCH_TRACK=0 -DBENCH_PAGE=64 \
		-o $@ $(BENCH_DRIVER) bench/alloc-heaplab.c $(HOST_SRCS)

$(BENCH_DIR)/bench-glibc-g64: $(BENCH_DRIVER) bench/alloc-libc.c bench/foot-glibc.c $(BENCH_HDRS) \
			      | bench-deps
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_LTO) -DBENCH_PAGE=64 -o $@ $(BENCH_DRIVER) bench/alloc-libc.c \
		bench/foot-glibc.c

$(BENCH_DIR)/bench-glibc-calloc: $(BENCH_DRIVER) bench/alloc-calloc.c bench/foot-glibc.c \
				 $(BENCH_HDRS) | bench-deps
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_LTO) -DBENCH_PAGE=16 -o $@ $(BENCH_DRIVER) bench/alloc-calloc.c \
		bench/foot-glibc.c

$(BENCH_DIR)/bench-glibc: $(BENCH_DRIVER) bench/alloc-libc.c bench/foot-glibc.c $(BENCH_HDRS) \
			  | bench-deps
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_LTO) -o $@ $(BENCH_DRIVER) bench/alloc-libc.c bench/foot-glibc.c

$(BENCH_DIR)/bench-jemalloc: $(BENCH_DRIVER) bench/alloc-libc.c bench/foot-jemalloc.c \
			     $(BENCH_HDRS) | bench-deps
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_LTO) -o $@ $(BENCH_DRIVER) bench/alloc-libc.c \
		bench/foot-jemalloc.c -ljemalloc

# nano-mallocr.c comes out of Debian's newlib-source at build time; nothing
# of newlib is in the tree. It is newlib's code, so its warnings are not ours.
$(BENCH_DIR)/nano/nano-mallocr.c: | bench-deps
	@mkdir -p $(BENCH_DIR)/nano
	tar -xJf $(NEWLIB_TARBALL) -O --wildcards '$(NANO_MALLOC)' > $@.tmp && mv $@.tmp $@

$(BENCH_DIR)/nano/nano-mallocr.o: $(BENCH_DIR)/nano/nano-mallocr.c bench/nano-shim.h
	$(HOST_CC) -std=gnu11 -O2 -g -w -fno-omit-frame-pointer -include bench/nano-shim.h \
		-DDEFINE_MALLOC -DDEFINE_FREE -DDEFINE_MEMALIGN -DDEFINE_REALLOC \
		-DDEFINE_MALLOC_USABLE_SIZE -c -o $@ $<

$(BENCH_DIR)/bench-nano: $(BENCH_DRIVER) bench/alloc-nano.c $(BENCH_DIR)/nano/nano-mallocr.o \
			 $(HOST_SRCS) $(BENCH_HDRS)
	$(HOST_CC) $(BENCH_LTO) -DHEAPLAB_DEBUG=0 -o $@ $(BENCH_DRIVER) bench/alloc-nano.c \
		$(BENCH_DIR)/nano/nano-mallocr.o $(HOST_SRCS)

$(BENCH_DIR)/objbench: bench/objbench.c bench/obj.h
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_CFLAGS) -pthread -o $@ bench/objbench.c

$(BENCH_DIR)/objbench-nano: bench/objbench.c bench/obj-nano.c bench/obj.h \
			    $(BENCH_DIR)/nano/nano-mallocr.o
	$(HOST_CC) $(BENCH_CFLAGS) -DOBJ_NANO -pthread -o $@ bench/objbench.c bench/obj-nano.c \
		$(BENCH_DIR)/nano/nano-mallocr.o

$(BENCH_DIR)/gen: bench/gen.c
	@mkdir -p $(@D)
	$(HOST_CC) $(BENCH_CFLAGS) -o $@ $<
