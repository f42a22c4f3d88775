/*
 * The io_uring path (liburing). Each side has its own ring, made in the
 * process or thread that uses it (never inherited through fork), with
 * SINGLE_ISSUER | COOP_TASKRUN where the kernel has them.
 *
 * A ping-pong hop is one io_uring_enter: the send, linked to the receive
 * (IOSQE_IO_LINK), submitted and waited for together. A sender submits a
 * batch of sends per enter (linked on a byte stream, so that they go out
 * in order). A receiver arms one multishot recv over a ring of provided
 * buffers and takes what arrives at each enter; pipes (no multishot read
 * in liburing 2.3) and kernels without multishot recv (before 6.0) post
 * one plain receive at a time.
 *
 * Every wait has a timeout (IORING_ENTER_EXT_ARG): 100 ms slices, so a
 * peer thread, which no signal interrupts, still sees its deadline and a
 * cancellation. Each io_uring_enter is counted in sh_syscalls: liburing
 * makes exactly one per io_uring_submit_and_wait_timeout() call when the
 * kernel has EXT_ARG and there is something to submit or to wait for,
 * which wait_cqes() checks before calling it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "harness.h"
#include "sockpair.h"

#ifdef SP_HAVE_LIBURING
#include <liburing.h>

/* Kernel ABI values newer than liburing 2.3's headers (6.2). */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

#define RING_ENTRIES 256
#define SLICE_NS 100000000LL /* the longest single wait */
#define QUIET_NS 20000000LL  /* a lossy receiver's receive timeout */
#define BGID 1
#define MAX_BATCH 128

enum tag { T_SEND = 1, T_RECV, T_PROBE };

struct sh_uring {
  struct io_uring ring;
  unsigned setup; /* the setup flags the kernel took */
  int zc;         /* sends are send_zc */
  int zc_report;  /* send_zc says whether the kernel copied (6.2+) */
  /* a receiver */
  int multishot; /* 1: multishot recv over provided buffers */
  int armed;     /* a receive is in flight */
  int got_any;   /* a receive completed (multishot works) */
  struct io_uring_buf_ring *br;
  size_t br_len;
  unsigned nbufs;
  size_t blen; /* each provided buffer's size */
  char *bufs;
  char *rbuf; /* a plain receive's buffer */
  /* a sender: each send's result in the current batch */
  int res[MAX_BATCH];
};

static uint64_t udata(enum tag tag, unsigned idx) {
  return (uint64_t)tag << 32 | idx;
}

/* ---- what this kernel offers: probed once ---------------------------- */
static int probed, probe_err, probe_zc;
static char probe_why[160];

static int read_sysctl(const char *path) {
  FILE *f = fopen(path, "re");
  int v = -1;
  if (!f)
    return -1;
  if (fscanf(f, "%d", &v) != 1)
    v = -1;
  fclose(f);
  return v;
}

static void setup_refused(int err) {
  int disabled = read_sysctl("/proc/sys/kernel/io_uring_disabled");
  const char *why = "";
  if (err == -ENOSYS)
    why = " (a kernel without io_uring, or a seccomp filter)";
  else if ((err == -EPERM || err == -EACCES) && disabled > 0)
    why = disabled == 2 ? " (kernel.io_uring_disabled=2)"
                        : " (kernel.io_uring_disabled=1: "
                          "io_uring_group only)";
  else if (err == -EPERM || err == -EACCES)
    why = " (a seccomp filter or a security policy)";
  else if (err == -ENOMEM)
    why = " (RLIMIT_MEMLOCK too small for the rings)";
  snprintf(probe_why, sizeof(probe_why), "skip: io_uring_setup: %s%s",
           sp_err_name(err), why);
  probe_err = err;
}

