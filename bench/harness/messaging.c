/*
 * hackbench's messaging over every transport (see messaging.h): the
 * channels, the sender and receiver tasks, and one round's figures.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "messaging.h"
#include "sockpair.h"

/* UDP: this long without a datagram, once the senders are done, means
 * the queue is drained (the completion time is the last receive's). */
#define DRAIN_MS 10
#define ALIGN 64

struct hdr {
  int64_t ts; /* the sender's CLOCK_MONOTONIC ns */
  uint32_t round, sender, seq, pad;
};

/* Written by one task, read by the coordinator between rounds; a cache
 * line each (a receiver writes `got` at every message). */
struct recv_slot {
  _Alignas(64) _Atomic int64_t got; /* live: how far a stuck one got */
  int64_t t_done, csw;
  int32_t err;
  char what[44];
};

struct send_slot {
  _Alignas(64) int64_t sent;
  int64_t csw;
  int32_t err;
  char what[44];
};

struct task_arg {
  struct sh_msg *m;
  int group, index;
  char *buf;      /* size bytes, this task's own */
  uint32_t *next; /* receiver: each sender's next sequence number */
};

struct sh_msg {
  struct sh_msg_config cfg;
  struct sh_crew crew;
  int ntasks, nrecv, lock;
  int pipes_closed; /* by unblock() */
  int *rfd, *wfd;   /* per receiver: its read end, the senders' write end */
  struct task_arg *args;
  char *bufs;     /* every task's message buffer */
  uint32_t *next; /* every receiver's sequence numbers */
  /* in the shared mapping */
  _Atomic uint32_t *senders_done; /* per group, cumulative over rounds */
  struct recv_slot *rs;
  struct send_slot *ss;
  pthread_mutex_t *locks;
  int64_t *lat; /* per receiver: fds * loops samples (ns) */
  int64_t *lat_out;
  int64_t hang_after; /* SP_BENCH_RECEIVER_HANG: the stuck-receiver test */
};

long sh_msg_tasks(const struct sh_msg_config *cfg) {
  return 2L * cfg->groups * cfg->fds;
}

long sh_msg_fds(const struct sh_msg_config *cfg) {
  /* A pipe channel is opened as two pipes (one is closed at once). */
  long per_group = 4L * cfg->fds;
  return cfg->mode == SH_THREAD ? per_group * cfg->groups : per_group;
}

static int64_t csw_now(enum sh_mode mode) {
  return mode == SH_THREAD ? sh_csw_thread() : sh_csw_self();
}

/* Whether a write of this size can be split (and interleaved with
 * another sender's) by the kernel. */
static int needs_lock(const struct sh_transport *t, size_t size) {
  if (!t->bytestream)
    return 0;
  if (t->create == SH_SOCKETPAIR && t->domain != SP_PF_UNIX)
    return 1; /* TCP: tcp_sendmsg waits for memory mid-message */
  return size > PIPE_BUF;
}

/* Checks one message; 0, 1 (UDP: a late one of an earlier round, to
 * ignore) or a negative errno. */
static int check_msg(const struct sh_msg *m, const struct hdr *h, uint32_t r,
                     uint32_t *next) {
  if (m->cfg.t->may_drop && h->round < r)
    return 1;
  if (h->round != r || h->sender >= (uint32_t)m->cfg.fds ||
      h->seq >= (uint32_t)m->cfg.loops)
    return -EBADMSG;
  if (!m->cfg.t->may_drop && h->seq != next[h->sender])
    return -EBADMSG; /* out of order: two writes interleaved */
  next[h->sender] = h->seq + 1;
  return 0;
}

static int receive_round(struct sh_crew_ctl *ctl, struct sh_msg *m,
                         const struct task_arg *a, uint32_t r) {
  const struct sh_msg_config *cfg = &m->cfg;
  int k = a->group * cfg->fds + a->index;
  int fd = m->rfd[k];
  char *buf = a->buf;
  uint32_t *next = a->next;
  int64_t expect = (int64_t)cfg->fds * cfg->loops, got = 0, t = 0;
  int64_t c0 = csw_now(cfg->mode);
  int64_t *lat = m->lat + k * expect;
  struct recv_slot *s = &m->rs[k];
  memset(next, 0, (size_t)cfg->fds * sizeof(*next));
  while (got < expect) {
    struct hdr h;
    int err;
    if (got == m->hang_after && k == 0)
      sh_crew_hang(ctl); /* until the deadline aborts the round */
    err = sh_recv(cfg->t, fd, buf, cfg->size); /* UDP: EAGAIN after DRAIN_MS */
    if (err == -EAGAIN &&
        atomic_load(&m->senders_done[a->group]) >= (uint32_t)cfg->fds * r)
      break; /* UDP: the senders are done and the queue is drained */
    if (err == -EAGAIN && !sh_crew_aborted(ctl))
      continue;
    if (err != 0) {
      snprintf(s->what, sizeof(s->what), "recv");
      return err;
    }
    t = sh_now_ns();
    memcpy(&h, buf, sizeof(h));
    err = check_msg(m, &h, r, next);
    if (err < 0) {
      snprintf(s->what, sizeof(s->what), "a corrupted or misordered message");
      return err;
    }
    if (err > 0)
      continue;
    lat[got++] = t - h.ts;
    atomic_store_explicit(&s->got, got, memory_order_relaxed);
  }
  s->t_done = t;
  s->csw = csw_now(cfg->mode) - c0;
  return 0;
}

