/*
 * A small test harness in libuv's manner: TEST(name) defines a test, each
 * test runs alone as "binary name" under ctest (runner.c). The runner bounds
 * it with an alarm and fails it if the count of open descriptors changed.
 * ASSERT_* print both values and the location, then exit(1).
 */
#ifndef SP_TEST_H
#define SP_TEST_H

#include "sockpair.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sp_test_fn)(void);
void sp_test_register(const char *name, sp_test_fn fn);

#define TEST(name)                                                             \
  static void test_##name(void);                                               \
  __attribute__((constructor)) static void register_##name(void) {             \
    sp_test_register(#name, test_##name);                                      \
  }                                                                            \
  static void test_##name(void)

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define SP_TEST_SKIP_CODE 77
#define SKIP(...)                                                              \
  do {                                                                         \
    fprintf(stderr, "SKIP: " __VA_ARGS__);                                     \
    fputc('\n', stderr);                                                       \
    exit(SP_TEST_SKIP_CODE);                                                   \
  } while (0)

#define SP__FAIL(...)                                                          \
  do {                                                                         \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
    fprintf(stderr, __VA_ARGS__);                                              \
    fputc('\n', stderr);                                                       \
    exit(1);                                                                   \
  } while (0)

#define ASSERT(cond)                                                           \
  do {                                                                         \
    if (!(cond))                                                               \
      SP__FAIL("assertion failed: %s", #cond);                                 \
  } while (0)

#define SP__ASSERT_CMP(a, op, b)                                               \
  do {                                                                         \
    int64_t a_ = (int64_t)(a);                                                 \
    int64_t b_ = (int64_t)(b);                                                 \
    if (!(a_ op b_))                                                           \
      SP__FAIL("%s %s %s: %" PRId64 " vs %" PRId64, #a, #op, #b, a_, b_);      \
  } while (0)

#define ASSERT_EQ(a, b) SP__ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b) SP__ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b) SP__ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b) SP__ASSERT_CMP(a, <=, b)
#define ASSERT_GT(a, b) SP__ASSERT_CMP(a, >, b)
#define ASSERT_GE(a, b) SP__ASSERT_CMP(a, >=, b)

/* An sp_* result that must be 0: prints the error's name on failure. */
#define ASSERT_OK(expr)                                                        \
  do {                                                                         \
    int64_t r_ = (int64_t)(expr);                                              \
    if (r_ != 0)                                                               \
      SP__FAIL("%s: %s (%" PRId64 ")", #expr, sp_err_name((int)r_), r_);       \
  } while (0)

/* Two sp_* error codes that must be equal, printed by name. */
#define ASSERT_ERR(a, b)                                                       \
  do {                                                                         \
    int64_t a_ = (int64_t)(a);                                                 \
    int64_t b_ = (int64_t)(b);                                                 \
    if (a_ != b_)                                                              \
      SP__FAIL("%s == %s: %s (%" PRId64 ") vs %s (%" PRId64 ")", #a, #b,       \
               sp_err_name((int)a_), a_, sp_err_name((int)b_), b_);            \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
  do {                                                                         \
    const char *a_ = (a);                                                      \
    const char *b_ = (b);                                                      \
    if (!a_ || !b_ || strcmp(a_, b_))                                          \
      SP__FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)",       \
               b_ ? b_ : "(null)");                                            \
  } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                 \
  do {                                                                         \
    if (memcmp((a), (b), (n)))                                                 \
      SP__FAIL("%s and %s differ in their first %zu bytes", #a, #b,            \
               (size_t)(n));                                                   \
  } while (0)

/* Helpers, each bounded in time. */
int sp_test_count_fds(void);
int64_t sp_test_now_us(void);
/* Writes all n bytes or fails the test; waits at most timeout_ms. */
void sp_test_write_all(int fd, const void *buf, size_t n, int timeout_ms);
/* Reads exactly n bytes (stream) or one datagram of n bytes (dgram) or
 * fails the test; waits at most timeout_ms. */
void sp_test_read_exact(int fd, void *buf, size_t n, int timeout_ms);
/* Sends a few bytes each way and checks they arrive. */
void sp_test_round_trip(const int fds[2]);
/* 1 if ::1 can be bound here. */
int sp_test_have_ipv6(void);

#endif /* SP_TEST_H */
