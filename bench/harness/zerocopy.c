/*
 * MSG_ZEROCOPY (TCP and UDP, SO_ZEROCOPY set): the kernel pins the
 * sender's pages instead of copying them and says on the socket's error
 * queue when it no longer needs them: one notification covers a range of
 * sends, and SO_EE_CODE_ZEROCOPY_COPIED says it copied after all (on
 * loopback it does: the receiver gets a copy of the pinned pages).
 *
 * The error queue is read without blocking whenever 64 sends are
 * outstanding (so its notifications never exhaust optmem), and waited
 * for when a send says ENOBUFS and at the end (sh_zc_flush).
 */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which needs timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "sockpair.h"

#define OUTSTANDING 64
#define WAIT_MS 100

int sh_zc_open(struct sh_ioend *e) {
  int one = 1;
  if (setsockopt(e->wfd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) != 0)
    return -errno;
  e->zc.zc_known = 1;
  return 0;
}

static void count(struct sh_ioend *e, const struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
       c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
    struct sock_extended_err ee;
    int64_t n;
    if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
      continue;
    memcpy(&ee, CMSG_DATA(c), sizeof(ee));
    if (ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee.ee_errno != 0)
      continue;
    n = (int64_t)(ee.ee_data - ee.ee_info) + 1; /* sends ee_info..ee_data */
    e->zc.zc_notifs++;
    e->zc.zc_done += n;
    if (ee.ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
      e->zc.zc_copied += n;
  }
}

/* Reads the error queue; wait: if it is empty, waits (a slice) for it. */
static int reap(struct sh_ioend *e, int wait) {
  for (;;) {
    char control[128];
    struct msghdr msg;
    struct pollfd p = {e->wfd, 0, 0}; /* POLLERR is always reported */
    ssize_t r;
    memset(&msg, 0, sizeof(msg));
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    sh_syscalls++;
    r = recvmsg(e->wfd, &msg, MSG_ERRQUEUE);
    if (r >= 0) {
      count(e, &msg);
      wait = 0; /* got one: now just take what else is there */
      continue;
    }
    if (errno != EAGAIN && errno != EINTR)
      return -errno;
    if (!wait)
      return 0;
    sh_syscalls++;
    if (poll(&p, 1, WAIT_MS) < 0 && errno != EINTR)
      return -errno;
    r = sh_io_interrupted(e);
    if (r != 0)
      return (int)r;
  }
}

int sh_zc_send(struct sh_ioend *e, const void *buf, size_t size) {
  const char *p = buf;
  while (size > 0) {
    ssize_t r;
    sh_syscalls++;
    r = send(e->wfd, p, size, MSG_ZEROCOPY | MSG_NOSIGNAL);
    if (r < 0 && (errno == EINTR || errno == ENOBUFS)) {
      /* ENOBUFS: too many notifications pending (optmem): take them. */
      int err = errno == EINTR ? sh_io_interrupted(e) : reap(e, 1);
      if (err != 0)
        return err;
      continue;
    }
    if (r < 0)
      return -errno;
    e->zc.zc_sends++; /* one notification id per call */
    if (!e->t->bytestream && (size_t)r != size)
      return -EMSGSIZE;
    p += r;
    size -= (size_t)r;
    if (e->zc.zc_sends - e->zc.zc_done >= OUTSTANDING) {
      int err = reap(e, 0);
      if (err != 0)
        return err;
    }
  }
  return 0;
}

int sh_zc_flush(struct sh_ioend *e) {
  while (e->zc.zc_done < e->zc.zc_sends) {
    int err = reap(e, 1);
    if (err != 0)
      return err;
  }
  return 0;
}
