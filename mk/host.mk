# Host programs: the real mem/ code built for this machine (make host).

# MEM_FREE: the lab swaps in a student's mem_freel here (docs/lab). A
# student's free keeps only the list, so such a build leaves the placement
# index out (MEM_INDEX=0): every pool walks the list, as --list would.
MEM_FREE    ?= mem/free.c
MEM_INDEX   ?= $(if $(filter mem/free.c,$(MEM_FREE)),1,0)
HOST_CC     ?= cc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fno-omit-frame-pointer \
	       -DMEM_DEBUG=$(MEM_DEBUG) -DMEM_INDEX=$(MEM_INDEX)
HOST_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
MEM_SRCS    := mem/mem.c $(MEM_FREE) mem/index.c mem/avl.c mem/check.c mem/brk.c mem/sys.c
REPLAY_SRCS := replay/replay.c # the trace engine, over the allocator
HOST_SRCS   := $(MEM_SRCS) $(REPLAY_SRCS) arch/host/host.c
HOST_HDRS   := mem/mem.h mem/internal.h mem/avl.h mem/avl_augment.h replay/replay.h arch/host/host.h

$(B)/host/replay: tools/replay.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tools/replay.c $(HOST_SRCS)

# make host SAN=1 also builds build/host-san/replay with ASan and UBSan
# (clean runs exit with the tool's own status; a sanitizer report exits 99).
$(B)/host-san/replay: tools/replay.c $(HOST_SRCS) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ tools/replay.c $(HOST_SRCS)
