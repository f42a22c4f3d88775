/*
 * The batched path: sendmmsg() and recvmmsg() on message sockets (UNIX
 * datagram and seqpacket, UDP). One call moves up to a batch of
 * messages; recvmmsg waits for the first (MSG_WAITFORONE) and takes what
 * else is queued, so a receiver's batch is whatever the sender got ahead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "sockpair.h"

struct mm {
  struct mmsghdr *h;
  struct iovec *iov;
  char *rbuf; /* a receiver: batch * cap bytes */
};

int sh_mmsg_open(struct sh_ioend *e) {
  struct mm *m = calloc(1, sizeof(*m));
  if (!m)
    return -ENOMEM;
  e->mm = m;
  m->h = calloc(e->batch, sizeof(*m->h));
  m->iov = calloc(e->batch, sizeof(*m->iov));
  m->rbuf = sh_io_buffer((size_t)e->batch * e->cap);
  if (!m->h || !m->iov || !m->rbuf)
    return -ENOMEM; /* the caller closes */
  for (unsigned i = 0; i < e->batch; i++) {
    m->h[i].msg_hdr.msg_iov = &m->iov[i];
    m->h[i].msg_hdr.msg_iovlen = 1;
  }
  return 0;
}

void sh_mmsg_close(struct sh_ioend *e) {
  struct mm *m = e->mm;
  if (!m)
    return;
  free(m->h);
  free(m->iov);
  free(m->rbuf);
  free(m);
  e->mm = NULL;
}

/* One sendmmsg() per batch; a partial batch (a signal, a full buffer)
 * goes on from where it stopped. */
int sh_mmsg_send(struct sh_ioend *e, const void *buf, size_t size,
                 unsigned count, int64_t *dropped) {
  struct mm *m = e->mm;
  unsigned done = 0;
  if (count > e->batch)
    return -EINVAL;
  for (unsigned i = 0; i < count; i++) {
    m->iov[i].iov_base = (void *)buf;
    m->iov[i].iov_len = size;
  }
  while (done < count) {
    int r;
    sh_syscalls++;
    r = sendmmsg(e->wfd, m->h + done, count - done, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) {
      int err = sh_io_interrupted(e);
      if (err != 0)
        return err;
      continue;
    }
    if (r < 0 && errno == ENOBUFS && e->t->may_drop) {
      (*dropped)++; /* the first of the rest was dropped at the sender */
      done++;
      continue;
    }
    if (r < 0)
      return -errno;
    for (int k = 0; k < r; k++)
      if (m->h[done + k].msg_len != size)
        return -EMSGSIZE;
    done += (unsigned)r;
  }
  return 0;
}

int sh_mmsg_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes) {
  struct mm *m = e->mm;
  int r;
  for (unsigned i = 0; i < e->batch; i++) {
    m->iov[i].iov_base = m->rbuf + (size_t)i * e->cap;
    m->iov[i].iov_len = e->cap;
  }
  for (;;) {
    sh_syscalls++;
    r = recvmmsg(e->rfd, m->h, e->batch, MSG_WAITFORONE, NULL);
    if (r >= 0 || errno != EINTR)
      break;
    /* A receiver's SIGCHLD or the deadline. */
    if (sh_io_interrupted(e) != 0)
      return -ETIMEDOUT;
  }
  if (r < 0)
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  for (int k = 0; k < r; k++) {
    /* An empty seqpacket message is the peer's close: after data, the
     * data now and the close next time. */
    if (m->h[k].msg_len == 0 && e->t->type == SOCK_SEQPACKET)
      return k > 0 ? 0 : SP_EOF;
    (*msgs)++;
    *bytes += m->h[k].msg_len;
  }
  return r == 0 ? SP_EOF : 0;
}