static void probe_ops(struct io_uring *ring) {
  static const struct {
    int op;
    const char *name;
  } need[] = {{IORING_OP_SEND, "SEND"},
              {IORING_OP_RECV, "RECV"},
              {IORING_OP_READ, "READ"},
              {IORING_OP_WRITE, "WRITE"}};
  struct io_uring_probe *p = io_uring_get_probe_ring(ring);
  if (!p) {
    snprintf(probe_why, sizeof(probe_why),
             "skip: io_uring: no opcode probe (a kernel before 5.6)");
    probe_err = -ENOSYS;
    return;
  }
  for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
    if (!io_uring_opcode_supported(p, need[i].op)) {
      snprintf(probe_why, sizeof(probe_why),
               "skip: io_uring: the kernel has no IORING_OP_%s", need[i].name);
      probe_err = -EOPNOTSUPP;
      break;
    }
  probe_zc = io_uring_opcode_supported(p, IORING_OP_SEND_ZC);
  io_uring_free_probe(p);
}

static void probe(void) {
  struct io_uring ring;
  int err = io_uring_queue_init(4, &ring, 0);
  probed = 1;
  if (err < 0) {
    setup_refused(err);
    return;
  }
  if (!(ring.features & IORING_FEAT_EXT_ARG)) {
    snprintf(probe_why, sizeof(probe_why),
             "skip: io_uring: no IORING_FEAT_EXT_ARG (a kernel before 5.11):"
             " a wait cannot be bounded");
    probe_err = -EOPNOTSUPP;
  } else {
    probe_ops(&ring);
  }
  io_uring_queue_exit(&ring);
}

int sh_uring_supported(int zc, char *why, size_t len) {
  if (!probed)
    probe();
  if (probe_err) {
    snprintf(why, len, "%s", probe_why);
    return probe_err;
  }
  if (zc && !probe_zc) {
    snprintf(why, len,
             "skip: io_uring: the kernel has no IORING_OP_SEND_ZC "
             "(before 6.0)");
    return -EOPNOTSUPP;
  }
  return 0;
}

/* ---- waiting ---------------------------------------------------------- */
/* Submits what is queued and waits until want completions are ready.
 * quiet_ns: give up with -EAGAIN after that long without them. A wait
 * that ends short (its timeout, a signal: the kernel then says 0 when a
 * completion is already there, else -ETIME or -EINTR) looks at the
 * deadline and a thread's cancellation before it waits again. */
static int wait_cqes(struct sh_ioend *e, unsigned want, int64_t quiet_ns) {
  struct io_uring *ring = &e->u->ring;
  int64_t until = quiet_ns ? sh_now_ns() + quiet_ns : 0;
  for (int waited = 0;; waited = 1) {
    struct __kernel_timespec ts = {0, quiet_ns ? quiet_ns : SLICE_NS};
    struct io_uring_cqe *cqe;
    int r;
    if (io_uring_sq_ready(ring) == 0 && io_uring_cq_ready(ring) >= want)
      return 0;
    if (waited) {
      r = sh_io_interrupted(e);
      if (r != 0)
        return r;
      if (quiet_ns && sh_now_ns() >= until)
        return -EAGAIN;
      pthread_testcancel(); /* a peer thread being cancelled */
    }
    sh_syscalls++;
    r = io_uring_submit_and_wait_timeout(ring, &cqe, want, &ts, NULL);
    if (r < 0 && r != -ETIME && r != -EINTR)
      return r;
  }
}

/* ---- set-up ------------------------------------------------------------ */
static int ring_init(struct sh_uring *u) {
  /* Not DEFER_TASKRUN: its lazy wake-up wakes a waiter only once as
   * many task-work items are queued as it waits for, and a linked batch
   * has one send in flight, so a wait for the batch sleeps until its
   * timeout whenever a send has to wait for room (tcp4, 64 KiB: 883 us
   * a message instead of 112). */
  static const unsigned tries[] = {IORING_SETUP_SINGLE_ISSUER |
                                       IORING_SETUP_COOP_TASKRUN,
                                   IORING_SETUP_COOP_TASKRUN, 0};
  int err = -EINVAL;
  for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = tries[i];
    err = io_uring_queue_init_params(RING_ENTRIES, &u->ring, &p);
    if (err == 0) {
      u->setup = tries[i];
      return 0;
    }
    if (err != -EINVAL)
      break;
  }
  return err;
}

/* Provided buffers for multishot recv: 8 to 256 of them, about 1 MiB
 * (16 of 64 KiB): recycled as soon as their completion is seen. */
