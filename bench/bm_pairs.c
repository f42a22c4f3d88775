/*
 * Family: n independent ping-pong pairs at once (will-it-scale's shape:
 * each task with its own pair), over every transport of the latency
 * family, processes or threads, unpinned.
 *
 *   BM_Pairs/<transport>/<process|thread>/pairs:<n>/manual_time
 *
 * One iteration is two timed rounds of the same tasks: pair 1 alone (the
 * baseline) and all n pairs at once, in turn first; each round lasts a
 * window (--sp_pairs_window_ms, and until every pair has done MARK_AFTER
 * round trips) and counts the round trips that ended inside it.
 * The manual time is the n-pair window. Counters: items_per_second (the
 * aggregate round trips / s of the n pairs), rt_per_s_1 (the baseline's),
 * scaling_efficiency = aggregate / (n x baseline), both from the same
 * iterations; p50_us p90_us p99_us p99.9_us mean_us: every pair's round
 * trips in the n-pair windows.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "crew.h"
#include "sockpair.h"

#define MSG_SIZE 64
#define SAMPLES_ALL (128 * 1024) /* RTT samples per round, over all pairs */
#define SAMPLES_MIN 256          /* ... and at least this many per pair */
/* A window lasts until every pair has done this many round trips: on a
 * busy machine a pair the scheduler starved would say nothing. */
#define MARK_AFTER 20

static struct bm_contention_case cases[64];

/* One pinger's round, in the shared mapping. */
struct slot {
  _Alignas(64) int64_t count; /* round trips that ended in the window */
  int64_t nsamp;              /* RTT samples kept (<= cap) */
  _Atomic int64_t live;       /* round trips so far in this round */
  _Atomic uint32_t done;      /* the last round this pinger finished */
  int32_t err;
  char what[28];
};

struct task_arg {
  struct pairs *p;
  int i;
};

struct pairs {
  const struct bm_contention_case *c;
  int n;
  size_t size, cap;
  struct sh_crew crew;
  struct sh_chan *chans;
  struct task_arg *args;
  /* shared */
  _Atomic uint32_t *active; /* pingers taking part in this round */
  struct slot *slots;
  int64_t *samples;   /* cap per pinger, ns */
  int64_t hang_after; /* SP_BENCH_PEER_HANG: pair 1's echo stops */
  int pipes_closed;   /* by unblock() */
};

static int timed_round_trips(struct sh_crew_ctl *ctl, struct pairs *p, int i,
                             uint32_t r) {
  char buf[MSG_SIZE];
  const struct sh_transport *t = p->c->t;
  struct slot *s = &p->slots[i];
  int64_t *samp = p->samples + (size_t)i * p->cap;
  int rfd = p->chans[i].rfd[0], wfd = p->chans[i].wfd[0];
  int64_t n = 0, last = 0;
  while (!sh_crew_stopped(ctl, r)) {
    int64_t t0 = sh_now_ns();
    int err = sh_send(t, wfd, buf, p->size);
    if (err == 0)
      err = sh_recv(t, rfd, buf, p->size);
    if (err != 0) {
      snprintf(s->what, sizeof(s->what), "round trip");
      return err;
    }
    last = sh_now_ns();
    if (n < (int64_t)p->cap)
      samp[n] = last - t0;
    if (++n == MARK_AFTER)
      sh_crew_mark(ctl);
    atomic_store_explicit(&s->live, n, memory_order_relaxed);
  }
  s->nsamp = n < (int64_t)p->cap ? n : (int64_t)p->cap;
  /* Only the last round trip can have ended after the stop. */
  if (n > 0 && last > atomic_load(&ctl->t_stop))
    n--;
  s->count = n;
  return 0;
}

static int pinger(struct sh_crew_ctl *ctl, void *arg) {
  struct task_arg *a = arg;
  struct pairs *p = a->p;
  struct slot *s = &p->slots[a->i];
  for (uint32_t r = 1; sh_crew_gate(ctl, r); r++) {
    s->count = s->nsamp = 0;
    atomic_store(&s->live, 0);
    if ((uint32_t)a->i < atomic_load(p->active)) {
      int err = timed_round_trips(ctl, p, a->i, r);
      if (err != 0) {
        if (!sh_crew_aborted(ctl)) /* else it is the abort's echo */
          s->err = err;
        sh_crew_fail(ctl);
        return 2;
      }
    }
    atomic_store(&s->done, r);
    sh_crew_done(ctl);
  }
  return 0;
}

