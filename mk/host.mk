# SPDX-License-Identifier: BSD-3-Clause
# MEM_FREE, MEM_ALLOC, MEM_FIT: the lab swaps in a student's mem_freel,
# mem_allocl or mem_index_fit here (docs/lab). A student's free or alloc
# keeps only the list, so such a build leaves the placement index out
# (MEM_INDEX=0): every pool walks the list, as --list would. A student's
# fit is the index's own search, so that build keeps the index.
# MEM_REFS: the reference files a lab swaps out; MEM_SWAPPED: a student's, if any.
MEM_REFS    := mem/alloc.c mem/free.c mem/fit.c
MEM_FREE    ?= mem/free.c
MEM_ALLOC   ?= mem/alloc.c
MEM_FIT     ?= mem/fit.c
MEM_SWAPPED := $(filter-out $(MEM_REFS),$(MEM_ALLOC) $(MEM_FREE) $(MEM_FIT))
# $(call record,TEXT) as a recipe: writes TEXT into the target only when it
# differs, so that what depends on the target is rebuilt only then.
record = @echo '$(1)' | cmp -s - $@ || echo '$(1)' > $@
MEM_INDEX_DEFAULT := $(if $(filter-out mem/free.c mem/alloc.c,$(MEM_FREE) $(MEM_ALLOC)),0,1)
MEM_INDEX   ?= $(MEM_INDEX_DEFAULT)
HOST_CC     ?= cc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	       -DHEAPLAB_DEBUG=$(MEM_DEBUG) -DHEAPLAB_INDEX=$(MEM_INDEX)
HOST_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
MEM_SRCS    := mem/mem.c $(MEM_ALLOC) $(MEM_FREE) mem/index.c $(MEM_FIT) mem/avl.c mem/check.c mem/brk.c \
	       mem/track.c
RUNTIME_SRCS := runtime/sys.c # the seed's sys_alloc over one pool: a consumer of heaplab.h
REPLAY_SRCS := replay/replay.c # the trace engine, over the allocator
# The trace's object lines (malloc, mfree, realloc) over objects/: the tool
# and the image link it, with OBJ_SRCS (mk/objects.mk lists them).
REPLAY_OBJ_SRCS := replay/objects.c
HOST_SRCS   := $(MEM_SRCS) $(RUNTIME_SRCS) $(REPLAY_SRCS) arch/host/host.c
HOST_HDRS   := include/heaplab.h runtime/sys.h mem/internal.h mem/avl.h mem/avl_augment.h replay/replay.h arch/host/host.h

$(B)/host/replay: tools/replay.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tools/replay.c $(HOST_SRCS) $(REPLAY_OBJ_SRCS) $(OBJ_SRCS)

# make host SAN=1 also builds build/host-san/replay with ASan and UBSan
# (clean runs exit with the tool's own status; a sanitizer report exits 99).
$(B)/host-san/replay: tools/replay.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ tools/replay.c $(HOST_SRCS) $(REPLAY_OBJ_SRCS) \
		$(OBJ_SRCS)
