/*
 * Family 5, floors: the physical bounds to read the rest against — one
 * syscall (getppid, which no libc caches), one clock_gettime (the timer
 * of the latency family) and memcpy at the throughput sizes.
 *
 *   BM_Floor/getppid  BM_Floor/clock_gettime  BM_Floor/memcpy/bytes:<n>
 */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Tells the compiler the memory at p is used: the copy stays. */
static void escape(void *p) {
  __asm__ volatile("" : : "g"(p) : "memory");
}

static void bm_getppid(sb_state *st, void *arg) {
  (void)arg;
  while (sb_keep_running(st))
    escape((void *)(intptr_t)syscall(SYS_getppid));
}

static void bm_clock(sb_state *st, void *arg) {
  struct timespec ts;
  (void)arg;
  while (sb_keep_running(st)) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    escape(&ts);
  }
}

/* Both buffers in one page-aligned block, dst a whole number of pages
 * after src: the same placement in every repetition. With a malloc() each,
 * dst sat 16 bytes past a 4 KiB multiple of src when the two 4 KiB or
 * 64 KiB chunks were fresh and consecutive, and elsewhere when the heap
 * handed back chunks other benchmarks had freed. 16-48 bytes past, the
 * copy's loads from src match the stores it just made to dst in their low
 * 12 address bits (4K aliasing) and wait for them: 1.3-2x the time, and
 * the floor read bimodal. */
static void bm_memcpy(sb_state *st, void *arg) {
  size_t n = (size_t)sb_range(st, 0);
  size_t span = (n + 4095) / 4096 * 4096;
  char *src = aligned_alloc(4096, 2 * span), *dst;
  (void)arg;
  if (!src) {
    sb_skip_with_error(st, "error: aligned_alloc failed");
    return;
  }
  dst = src + span;
  memset(src, 'x', n);
  memset(dst, 0, n);
  while (sb_keep_running(st)) {
    memcpy(dst, src, n);
    escape(dst);
  }
  sb_bytes_processed(st, sb_iterations_done(st) * (int64_t)n);
  free(src);
}

void bm_floors_register(void) {
  static const int64_t sizes[] = {64, 4096, 65536, 1048576};
  static const char *const names[] = {"bytes"};
  sb_register("BM_Floor/getppid", bm_getppid, NULL);
  sb_register("BM_Floor/clock_gettime", bm_clock, NULL);
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    sb_bench *b = sb_register("BM_Floor/memcpy", bm_memcpy, NULL);
    sb_args(b, &sizes[i], 1);
    sb_arg_names(b, names, 1);
  }
}
