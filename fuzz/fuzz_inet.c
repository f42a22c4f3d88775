/*
 * fuzz_inet: emulated inet pairs created for real, in a private network
 * namespace: sp_socketpair() on AF_INET / AF_INET6, SOCK_STREAM (TCP) and
 * SOCK_DGRAM (UDP), with SOCK_NONBLOCK / SOCK_CLOEXEC, while strangers
 * chosen by the input connect to the listener or send datagrams to the
 * bound sockets during setup (through the fault seam, before a call of
 * the library), or a call of the setup fails.
 *
 * LLVMFuzzerInitialize moves the process into a network namespace of its
 * own (unshare(CLONE_NEWNET), then `lo` up by ioctl), so the host's ports
 * and TIME_WAIT table are never touched; in it, TIME_WAIT is off
 * (tcp_max_tw_buckets 0), so a long run does not run out of ports. Where
 * unshare is refused (no CAP_SYS_ADMIN), the target says so once and
 * checks only sp_socketpair_plan() for each record.
 *
 * Input: records of
 *   ctl8     bit 0 AF_INET6 (else AF_INET), bit 1 SOCK_DGRAM (else
 *            STREAM), bit 2 SOCK_NONBLOCK, bit 3 SOCK_CLOEXEC, bit 4 the
 *            protocol named (IPPROTO_TCP / UDP, else 0)
 *   act8 x2  an intruder each: bits 0-3 k: before the library's k-th
 *            syscall of the setup (0: never); bits 4-5 what: 0 a stranger
 *            connects (TCP) or sends a datagram to the newest bound
 *            socket (UDP), 1 the same and the stranger then sends bytes
 *            (TCP) or sends to the oldest bound socket (UDP), 2 that call
 *            fails with errno (bits 6-7) of its row of the seam's errno
 *            table, 3 nothing
 *   len8, then up to len bytes: the payload each end sends the other
 *
 * Oracle, for each record: the plan says emulated TCP / UDP; the pair is
 * made (or, when a call was made to fail, -errno of that fault, with fds
 * untouched); each end has the asked domain, type, protocol, O_NONBLOCK
 * and FD_CLOEXEC, TCP_NODELAY on TCP, a loopback address, and is the
 * other's peer; the payload goes each way intact, and the first bytes
 * each end reads are its peer's (never a stranger's); nothing else is
 * queued; a TCP stranger's connection is closed (end of stream or reset,
 * never data); a UDP stranger's datagram sent after setup is dropped; no
 * descriptor is left open (or closed) by an input.
 */
#include "fuzz.h"

#include "fault.h"

#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_RECORDS 8
#define MAX_STRANGERS 2
#define WAIT_MS 2000 /* every wait of the checks: loopback is immediate */

enum { ACT_CONNECT, ACT_MORE, ACT_FAIL, ACT_NONE };

/* 1 in a private network namespace with `lo` up; v6: ::1 works there. */
static int have_netns;
static int have_v6;

typedef struct record {
  int domain;
  int type; /* SP_SOCK_STREAM or SP_SOCK_DGRAM, with the flags */
  int protocol;
  uint8_t act[MAX_STRANGERS];
  const uint8_t *payload;
  size_t len;
} record;

/* ---- the private network -------------------------------------------- */

