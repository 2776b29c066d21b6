// The flat GDT both x86 entries load (boot/x86): a null descriptor, the
// kernel code segment (32-bit on i386, 64-bit on amd64) and the kernel data
// segment. We stay in ring 0, so there is no user segment and no TSS.
#include "x86.h"

static const uint64_t gdt[] __attribute__((aligned(16))) = {
    0,
    GDT_KCODE,		   // SEG_KCODE
    0x00cf92000000ffffull, // SEG_KDATA: data, base 0, limit 4 GiB
};

// lgdt reads 6 bytes of it in 32-bit mode, 10 in 64-bit mode; the GDT lies
// below 4 GiB, so the amd64 entry loads it once, before long mode.
const struct x86_desc_ptr gdt_desc = {sizeof gdt - 1, (uintptr_t)gdt};
