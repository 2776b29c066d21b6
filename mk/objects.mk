# SPDX-License-Identifier: BSD-3-Clause
# The objects layer (objects/): its unit tests, and the host malloc real
# programs run on, build/host/libheaplab.so (make preload), loaded with
# LD_PRELOAD. Included by the top Makefile after mk/hosttest.mk.
#   HEAPLAB_STATS=1  the library writes a line of counts to stderr at exit
#   HEAPLAB_CHECK=1  the full check after every operation (slow)

# OBJ_SPAN: lab 8 swaps in a student's span functions here (docs/lab/8-spans.md):
# make OBJ_SPAN=lab/span.c builds the host programs and the image with them.
OBJ_SPAN ?= objects/span.c
OBJ_BASE := objects/objects.c objects/cache.c objects/check.c objects/malloc.c
OBJ_SRCS := $(OBJ_BASE) $(OBJ_SPAN)
OBJ_HDRS := objects/objects.h objects/internal.h objects/fast.h objects/sizeclasses.h include/heaplab.h
# The replay tool runs a trace's object lines on the layer (mk/host.mk).
$(B)/host/replay $(B)/host-san/replay: $(REPLAY_OBJ_SRCS) $(OBJ_SRCS) $(OBJ_HDRS)
# The library is the allocator, not a debugging aid: the pool without its
# check after every operation (HEAPLAB_DEBUG=0, which would zero-scan every
# free byte), the objects layer's check compiled in but switched off until
# HEAPLAB_CHECK=1. Only the C names leave the library.
PRELOAD_CFLAGS := -std=gnu11 -O2 -finline-limit=300 -g -Wall -Wextra -Werror -fno-omit-frame-pointer -fPIC \
	-fvisibility=hidden -fno-semantic-interposition -flto -DHEAPLAB_DEBUG=0 -DHOBJ_DEBUG=1
# A lab's span.c in place of objects/span.c: objects/fast.h calls it rather
# than its own inlined take and give, so that the student's code serves.
PRELOAD_CFLAGS += $(if $(filter-out objects/span.c,$(OBJ_SPAN)),-DHOBJ_INLINE_SPAN=0)
PRELOAD_SRCS := arch/host/preload.c $(OBJ_SRCS) $(MEM_SRCS)

.PHONY: preload
preload: $(B)/host/libheaplab.so $(B)/host/xfree $(B)/host/forkthreads

# Linked under a name of its own and renamed: a program preloading it (a
# test on another worker) never sees half a library.
# What OBJ_SPAN the host programs were built with: another rebuilds them.
OBJ_STAMP := $(B)/host/obj-span
.PHONY: obj-force
obj-force:
$(OBJ_STAMP): obj-force
	@mkdir -p $(@D)
	$(call record,$(abspath $(OBJ_SPAN)))

$(B)/host/libheaplab.so: $(PRELOAD_SRCS) $(OBJ_HDRS) mem/internal.h mem/avl.h mem/avl_augment.h \
			 $(OBJ_STAMP)
	@mkdir -p $(@D)
	$(HOST_CC) $(PRELOAD_CFLAGS) -shared -o $@.$$$$ $(PRELOAD_SRCS) -pthread && mv $@.$$$$ $@

# Host programs of tests/test_objects.py: xfree, four threads each freeing
# what another allocated; forkthreads, fork while three threads allocate
# and free.
$(B)/host/xfree $(B)/host/forkthreads: $(B)/host/%: tests/%.c
	@mkdir -p $(@D)
	$(HOST_CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -o $@ $< -pthread

$(B)/host/test_objects: $(HT)/test_objects.c $(HT)/testutil.c $(HT_DEPS) $(OBJ_SRCS) $(OBJ_HDRS) \
			$(OBJ_STAMP)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ $< $(HT)/testutil.c $(HOST_SRCS) $(OBJ_SRCS) \
		-lcmocka