/* The other end: echoes until its pinger's end closes or the crew ends
 * (an eventfd never closes: the teardown kills or cancels it). */
static int echo(struct sh_crew_ctl *ctl, void *arg) {
  struct task_arg *a = arg;
  struct pairs *p = a->p;
  const struct sh_transport *t = p->c->t;
  int rfd = p->chans[a->i].rfd[1], wfd = p->chans[a->i].wfd[1];
  char buf[MSG_SIZE];
  for (int64_t k = 0; !sh_crew_aborted(ctl); k++) {
    int err;
    if (a->i == 0 && k == p->hang_after)
      sh_crew_hang(ctl); /* the stuck-peer test */
    err = sh_recv(t, rfd, buf, p->size);
    if (err == 0)
      err = sh_send(t, wfd, buf, p->size);
    if (err != 0)
      return 0; /* the pinger's end is gone: the run is over */
  }
  return 0;
}

static int start_pair(struct pairs *p, int i, char *why, size_t len) {
  struct sh_chan *ch = &p->chans[i];
  int err = sh_chan_open(p->c->t, ch);
  int close_pinger[2], close_echo[2];
  if (err != 0) {
    snprintf(why, len, "error: pair %d: opening: %s (%s)", i + 1,
             sp_err_name(err), sp_strerror(err));
    return err;
  }
  close_pinger[0] = ch->rfd[1];
  close_pinger[1] = ch->wfd[1] != ch->rfd[1] ? ch->wfd[1] : -1;
  close_echo[0] = ch->rfd[0];
  close_echo[1] = ch->wfd[0] != ch->rfd[0] ? ch->wfd[0] : -1;
  p->args[2 * i] = (struct task_arg){p, i};
  p->args[2 * i + 1] = (struct task_arg){p, i};
  err = sh_crew_spawn(&p->crew, pinger, &p->args[2 * i], close_pinger, 2);
  if (err == 0)
    err = sh_crew_spawn(&p->crew, echo, &p->args[2 * i + 1], close_echo, 2);
  if (p->c->mode == SH_PROCESS)
    sh_chan_close(ch); /* the children have their ends */
  if (err == -EAGAIN)
    snprintf(why, len,
             "skip: %s: EAGAIN at task %d of %d: a process or thread limit "
             "(RLIMIT_NPROC, the cgroup's pids.max, kernel.threads-max)",
             p->c->mode == SH_THREAD ? "pthread_create" : "fork", p->crew.n + 1,
             2 * p->n);
  else if (err != 0)
    snprintf(why, len, "error: starting pair %d: %s (%s)", i + 1,
             sp_err_name(err), sp_strerror(err));
  return err;
}

/* Thread mode, on abort (and at the end: the echoes wait for a ping that
 * will not come): every blocked round trip returns. */
static void unblock(void *arg) {
  struct pairs *p = arg;
  uint64_t one = 1;
  for (int i = 0; i < p->n; i++) {
    struct sh_chan *c = &p->chans[i];
    for (int end = 0; end < 2; end++) {
      if (c->wfd[end] < 0)
        continue;
      if (p->c->t->create == SH_SOCKETPAIR)
        shutdown(c->wfd[end], SHUT_RDWR);
      else if (p->c->t->create == SH_EVENTFDS)
        (void)!write(c->wfd[end], &one, sizeof(one));
      else
        close(c->wfd[end]); /* the reader sees EOF */
    }
  }
  p->pipes_closed = p->c->t->create == SH_PIPES;
}

/* The crew: pinger and echo of each pair; only the n pingers take part in
 * rounds. */
