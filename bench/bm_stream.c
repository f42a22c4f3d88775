/*
 * Family 4, the stream layer: what sp_stream costs over raw read/write
 * on the same transport, in the same run.
 *
 *   BM_StreamLine/<transport>/<raw|stream>/bytes:<n>/manual_time
 *     line ping-pong with an echo child: raw write + read up to "\n",
 *     against sp_stream_write + sp_stream_gets on both sides.
 *   BM_StreamBulk/<transport>/<raw|stream>/bytes:65536/manual_time
 *     a child writes without pause; the benchmark consumes 64 KiB per
 *     iteration with read(64 KiB) or sp_stream_read(64 KiB).
 *
 * The overhead is the ratio stream / raw of the two times (scripts/bench
 * prints it); both sides pinned to one CPU, as the layer's cost is what
 * is compared, not the scheduler.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "sockpair.h"

enum api { API_RAW, API_STREAM };
static const char *const api_names[] = {"raw", "stream"};

struct st_case {
  const struct sh_transport *t;
  enum api api;
  int bulk;
};

#define MAX_CASES 32
static struct st_case cases[MAX_CASES];
static size_t ncases;

/* One end: raw descriptors, or streams that own them (a socket: one
 * stream both ways; pipes: one to read, one to write). */
struct end {
  enum api api;
  int rfd, wfd;
  sp_stream *s, *ws;
};

static int open_stream(int fd, int64_t timeout_s, sp_stream **s) {
  int err = sp_stream_open(fd, s);
  if (err == 0)
    err = sp_stream_set_timeout(*s, timeout_s * 1000000);
  return err;
}

/* On success the streams own the descriptors: *rfd / *wfd become -1. */
static int end_open(struct end *e, enum api api, int *rfd, int *wfd,
                    int64_t timeout_s) {
  int err;
  memset(e, 0, sizeof(*e));
  e->api = api;
  e->rfd = *rfd;
  e->wfd = *wfd;
  if (api == API_RAW)
    return 0;
  err = open_stream(*rfd, timeout_s, &e->s);
  if (err != 0)
    return err;
  *rfd = -1;
  if (*wfd == e->rfd) {
    *wfd = -1;
    return 0;
  }
  err = open_stream(*wfd, timeout_s, &e->ws);
  if (err == 0)
    *wfd = -1;
  return err;
}

static void end_close(struct end *e) {
  sp_stream_close(e->s);
  sp_stream_close(e->ws);
  e->s = e->ws = NULL;
}

