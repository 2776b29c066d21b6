# SPDX-License-Identifier: BSD-3-Clause
# The labs (docs/lab): the host programs built with a student's file in
# place of one of mem/'s, the graders, the self-checks and the heap
# pictures. Included by the top Makefile.
#   make lab [LAB=free|alloc|index|span|pcp] [LAB_FREE=file] [LAB_ALLOC=file] [LAB_FIT=file]
#            [LAB_SPAN=file] [LAB_PCP=file]
#                                build $(LAB_B)/ with the student's file
#   make grade [LAB=...] [PART=words] [CASE=part/name|list] [FORMAT=json [RESULTS=file]] [V=1]
#                                grade it: a score per part, out of 100
#                                (PART: only the parts whose name holds the words;
#                                CASE: one case alone, or list: every case's name;
#                                FORMAT=json: also the Gradescope results file,
#                                RESULTS, $(LAB_B)/results.json unless given;
#                                V=1: every failure with its evidence)
#   make check-lab N=1..9 [ANSWERS=file] [LOG=file]   check a lab's answers
#   make handin LAB=1..9|free|alloc|index|span|pcp [FILE=] [ANSWERS=] [TIMELOG=] [OUT=]
#                                pack a lab's hand-in (tools/handin.py)
#   make handout DIR=dir [LAB=free|alloc|index|span|pcp] [GIT=1]   a student's copy of the
#                                tree, the lab's reference replaced by its stub
#                                (tools/handout.py)
#   make heapmap TRACE=file [PAGE=bytes] [HEAP=bytes] [STEP=n] [AT=n]   draw a replay
#
# LAB names the lab, and with it the file swapped in (free: LAB_FREE for
# mem/free.c, lab 3; alloc: LAB_ALLOC for mem/alloc.c, lab 6; index:
# LAB_FIT for mem/fit.c, lab 7; span: LAB_SPAN for objects/span.c, lab 8;
# pcp: LAB_PCP for kernel/pcp.c, lab 9, the image) and where it is built
# (build/lab, build/lab-alloc, build/lab-index, build/lab-span,
# build/lab-pcp). The free and alloc labs keep every pool on the list walk
# (MEM_INDEX=0); the index lab is the index's search. The span lab's
# programs are the objects layer's on mem/ as it is.

