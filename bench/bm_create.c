/*
 * Family 3, create: one pair made and closed per iteration, for every
 * transport sp_socketpair() makes, beside the raw socketpair() and
 * pipe2() calls it is measured against.
 *
 *   BM_Create/<transport>   BM_Create/raw-socketpair   BM_Create/raw-pipe2
 *
 * Each emulated TCP pair leaves one TIME_WAIT socket for 60 s and the
 * ephemeral port range is ~28k: the TCP cells run a fixed iteration count
 * (…/iterations:500) so no run, repetitions included, can exhaust it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "sockpair.h"

#define TCP_ITERATIONS 500

static void bm_create(sb_state *st, void *arg) {
  const struct sh_transport *t = arg;
  struct sh_chan c;
  if (bt_chan_open_st(st, t, &c) != 0)
    return; /* skipped with the kernel's reason, or failed */
  sh_chan_close(&c);
  while (sb_keep_running(st)) {
    int fds[2];
    int err =
        sp_socketpair(t->domain, t->type | SP_SOCK_CLOEXEC, t->protocol, fds);
    if (err != 0) {
      bt_fail(st, "sp_socketpair", err);
      return;
    }
    close(fds[0]);
    close(fds[1]);
  }
}

static void bm_raw_socketpair(sb_state *st, void *arg) {
  (void)arg;
  while (sb_keep_running(st)) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      bt_fail(st, "socketpair", -errno);
      return;
    }
    close(fds[0]);
    close(fds[1]);
  }
}

static void bm_raw_pipe2(sb_state *st, void *arg) {
  (void)arg;
  while (sb_keep_running(st)) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      bt_fail(st, "pipe2", -errno);
      return;
    }
    close(fds[0]);
    close(fds[1]);
  }
}

void bm_create_register(void) {
  char name[128];
  for (size_t i = 0; i < sh_ntransports; i++) {
    const struct sh_transport *t = &sh_transports[i];
    sb_bench *b;
    if (t->create != SH_SOCKETPAIR)
      continue;
    snprintf(name, sizeof(name), "BM_Create/%s", t->name);
    b = sb_register(name, bm_create, (void *)t);
    sb_unit(b, SB_US);
    if (t->type == SP_SOCK_STREAM && t->domain != SP_PF_UNIX)
      sb_iterations(b, TCP_ITERATIONS);
  }
  sb_unit(sb_register("BM_Create/raw-socketpair", bm_raw_socketpair, NULL),
          SB_US);
  sb_unit(sb_register("BM_Create/raw-pipe2", bm_raw_pipe2, NULL), SB_US);
}
