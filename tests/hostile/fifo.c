// SPDX-License-Identifier: BSD-3-Clause
// Includes a FIFO, which tests/test_grade.py makes in the build folder (the
// sandbox shows the build the tree, the student's file and that folder;
// BUILD stands for its path): the compiler blocks opening it, for ever.
#include "BUILD/hostile.fifo"