static int open_pairs(struct pairs *p, char *why, size_t len) {
  size_t bytes = 64 + (size_t)p->n * sizeof(struct slot) +
                 (size_t)p->n * p->cap * sizeof(int64_t);
  char *shared;
  int err;
  p->chans = calloc((size_t)p->n, sizeof(*p->chans));
  p->args = calloc(2 * (size_t)p->n, sizeof(*p->args));
  if (!p->chans || !p->args) {
    snprintf(why, len, "error: malloc: out of memory");
    return -1;
  }
  for (int i = 0; i < p->n; i++)
    p->chans[i] = (struct sh_chan){{-1, -1}, {-1, -1}};
  err = sh_crew_init(&p->crew, p->c->mode, 2 * p->n, bytes, (void **)&shared);
  if (err != 0) {
    snprintf(why, len, "error: the shared memory: %s (%s)", sp_err_name(err),
             sp_strerror(err));
    return -1;
  }
  p->active = (_Atomic uint32_t *)shared;
  p->slots = (struct slot *)(shared + 64);
  p->samples = (int64_t *)(shared + 64 + (size_t)p->n * sizeof(struct slot));
  sh_crew_on_abort(&p->crew, unblock, p);
  for (int i = 0; i < p->n; i++)
    if (start_pair(p, i, why, len) != 0)
      return -1;
  return 0;
}

static void close_pairs(struct pairs *p) {
  if (p->crew.ctl)
    sh_crew_end(&p->crew, 1);
  for (int i = 0; p->chans && i < p->n; i++) {
    if (p->pipes_closed)
      p->chans[i].wfd[0] = p->chans[i].wfd[1] = -1;
    sh_chan_close(&p->chans[i]);
  }
  free(p->chans);
  free(p->args);
}

/* The first pinger's own error, else one that did not finish (its echo
 * stopped answering), else the crew's message. */
static void explain(struct pairs *p, char *why, size_t len) {
  if (p->crew.dead) { /* the others' errors follow from it */
    snprintf(why, len, "error: %s", p->crew.err);
    return;
  }
  for (int i = 0; i < p->n; i++)
    if (p->slots[i].err != 0) {
      snprintf(why, len, "error: pair %d: %s: %s (%s)", i + 1, p->slots[i].what,
               sp_err_name(p->slots[i].err), sp_strerror(p->slots[i].err));
      return;
    }
  for (int i = 0; i < p->n; i++)
    if (atomic_load(&p->slots[i].done) < p->crew.round) {
      snprintf(why, len,
               "error: %s; pair %d stopped answering after %lld "
               "round trips",
               p->crew.err, i + 1, (long long)atomic_load(&p->slots[i].live));
      return;
    }
  snprintf(why, len, "error: %s", p->crew.err);
}

struct window {
  int64_t rts, ns;
};

/* One timed round with `active` pairs; 0 or -1 with why. */
static int timed_round(struct pairs *p, unsigned active, struct window *w,
                       char *why, size_t len) {
  int64_t win = (int64_t)bm_contention.window_ms * 1000000;
  unsigned s = getenv("SP_BENCH_WATCHDOG_S") ? bt_deadline_s(0, 0)
                                             : 10 + (unsigned)p->n / 10;
  struct sh_crew_ctl *ctl = p->crew.ctl;
  atomic_store(p->active, active);
  if (sh_crew_round(&p->crew, (unsigned)p->n, win, active,
                    sh_now_ns() + win + (int64_t)s * 1000000000) != 0) {
    explain(p, why, len);
    return -1;
  }
  w->rts = 0;
  for (unsigned i = 0; i < active; i++)
    w->rts += p->slots[i].count;
  w->ns = atomic_load(&ctl->t_stop) - atomic_load(&ctl->t_release);
  return 0;
}

struct totals {
  struct window one, all;
  int64_t *rtt; /* ns */
  size_t nrtt, cap;
};

static void keep_samples(struct pairs *p, struct totals *t) {
  for (int i = 0; i < p->n; i++) {
    size_t k = (size_t)p->slots[i].nsamp;
    if (t->nrtt + k > t->cap)
      k = t->cap - t->nrtt;
    memcpy(t->rtt + t->nrtt, p->samples + (size_t)i * p->cap,
           k * sizeof(int64_t));
    t->nrtt += k;
  }
}

static void report(sb_state *st, const struct pairs *p, struct totals *t) {
  struct sh_stats s;
  double agg = (double)t->all.rts / ((double)t->all.ns * 1e-9);
  double one = (double)t->one.rts / ((double)t->one.ns * 1e-9);
  sh_stats_compute(t->rtt, t->nrtt, &s);
  bt_stats_report(st, &s);
  sb_items_processed(st, t->all.rts);
  sb_counter(st, "rt_per_s_1", one, 0);
  sb_counter(st, "scaling_efficiency", one > 0 ? agg / ((double)p->n * one) : 0,
             0);
  sb_label(st, "cpus=any");
}