LAB        ?= free
LAB_NAMES  := free alloc index span pcp
LAB_FREE   ?= lab/free.c
LAB_ALLOC  ?= lab/alloc.c
LAB_FIT    ?= lab/fit.c
LAB_SPAN   ?= lab/span.c
LAB_PCP    ?= lab/pcp.c
LAB_REF_free   := mem/free.c
LAB_REF_alloc  := mem/alloc.c
LAB_REF_index  := mem/fit.c
LAB_REF_span   := objects/span.c
LAB_REF_pcp    := kernel/pcp.c
LAB_FILE_free  := $(LAB_FREE)
LAB_FILE_alloc := $(LAB_ALLOC)
LAB_FILE_index := $(LAB_FIT)
LAB_FILE_span  := $(LAB_SPAN)
LAB_FILE_pcp   := $(LAB_PCP)
LAB_IDX_free   := 0
LAB_IDX_alloc  := 0
LAB_IDX_index  := 1
LAB_IDX_span   := 1
LAB_PROGS_free  := grade_free judge_free replay replay-ref test_diff test_mem
LAB_PROGS_alloc := grade_alloc judge_alloc replay replay-ref test_diff test_mem
LAB_PROGS_index := grade_index judge_index replay replay-ref test_diff
LAB_PROGS_span  := grade_span judge_span test_objects
LAB_PROGS_pcp   := image
# The operation that runs the student's code (lab/labrt.h), which the
# judges take from a run's records instead of running it.
LAB_OP_free  := LAB_OP_FREE
LAB_OP_alloc := LAB_OP_ALLOC
LAB_OP_index := LAB_OP_FIT
LAB_OP_span  := LAB_OP_SPAN
LAB_FILE   := $(LAB_FILE_$(LAB))
# make cannot take a path with a space as one prerequisite: building the lab
# from such a file stops here, saying so (make grade and tools/grade.py take
# any path: they build through a link to it).
ifneq ($(filter-out 0 1,$(words $(LAB_FILE))),)
ifneq ($(filter lab $(LAB_B)/%,$(MAKECMDGOALS)),)
$(error the lab's file "$(LAB_FILE)" has a space in its path, which make cannot build from: copy it to a path without one, or grade it with make grade or tools/grade.py, which take any path)
endif
endif
LAB_B      ?= $(B)/lab$(if $(filter-out free,$(LAB)),-$(LAB))
LAB_TRACES ?= traces
LAB_PY     ?= /usr/bin/python3
# The span lab: the objects layer but its span.c, and the wrappers of the
# student's three functions (lab/spanrt.c; the judge's, lab/spanplay.c).
LAB_MORE_span  := $(OBJ_BASE) lab/spanrt.c
LAB_JUDGE_span := $(OBJ_BASE) objects/span.c lab/spanplay.c
LAB_WRAP_span  := ,--wrap=hobj_span_take,--wrap=hobj_span_find,--wrap=hobj_span_give
# The sources every lab shares, then the reference's (replay-ref) and the
# student's build.
LAB_BASE   := $(filter-out $(MEM_ALLOC) $(MEM_FREE) $(MEM_FIT),$(HOST_SRCS))
LAB_REFS   := $(MEM_REFS)
LAB_SRCS   := $(LAB_BASE) $(filter-out $(LAB_REF_$(LAB)),$(LAB_REFS)) $(LAB_FILE) lab/labrt.c \
	      $(LAB_MORE_$(LAB))
# Two stamps say what $(LAB_B) was built for: lab-kind the lab and its flags
# (every object and replay-ref), lab-file the student's file (its object).
# Another file in the same directory recompiles that file alone.
LAB_KIND   := $(LAB_B)/lab-kind
LAB_STAMP  := $(LAB_B)/lab-file
LAB_UNIT   := $(wildcard tests/host/test_mem.c)
LAB_BINS   := $(addprefix $(LAB_B)/,$(filter-out $(if $(LAB_UNIT),,test_mem),$(LAB_PROGS_$(LAB))))
# lab/labrt.c wraps heaplab_alloc and heaplab_free: a looping operation stops its
# program within a second, saying so; and no leak reports at exit.
LAB_CFLAGS := $(filter-out -DHEAPLAB_INDEX=%,$(HOST_CFLAGS)) -DHEAPLAB_INDEX=$(LAB_IDX_$(LAB))
LAB_CC     := $(HOST_CC) $(LAB_CFLAGS) -DLAB_OP=$(LAB_OP_$(LAB)) $(HOST_SAN) -Imem -Iobjects
LAB_LINK   := -Wl,--wrap=heaplab_alloc,--wrap=heaplab_free,--wrap=mem_index_fit$(LAB_WRAP_$(LAB))
# Each source is compiled once into $(LAB_B)/obj, and every program links
# the objects it needs: the student's file is $(LAB_B)/obj/lab-file.o.
LAB_OBJ    := $(LAB_B)/obj
lab_objs    = $(patsubst %.c,$(LAB_OBJ)/%.o,$(filter-out $(LAB_FILE),$(1))) \
	      $(if $(filter $(LAB_FILE),$(1)),$(LAB_OBJ)/lab-file.o)
LAB_OBJS   := $(call lab_objs,$(LAB_SRCS))
LAB_HDRS   := $(HOST_HDRS) lab/labrt.h lab/gradelib.h $(wildcard tests/host/*.h) $(OBJ_HDRS) \
	      lab/spanrec.h

.PHONY: lab grade check-lab handin handout heapmap lab-force lab-deps lab-name

lab-name:
	@case ' $(LAB_NAMES) ' in *' $(LAB) '*) ;; \
	*) echo "make: unknown LAB=$(LAB) (want free, alloc, index, span or pcp)" >&2; exit 2 ;; esac

# Everything in $(LAB_B) is rebuilt when the lab changes, the student's
# object and the programs when the file does (and needs the host packages:
# gcc, cmocka).
$(LAB_KIND): lab-force lab-deps lab-name
	@mkdir -p $(@D)
	$(call record,$(LAB) $(LAB_CC) $(LAB_LINK))

$(LAB_STAMP): lab-force lab-deps lab-name
	@mkdir -p $(@D)
	$(call record,$(abspath $(LAB_FILE)))

$(LAB_OBJ)/lab-file.o: $(LAB_FILE) $(LAB_HDRS) $(LAB_KIND) $(LAB_STAMP)
	@mkdir -p $(@D)
	$(LAB_CC) -c -o $@ $<

$(LAB_OBJ)/%.o: %.c $(LAB_HDRS) $(LAB_KIND)
	@mkdir -p $(@D)
	$(LAB_CC) -c -o $@ $<

$(LAB_B)/grade_%: $(call lab_objs,lab/grade_%.c lab/gradelib.c) $(LAB_OBJS)
	$(LAB_CC) $(LAB_LINK) -o $@ $^

# The judges (lab/labplay.c): the part checks built from mem/'s own files,
# the student's nowhere in them, to decide each case from a run's records.
$(LAB_B)/judge_%: $(call lab_objs,lab/grade_%.c lab/gradelib.c lab/labplay.c $(LAB_BASE) $(LAB_REFS) \
		   $(LAB_JUDGE_$(LAB)))
	$(LAB_CC) $(LAB_LINK) -o $@ $^

# The replay audits the heap after each operation (lab/audit.c).
$(LAB_B)/replay: $(call lab_objs,tools/replay.c lab/audit.c) $(LAB_OBJS)
	$(LAB_CC) $(LAB_LINK) -o $@ $^

# The reference, for the random traces: mem/ as it is, on the list walk or
# the index as the lab's own build is, without the sanitizers.
$(LAB_B)/replay-ref: tools/replay.c $(LAB_BASE) $(LAB_REFS) $(HOST_HDRS) $(LAB_KIND)
	$(HOST_CC) $(LAB_CFLAGS) -o $@ $< $(LAB_BASE) $(LAB_REFS)

$(LAB_B)/test_diff: $(call lab_objs,tests/host/test_diff.c tests/host/lockstep.c tests/host/model.c) $(LAB_OBJS)
	$(LAB_CC) $(LAB_LINK) -o $@ $^

$(LAB_B)/test_mem: $(call lab_objs,tests/host/test_mem.c tests/host/testutil.c) $(LAB_OBJS)
	$(LAB_CC) $(LAB_LINK) -o $@ $^ -lcmocka

# The objects layer's own unit tests, with the student's span functions.
$(LAB_B)/test_objects: $(call lab_objs,tests/host/test_objects.c tests/host/testutil.c) $(LAB_OBJS)
	$(LAB_CC) $(LAB_LINK) -o $@ $^ -lcmocka

lab-deps:
	@tools/deps.sh host

# Lab 9's program is the image itself (amd64), built with the student's
# file as KERNEL_PCP into $(LAB_B)/amd64; $(LAB_B)/image names that build.
# The file reaches make through the environment, never the recipe's text.
$(LAB_B)/image: export HEAPLAB_FILE = $(LAB_FILE)
$(LAB_B)/image: lab-force lab-name
	@+$(MAKE) -s --no-print-directory ARCH=amd64 KERNEL_PCP="$$HEAPLAB_FILE" \
		IMG_OBJ=$(LAB_B)/amd64 IMG=$(LAB_B)/amd64 $(LAB_B)/amd64/kernel32.elf

lab: lab-name $(LAB_BINS)
	@echo "lab: built $(LAB_BINS) with $(LAB_FILE) for $(LAB_REF_$(LAB))"

# The recipes below take paths and words from the command line; they reach
# them through the environment (HEAPLAB_*), never pasted into the recipe's
# text, so that the shell reads none of them (LOG="bob's.log").

# The grader builds each program itself (a part whose program does not
# build scores 0) and prints a score per part, then the total.
grade: export HEAPLAB_FILE = $(LAB_FILE)
grade: export HEAPLAB_BUILD = $(LAB_B)
grade: export HEAPLAB_TRACES = $(LAB_TRACES)
grade: export HEAPLAB_PART = $(value PART)
grade: export HEAPLAB_CASE = $(value CASE)
grade: export HEAPLAB_FORMAT = $(value FORMAT)
grade: export HEAPLAB_RESULTS = $(or $(value RESULTS),$(LAB_B)/results.json)
grade: export HEAPLAB_V = $(value V)
grade: lab-name lab-deps
	@set --; case "$$HEAPLAB_FORMAT" in ''|text) ;; json) set -- --results "$$HEAPLAB_RESULTS" ;; \
	*) echo "make: unknown FORMAT=$$HEAPLAB_FORMAT (want text or json)" >&2; exit 2 ;; esac; \
	exec $(LAB_PY) tools/grade.py --lab $(LAB) --file "$$HEAPLAB_FILE" --build "$$HEAPLAB_BUILD" \
		--traces "$$HEAPLAB_TRACES" $${HEAPLAB_PART:+--part "$$HEAPLAB_PART"} \
		$${HEAPLAB_CASE:+--case "$$HEAPLAB_CASE"} $${HEAPLAB_V:+-v} "$$@"

# The labs' self-checks: the answers in lab/answers-N.txt
# against what the programs print (tools/checklab.py).
check-lab: export HEAPLAB_N = $(value N)
check-lab: export HEAPLAB_ANSWERS = $(value ANSWERS)
check-lab: export HEAPLAB_LOG = $(value LOG)
check-lab:
	@test -n "$$HEAPLAB_N" || { echo "usage: make check-lab N=1..9 [ANSWERS=file] [LOG=file]" >&2; exit 2; }
	@$(LAB_PY) tools/checklab.py "$$HEAPLAB_N" $${HEAPLAB_ANSWERS:+--answers "$$HEAPLAB_ANSWERS"} \
		$${HEAPLAB_LOG:+--log "$$HEAPLAB_LOG"}

# One lab's hand-in: the student's file, the answers and a time log, in
# one archive; a missing file is named, exit 2, nothing written.
handin: export HEAPLAB_LABNO = $(value LAB)
handin: export HEAPLAB_FILE = $(value FILE)
handin: export HEAPLAB_ANSWERS = $(value ANSWERS)
handin: export HEAPLAB_TIMELOG = $(value TIMELOG)
handin: export HEAPLAB_OUT = $(value OUT)
handin:
	@test -n "$$HEAPLAB_LABNO" -a "$(origin LAB)" != file || { echo "usage: make handin LAB=1..9|free|alloc|index|span|pcp [FILE=file] [ANSWERS=file] [TIMELOG=file] [OUT=file]" >&2; exit 2; }
	@exec $(LAB_PY) tools/handin.py "$$HEAPLAB_LABNO" $${HEAPLAB_FILE:+--file "$$HEAPLAB_FILE"} \
		$${HEAPLAB_ANSWERS:+--answers "$$HEAPLAB_ANSWERS"} \
		$${HEAPLAB_TIMELOG:+--time-log "$$HEAPLAB_TIMELOG"} $${HEAPLAB_OUT:+--out "$$HEAPLAB_OUT"}

handout: export HEAPLAB_DIR = $(value DIR)
handout: export HEAPLAB_GIT = $(value GIT)
handout: lab-name
	@test -n "$$HEAPLAB_DIR" || { echo "usage: make handout DIR=dir [LAB=free|alloc|index|span|pcp] [GIT=1]" >&2; exit 2; }
	@exec $(LAB_PY) tools/handout.py "$$HEAPLAB_DIR" --lab $(LAB) $${HEAPLAB_GIT:+--git}

# The replay prints its heap's base (--base), so that a failed check's
# title can quote offsets. STEP=n: the step view of operation n; AT=n: the
# overview with the free list just after operation n.
# A trace whose path starts with - gets ./, so that no tool takes it for a
# flag.
HEAPMAP_OUT ?= $(B)/heapmap$(if $(STEP),-step$(STEP))$(if $(AT),-at$(AT))
heapmap: export HEAPLAB_TRACE = $(value TRACE)
heapmap: export HEAPLAB_OUT = $(HEAPMAP_OUT)
heapmap: export HEAPLAB_PAGE = $(value PAGE)
heapmap: export HEAPLAB_HEAP = $(value HEAP)
heapmap: export HEAPLAB_STEP = $(value STEP)
heapmap: export HEAPLAB_AT = $(value AT)
heapmap: $(B)/host/replay
	@test -n "$$HEAPLAB_TRACE" || { echo "usage: make heapmap TRACE=file [PAGE=bytes] [HEAP=bytes] [STEP=n] [AT=n]" >&2; exit 2; }
	@tools/deps.sh plot
	@t=$$HEAPLAB_TRACE out=$$HEAPLAB_OUT; \
	case $$t in -*) t=./$$t ;; esac; \
	case $$out in -*) out=./$$out ;; esac; \
	mkdir -p -- "$$(dirname -- "$$out")" || exit 2; \
	st=0; $(B)/host/replay --base $${HEAPLAB_PAGE:+--page "$$HEAPLAB_PAGE"} \
		$${HEAPLAB_HEAP:+--heap "$$HEAPLAB_HEAP"} "$$t" > "$$out.out" || st=$$?; \
	if [ $$st = 2 ]; then rm -f -- "$$out.out"; echo "heapmap: the replay refused $$HEAPLAB_TRACE" >&2; exit 2; fi; \
	echo "heapmap: replay output in $$out.out (status $$st)"; \
	exec $(LAB_PY) tools/heapmap.py "$$t" "$$out.out" -o "$$out" \
		$${HEAPLAB_PAGE:+--page "$$HEAPLAB_PAGE"} $${HEAPLAB_STEP:+--step "$$HEAPLAB_STEP"} \
		$${HEAPLAB_AT:+--at "$$HEAPLAB_AT"}
