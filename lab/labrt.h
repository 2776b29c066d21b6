// The lab programs' runtime (lab/labrt.c): how long one allocator
// operation may run, and how a program stopped for looping says so.

// CPU seconds one heaplab_alloc or heaplab_free may take (and as text).
#define LAB_OP_SECS	1
#define LAB_OP_SECS_STR "1"

// The exit status of a program stopped for looping, and how its message
// on stderr starts (tools/grade.py knows both).
#define LAB_LOOPED   99
#define LAB_LOOP_MSG "looped: "
