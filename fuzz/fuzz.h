/*
 * Shared by the fuzz targets: reading the input as a sequence of fields,
 * the oracle's failure report, and the descriptor-leak check.
 *
 * Every target is deterministic and keeps no state between inputs that
 * could change what an input does (fuzz_args remembers the kernel's own
 * answers, which cannot), so a crash file replays the same way under
 * libFuzzer and under the gcc-built replay main (replay.c).
 */
#ifndef SP_FUZZ_H
#define SP_FUZZ_H

#include "sockpair.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sanitizer/asan_interface.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The harness's own checks and hooks (the oracle, the fault seam's hook,
 * the leak check) carry no coverage instrumentation: their edges and hit
 * counts tell how the harness checked, not what the library did (a check
 * that passes goes one way; a hook's count follows the library's own
 * calls, which are counted). As features they cost libFuzzer work after
 * every execution, and kept inputs that differed only in them: in
 * fuzz_stream_ops they were a third of the counters. The library, the
 * reference models and the harness's operations stay instrumented.
 */
#if defined(__clang__)
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FZ_NO_COVERAGE
#endif

/* The oracle disagreed: say what and where, then abort so that libFuzzer
 * (and the replay under ctest) reports a crash with this input. */
#define FZ_CHECK(cond, ...)                                                    \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, __LINE__,       \
              #cond);                                                          \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* The input, consumed front to back. Reads past the end give zeros, so any
 * input is a valid program (ops stop when fz_left() reaches 0). */
typedef struct fz_in {
  const uint8_t *p;
  size_t n;
} fz_in;

static inline size_t fz_left(const fz_in *in) {
  return in->n;
}

static inline uint8_t fz_u8(fz_in *in) {
  uint8_t v;

  if (!in->n)
    return 0;
  v = in->p[0];
  in->p++;
  in->n--;
  return v;
}