static int bufs_init(struct sh_ioend *e) {
  struct sh_uring *u = e->u;
  struct io_uring_buf_reg reg;
  unsigned n = 256;
  int err;
  /* A byte stream comes in chunks of at most 64 KiB (16 buffers, 1 MiB
   * in all, whatever the message size); a message needs its whole size. */
  u->blen = e->t->bytestream && e->cap > 65536 ? 65536 : e->cap;
  while (n > 8 && (size_t)n * u->blen > (1u << 20))
    n /= 2;
  u->br_len = n * sizeof(struct io_uring_buf);
  u->br = mmap(NULL, u->br_len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (u->br == MAP_FAILED) {
    u->br = NULL;
    return -errno;
  }
  memset(&reg, 0, sizeof(reg));
  reg.ring_addr = (uint64_t)(uintptr_t)u->br;
  reg.ring_entries = n;
  reg.bgid = BGID;
  err = io_uring_register_buf_ring(&u->ring, &reg, 0);
  if (err == 0) {
    u->bufs = sh_io_buffer((size_t)n * u->blen);
    if (!u->bufs)
      return -ENOMEM;
  }
  if (err != 0) {
    munmap(u->br, u->br_len);
    u->br = NULL;
    return err;
  }
  u->nbufs = n;
  io_uring_buf_ring_init(u->br);
  for (unsigned i = 0; i < n; i++)
    io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * u->blen,
                          (unsigned)u->blen, (unsigned short)i,
                          io_uring_buf_ring_mask(n), (int)i);
  io_uring_buf_ring_advance(u->br, (int)n);
  return 0;
}

/* Whether send_zc takes IORING_SEND_ZC_REPORT_USAGE (6.2+): a
 * zero-length send with it, outside any timing. */
static void zc_usage_probe(struct sh_ioend *e) {
  struct sh_uring *u = e->u;
  struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
  struct io_uring_cqe *cqe;
  unsigned want = 1;
  char byte = 0;
  io_uring_prep_send_zc(sqe, e->wfd, &byte, 0, MSG_NOSIGNAL,
                        IORING_SEND_ZC_REPORT_USAGE);
  sqe->user_data = udata(T_PROBE, 0);
  while (want > 0 && wait_cqes(e, 1, 0) == 0 &&
         io_uring_peek_cqe(&u->ring, &cqe) == 0) {
    if (!(cqe->flags & IORING_CQE_F_NOTIF)) {
      u->zc_report = cqe->res >= 0;
      if (cqe->flags & IORING_CQE_F_MORE)
        want++; /* its notification follows */
    }
    want--;
    io_uring_cqe_seen(&u->ring, cqe);
  }
}

/* e->how: "ring=<set-up> recv=<how a receiver receives>". */
static void describe(struct sh_ioend *e, int receiver) {
  struct sh_uring *u = e->u;
  const char *ring = "plain", *recv = "read";
  if (u->setup & IORING_SETUP_DEFER_TASKRUN)
    ring = "defer";
  else if (u->setup & IORING_SETUP_COOP_TASKRUN)
    ring = "coop";
  if (u->multishot)
    recv = "multishot";
  else if (e->t->create == SH_SOCKETPAIR)
    recv = "recv";
  if (receiver)
    snprintf(e->how, sizeof(e->how), "ring=%s recv=%s", ring, recv);
  else
    snprintf(e->how, sizeof(e->how), "ring=%s", ring);
}

static int open_receiver(struct sh_ioend *e) {
  struct sh_uring *u = e->u;
  int err;
  /* A plain receive's buffer: pipes, and the fallback from multishot. */
  u->rbuf = sh_io_buffer(e->cap);
  if (!u->rbuf)
    return -ENOMEM;
  if (e->t->create == SH_SOCKETPAIR) {
    err = bufs_init(e);
    u->multishot = err == 0;
    if (err != 0 && err != -EINVAL)
      return err; /* EINVAL: no buffer rings (before 5.19) */
  }
  return 0;
}

int sh_uring_open(struct sh_ioend *e, enum sh_io_role role) {
  struct sh_uring *u = calloc(1, sizeof(*u));
  int err;
  if (!u)
    return -ENOMEM;
  err = ring_init(u);
  if (err != 0) {
    free(u);
    return err;
  }
  e->u = u;
  if (role == SH_IO_RECEIVER) {
    err = open_receiver(e);
    if (err != 0)
      return err; /* the caller closes */
  }
  describe(e, role == SH_IO_RECEIVER);
  if (role == SH_IO_SENDER && e->io == SH_IO_URING_ZC) {
    u->zc = 1;
    zc_usage_probe(e);
    e->zc.zc_known = u->zc_report;
  }
  return 0;
}