/* The lock of a receiver's channel, bounded: 0 or a negative errno. */
static int lock(struct sh_crew_ctl *ctl, pthread_mutex_t *mu) {
  for (;;) {
    struct timespec ts;
    int err;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    err = pthread_mutex_timedlock(mu, &ts);
    if (err == 0)
      return 0;
    if (err == EOWNERDEAD) { /* a task died holding it: the round fails */
      pthread_mutex_consistent(mu);
      pthread_mutex_unlock(mu);
      return -EOWNERDEAD;
    }
    if (err != ETIMEDOUT || sh_crew_aborted(ctl))
      return err == ETIMEDOUT ? -ECANCELED : -err;
  }
}

static int send_round(struct sh_crew_ctl *ctl, struct sh_msg *m,
                      const struct task_arg *a, uint32_t r) {
  const struct sh_msg_config *cfg = &m->cfg;
  const int *wfd = &m->wfd[a->group * cfg->fds];
  pthread_mutex_t *locks = m->lock ? &m->locks[a->group * cfg->fds] : NULL;
  struct send_slot *s = &m->ss[a->group * cfg->fds + a->index];
  int64_t c0 = csw_now(cfg->mode), sent = 0;
  struct hdr h = {0, r, (uint32_t)a->index, 0, 0};
  char *buf = a->buf;
  for (int i = 0; i < cfg->loops; i++) {
    h.seq = (uint32_t)i;
    for (int j = 0; j < cfg->fds; j++) {
      int err = locks ? lock(ctl, &locks[j]) : 0;
      if (err != 0) {
        snprintf(s->what, sizeof(s->what), "the channel's lock");
        return err;
      }
      h.ts = sh_now_ns();
      memcpy(buf, &h, sizeof(h));
      err = sh_send(cfg->t, wfd[j], buf, cfg->size);
      if (locks)
        pthread_mutex_unlock(&locks[j]);
      if (err == -ENOBUFS && cfg->t->may_drop)
        continue; /* dropped at the sender: a loss */
      if (err != 0) {
        snprintf(s->what, sizeof(s->what), "send");
        return err;
      }
      sent++;
    }
  }
  s->sent = sent;
  s->csw = csw_now(cfg->mode) - c0;
  atomic_fetch_add(&m->senders_done[a->group], 1);
  return 0;
}

typedef int (*round_fn)(struct sh_crew_ctl *ctl, struct sh_msg *m,
                        const struct task_arg *a, uint32_t r);

/* A task: one round after another until the crew ends; a failure (its
 * slot says why) ends the round for everyone. */
static int task_loop(struct sh_crew_ctl *ctl, const struct task_arg *a,
                     round_fn fn, int32_t *err) {
  for (uint32_t r = 1; sh_crew_gate(ctl, r); r++) {
    int e = fn(ctl, a->m, a, r);
    if (e != 0) {
      /* After an abort, errors are its echo (shut down channels). */
      if (!sh_crew_aborted(ctl))
        *err = e;
      sh_crew_fail(ctl);
      return 2;
    }
    sh_crew_done(ctl);
  }
  return 0;
}

static int receiver(struct sh_crew_ctl *ctl, void *p) {
  const struct task_arg *a = p;
  return task_loop(ctl, a, receive_round,
                   &a->m->rs[a->group * a->m->cfg.fds + a->index].err);
}

static int sender(struct sh_crew_ctl *ctl, void *p) {
  const struct task_arg *a = p;
  return task_loop(ctl, a, send_round,
                   &a->m->ss[a->group * a->m->cfg.fds + a->index].err);
}

static size_t up(size_t n) {
  return (n + ALIGN - 1) / ALIGN * ALIGN;
}

