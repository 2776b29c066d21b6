# SPDX-License-Identifier: BSD-3-Clause
# Host tests of the allocator core (make host-test): cmocka unit tests, the
# differential test against a model, the replay tool's tests (also over the
# sample traces with the sanitizer build, build/host-san/replay) and a
# two bounded libFuzzer runs: the allocator against a model (fuzz_mem), and the
# trace parser with the replay engine, its output read back (fuzz_replay).
# `make fuzz FUZZ_TIME=N` fuzzes each for N seconds (default 600).

FUZZ_CC     ?= clang
FUZZ_TIME   ?= 600
PYTEST      ?= /usr/bin/python3 -m pytest
HT          := tests/host
HT_DEPS     := $(HOST_SRCS) $(HOST_HDRS) $(wildcard $(HT)/*.h)
HT_CMOCKA   := $(B)/host/test_mem $(B)/host/test_check $(B)/host/test_fault $(B)/host/test_api $(B)/host/test_hash \
	       $(B)/host/test_pending
HT_MODEL    := $(HT)/lockstep.c $(HT)/model.c
FUZZ_CORPUS := $(B)/host/fuzz-corpus

# fuzz_run,SECONDS runs the fuzzer over the corpus; crashes land in build/host.
fuzz_run = mkdir -p $(FUZZ_CORPUS) && $(B)/host/fuzz_mem -max_total_time=$(1) -timeout=10 \
	-print_final_stats=1 -artifact_prefix=$(B)/host/fuzz- $(FUZZ_CORPUS)

.PHONY: host-test fuzz

$(HT_CMOCKA): $(B)/host/%: $(HT)/%.c $(HT)/testutil.c $(HT_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ $< $(HT)/testutil.c $(HOST_SRCS) -lcmocka

# The kernel's spinlock and its watchdog on a pretend machine (the test
# supplies the arch).
$(B)/host/test_spinlock: $(HT)/test_spinlock.c kernel/spinlock.c kernel/watchdog.c kernel/kernel.h arch/arch.h arch/host/arch_cpu.h
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -Iarch -Iarch/host -Iplatform -o $@ $< kernel/spinlock.c kernel/watchdog.c -lcmocka

$(B)/host/test_diff: $(HT)/test_diff.c $(HT_MODEL) $(HT_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -o $@ $< $(HT_MODEL) $(HOST_SRCS)

$(B)/host/fuzz_mem: $(HT)/fuzz_mem.c $(HT_MODEL) $(HT_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HOST_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(HT_MODEL) $(HOST_SRCS)

# The trace parser and replay engine, output read back (tests/host/fuzz_replay.c).
$(B)/host/fuzz_replay: $(HT)/fuzz_replay.c $(HT_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(HOST_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(HOST_SRCS)

# fuzz_replay_run,SECONDS: the same for the replay target, starting from
# the seeds in $(HT)/fuzz-replay-seeds too (inputs that once failed it).
fuzz_replay_run = mkdir -p $(FUZZ_CORPUS)-replay && $(B)/host/fuzz_replay -max_total_time=$(1) \
	-timeout=10 -dict=$(HT)/fuzz_replay.dict -print_final_stats=1 \
	-artifact_prefix=$(B)/host/fuzz-replay- $(FUZZ_CORPUS)-replay $(HT)/fuzz-replay-seeds

# Every test runs even when one fails; the status says whether any did.
host-test: $(HT_CMOCKA) $(B)/host/test_objects $(B)/host/test_spinlock $(B)/host/test_diff \
	   $(B)/host/fuzz_mem $(B)/host/replay \
	   $(B)/host-san/replay $(B)/host/fuzz_replay
	@st=0; \
	for t in $(HT_CMOCKA) $(B)/host/test_objects $(B)/host/test_spinlock $(B)/host/test_diff; do echo "== $$t"; $$t || st=1; done; \
	echo "== tests/test_replay.py"; \
	HEAPLAB_REPLAY=$(B)/host/replay $(PYTEST) -q tests/test_replay.py || st=1; \
	echo "== tests/test_replay.py -k sample_trace, under ASan+UBSan ($(B)/host-san/replay)"; \
	HEAPLAB_REPLAY=$(B)/host-san/replay $(PYTEST) -q tests/test_replay.py -k sample_trace || st=1; \
	echo "== tests/test_objtrace.py (traces of small objects), under ASan+UBSan"; \
	HEAPLAB_REPLAY=$(B)/host-san/replay $(PYTEST) -q tests/test_objtrace.py || st=1; \
	echo "== $(B)/host/fuzz_mem (30 s)"; $(call fuzz_run,30) || st=1; \
	echo "== $(B)/host/fuzz_replay (20 s)"; $(call fuzz_replay_run,20) || st=1; \
	if [ $$st = 0 ]; then echo "host-test: all passed"; else echo "host-test: FAILED"; fi; \
	exit $$st

fuzz: $(B)/host/fuzz_mem $(B)/host/fuzz_replay
	$(call fuzz_run,$(FUZZ_TIME))
	$(call fuzz_replay_run,$(FUZZ_TIME))
