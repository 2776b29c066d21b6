// SPDX-License-Identifier: BSD-3-Clause
// Includes a FIFO (tests/test_grade.py makes hostile.fifo beside a copy of
// this file): the compiler blocks opening it, for ever.
#include "hostile.fifo"
