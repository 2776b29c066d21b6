# SPDX-License-Identifier: BSD-3-Clause
# heaplab: a teaching-grade bare-metal memory allocator.
#   make                 host programs and the image for ARCH
#   make ARCH=i386|amd64|arm|arm64|riscv64   the image: build/ARCH/kernel.elf
#   make host            host programs in build/host (replay, tests)
#   make test            everything CI runs (installs its Debian packages)
#   make test-repeat [N=5]   the QEMU and gdb suites N times: lists any test whose verdict changed
#   make qemu / qemu-gdb boot the image (see ./run-qemu.sh --help)
#   make bench           benchmarks
#   make grade [LAB=free|alloc|index|span|pcp]   grade a lab; make check-lab N=1..9: a self-check
#   make handin LAB=N      a lab's hand-in; make handout DIR=dir LAB=...: a student's copy
#   make heapview TRACE=file [LAB=free|alloc|index]   an HTML page stepping through a replay
#                        (docs/heapview.md; LAB: the student's build)
# Variables: ARCH (amd64), HEAP_SIZE (0x4000000), MEM_DEBUG (1: full check
# after every operation), NOLOCK (1: compile the allocator's lock out),
# SAN (1: make host also builds build/host-san/replay with ASan and UBSan).

ARCH      ?= amd64
B         := build
MEM_DEBUG ?= 1
PYTEST    := /usr/bin/python3 -m pytest

.PHONY: all host test host-test deps clean
all: host image

include mk/host.mk
include mk/hosttest.mk
include mk/objects.mk
-include mk/image.mk
include mk/bench.mk
include mk/lab.mk
include mk/heapview.mk
include mk/dist.mk

host: $(B)/host/replay $(if $(filter 1,$(SAN)),$(B)/host-san/replay)

deps:
	@tools/deps.sh all

# The whole suite: every image (on a fresh clone that builds newlib four
# times) with the host tests beside it, then the pytest suites that drive
# the replay tool, QEMU and gdb, and the docs test (tests/test_docs.py: the
# commands docs/ quote, and what they print), on two workers
# (python3-pytest-xdist; tests/conftest.py keeps the ones that share a file
# of the repository on one).
# The images build one after another (BUILD_JOBS): on a 2-core machine
# newlib's configure scripts and libc's build spend their time starting
# processes, which this VM does not do faster two at a time (a fresh
# clone's builds took 441 s one image at a time, 445 s two at a time,
# host-test beside them both times). The host tests run beside
# them from the start, on the core they leave: host-test, then the graders'
# suite (tests/test_grade.py, which builds only host programs; labs 8 and
# 9's, tests/test_grade_labs.py, run on the workers after them), their output
# kept in $(B)/host-test.log and printed when the images are built.
TEST_ARCHES := i386 amd64 arm arm64 riscv64
BUILD_JOBS  ?= 1
TEST_JOBS   ?= 2
TEST_BESIDE := tests/test_grade.py

test: deps
	@mkdir -p $(B); \
	{ $(MAKE) --no-print-directory host-test; a=$$?; \
	  echo "== $(TEST_BESIDE)"; $(PYTEST) -v -p no:xdist $(TEST_BESIDE); b=$$?; \
	  [ $$a = 0 ] && [ $$b = 0 ]; } > $(B)/host-test.log 2>&1 & ht=$$!; \
	$(MAKE) --no-print-directory -j$(BUILD_JOBS) -Oline $(addprefix test-image-,$(TEST_ARCHES)); \
	st=$$?; wait $$ht; hs=$$?; \
	echo "== make host-test and $(TEST_BESIDE), beside the images ($(B)/host-test.log)"; \
	cat $(B)/host-test.log; \
	if [ $$st != 0 ]; then echo "make test: an image did not build" >&2; exit $$st; fi; \
	if [ $$hs != 0 ]; then echo "make test: host-test or $(TEST_BESIDE) failed" >&2; exit 1; fi
	$(PYTEST) -v -n $(TEST_JOBS) --dist loadgroup tests --ignore=tests/test_replay.py \
		$(addprefix --ignore=,$(TEST_BESIDE))

# make test-repeat [N=5]: the QEMU and gdb suites N times, on TEST_JOBS
# workers as make test runs them, then every test whose verdict was not the
# same each time (tools/test_repeat.py; reports and logs in
# $(B)/test-repeat). REPEAT_SUITES: other pytest files or node ids.
REPEAT_SUITES ?= tests/test_boot.py tests/test_kbase.py tests/test_gdb.py tests/test_docs.py \
		 tests/test_heapview.py tests/test_paths.py
.PHONY: test-repeat
test-repeat: export HEAPLAB_N = $(value N)
test-repeat: deps host
	@$(MAKE) --no-print-directory -j$(BUILD_JOBS) $(addprefix test-image-,$(TEST_ARCHES))
	/usr/bin/python3 tools/test_repeat.py --rounds "$${HEAPLAB_N:-5}" --jobs $(TEST_JOBS) \
		--out $(B)/test-repeat $(REPEAT_SUITES)

.PHONY: $(addprefix test-image-,$(TEST_ARCHES))
$(addprefix test-image-,$(TEST_ARCHES)): test-image-%:
	@$(MAKE) --no-print-directory ARCH=$* image

clean:
	rm -rf $(B) .gdbinit