static ssize_t raw_write_all(int fd, const char *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = write(fd, p + done, n - done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

static ssize_t end_write(struct end *e, const char *buf, size_t n) {
  if (e->api == API_STREAM)
    return sp_stream_write(e->ws ? e->ws : e->s, buf, n);
  return raw_write_all(e->wfd, buf, n);
}

/* A line of at most size - 1 bytes; one line is in flight at a time, so
 * a raw read never takes more than it. */
static ssize_t end_gets(struct end *e, char *buf, size_t size) {
  size_t got = 0;
  if (e->api == API_STREAM)
    return sp_stream_gets(e->s, buf, (ssize_t)size);
  while (got == 0 || buf[got - 1] != '\n') {
    ssize_t r = read(e->rfd, buf + got, size - 1 - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    if (r == 0)
      return SP_EOF;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

static ssize_t end_read(struct end *e, char *buf, size_t n) {
  for (;;) {
    ssize_t r = e->api == API_STREAM ? sp_stream_read(e->s, buf, n)
                                     : read(e->rfd, buf, n);
    if (r < 0 && e->api == API_RAW && errno == EINTR)
      continue;
    if (r < 0 && e->api == API_RAW)
      return -errno;
    return r == 0 ? SP_EOF : r;
  }
}

struct peer_arg {
  const struct st_case *c;
  int rfd, wfd;
  size_t size;
  int64_t n, timeout_s;
  char *buf;
};

/* The echo child of the line ping-pong, with the benchmark's api. */
static void line_echo(void *arg, struct sh_report *rep) {
  struct peer_arg *a = arg;
  struct end e;
  ssize_t r = end_open(&e, a->c->api, &a->rfd, &a->wfd, a->timeout_s);
  if (r == 0)
    r = end_write(&e, "\n", 1); /* ready */
  for (int64_t i = 0; r >= 0 && i < a->n; i++) {
    r = end_gets(&e, a->buf, a->size + 1);
    if (r > 0)
      r = end_write(&e, a->buf, (size_t)r);
  }
  end_close(&e);
  rep->err = r < 0 ? (int)r : 0;
  if (r < 0)
    snprintf(rep->what, sizeof(rep->what), "echo");
}

/* The writing child of the bulk read: always raw writes. */
static void bulk_source(void *arg, struct sh_report *rep) {
  struct peer_arg *a = arg;
  ssize_t r = raw_write_all(a->wfd, a->buf, 1); /* ready */
  for (int64_t i = 0; r >= 0 && i < a->n; i++)
    r = raw_write_all(a->wfd, a->buf, a->size);
  rep->err = r < 0 ? (int)r : 0;
  if (r < 0)
    snprintf(rep->what, sizeof(rep->what), "write");
}

struct run {
  sb_state *st;
  const struct st_case *c;
  struct sh_chan chan;
  struct sh_peer peer;
  struct peer_arg parg;
  struct end e;
  char *buf;
  size_t size;
  int64_t n;
};

static ssize_t line_loop(struct run *r) {
  ssize_t got = end_gets(&r->e, r->buf, r->size + 1); /* ready */
  memset(r->buf, 'x', r->size - 1);
  r->buf[r->size - 1] = '\n';
  while (got >= 0 && sb_keep_running(r->st)) {
    int64_t t0 = sh_now_ns();
    got = end_write(&r->e, r->buf, r->size);
    if (got >= 0)
      got = end_gets(&r->e, r->buf, r->size + 1);
    if (got >= 0 && (size_t)got != r->size)
      got = -EPROTO;
    sb_set_iteration_time(r->st, (double)(sh_now_ns() - t0) * 1e-9);
  }
  return got < 0 ? got : 0;
}

static ssize_t bulk_loop(struct run *r) {
  ssize_t got = end_read(&r->e, r->buf, 1); /* ready */
  while (got >= 0 && sb_keep_running(r->st)) {
    int64_t t0 = sh_now_ns();
    size_t left = r->size;
    while (got >= 0 && left > 0) {
      got = end_read(&r->e, r->buf, left);
      if (got > 0)
        left -= (size_t)got;
    }
    sb_set_iteration_time(r->st, (double)(sh_now_ns() - t0) * 1e-9);
  }
  return got < 0 ? got : 0;
}

static int start(struct run *r) {
  int close_in_child[2] = {r->chan.rfd[0], r->chan.wfd[0]};
  int64_t timeout_s = bt_deadline_s(r->n, r->size);
  int err;
  r->parg =
      (struct peer_arg){r->c, r->chan.rfd[1], r->chan.wfd[1],      r->size,
                        r->n, timeout_s,      r->buf + r->size + 1};
  err = sh_peer_start(&r->peer, SH_PROCESS, -1, (unsigned)timeout_s,
                      close_in_child, 2, r->c->bulk ? bulk_source : line_echo,
                      &r->parg);
  if (err != 0) {
    bt_fail(r->st, "fork", err);
    return err;
  }
  sh_chan_close_end(&r->chan, 1);
  err = end_open(&r->e, r->c->api, &r->chan.rfd[0], &r->chan.wfd[0],
                 (int64_t)bt_watchdog_s(r->n, r->size));
  if (err != 0) {
    bt_fail(r->st, "sp_stream_open", err);
    return err;
  }
  return 0;
}

static void run_case(struct run *r, const struct sh_cpus *cpus) {
  char label[48];
  struct sh_report rep;
  char msg[256];
  ssize_t err;
  if (start(r) != 0) {
    end_close(&r->e);
    sh_peer_finish(&r->peer, 1, &rep, msg, sizeof(msg));
    return;
  }
  bt_watchdog_arm(bt_watchdog_s(r->n, r->size));
  err = r->c->bulk ? bulk_loop(r) : line_loop(r);
  if (err < 0)
    bt_fail(r->st, r->c->bulk ? "bulk read" : "line ping-pong", (int)err);
  /* The bulk child may still be writing what nobody will read. */
  end_close(&r->e);
  sh_chan_close_end(&r->chan, 0);
  if (sh_peer_finish(&r->peer, err < 0, &rep, msg, sizeof(msg)) != 0)
    bt_peer_failed(r->st, msg);
  sh_deadline_disarm();
  if (err >= 0) {
    sb_items_processed(r->st, r->n);
    sb_bytes_processed(r->st, r->n * (int64_t)r->size);
    sh_cpus_label(cpus, label, sizeof(label));
    sb_label(r->st, label);
  }
}

static void bm_stream(sb_state *st, void *arg) {
  struct run r;
  struct sh_cpus cpus;
  char why[128];
  int err;
  memset(&r, 0, sizeof(r));
  r.st = st;
  r.c = arg;
  r.size = (size_t)sb_range(st, 0);
  r.n = sb_max_iterations(st);
  sh_cpus_pick(SH_PIN_SAME, &cpus, why, sizeof(why));
  r.buf = calloc(2, r.size + 1);
  if (!r.buf) {
    bt_fail(st, "malloc", -ENOMEM);
    return;
  }
  if (bt_chan_open_st(st, r.c->t, &r.chan) != 0)
    goto out;
  err = sh_pin_self(cpus.self); /* the child inherits it */
  if (err != 0)
    bt_fail(st, "sched_setaffinity", err);
  else
    run_case(&r, &cpus);
  sh_chan_close(&r.chan);
  sh_unpin_self();
out:
  free(r.buf);
}

static void add(const char *family, const char *transport, int bulk,
                int64_t size) {
  static const char *const arg_names[] = {"bytes"};
  char name[128];
  for (int api = API_RAW; api <= API_STREAM && ncases < MAX_CASES; api++) {
    struct st_case *c = &cases[ncases++];
    sb_bench *b;
    *c = (struct st_case){sh_transport_find(transport), api, bulk};
    snprintf(name, sizeof(name), "%s/%s/%s", family, transport, api_names[api]);
    b = sb_register(name, bm_stream, c);
    sb_args(b, &size, 1);
    sb_arg_names(b, arg_names, 1);
    sb_use_manual_time(b);
    sb_unit(b, SB_US);
  }
}

void bm_stream_register(void) {
  add("BM_StreamLine", "unix-stream", 0, 64);
  add("BM_StreamLine", "unix-seqpacket", 0, 64);
  add("BM_StreamLine", "tcp4", 0, 64);
  add("BM_StreamLine", "pipe", 0, 64);
  add("BM_StreamBulk", "unix-stream", 1, 65536);
  add("BM_StreamBulk", "tcp4", 1, 65536);
  add("BM_StreamBulk", "pipe", 1, 65536);
}