void sh_uring_close(struct sh_ioend *e) {
  struct sh_uring *u = e->u;
  if (!u)
    return;
  /* Closing the ring removes what is still armed before it returns. */
  io_uring_queue_exit(&u->ring);
  if (u->br)
    munmap(u->br, u->br_len);
  free(u->bufs);
  free(u->rbuf);
  free(u);
  e->u = NULL;
}

/* ---- preparing ---------------------------------------------------------- */
static struct io_uring_sqe *sqe_get(struct sh_ioend *e) {
  return io_uring_get_sqe(&e->u->ring); /* never full: batches < entries */
}

static void prep_send(struct sh_ioend *e, struct io_uring_sqe *sqe,
                      const void *buf, size_t n) {
  int flags = MSG_NOSIGNAL | (e->t->bytestream ? MSG_WAITALL : 0);
  if (e->t->create != SH_SOCKETPAIR)
    io_uring_prep_write(sqe, e->wfd, buf, (unsigned)n, (uint64_t)-1);
  else if (e->u->zc)
    io_uring_prep_send_zc(sqe, e->wfd, buf, n, flags,
                          e->u->zc_report ? IORING_SEND_ZC_REPORT_USAGE : 0);
  else
    io_uring_prep_send(sqe, e->wfd, buf, n, flags);
}

static void prep_recv(struct sh_ioend *e, struct io_uring_sqe *sqe, void *buf,
                      size_t n, int waitall) {
  if (e->t->create != SH_SOCKETPAIR)
    io_uring_prep_read(sqe, e->rfd, buf, (unsigned)n, (uint64_t)-1);
  else
    io_uring_prep_recv(sqe, e->rfd, buf, n,
                       waitall && e->t->bytestream ? MSG_WAITALL : 0);
}

/* A send_zc notification: counted, never a result. */
static int zc_notif(struct sh_ioend *e, const struct io_uring_cqe *cqe) {
  if (!(cqe->flags & IORING_CQE_F_NOTIF))
    return 0;
  e->zc.zc_notifs++;
  e->zc.zc_done++;
  if (e->u->zc_report && ((unsigned)cqe->res & IORING_NOTIF_USAGE_ZC_COPIED))
    e->zc.zc_copied++;
  return 1;
}

/* ---- a ping-pong hop ------------------------------------------------------
 */
struct hop {
  int sres, rres;
  int sdone, rdone;
};

static void reap_hop(struct sh_ioend *e, struct hop *h, unsigned n) {
  struct io_uring_cqe *cqe;
  unsigned head, seen = 0;
  io_uring_for_each_cqe(&e->u->ring, head, cqe) {
    if (seen == n)
      break;
    seen++;
    if (cqe->user_data >> 32 == T_SEND) {
      h->sres = cqe->res;
      h->sdone = 1;
    } else {
      h->rres = cqe->res;
      h->rdone = 1;
    }
  }
  io_uring_cq_advance(&e->u->ring, seen);
}

/* What a completed hop leaves to do; 0 to go on, or an error. */
static int hop_step(struct sh_ioend *e, const struct hop *h, size_t *slen,
                    size_t *rlen) {
  int dgram = !e->t->bytestream;
  if (h->sdone) {
    if (h->sres < 0)
      return h->sres;
    if (dgram && (size_t)h->sres != *slen)
      return -EMSGSIZE;
    *slen -= (size_t)h->sres;
  }
  if (h->rdone && h->rres != -ECANCELED) { /* cancelled: a short send */
    if (h->rres < 0)
      return h->rres;
    if (h->rres == 0)
      return SP_EOF; /* the peer closed */
    if (dgram && (size_t)h->rres != *rlen)
      return -EMSGSIZE;
    *rlen -= (size_t)h->rres;
  }
  return 0;
}

