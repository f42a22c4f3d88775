/*
 * What a caller may rely on for a pair it was given, checked with raw
 * syscalls (not the library): both ends open and distinct, the requested
 * O_NONBLOCK / FD_CLOEXEC and no other, the right domain and type, TCP_NODELAY
 * on emulated TCP, each end the other's peer, and bytes flowing both ways.
 */
#ifndef SP_TEST_PAIR_CHECK_H
#define SP_TEST_PAIR_CHECK_H

#include "test.h"

/* What sp_socketpair was asked for: one cell of the pair matrix. */
typedef struct pair_cell {
  int domain;
  int type; /* with flags */
  int protocol;
} pair_cell;

/* Values a failed sp_socketpair must leave in fds[] untouched. */
#define SENTINEL0 (-71)
#define SENTINEL1 (-72)

/* Everything a caller may rely on for the pair fds of cell c. */
void pair_check(const pair_cell *c, const int fds[2]);
/* Makes the close of a TCP end abortive (RST), so that the thousands of
 * TCP pairs a torture makes leave no TIME_WAIT behind. */
void pair_set_abortive(const pair_cell *c, int fd);
/* Closes both ends, the first one abortively. */
void pair_close(const pair_cell *c, int fds[2]);

#endif /* SP_TEST_PAIR_CHECK_H */
