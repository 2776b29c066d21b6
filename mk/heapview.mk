# SPDX-License-Identifier: BSD-3-Clause
# The interactive heap viewer (docs/heapview.md): one self-contained HTML
# page per replay or gdb snapshot. Included by the top Makefile.
#   make heapview TRACE=file [LAB=free|alloc|index] [PAGE=bytes] [HEAP=bytes] [OUT=file.html]
#   make heapview SNAPSHOT=file.json [OUT=file.html]     (from gdb's `heap dump`)

HEAPVIEW_PY  ?= /usr/bin/python3
# LAB= on the command line views the student's build (mk/lab.mk: the
# lab's replay, $(LAB_B)/replay, with the student's file), with the full
# check after every operation, so that a broken heap stops the page at the
# operation that broke it; else the reference, build/host/replay.
HEAPVIEW_LAB := $(filter command line environment override,$(origin LAB))
HEAPVIEW_REPLAY := $(if $(HEAPVIEW_LAB),$(LAB_B)/replay,$(B)/host/replay)

.PHONY: heapview

# The replay prints its heap's base (--base), so that a failed check's
# addresses become offsets on the page.
# The variables reach the recipe through its environment, never pasted into
# its text, so a path may hold any character (TRACE="bob's.trace") and none
# is read by the shell; one that starts with - gets ./ so that no tool takes
# it for a flag. The page goes to OUT, by default build/heapview/NAME.html, with
# the replay's steps beside it (NAME.steps).
heapview: export HEAPLAB_TRACE = $(value TRACE)
heapview: export HEAPLAB_SNAPSHOT = $(value SNAPSHOT)
heapview: export HEAPLAB_OUT = $(value OUT)
heapview: export HEAPLAB_PAGE = $(value PAGE)
heapview: export HEAPLAB_HEAP = $(value HEAP)
heapview: $(B)/host/replay $(HEAPVIEW_REPLAY)
	@src=$${HEAPLAB_TRACE:-$$HEAPLAB_SNAPSHOT}; \
	if [ -z "$$src" ]; then \
		echo "usage: make heapview TRACE=file [LAB=free|alloc|index] [PAGE=bytes] [HEAP=bytes] [OUT=file.html]" >&2; \
		echo "       make heapview SNAPSHOT=file.json [OUT=file.html]" >&2; exit 2; \
	fi; \
	case $$src in -*) src=./$$src ;; esac; \
	name=$$(basename -- "$$src"); \
	out=$${HEAPLAB_OUT:-$(B)/heapview/$${name%.*}.html}; \
	case $$out in -*) out=./$$out ;; esac; \
	mkdir -p -- "$$(dirname -- "$$out")" || exit 2; \
	if [ -n "$$HEAPLAB_SNAPSHOT" ] && [ -z "$$HEAPLAB_TRACE" ]; then \
		exec $(HEAPVIEW_PY) tools/heapview.py --snapshot "$$src" -o "$$out"; \
	fi; \
	steps=$${out%.*}.steps; st=0; \
	$(HEAPVIEW_REPLAY) --steps --base $(if $(HEAPVIEW_LAB),--check) $${HEAPLAB_PAGE:+--page "$$HEAPLAB_PAGE"} \
		$${HEAPLAB_HEAP:+--heap "$$HEAPLAB_HEAP"} "$$src" > "$$steps" || st=$$?; \
	if [ $$st = 2 ]; then rm -f -- "$$steps"; echo "heapview: the replay refused $$HEAPLAB_TRACE" >&2; exit 2; fi; \
	echo "heapview: replay --steps output in $$steps (status $$st)"; \
	exec $(HEAPVIEW_PY) tools/heapview.py "$$src" "$$steps" -o "$$out"
