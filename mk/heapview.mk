# SPDX-License-Identifier: BSD-3-Clause
# The interactive heap viewer (docs/heapview.md): one self-contained HTML
# page per replay or gdb snapshot. Included by the top Makefile.
#   make heapview TRACE=file [PAGE=bytes] [HEAP=bytes] [OUT=file.html]
#   make heapview SNAPSHOT=file.json [OUT=file.html]     (from gdb's `heap dump`)

HEAPVIEW_PY  ?= /usr/bin/python3
HEAPVIEW_SRC := $(or $(TRACE),$(SNAPSHOT))
HEAPVIEW_OUT ?= $(or $(OUT),$(B)/heapview/$(basename $(notdir $(HEAPVIEW_SRC))).html)

.PHONY: heapview

heapview: $(B)/host/replay
	@test -n "$(TRACE)$(SNAPSHOT)" || { echo "usage: make heapview TRACE=file [PAGE=bytes] [HEAP=bytes] [OUT=file.html]" >&2; \
		echo "       make heapview SNAPSHOT=file.json [OUT=file.html]" >&2; exit 2; }
	@mkdir -p '$(dir $(HEAPVIEW_OUT))'
ifneq ($(SNAPSHOT),)
	@$(HEAPVIEW_PY) tools/heapview.py --snapshot '$(SNAPSHOT)' -o '$(HEAPVIEW_OUT)'
else
	@st=0; $(B)/host/replay --steps $(if $(PAGE),--page $(PAGE)) $(if $(HEAP),--heap $(HEAP)) \
		'$(TRACE)' > '$(basename $(HEAPVIEW_OUT)).steps' || st=$$?; \
	if [ $$st = 2 ]; then echo "heapview: the replay refused $(TRACE)" >&2; exit 2; fi; \
	echo "heapview: replay --steps output in $(basename $(HEAPVIEW_OUT)).steps (status $$st)"
	@$(HEAPVIEW_PY) tools/heapview.py '$(TRACE)' '$(basename $(HEAPVIEW_OUT)).steps' -o '$(HEAPVIEW_OUT)'
endif