/* Lays the shared parts out in one mapping. */
static int map_shared(struct sh_msg *m) {
  const struct sh_msg_config *cfg = &m->cfg;
  size_t per = (size_t)cfg->fds * (size_t)cfg->loops;
  size_t o_sd = 0, o_rs, o_ss, o_lk, o_lat, total;
  char *base;
  int err;
  o_rs = up(o_sd + (size_t)cfg->groups * sizeof(*m->senders_done));
  o_ss = up(o_rs + (size_t)m->nrecv * sizeof(*m->rs));
  o_lk = up(o_ss + (size_t)m->nrecv * sizeof(*m->ss));
  o_lat = up(o_lk + (m->lock ? (size_t)m->nrecv * sizeof(*m->locks) : 0));
  total = o_lat + (size_t)m->nrecv * per * sizeof(int64_t);
  err = sh_crew_init(&m->crew, cfg->mode, m->ntasks, total, (void **)&base);
  if (err != 0)
    return err;
  m->senders_done = (_Atomic uint32_t *)(base + o_sd);
  m->rs = (struct recv_slot *)(base + o_rs);
  m->ss = (struct send_slot *)(base + o_ss);
  m->locks = (pthread_mutex_t *)(base + o_lk);
  m->lat = (int64_t *)(base + o_lat);
  return 0;
}

static int init_locks(struct sh_msg *m) {
  pthread_mutexattr_t at;
  int err = pthread_mutexattr_init(&at);
  if (err == 0)
    err = pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
  if (err == 0)
    err = pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
  for (int i = 0; err == 0 && i < m->nrecv; i++)
    err = pthread_mutex_init(&m->locks[i], &at);
  pthread_mutexattr_destroy(&at);
  return -err;
}

/* One channel per receiver of group g: the receiver reads rfd, the
 * senders write wfd. 0, or a negative errno with what set. */
