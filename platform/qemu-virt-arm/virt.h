// SPDX-License-Identifier: BSD-3-Clause
// QEMU's virt board for ARM (platform/qemu-virt-arm), shared by the arm
// and arm64 ports: its memory map, the PL011 UART, PSCI (the firmware that
// powers CPUs on) and the semihosting calls that end a run. The CPU port
// supplies the two instructions the board cannot: arm_semihost (the
// semihosting trap) and arm_smccc (an hvc or smc firmware call).
#ifndef HEAPLAB_VIRT_H
#define HEAPLAB_VIRT_H

// Physical memory of `qemu-system-arm -M virt -m 256M` (and of
// qemu-system-aarch64's) as heaplab uses it:
//
//   0x00000000  +------------------+  flash; the first MiB (arm64: 2 MiB) is
//               |  devices         |  left unmapped so that NULL
//   0x08000000  |  GIC distributor |  dereferences fault; GICv2 (gic.c)
//   0x08010000  |  GIC CPU iface   |
//   0x09000000  |  PL011 UART      |
//   0x40000000  +------------------+  RAM; QEMU puts the device tree here
//   0x40100000  |  kernel image    |  linker/arm.ld, arm64.ld: text, data,
//               |  stacks          |  bss, the stacks of NCPU CPUs
//               |  heap            |  (boot/arm/start.S, boot/arm64/start.S),
//               |                  |  then the heap [_heap_start, _heap_end)
//   0x48000000  +------------------+  hand-over blob from run-qemu.sh:
//               |  "heaplab: ..."  |  "heaplab: CMDLINE\n" TRACE NUL
//   0x50000000  +------------------+  end of RAM (-m 256M)
#define VIRT_RAM_BASE	0x40000000u
#define VIRT_RAM_SIZE	0x10000000u
#define VIRT_HANDOVER	0x48000000u
#define VIRT_PL011_BASE 0x09000000u
#define VIRT_GICD_BASE	0x08000000u
#define VIRT_GICC_BASE	0x08010000u

// PSCI (ARM DEN 0022): CPU_ON, in its SMC32 form for a 32-bit caller and
// SMC64 for a 64-bit one (psci.c picks by the width of a pointer).
#define PSCI_CPU_ON32 0x84000003u // CPU_ON(target MPIDR, entry, context)
#define PSCI_CPU_ON64 0xc4000003u
#define PSCI_SUCCESS  0

// Semihosting (ARM's "Semihosting for AArch32 and AArch64"): the calls
// board.c makes. QEMU answers them when started with -semihosting-config
// enable=on.
#define SEMIHOST_EXIT			      0x18
#define SEMIHOST_EXIT_EXTENDED		      0x20
#define SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "platform.h"

// The CPU port's half (arch/arm): arm_semihost issues semihosting call op
// with argument block arg and answers the result; arm_smccc makes firmware
// call fn with arguments a1-a3 through hvc (smc = 0) or smc (smc = 1) and
// answers the first result register.
uintptr_t arm_semihost(uintptr_t op, const void *arg);
intptr_t arm_smccc(int smc, uintptr_t fn, uintptr_t a1, uintptr_t a2, uintptr_t a3);

// The tick's timer is the CPU's own generic timer (arch/arm/timer.c):
// arm_timer_start starts this CPU's, hz a second, and arm_timer_irq handles
// its interrupt, which came at pc (it lowers the line and counts the tick).
void arm_timer_start(unsigned hz);
void arm_timer_irq(uintptr_t pc);

// The board's half, for the CPU port: pl011_init sets the UART up (8N1,
// FIFOs on); psci_cpu_on asks the firmware to start the CPU whose MPIDR is
// mpidr at the physical address entry (MMU off, context in the first
// argument register) and answers PSCI's status, PSCI_SUCCESS or a negative
// error; psci_start_cpus starts CPUs 1 to want-1 that way, each with its id
// as the context, and answers how many run (the boot CPU counts), which
// is the arch_start_cpus of both ports; virt_boot_info answers the command
// line and the trace run-qemu.sh handed over (kernel/handover.c reads the
// blob).
void pl011_init(void);
int psci_cpu_on(uintptr_t mpidr, uintptr_t entry, uintptr_t context);
int psci_start_cpus(int want, uintptr_t entry);
const char *virt_boot_info(const char **cmdline, size_t *len);

// virt_semihosting_off stops a run whose exit call trapped because QEMU
// runs without -semihosting-config enable=on: it says so, naming the port,
// and halts (board.c).
void virt_semihosting_off(const char *port) __attribute__((noreturn));

// virt_irq is where the CPU port's IRQ vector goes, on the IRQ mode's stack
// with IRQs masked, for an interrupt that came at pc (gic.c).
void virt_irq(uintptr_t pc);
#endif

#endif
