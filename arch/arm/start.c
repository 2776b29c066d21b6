// The first C code on 32-bit ARM: arm_start, called by _start
// (boot/arm/start.S) with the stacks set, .bss cleared, the vectors and
// the MMU on. It sets up the console, takes the command line and the trace
// run-qemu.sh handed over in RAM, and calls kmain.
#include <string.h>

#include "arm.h"

#include "kernel.h"

// run-qemu.sh loads the hand-over blob at ARM_HANDOVER with QEMU's
// generic loader (-device loader,file=BLOB,addr=0x48000000,force-raw=on):
//
//   "heaplab: " CMDLINE "\n" TRACE-BYTES "\0"
//
// The trace is there only when the command line has the token `trace`.
// Without the magic (RAM starts zeroed) the image runs with cmdline "".
#define BOOT_MAGIC     "heaplab: "
#define BOOT_MAGIC_LEN 9
#define CMDLINE_MAX    1024

static char boot_cmdline[CMDLINE_MAX];

// boot_has_token answers whether the blank-separated line s holds tok.
static int boot_has_token(const char *s, const char *tok)
{
	size_t n, len = strlen(tok);

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		for (n = 0; s[n] != '\0' && s[n] != ' ' && s[n] != '\t'; n++)
			;
		if (n == len && memcmp(s, tok, n) == 0)
			return 1;
		s += n;
	}
	return 0;
}

// boot_take_handover reads the blob at ARM_HANDOVER: it copies the command
// line into boot_cmdline and answers the trace and its length, or NULL
// when there is no blob or no `trace` token.
static const char *boot_take_handover(size_t *len)
{
	const char *line = (const char *)ARM_HANDOVER + BOOT_MAGIC_LEN, *nl, *trace;
	size_t n;

	*len = 0;
	if (memcmp((const char *)ARM_HANDOVER, BOOT_MAGIC, BOOT_MAGIC_LEN) != 0)
		return NULL;
	n = strcspn(line, "\n");
	if (n >= sizeof boot_cmdline)
		panic("boot: command line of %lu bytes, more than %d", (unsigned long)n,
		      CMDLINE_MAX - 1);
	memcpy(boot_cmdline, line, n);
	boot_cmdline[n] = '\0';
	nl = line + n;
	if (*nl != '\n' || !boot_has_token(boot_cmdline, "trace"))
		return NULL;
	trace = nl + 1;
	*len = strnlen(trace, ARM_RAM_BASE + ARM_RAM_SIZE - (uintptr_t)trace);
	return trace;
}

void arm_start(void)
{
	const char *trace;
	size_t len;

	arm_console_init();
	trace = boot_take_handover(&len);
	kmain(boot_cmdline, trace, len);
}