static int open_group(struct sh_msg *m, int g, const char **what) {
  const struct sh_transport *t = m->cfg.t;
  struct timeval tv = {0, DRAIN_MS * 1000};
  for (int i = 0; i < m->cfg.fds; i++) {
    int k = g * m->cfg.fds + i;
    struct sh_chan c;
    int err = sh_chan_open(t, &c);
    if (err != 0) {
      *what = t->create == SH_SOCKETPAIR ? "sp_socketpair" : "pipe2";
      return err;
    }
    /* One direction: end 0 writes, end 1 reads (a pipe channel's other
     * pipe is not needed). */
    m->wfd[k] = c.wfd[0];
    m->rfd[k] = c.rfd[1];
    if (t->create == SH_PIPES) {
      close(c.rfd[0]);
      close(c.wfd[1]);
    }
    if (t->may_drop &&
        setsockopt(m->rfd[k], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
      *what = "setsockopt(SO_RCVTIMEO)";
      return -errno;
    }
  }
  return 0;
}

/* Thread mode, on abort: every blocked send and receive returns (a shut
 * down socket says EOF / EPIPE; a pipe whose ends are closed too). */
static void unblock(void *arg) {
  struct sh_msg *m = arg;
  for (int k = 0; k < m->nrecv; k++) {
    if (m->rfd[k] < 0)
      continue;
    if (m->cfg.t->create == SH_SOCKETPAIR) {
      shutdown(m->rfd[k], SHUT_RDWR);
      shutdown(m->wfd[k], SHUT_RDWR);
    } else {
      close(m->rfd[k]);
      close(m->wfd[k]);
    }
  }
  m->pipes_closed = m->cfg.t->create != SH_SOCKETPAIR;
}

static void close_group(struct sh_msg *m, int g) {
  for (int i = 0; i < m->cfg.fds; i++) {
    int k = g * m->cfg.fds + i;
    if (m->rfd[k] >= 0 && !m->pipes_closed)
      close(m->rfd[k]);
    if (m->wfd[k] >= 0 && !m->pipes_closed)
      close(m->wfd[k]);
    m->rfd[k] = m->wfd[k] = -1;
  }
}

/* What a child of group g closes: a receiver (role 0) every descriptor
 * of its group but its own read end, a sender every read end. */
static int close_list(const struct sh_msg *m, int g, int role, int i,
                      int *closefds) {
  int n = 0;
  for (int j = 0; j < m->cfg.fds; j++) {
    int k = g * m->cfg.fds + j;
    if (role == 1 || j != i)
      closefds[n++] = m->rfd[k];
    if (role == 0)
      closefds[n++] = m->wfd[k];
  }
  return n;
}

/* Group g's tasks; in process mode the parent then closes the group's
 * channels (the children have them). */
static int spawn_group(struct sh_msg *m, int g, int *closefds) {
  int fds = m->cfg.fds, err = 0;
  for (int role = 0; role < 2 && err == 0; role++)
    for (int i = 0; i < fds && err == 0; i++) {
      struct task_arg *a = &m->args[m->crew.n];
      size_t k = (size_t)(g * fds + i);
      int n = close_list(m, g, role, i, closefds);
      *a = (struct task_arg){m, g, i,
                             m->bufs + ((size_t)role * (size_t)m->nrecv + k) *
                                           m->cfg.size,
                             m->next + k * (size_t)fds};
      err = sh_crew_spawn(&m->crew, role == 0 ? receiver : sender, a, closefds,
                          n);
    }
  if (m->cfg.mode == SH_PROCESS)
    close_group(m, g);
  return err;
}

static int start(struct sh_msg *m, char *why, size_t len) {
  int *closefds = malloc(2 * (size_t)m->cfg.fds * sizeof(int));
  int err = closefds ? 0 : -ENOMEM;
  const char *what = "malloc";
  for (int g = 0; g < m->cfg.groups && err == 0; g++) {
    err = open_group(m, g, &what);
    if (err == 0) {
      what = m->cfg.mode == SH_THREAD ? "pthread_create" : "fork";
      err = spawn_group(m, g, closefds);
    }
  }
  free(closefds);
  if (err == -EAGAIN)
    snprintf(why, len,
             "skip: %s: EAGAIN at task %d of %d: a process or thread limit "
             "(RLIMIT_NPROC, the cgroup's pids.max, kernel.threads-max)",
             what, m->crew.n + 1, m->ntasks);
  else if (err == -EMFILE || err == -ENFILE)
    snprintf(why, len,
             "skip: %s: %s: a descriptor limit (RLIMIT_NOFILE, fs.file-max); "
             "this configuration needs %ld",
             what, sp_err_name(err), sh_msg_fds(&m->cfg));
  else if (err != 0)
    snprintf(why, len, "error: %s: %s (%s)", what, sp_err_name(err),
             sp_strerror(err));
  return err;
}

static void free_msg(struct sh_msg *m) {
  for (int g = 0; m->rfd && g < m->cfg.groups; g++)
    close_group(m, g);
  free(m->rfd);
  free(m->wfd);
  free(m->args);
  free(m->bufs);
  free(m->next);
  free(m->lat_out);
  free(m);
}

int sh_msg_open(struct sh_msg **out, const struct sh_msg_config *cfg, char *why,
                size_t len) {
  struct sh_msg *m;
  const char *hang = getenv("SP_BENCH_RECEIVER_HANG");
  size_t nlat;
  int err;
  *out = NULL;
  if (cfg->size < SH_MSG_HEADER || cfg->groups < 1 || cfg->fds < 1 ||
      cfg->loops < 1) {
    snprintf(why, len,
             "error: a message needs >= %d bytes, and groups, fds "
             "and loops >= 1",
             SH_MSG_HEADER);
    return -1;
  }
  if (sh_crew_limits(cfg->mode, sh_msg_tasks(cfg), sh_msg_fds(cfg), why, len) !=
      0)
    return -1;
  m = calloc(1, sizeof(*m));
  if (!m)
    goto oom;
  m->cfg = *cfg;
  m->nrecv = cfg->groups * cfg->fds;
  m->ntasks = 2 * m->nrecv;
  m->lock = needs_lock(cfg->t, cfg->size);
  m->hang_after = hang ? strtoll(hang, NULL, 10) : -1;
  nlat = (size_t)m->nrecv * (size_t)cfg->fds * (size_t)cfg->loops;
  m->rfd = malloc((size_t)m->nrecv * sizeof(int));
  m->wfd = malloc((size_t)m->nrecv * sizeof(int));
  m->args = calloc((size_t)m->ntasks, sizeof(*m->args));
  m->lat_out = malloc(nlat * sizeof(int64_t));
  m->bufs = calloc((size_t)m->ntasks, cfg->size);
  m->next = malloc((size_t)m->nrecv * (size_t)cfg->fds * sizeof(uint32_t));
  if (!m->rfd || !m->wfd || !m->args || !m->lat_out || !m->bufs || !m->next)
    goto oom;
  memset(m->rfd, -1, (size_t)m->nrecv * sizeof(int));
  memset(m->wfd, -1, (size_t)m->nrecv * sizeof(int));
  if ((err = map_shared(m)) != 0 || (m->lock && (err = init_locks(m)) != 0)) {
    snprintf(why, len, "error: the shared memory: %s (%s)", sp_err_name(err),
             sp_strerror(err));
    sh_crew_end(&m->crew, 1);
    free_msg(m);
    return -1;
  }
  sh_crew_on_abort(&m->crew, unblock, m);
  if (start(m, why, len) != 0) {
    sh_crew_end(&m->crew, 1);
    free_msg(m);
    return -1;
  }
  *out = m;
  return 0;
oom:
  if (m)
    free_msg(m);
  snprintf(why, len, "error: malloc: out of memory");
  return -1;
}

/* After a failed round: the first task's own error, else a receiver that
 * fell behind, else the crew's message. */
static void explain(struct sh_msg *m, char *why, size_t len) {
  int64_t expect = (int64_t)m->cfg.fds * m->cfg.loops;
  if (m->crew.dead) { /* the others' errors follow from it */
    snprintf(why, len, "error: %s", m->crew.err);
    return;
  }
  for (int k = 0; k < m->nrecv; k++) {
    const char *role = m->rs[k].err ? "receiver" : "sender";
    int err = m->rs[k].err ? m->rs[k].err : m->ss[k].err;
    const char *what = m->rs[k].err ? m->rs[k].what : m->ss[k].what;
    if (err == 0)
      continue;
    snprintf(why, len, "error: %s %d of group %d: %s: %s (%s)", role,
             k % m->cfg.fds + 1, k / m->cfg.fds + 1, what, sp_err_name(err),
             sp_strerror(err));
    return;
  }
  for (int k = 0; k < m->nrecv; k++) {
    int64_t got = atomic_load(&m->rs[k].got);
    if (got < expect && !m->cfg.t->may_drop) {
      snprintf(why, len,
               "error: %s; receiver %d of group %d got %lld of "
               "%lld messages",
               m->crew.err, k % m->cfg.fds + 1, k / m->cfg.fds + 1,
               (long long)got, (long long)expect);
      return;
    }
  }
  snprintf(why, len, "error: %s", m->crew.err);
}

static void collect(struct sh_msg *m, int64_t t0, struct sh_msg_result *res) {
  int64_t per = (int64_t)m->cfg.fds * m->cfg.loops;
  int64_t first = INT64_MAX, last = 0;
  memset(res, 0, sizeof(*res));
  res->expected = per * m->nrecv;
  for (int k = 0; k < m->nrecv; k++) {
    const struct recv_slot *s = &m->rs[k];
    int64_t got = atomic_load(&s->got), d = s->t_done - t0;
    memcpy(m->lat_out + res->nlat, m->lat + k * per,
           (size_t)got * sizeof(int64_t));
    res->nlat += (size_t)got;
    res->delivered += got;
    res->sent += m->ss[k].sent;
    res->csw += s->csw + m->ss[k].csw;
    if (got > 0 && d < first)
      first = d;
    if (got > 0 && d > last)
      last = d;
  }
  res->t_release = t0;
  res->span_ns = last;
  res->fairness = first > 0 && first != INT64_MAX ? (double)last / first : 0;
  res->lat = m->lat_out;
}

int sh_msg_round(struct sh_msg *m, struct sh_msg_result *res, char *why,
                 size_t len) {
  unsigned s = m->cfg.timeout_s;
  int64_t msgs = (int64_t)m->nrecv * m->cfg.fds * m->cfg.loops;
  int64_t deadline;
  if (s == 0) /* 0.1 ms a message and 1 ms a task: 10x and more */
    s = (unsigned)(10 + msgs / 10000 + m->ntasks / 1000);
  deadline = sh_now_ns() + (int64_t)s * 1000000000;
  for (int k = 0; k < m->nrecv; k++)
    atomic_store(&m->rs[k].got, 0);
  if (sh_crew_round(&m->crew, (unsigned)m->ntasks, 0, 0, deadline) != 0) {
    explain(m, why, len); /* the tasks are gone; their slots remain */
    return -1;
  }
  collect(m, atomic_load(&m->crew.ctl->t_release), res);
  if (res->delivered == 0) {
    snprintf(why, len, "error: no message arrived (every one was dropped)");
    return -1;
  }
  return 0;
}

int sh_msg_stop(struct sh_msg *m, char *why, size_t len) {
  if (m->crew.ctl && !m->crew.stopped && sh_crew_end(&m->crew, 0) != 0) {
    snprintf(why, len, "error: %s", m->crew.err);
    return -1;
  }
  return 0;
}

void sh_msg_free(struct sh_msg *m) {
  if (!m)
    return;
  if (m->crew.ctl)
    sh_crew_end(&m->crew, 1);
  free_msg(m);
}

int sh_msg_close(struct sh_msg *m, char *why, size_t len) {
  int r = m ? sh_msg_stop(m, why, len) : 0;
  sh_msg_free(m);
  return r;
}
