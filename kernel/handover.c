// SPDX-License-Identifier: BSD-3-Clause
// The hand-over blob: how run-qemu.sh passes the command line and the
// trace to an image on a board whose loader cannot (see handover_take).
#include <string.h>

#include "kernel.h"
#include "../replay/replay.h"

// On boards without a boot loader that passes a command line (QEMU's virt
// machines), run-qemu.sh loads a hand-over blob into RAM with QEMU's
// generic loader (-device loader,file=BLOB,addr=ADDR,force-raw=on); the
// board names ADDR (platform/qemu-virt-arm/virt.h: VIRT_HANDOVER):
//
//   "heaplab: " CMDLINE "\n" TRACE-BYTES
//
// The trace is there only when the command line has the token trace=LEN,
// its length in bytes: the trace may hold any byte, NUL too (the replay
// refuses it as the host tool does), so nothing in it marks its end.
// Without the magic (RAM starts zeroed) the image runs with cmdline "".
#define BOOT_MAGIC     "heaplab: "
#define BOOT_MAGIC_LEN 9
#define CMDLINE_MAX    1024

static char boot_cmdline[CMDLINE_MAX];

// boot_trace_len finds the token trace=LEN in the blank-separated line s
// and answers 1 with LEN in *len, or 0 if there is none. A bad LEN stops
// the run as a usage error.
static int boot_trace_len(const char *s, size_t *len)
{
	uint64_t v;
	size_t n;

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		for (n = 0; s[n] != '\0' && s[n] != ' ' && s[n] != '\t'; n++)
			;
		if (n > 6 && memcmp(s, "trace=", 6) == 0) {
			if (replay_number(s + 6, n - 6, &v) != NULL || v > SIZE_MAX) {
				kprintf("# heaplab: bad trace length '%.*s'\n", (int)n, s);
				kexit(2);
			}
			*len = (size_t)v;
			return 1;
		}
		s += n;
	}
	return 0;
}

// handover_take: see kernel.h.
const char *handover_take(uintptr_t blob, uintptr_t ram_end, const char **cmdline, size_t *len)
{
	const char *line = (const char *)blob + BOOT_MAGIC_LEN, *nl, *trace;
	uintptr_t room;
	size_t n;

	*len = 0;
	*cmdline = boot_cmdline;
	if (memcmp((const char *)blob, BOOT_MAGIC, BOOT_MAGIC_LEN) != 0)
		return NULL;
	for (n = 0; n < CMDLINE_MAX && line[n] != '\n' && line[n] != '\0'; n++)
		;
	if (n >= sizeof boot_cmdline)
		panic("boot: command line of %lu bytes or more, more than %d", (unsigned long)n,
		      CMDLINE_MAX - 1);
	memcpy(boot_cmdline, line, n);
	boot_cmdline[n] = '\0';
	nl = line + n;
	if (*nl != '\n' || !boot_trace_len(boot_cmdline, len))
		return NULL;
	trace = nl + 1;
	room = ram_end - (uintptr_t)trace;
	if (*len > room) {
		kprintf("# replay: trace: %lu bytes, more than the %lu the hand-over area holds\n",
			(unsigned long)*len, (unsigned long)room);
		kexit(2);
	}
	return trace;
}
