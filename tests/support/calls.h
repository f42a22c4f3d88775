/*
 * Counting the library's syscalls through the fault seam (lib/src/fault.h):
 * what a test asserts when it says "this read costs one recv".
 */
#ifndef SP_TEST_CALLS_H
#define SP_TEST_CALLS_H

#include "fault.h"

#include <stddef.h>

typedef struct sp_test_calls {
  int calls[SP_CALL__COUNT];
  size_t recv_len; /* the byte count the last recv asked for */
} sp_test_calls;

/* Zeroes c and counts every call the library makes until the stop. */
void sp_test_calls_start(sp_test_calls *c);
void sp_test_calls_stop(void);

#endif /* SP_TEST_CALLS_H */