static inline uint16_t fz_u16(fz_in *in) {
  uint16_t lo = fz_u8(in);

  return (uint16_t)(lo | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(fz_in *in) {
  uint32_t lo = fz_u16(in);

  return lo | (uint32_t)fz_u16(in) << 16;
}

/* Two's complement reinterpretation, without implementation-defined
 * conversion of out-of-range values. */
static inline int fz_i32(fz_in *in) {
  uint32_t u = fz_u32(in);
  int v;

  memcpy(&v, &u, sizeof(v));
  return v;
}

/* Up to want bytes of the input itself; *got says how many. */
static inline const uint8_t *fz_bytes(fz_in *in, size_t want, size_t *got) {
  const uint8_t *p = in->p;

  if (want > in->n)
    want = in->n;
  in->p += want;
  in->n -= want;
  *got = want;
  return p;
}

/* SOL_SOCKET option name of fd, as an int. */
FZ_NO_COVERAGE static inline int fz_opt_int(int fd, int name) {
  int v = -1;
  socklen_t len = sizeof(v);

  FZ_CHECK(getsockopt(fd, SOL_SOCKET, name, &v, &len) == 0,
           "getsockopt(%d, %d): %s", fd, name, strerror(errno));
  return v;
}

/* fd's O_NONBLOCK and FD_CLOEXEC are exactly those asked by flags
 * (SP_SOCK_NONBLOCK, SP_SOCK_CLOEXEC). */
FZ_NO_COVERAGE static inline void fz_check_flags(int fd, int flags) {
  int fl = fcntl(fd, F_GETFL);
  int fd_fl = fcntl(fd, F_GETFD);

  FZ_CHECK(fl >= 0 && fd_fl >= 0, "fcntl(%d): %s", fd, strerror(errno));
  FZ_CHECK(!(fl & O_NONBLOCK) == !(flags & SP_SOCK_NONBLOCK),
           "O_NONBLOCK %d for flags %#x", !!(fl & O_NONBLOCK), (unsigned)flags);
  FZ_CHECK(!(fd_fl & FD_CLOEXEC) == !(flags & SP_SOCK_CLOEXEC),
           "FD_CLOEXEC %d for flags %#x", !!(fd_fl & FD_CLOEXEC),
           (unsigned)flags);
}

/*
 * Exact-size buffers for the library to write into (read, gets, write
 * sources), without a malloc per operation: ASan poisons the whole arena
 * and unpoisons exactly the n bytes lent, so a write or read past either
 * end is reported as with malloc(n), and a use after fz_give() as a
 * use-after-poison. A malloc per operation cost more than the operation:
 * ASan fills and quarantines every block, so each one touched fresh pages.
 * One buffer at a time; the contents are whatever the last user left.
 */
#define FZ_ARENA_MAX (256 * 1024 + 64)
#define FZ_ARENA_REDZONE 64

static inline uint8_t *fz_arena(void) {
  static _Alignas(64) uint8_t arena[FZ_ARENA_REDZONE + FZ_ARENA_MAX + 64];
  static int poisoned;

  if (!poisoned) {
    ASAN_POISON_MEMORY_REGION(arena, sizeof(arena));
    poisoned = 1;
  }
  return arena + FZ_ARENA_REDZONE;
}

static inline void *fz_take(size_t n) {
  uint8_t *p = fz_arena();

  FZ_CHECK(n <= FZ_ARENA_MAX, "fz_take(%zu): over the arena", n);
  ASAN_UNPOISON_MEMORY_REGION(p, n ? n : 1);
  return p;
}

static inline void fz_give(void *p, size_t n) {
  ASAN_POISON_MEMORY_REGION(p, n ? n : 1);
}

/* Open descriptors of this process, from /proc/self/fd (the directory's
 * own descriptor excluded). -1 if /proc is not there. Slow (an opendir and
 * a dirent per descriptor): the fallback of fz_fds below. */
FZ_NO_COVERAGE static inline int fz_fd_count(void) {
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;

  if (!dir)
    return -1;
  while ((e = readdir(dir)))
    if (e->d_name[0] != '.')
      n++;
  closedir(dir);
  return n - 1;
}

/*
 * The descriptor-leak oracle at one poll() per check: which of the
 * descriptors 0 .. FZ_FD_WINDOW-1 are open (poll marks a closed one
 * POLLNVAL, without waiting and without touching the open ones). The
 * kernel hands out the lowest free number, so while the window has at
 * least FZ_FD_SLACK free numbers every descriptor an input opens lands
 * inside it and the comparison is exact: a descriptor leaked, or one of
 * the harness's closed, changes a bit. Otherwise (a process with many
 * descriptors) the check also compares counts of /proc/self/fd.
 *
 * FZ_FD_SLACK must exceed the most descriptors an input holds open at
 * once; a target that holds few defines a smaller one before including
 * this file, and polls fewer (poll's cost is per descriptor: the window is
 * the slack and 16 numbers for the process's own).
 */
#ifndef FZ_FD_SLACK
#define FZ_FD_SLACK 32
#endif
#define FZ_FD_WINDOW (FZ_FD_SLACK + 16 < 64 ? FZ_FD_SLACK + 16 : 64)
#define FZ_FD_WORDS ((FZ_FD_WINDOW + 63) / 64)

typedef struct fz_fds {
  uint64_t open[FZ_FD_WORDS];
  int count; /* the /proc count when the window is nearly full, else -1 */
} fz_fds;

FZ_NO_COVERAGE static inline fz_fds fz_fds_take(void) {
  struct pollfd p[FZ_FD_WINDOW];
  int closed = FZ_FD_WINDOW;
  fz_fds s;
  int i;

  memset(&s, 0, sizeof(s));
  for (i = 0; i < FZ_FD_WINDOW; i++) {
    p[i].fd = i;
    p[i].events = 0;
    p[i].revents = 0;
  }
  while (poll(p, FZ_FD_WINDOW, 0) < 0)
    FZ_CHECK(errno == EINTR || errno == ENOMEM, "poll: %s", strerror(errno));
  for (i = 0; i < FZ_FD_WINDOW; i++)
    if (!(p[i].revents & POLLNVAL))
      s.open[i / 64] |= (uint64_t)1 << (i % 64);
  s.count = -1;
  for (i = 0; i < FZ_FD_WORDS; i++)
    closed -= __builtin_popcountll(s.open[i]);
  if (closed < FZ_FD_SLACK)
    s.count = fz_fd_count();
  return s;
}

/* The first descriptor open in one snapshot and not the other, or -1. */
FZ_NO_COVERAGE static inline int fz_fds_diff(const fz_fds *a, const fz_fds *b) {
  int i;

  for (i = 0; i < FZ_FD_WINDOW; i++)
    if ((a->open[i / 64] ^ b->open[i / 64]) >> (i % 64) & 1)
      return i;
  return -1;
}

/*
 * Nothing opened or closed since before: the check after each input. It
 * polls fewer descriptors than fz_fds_take (poll's cost is per descriptor,
 * and some targets' inputs cost little else): only those open before, which
 * must still be, and the lowest FZ_FD_SLACK numbers free before, which must
 * still be free. The kernel hands out the lowest free number, so an input
 * holding fewer than FZ_FD_SLACK descriptors at once (fz_fds_take's own
 * premise) cannot leave one open above them without leaving one of them
 * taken: the verdict is the whole window's. A crowded window (the /proc
 * count taken) gets the whole comparison.
 */
FZ_NO_COVERAGE static inline void fz_fds_check(const fz_fds *before) {
  struct pollfd p[FZ_FD_WINDOW];
  int n = 0, free_seen = 0, fd, i;

  if (before->count >= 0) {
    fz_fds now = fz_fds_take();

    fd = fz_fds_diff(before, &now);
    FZ_CHECK(fd < 0, "descriptor %d was %s, now %s", fd,
             (before->open[fd / 64] >> (fd % 64) & 1) ? "open" : "closed",
             (now.open[fd / 64] >> (fd % 64) & 1) ? "open" : "closed");
    FZ_CHECK(now.count == before->count, "open descriptors: %d, before: %d",
             now.count, before->count);
    return;
  }
  for (fd = 0; fd < FZ_FD_WINDOW; fd++) {
    int was_open = before->open[fd / 64] >> (fd % 64) & 1;

    if (!was_open && free_seen >= FZ_FD_SLACK)
      continue;
    free_seen += !was_open;
    p[n].fd = fd;
    p[n].events = 0;
    p[n].revents = 0;
    n++;
  }
  while (poll(p, (nfds_t)n, 0) < 0)
    FZ_CHECK(errno == EINTR || errno == ENOMEM, "poll: %s", strerror(errno));
  for (i = 0; i < n; i++) {
    int was_open = before->open[p[i].fd / 64] >> (p[i].fd % 64) & 1;
    int is_open = !(p[i].revents & POLLNVAL);

    FZ_CHECK(was_open == is_open, "descriptor %d was %s, now %s", p[i].fd,
             was_open ? "open" : "closed", is_open ? "open" : "closed");
  }
}

#endif /* SP_FUZZ_H */