int sh_uring_xfer(struct sh_ioend *e, const void *sbuf, size_t slen, void *rbuf,
                  size_t rlen) {
  const char *sp = sbuf;
  char *rp = rbuf;
  while (slen > 0 || rlen > 0) {
    struct hop h = {0, 0, 0, 0};
    size_t s0 = slen, r0 = rlen;
    unsigned n = 0;
    int err;
    if (slen > 0) {
      struct io_uring_sqe *sqe = sqe_get(e);
      prep_send(e, sqe, sp, slen);
      sqe->user_data = udata(T_SEND, 0);
      if (rlen > 0)
        sqe->flags |= IOSQE_IO_LINK;
      n++;
    }
    if (rlen > 0) {
      struct io_uring_sqe *sqe = sqe_get(e);
      prep_recv(e, sqe, rp, rlen, 1);
      sqe->user_data = udata(T_RECV, 0);
      n++;
    }
    err = wait_cqes(e, n, 0);
    if (err != 0)
      return err;
    reap_hop(e, &h, n);
    err = hop_step(e, &h, &slen, &rlen);
    if (err != 0)
      return err;
    sp += s0 - slen;
    rp += r0 - rlen;
  }
  return 0;
}

/* ---- a batch of sends ------------------------------------------------------
 */
/* Reaps until the n results of the batch are in, waiting for all that
 * are missing at once (one enter for a batch that goes through);
 * notifications of send_zc are counted as they come. */
static int reap_batch(struct sh_ioend *e, unsigned n) {
  struct sh_uring *u = e->u;
  unsigned got = 0;
  while (got < n) {
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    int err = wait_cqes(e, n - got, 0);
    if (err != 0)
      return err;
    io_uring_for_each_cqe(&u->ring, head, cqe) {
      seen++;
      if (zc_notif(e, cqe))
        continue;
      u->res[(uint32_t)cqe->user_data] = cqe->res;
      got++;
      if (u->zc && (cqe->flags & IORING_CQE_F_MORE))
        e->zc.zc_sends++; /* its notification follows */
    }
    io_uring_cq_advance(&u->ring, seen);
  }
  return 0;
}

/* After a batch: how many messages (and bytes of the next) went out. A
 * byte stream's sends are linked: everything after a short one was
 * cancelled and goes again. */
static int batch_progress(struct sh_ioend *e, unsigned n, size_t size,
                          size_t first_off, unsigned *done, size_t *off,
                          int64_t *dropped) {
  for (unsigned k = 0; k < n; k++) {
    int r = e->u->res[k];
    size_t len = size - (k == 0 ? first_off : 0);
    if (!e->t->bytestream) {
      if (r == -ENOBUFS && e->t->may_drop)
        (*dropped)++; /* dropped at the sender: loss too */
      else if (r < 0)
        return r;
      else if ((size_t)r != len)
        return -EMSGSIZE;
      (*done)++;
      continue;
    }
    if (r == -ECANCELED)
      return 0;
    if (r < 0)
      return r;
    if ((size_t)r < len) {
      *off += (size_t)r;
      return 0;
    }
    (*done)++;
    *off = 0;
  }
  return 0;
}

int sh_uring_send(struct sh_ioend *e, const void *buf, size_t size,
                  unsigned count, int64_t *dropped) {
  unsigned done = 0;
  size_t off = 0;
  if (count > MAX_BATCH)
    return -EINVAL;
  while (done < count) {
    unsigned n = count - done;
    size_t first_off = off;
    int err;
    for (unsigned k = 0; k < n; k++) {
      struct io_uring_sqe *sqe = sqe_get(e);
      size_t o = k == 0 ? off : 0;
      prep_send(e, sqe, (const char *)buf + o, size - o);
      sqe->user_data = udata(T_SEND, k);
      if (e->t->bytestream && k + 1 < n)
        sqe->flags |= IOSQE_IO_LINK; /* a byte stream: in order */
    }
    err = reap_batch(e, n);
    if (err == 0)
      err = batch_progress(e, n, size, first_off, &done, &off, dropped);
    if (err != 0)
      return err;
  }
  return 0;
}