static int iterate(sb_state *st, struct pairs *p, struct totals *t) {
  char why[320];
  for (int k = 0; sb_keep_running(st); k++) {
    struct window one, all;
    /* Baseline first, then last: drift of the machine cancels out. */
    unsigned first = k % 2 ? (unsigned)p->n : 1,
             second = k % 2 ? 1 : (unsigned)p->n;
    if (timed_round(p, first, k % 2 ? &all : &one, why, sizeof(why)) != 0 ||
        timed_round(p, second, k % 2 ? &one : &all, why, sizeof(why)) != 0) {
      sb_skip_with_error(st, why);
      return -1;
    }
    sb_set_iteration_time(st, (double)all.ns * 1e-9);
    t->one.rts += one.rts;
    t->one.ns += one.ns;
    t->all.rts += all.rts;
    t->all.ns += all.ns;
    keep_samples(p, t);
  }
  return 0;
}

/* As BM_Messaging's (bm_messaging.c): the pairs of the last run stay for
 * the next run of the same benchmark, so its repetitions, back to back,
 * start no process again. */
static struct pairs *kept;

static void drop_kept(void) {
  if (!kept)
    return;
  close_pairs(kept);
  free(kept);
  kept = NULL;
}

/* This benchmark's pairs, kept or new; NULL and why ("skip: ..." for a
 * limit too low). */
static struct pairs *take(const struct bm_contention_case *c, int n, char *why,
                          size_t len) {
  struct pairs *p;
  if (kept && kept->c == c && kept->n == n)
    return kept;
  drop_kept();
  if (sh_crew_limits(c->mode, 2L * n, c->mode == SH_THREAD ? 4L * n : 4, why,
                     len) != 0)
    return NULL;
  p = calloc(1, sizeof(*p));
  if (!p) {
    snprintf(why, len, "error: malloc: out of memory");
    return NULL;
  }
  p->c = c;
  p->n = n;
  p->size = c->t->create == SH_EVENTFDS ? 8 : MSG_SIZE;
  p->cap = SAMPLES_ALL / (size_t)n;
  if (p->cap < SAMPLES_MIN)
    p->cap = SAMPLES_MIN;
  p->hang_after = bt_peer_hang_after();
  if (open_pairs(p, why, len) != 0) {
    close_pairs(p);
    free(p);
    return NULL;
  }
  return kept = p;
}

static void bm_pairs(sb_state *st, void *arg) {
  struct pairs *p;
  struct totals t;
  struct sh_chan probe;
  char why[320];
  int64_t iters = sb_max_iterations(st);
  if (bt_chan_open_st(st, ((const struct bm_contention_case *)arg)->t,
                      &probe) != 0)
    return; /* the kernel has no such transport: skipped with its reason */
  sh_chan_close(&probe);
  p = take(arg, (int)sb_range(st, 0), why, sizeof(why));
  if (!p) {
    sb_skip_with_error(st, why);
    return;
  }
  memset(&t, 0, sizeof(t));
  t.cap = p->cap * (size_t)p->n * (size_t)(iters < 1 ? 1 : iters);
  if (t.cap > 8 * (size_t)SAMPLES_ALL)
    t.cap = 8 * (size_t)SAMPLES_ALL;
  t.rtt = malloc(t.cap * sizeof(int64_t));
  if (!t.rtt)
    bt_fail(st, "malloc", -ENOMEM);
  else if (iterate(st, p, &t) == 0)
    report(st, p, &t);
  else
    drop_kept(); /* a failed round: its tasks are gone */
  free(t.rtt);
}

void bm_pairs_register(void) {
  size_t n = 0;
  atexit(drop_kept);
  for (size_t i = 0; i < sh_ntransports && n + 2 <= 64; i++)
    for (int mode = SH_PROCESS; mode <= SH_THREAD; mode++) {
      cases[n] = (struct bm_contention_case){&sh_transports[i], mode};
      bm_contention_add("BM_Pairs", &cases[n++], bm_pairs, "pairs",
                        bm_contention.pairs, bm_contention.npairs);
    }
}
