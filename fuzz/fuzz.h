/*
 * Shared by the fuzz targets: reading the input as a sequence of fields,
 * the oracle's failure report, and the open-descriptor count.
 *
 * Every target is deterministic and keeps no state between inputs, so a
 * crash file replays the same way under libFuzzer and under the gcc-built
 * replay main (replay.c).
 */
#ifndef SP_FUZZ_H
#define SP_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

/* Open descriptors of this process, from /proc/self/fd (the directory's
 * own descriptor excluded). -1 if /proc is not there. */
static inline int fz_fd_count(void) {
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

#endif /* SP_FUZZ_H */