/* Waits for the notification of every send_zc made so far. */
int sh_uring_flush(struct sh_ioend *e) {
  struct sh_uring *u = e->u;
  while (u && u->zc && e->zc.zc_done < e->zc.zc_sends) {
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    int err = wait_cqes(e, 1, 0);
    if (err != 0)
      return err;
    io_uring_for_each_cqe(&u->ring, head, cqe) {
      seen++;
      zc_notif(e, cqe);
    }
    io_uring_cq_advance(&u->ring, seen);
  }
  return 0;
}

/* ---- a receiver -------------------------------------------------------------
 */
static void arm(struct sh_ioend *e) {
  struct sh_uring *u = e->u;
  struct io_uring_sqe *sqe = sqe_get(e);
  if (u->multishot) {
    io_uring_prep_recv_multishot(sqe, e->rfd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
  } else {
    prep_recv(e, sqe, u->rbuf, e->cap, 0);
  }
  sqe->user_data = udata(T_RECV, 0);
  u->armed = 1;
}

static void recycle(struct sh_ioend *e, unsigned bid) {
  struct sh_uring *u = e->u;
  io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * u->blen,
                        (unsigned)u->blen, (unsigned short)bid,
                        io_uring_buf_ring_mask(u->nbufs), 0);
  io_uring_buf_ring_advance(u->br, 1);
}

static int on_recv(struct sh_ioend *e, const struct io_uring_cqe *cqe,
                   int64_t *msgs, int64_t *bytes) {
  struct sh_uring *u = e->u;
  if (!(cqe->flags & IORING_CQE_F_MORE))
    u->armed = 0; /* a plain receive, or the multishot ended: re-arm */
  if (cqe->flags & IORING_CQE_F_BUFFER)
    recycle(e, cqe->flags >> IORING_CQE_BUFFER_SHIFT);
  if (cqe->res == -ENOBUFS && u->multishot)
    return 0; /* every buffer was full: they are back, re-arm */
  if (cqe->res == -EINVAL && u->multishot && !u->got_any) {
    u->multishot = 0; /* no multishot recv (before 6.0): plain ones */
    describe(e, 1);
    return 0;
  }
  if (cqe->res < 0)
    return cqe->res;
  if (cqe->res == 0)
    return SP_EOF;
  u->got_any = 1;
  (*msgs)++;
  *bytes += cqe->res;
  return 0;
}

int sh_uring_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes) {
  struct sh_uring *u = e->u;
  struct io_uring_cqe *cqe;
  unsigned head, seen = 0;
  int64_t m0 = *msgs;
  int err = 0;
  if (!u->armed)
    arm(e);
  err = wait_cqes(e, 1, e->t->may_drop ? QUIET_NS : 0);
  if (err != 0)
    return err;
  io_uring_for_each_cqe(&u->ring, head, cqe) {
    int r = on_recv(e, cqe, msgs, bytes);
    seen++;
    if (r != 0 && err == 0)
      err = r;
  }
  io_uring_cq_advance(&u->ring, seen);
  /* The end of the stream after data: the data now, the end next time. */
  if (err == SP_EOF && *msgs > m0)
    err = 0;
  return err;
}

#else /* !SP_HAVE_LIBURING */

int sh_uring_supported(int zc, char *why, size_t len) {
  (void)zc;
  snprintf(why, len, "skip: io_uring: built without liburing");
  return -ENOSYS;
}
int sh_uring_open(struct sh_ioend *e, enum sh_io_role role) {
  (void)e;
  (void)role;
  return -ENOSYS;
}
void sh_uring_close(struct sh_ioend *e) {
  (void)e;
}
int sh_uring_xfer(struct sh_ioend *e, const void *sbuf, size_t slen, void *rbuf,
                  size_t rlen) {
  (void)e, (void)sbuf, (void)slen, (void)rbuf, (void)rlen;
  return -ENOSYS;
}
int sh_uring_send(struct sh_ioend *e, const void *buf, size_t size,
                  unsigned count, int64_t *dropped) {
  (void)e, (void)buf, (void)size, (void)count, (void)dropped;
  return -ENOSYS;
}
int sh_uring_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes) {
  (void)e, (void)msgs, (void)bytes;
  return -ENOSYS;
}
int sh_uring_flush(struct sh_ioend *e) {
  (void)e;
  return 0;
}

#endif /* SP_HAVE_LIBURING */
