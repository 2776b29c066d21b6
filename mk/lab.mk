# The lab (docs/lab): the host programs built with the student's free,
# the grader, and the heap pictures. Included by the top Makefile.
#   make lab [LAB_FREE=file]     build $(LAB_B)/ with LAB_FREE for mem/free.c
#   make grade [LAB_FREE=file]   grade it: part checks, unit tests, model, traces
#   make heapmap TRACE=file [PAGE=bytes] [HEAP=bytes] [STEP=n] [AT=n]   draw a replay

LAB_FREE   ?= lab/free.c
LAB_B      ?= $(B)/lab
LAB_TRACES ?= traces
LAB_PY     ?= /usr/bin/python3
LAB_SRCS   := $(filter-out mem/free.c $(MEM_FREE),$(HOST_SRCS)) $(LAB_FREE) lab/labrt.c
LAB_STAMP  := $(LAB_B)/free-path
LAB_DEPS   := $(LAB_SRCS) $(HOST_HDRS) lab/labrt.h $(LAB_STAMP)
LAB_UNIT   := $(wildcard tests/host/test_mem.c)
LAB_BINS   := $(LAB_B)/grade_free $(LAB_B)/replay $(LAB_B)/test_diff \
	      $(if $(LAB_UNIT),$(LAB_B)/test_mem)
# lab/labrt.c wraps mem_alloc and mem_free: a looping free stops its
# program within a second, saying so; and no leak reports at exit.
LAB_CC     := $(HOST_CC) $(filter-out -DMEM_INDEX=%,$(HOST_CFLAGS)) -DMEM_INDEX=0 $(HOST_SAN) -Imem \
	      -Wl,--wrap=mem_alloc,--wrap=mem_free

.PHONY: lab grade heapmap lab-force lab-deps

# Everything in $(LAB_B) is rebuilt when LAB_FREE names another file (and
# needs the host packages: gcc, cmocka).
$(LAB_STAMP): lab-force lab-deps
	@mkdir -p $(@D)
	@echo '$(abspath $(LAB_FREE))' | cmp -s - $@ || echo '$(abspath $(LAB_FREE))' > $@

$(LAB_B)/grade_free: lab/grade_free.c $(LAB_DEPS)
	$(LAB_CC) -o $@ $< $(LAB_SRCS)

$(LAB_B)/replay: tools/replay.c $(LAB_DEPS)
	$(LAB_CC) -o $@ $< $(LAB_SRCS)

$(LAB_B)/test_diff: tests/host/test_diff.c tests/host/lockstep.c tests/host/model.c $(LAB_DEPS)
	$(LAB_CC) -o $@ $(filter %.c,$^)

$(LAB_B)/test_mem: tests/host/test_mem.c tests/host/testutil.c $(LAB_DEPS)
	$(LAB_CC) -o $@ $(filter %.c,$^) -lcmocka

lab-deps:
	@tools/deps.sh host

lab: $(LAB_BINS)
	@echo "lab: built $(LAB_BINS) with $(LAB_FREE) for mem/free.c"

# The grader builds each program itself (a part whose program does not
# build scores 0) and prints a score per part, then the total.
grade: lab-deps
	@$(LAB_PY) tools/grade.py --free $(LAB_FREE) --build $(LAB_B) --traces $(LAB_TRACES)

# The replay prints its heap's base (--base), so that a failed check's
# title can quote offsets. STEP=n: the step view of operation n; AT=n: the
# overview with the free list just after operation n.
HEAPMAP_OUT ?= $(B)/heapmap$(if $(STEP),-step$(STEP))$(if $(AT),-at$(AT))
heapmap: $(B)/host/replay
	@test -n "$(TRACE)" || { echo "usage: make heapmap TRACE=file [PAGE=bytes] [HEAP=bytes] [STEP=n] [AT=n]" >&2; exit 2; }
	@tools/deps.sh plot
	@mkdir -p $(dir $(HEAPMAP_OUT))
	@st=0; $(B)/host/replay --base $(if $(PAGE),--page $(PAGE)) $(if $(HEAP),--heap $(HEAP)) \
		'$(TRACE)' > $(HEAPMAP_OUT).out || st=$$?; \
	if [ $$st = 2 ]; then echo "heapmap: the replay refused $(TRACE)" >&2; exit 2; fi; \
	echo "heapmap: replay output in $(HEAPMAP_OUT).out (status $$st)"
	@$(LAB_PY) tools/heapmap.py '$(TRACE)' $(HEAPMAP_OUT).out -o $(HEAPMAP_OUT) \
		$(if $(PAGE),--page $(PAGE)) $(if $(STEP),--step $(STEP)) $(if $(AT),--at $(AT))