static int write_sysctl(const char *path, const char *value) {
  FILE *f = fopen(path, "w");
  int ok;

  if (!f)
    return -1;
  ok = fputs(value, f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int lo_up(void) {
  struct ifreq ifr;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int r = -1;

  if (fd < 0)
    return -1;
  memset(&ifr, 0, sizeof(ifr));
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  close(fd);
  return r;
}

static int v6_works(void) {
  struct sockaddr_in6 sin6;
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int ok;

  if (fd < 0)
    return 0;
  memset(&sin6, 0, sizeof(sin6));
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
  close(fd);
  return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (unshare(CLONE_NEWNET) != 0) {
    fprintf(stderr,
            "fuzz_inet: unshare(CLONE_NEWNET): %s: no private network, so "
            "inet pairs are only planned, never created\n",
            strerror(errno));
    return 0;
  }
  if (lo_up() != 0) {
    fprintf(stderr, "fuzz_inet: bringing lo up: %s: inet pairs only planned\n",
            strerror(errno));
    return 0;
  }
  /* Our own namespace's tables: closed connections leave no TIME_WAIT
   * (each would hold a port for 60 s), and every port is ephemeral. */
  if (write_sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets", "0") != 0 ||
      write_sysctl("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535"))
    fprintf(stderr, "fuzz_inet: tuning the private network: %s\n",
            strerror(errno));
  have_netns = 1;
  have_v6 = v6_works();
  if (!have_v6)
    fprintf(stderr, "fuzz_inet: no ::1 in the private network: AF_INET6 "
                    "pairs only planned\n");
  return 0;
}

/* ---- strangers, acting through the seam ------------------------------ */

typedef struct strangers {
  const record *rec;
  const fz_fds *before; /* descriptors open before the record */
  unsigned calls;       /* the library's syscalls so far */
  int fd[MAX_STRANGERS];
  int dealt[MAX_STRANGERS]; /* errnos of the failures dealt, or 0 */
} strangers;

/* The library's sockets are the descriptors opened since before: the
 * listener (TCP), or the bound sockets (UDP), oldest or newest. New
 * descriptors take the lowest free numbers, so the search stops at the
 * first few numbers that were free before and still are. */
static int library_socket(const strangers *st, int listening, int newest) {
  int fd, found = -1, free_run = 0;

  for (fd = 0; fd < FZ_FD_WINDOW && free_run < 4; fd++) {
    int acc;

    if (st->before->open[fd / 64] >> (fd % 64) & 1)
      continue;
    if (fcntl(fd, F_GETFD) < 0) {
      free_run++;
      continue;
    }
    free_run = 0;
    if (fd == st->fd[0] || fd == st->fd[1])
      continue;
    acc = fz_opt_int(fd, SO_ACCEPTCONN);
    if (listening ? !acc : acc)
      continue;
    found = fd;
    if (!newest)
      break;
  }
  return found;
}

static int bound_addr(int fd, struct sockaddr_storage *ss, socklen_t *len) {
  *len = sizeof(*ss);
  if (getsockname(fd, (struct sockaddr *)ss, len) != 0)
    return -1;
  /* port 0: not bound yet */
  return ((struct sockaddr_in *)ss)->sin_port ? 0 : -1;
}

static void wait_for(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int r;

  do
    r = poll(&p, 1, WAIT_MS);
  while (r < 0 && errno == EINTR);
  FZ_CHECK(r == 1, "fd %d not ready (%#x) in %d ms", fd, (unsigned)events,
           WAIT_MS);
}

/* A blocking connect to a listening loopback port completes within the
 * call, unless the kernel has left the handshake to ksoftirqd (a loaded
 * machine): then it sleeps, a signal (libFuzzer's timer) can end the sleep
 * with EINTR, and the handshake goes on without us. 0 once connected, or
 * the errno. */
static int stranger_connect(int fd, const struct sockaddr_storage *ss,
                            socklen_t len) {
  int err = 0;
  socklen_t err_len = sizeof(err);

  if (connect(fd, (const struct sockaddr *)ss, len) == 0)
    return 0;
  if (errno != EINTR)
    return errno;
  wait_for(fd, POLLOUT);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
    return errno;
  return err;
}

static void stranger_tcp(strangers *st, int i, int more) {
  struct sockaddr_storage ss;
  socklen_t len;
  int target = library_socket(st, 1, 1);
  int err;

  if (target < 0 || bound_addr(target, &ss, &len) != 0)
    return;
  st->fd[i] = socket(st->rec->domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FZ_CHECK(st->fd[i] >= 0, "stranger socket: %s", strerror(errno));
  err = stranger_connect(st->fd[i], &ss, len);
  FZ_CHECK(err == 0, "stranger connect: %s", strerror(err));
  if (more)
    FZ_CHECK(send(st->fd[i], "evil", 4, MSG_NOSIGNAL) == 4, "stranger send");
}

static void stranger_udp(strangers *st, int i, int newest) {
  struct sockaddr_storage ss;
  socklen_t len;
  int target = library_socket(st, 0, newest);

  if (target < 0 || bound_addr(target, &ss, &len) != 0)
    return;
  st->fd[i] = socket(st->rec->domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  FZ_CHECK(st->fd[i] >= 0, "stranger socket: %s", strerror(errno));
  FZ_CHECK(sendto(st->fd[i], "evil", 4, 0, (struct sockaddr *)&ss, len) == 4,
           "stranger sendto: %s", strerror(errno));
}

static int fail_call(strangers *st, int i, sp_call call, uint8_t act) {
  const int *errs;
  int n = sp_fault_errnos(call, &errs);

  if (!n)
    return 0;
  st->dealt[i] = errs[(act >> 6) % n];
  return st->dealt[i];
}

static int act(void *ctx, sp_call call, size_t *len) {
  strangers *st = ctx;
  int i;

  (void)len;
  st->calls++;
  for (i = 0; i < MAX_STRANGERS; i++) {
    uint8_t a = st->rec->act[i];
    int what = (a >> 4) & 3;

    if ((a & 15) != st->calls || what == ACT_NONE || st->fd[i] >= 0)
      continue;
    if (what == ACT_FAIL)
      return fail_call(st, i, call, a);
    if ((st->rec->type & 0xf) == SP_SOCK_STREAM)
      stranger_tcp(st, i, what == ACT_MORE);
    else
      stranger_udp(st, i, what != ACT_MORE);
  }
  return 0;
}

/* ---- the pair's checks ------------------------------------------------ */

static int sockaddr_equal(const struct sockaddr_storage *a,
                          const struct sockaddr_storage *b, socklen_t len) {
  return !memcmp(a, b, len);
}

/* Each end is the other's peer, on the loopback address of its domain. */
static void check_endpoints(const record *rec, const int fds[2]) {
  struct sockaddr_storage local[2], peer[2];
  socklen_t len;
  int i;

  for (i = 0; i < 2; i++) {
    len = sizeof(local[i]);
    memset(&local[i], 0, sizeof(local[i]));
    memset(&peer[i], 0, sizeof(peer[i]));
    FZ_CHECK(getsockname(fds[i], (struct sockaddr *)&local[i], &len) == 0,
             "getsockname");
    len = sizeof(peer[i]);
    FZ_CHECK(getpeername(fds[i], (struct sockaddr *)&peer[i], &len) == 0,
             "getpeername: %s", strerror(errno));
  }
  FZ_CHECK(sockaddr_equal(&local[0], &peer[1], len) &&
               sockaddr_equal(&local[1], &peer[0], len),
           "the ends are not each other's peer");
  if (rec->domain == SP_PF_INET)
    FZ_CHECK(((struct sockaddr_in *)&local[0])->sin_addr.s_addr ==
                 htonl(INADDR_LOOPBACK),
             "not on 127.0.0.1");
  else
    FZ_CHECK(!memcmp(&((struct sockaddr_in6 *)&local[0])->sin6_addr,
                     &in6addr_loopback, sizeof(in6addr_loopback)),
             "not on ::1");
}

static void check_end(const record *rec, int fd) {
  int stream = (rec->type & 0xf) == SP_SOCK_STREAM;
  int nodelay = 0;
  socklen_t len = sizeof(nodelay);

  FZ_CHECK(fz_opt_int(fd, SO_DOMAIN) == rec->domain, "SO_DOMAIN");
  FZ_CHECK(fz_opt_int(fd, SO_TYPE) == (stream ? SOCK_STREAM : SOCK_DGRAM),
           "SO_TYPE");
  FZ_CHECK(fz_opt_int(fd, SO_PROTOCOL) == (stream ? IPPROTO_TCP : IPPROTO_UDP),
           "SO_PROTOCOL");
  fz_check_flags(fd, rec->type & ~0xf);
  if (stream) {
    FZ_CHECK(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len) == 0 &&
                 nodelay,
             "TCP_NODELAY is off");
  }
}

static void send_all(const record *rec, int a, int stream) {
  size_t sent = 0;

  do {
    ssize_t n;

    wait_for(a, POLLOUT);
    n = send(a, rec->payload + sent, rec->len - sent, MSG_NOSIGNAL);
    FZ_CHECK(n >= 0 || errno == EAGAIN, "send: %s", strerror(errno));
    if (n > 0)
      sent += (size_t)n;
    if (!stream && n >= 0)
      return; /* one datagram, whole */
  } while (sent < rec->len);
}

/* Bytes into got until len (stream) or one datagram: the count. */
static size_t recv_all(const record *rec, int b, int stream, uint8_t *got) {
  size_t recvd = 0;

  while (!stream || recvd < rec->len) {
    ssize_t n;

    wait_for(b, POLLIN);
    n = recv(b, got + recvd, rec->len + 1 - recvd, 0);
    FZ_CHECK(n >= 0 || errno == EAGAIN, "recv: %s", strerror(errno));
    FZ_CHECK(!stream || n != 0, "end of stream after %zu bytes", recvd);
    if (n > 0)
      recvd += (size_t)n;
    if (!stream && n >= 0)
      break;
  }
  return recvd;
}

/* The payload from a to b, whole (stream: in pieces; datagram: one
 * message, the first b reads), and nothing else. */
static void check_transfer(const record *rec, int a, int b) {
  uint8_t *got = fz_take(rec->len + 1);
  int stream = (rec->type & 0xf) == SP_SOCK_STREAM;
  size_t recvd;

  if (stream && rec->len == 0) {
    recvd = 0; /* nothing to send on a byte stream */
  } else {
    send_all(rec, a, stream);
    recvd = recv_all(rec, b, stream, got);
  }
  FZ_CHECK(recvd == rec->len &&
               (!rec->len || !memcmp(got, rec->payload, rec->len)),
           "%zu of %zu bytes, or not the peer's", recvd, rec->len);
  FZ_CHECK(recv(b, got, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN,
           "more was queued than the peer sent");
  fz_give(got, rec->len + 1);
}

/* The library closed a TCP stranger: it reads the end or a reset. */
static void check_tcp_stranger(int fd) {
  char c;
  ssize_t n;

  wait_for(fd, POLLIN);
  n = recv(fd, &c, 1, 0);
  FZ_CHECK(n == 0 || (n < 0 && errno == ECONNRESET),
           "a stranger's connection is alive (%zd, %s)", n, strerror(errno));
}

/* After setup, the kernel drops a stranger's datagrams to a connected
 * end: the end's next datagram is its peer's. */
static void check_udp_stranger(int stranger, const int fds[2]) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  char got[8];

  FZ_CHECK(getsockname(fds[0], (struct sockaddr *)&ss, &len) == 0, "name");
  FZ_CHECK(sendto(stranger, "evil", 4, 0, (struct sockaddr *)&ss, len) == 4,
           "stranger sendto: %s", strerror(errno));
  FZ_CHECK(send(fds[1], "good", 4, 0) == 4, "send: %s", strerror(errno));
  wait_for(fds[0], POLLIN);
  FZ_CHECK(recv(fds[0], got, sizeof(got), 0) == 4 && !memcmp(got, "good", 4),
           "not the peer's datagram");
  FZ_CHECK(recv(fds[0], got, sizeof(got), MSG_DONTWAIT) < 0 && errno == EAGAIN,
           "a stranger's datagram got through");
}

static void check_pair(const record *rec, const int fds[2],
                       const strangers *st) {
  int i;

  FZ_CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1], "fds %d %d", fds[0],
           fds[1]);
  check_end(rec, fds[0]);
  check_end(rec, fds[1]);
  check_endpoints(rec, fds);
  check_transfer(rec, fds[0], fds[1]);
  check_transfer(rec, fds[1], fds[0]);
  for (i = 0; i < MAX_STRANGERS; i++) {
    if (st->fd[i] < 0)
      continue;
    if ((rec->type & 0xf) == SP_SOCK_STREAM)
      check_tcp_stranger(st->fd[i]);
    else
      check_udp_stranger(st->fd[i], fds);
  }
}

/* ---- one record -------------------------------------------------------- */

static record read_record(fz_in *in) {
  uint8_t ctl = fz_u8(in);
  record rec;
  int i;

  rec.domain = (ctl & 1) ? SP_PF_INET6 : SP_PF_INET;
  rec.type = (ctl & 2) ? SP_SOCK_DGRAM : SP_SOCK_STREAM;
  if (ctl & 4)
    rec.type |= SP_SOCK_NONBLOCK;
  if (ctl & 8)
    rec.type |= SP_SOCK_CLOEXEC;
  rec.protocol = 0;
  if (ctl & 16)
    rec.protocol = (ctl & 2) ? SP_IPPROTO_UDP : SP_IPPROTO_TCP;
  for (i = 0; i < MAX_STRANGERS; i++)
    rec.act[i] = fz_u8(in);
  rec.payload = fz_bytes(in, fz_u8(in), &rec.len);
  return rec;
}

static void check_plan(const record *rec) {
  sp_plan plan;
  int stream = (rec->type & 0xf) == SP_SOCK_STREAM;

  FZ_CHECK(sp_socketpair_plan(rec->domain, rec->type, rec->protocol, &plan) ==
               0,
           "plan refused an emulated cell");
  FZ_CHECK(plan.method ==
               (stream ? SP_METHOD_EMULATED_TCP : SP_METHOD_EMULATED_UDP),
           "plan method %d", plan.method);
}

static void run_record(const record *rec, const fz_fds *before) {
  strangers st = {rec, before, 0, {-1, -1}, {0, 0}};
  int fds[2] = {-7, -7};
  int r, i;

  check_plan(rec);
  if (!have_netns || (rec->domain == SP_PF_INET6 && !have_v6))
    return;
  sp_fault_set_hook(act, &st);
  r = sp_socketpair(rec->domain, rec->type, rec->protocol, fds);
  sp_fault_set_hook(NULL, NULL);
  if (r) {
    /* -errno of a failure dealt (EINTR never: it is retried) */
    FZ_CHECK((r == -st.dealt[0] || r == -st.dealt[1]) && r != -EINTR,
             "sp_socketpair(%d, %#x, %d): %s, with failures %s %s dealt",
             rec->domain, (unsigned)rec->type, rec->protocol, sp_err_name(r),
             sp_err_name(-st.dealt[0]), sp_err_name(-st.dealt[1]));
    FZ_CHECK(fds[0] == -7 && fds[1] == -7, "fds written on failure");
  } else {
    check_pair(rec, fds, &st);
    close(fds[0]);
    close(fds[1]);
  }
  for (i = 0; i < MAX_STRANGERS; i++)
    if (st.fd[i] >= 0)
      close(st.fd[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in = {data, size};
  fz_fds before = fz_fds_take();
  int i;

  for (i = 0; i < MAX_RECORDS && fz_left(&in); i++) {
    record rec = read_record(&in);

    run_record(&rec, &before);
  }
  fz_fds_check(&before);
  return 0;
}
