/* sp_socketpair over every cell: the kernel's answer for AF_UNIX, working
 * loopback emulations for inet, exact errors for the rest. */
#include "fault.h"
#include "pair_check.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static const int types[] = {SP_SOCK_STREAM, SP_SOCK_DGRAM, SP_SOCK_RAW,
                            SP_SOCK_RDM, SP_SOCK_SEQPACKET};
static const int protocols[] = {SP_IPPROTO_IP, SP_IPPROTO_ICMP, SP_IPPROTO_TCP,
                                SP_IPPROTO_UDP, SP_IPPROTO_RAW};

static int is_emulated(int type, int protocol) {
  if (type == SP_SOCK_STREAM)
    return protocol == SP_IPPROTO_IP || protocol == SP_IPPROTO_TCP;
  if (type == SP_SOCK_DGRAM)
    return protocol == SP_IPPROTO_IP || protocol == SP_IPPROTO_UDP;
  return 0;
}

TEST(unix_cells_match_kernel) {
  int successes = 0;

  for (size_t t = 0; t < N_ELEMS(types); t++)
    for (size_t p = 0; p < N_ELEMS(protocols); p++) {
      int fds[2] = {-7, -7};
      int kfds[2];
      int kernel = socketpair(AF_UNIX, types[t], protocols[p], kfds);
      int kernel_err = kernel ? -errno : 0;
      int err = sp_socketpair(SP_PF_UNIX, types[t], protocols[p], fds);

      ASSERT_ERR(err, kernel_err);
      if (kernel == 0) {
        close(kfds[0]);
        close(kfds[1]);
      }
      if (err) {
        ASSERT_EQ(fds[0], -7); /* untouched on failure */
        ASSERT_EQ(fds[1], -7);
        ASSERT(strlen(sp_strerror(err)) > 0);
        continue;
      }
      successes++;
      sp_test_round_trip(fds);
      close(fds[0]);
      close(fds[1]);
    }
  /* STREAM, DGRAM, RAW, SEQPACKET x IP, ICMP on Linux */
  ASSERT_EQ(successes, 8);
}

static int kernel_refusal(int domain, int type, int protocol) {
  int fd = socket(domain, type | SOCK_CLOEXEC, protocol);

  if (fd < 0)
    return -errno;
  close(fd);
  return SP_EOPNOTSUPP;
}

static void check_inet_domain(int domain) {
  for (size_t t = 0; t < N_ELEMS(types); t++)
    for (size_t p = 0; p < N_ELEMS(protocols); p++) {
      int fds[2] = {-7, -7};
      sp_plan plan;
      int err = sp_socketpair(domain, types[t], protocols[p], fds);

      ASSERT_OK(sp_socketpair_plan(domain, types[t], protocols[p], &plan));
      if (is_emulated(types[t], protocols[p])) {
        ASSERT_OK(err);
        ASSERT_EQ(plan.method, types[t] == SP_SOCK_STREAM
                                   ? SP_METHOD_EMULATED_TCP
                                   : SP_METHOD_EMULATED_UDP);
        sp_test_round_trip(fds);
        close(fds[0]);
        close(fds[1]);
        continue;
      }
      ASSERT_EQ(plan.method, SP_METHOD_REFUSED);
      ASSERT(plan.err < 0);
      ASSERT(plan.why && strlen(plan.why) > 10);
      ASSERT_ERR(err, kernel_refusal(domain, types[t], protocols[p]));
      ASSERT_EQ(fds[0], -7);
      ASSERT_EQ(fds[1], -7);
    }
}

TEST(inet4_cells) {
  check_inet_domain(SP_PF_INET);
}

TEST(inet6_cells) {
  if (!sp_test_have_ipv6())
    SKIP("no IPv6 loopback here");
  check_inet_domain(SP_PF_INET6);
}

/* The plan's predictions for an unprivileged process, per cell kind. */
TEST(plan_predictions) {
  sp_plan plan;

  ASSERT_OK(
      sp_socketpair_plan(SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_UDP, &plan));
  ASSERT_ERR(plan.err, SP_EPROTONOSUPPORT);
  ASSERT_OK(sp_socketpair_plan(SP_PF_INET6, SP_SOCK_RDM, 0, &plan));
  ASSERT_ERR(plan.err, SP_ESOCKTNOSUPPORT);
  ASSERT_OK(sp_socketpair_plan(SP_PF_INET, SP_SOCK_SEQPACKET, 0, &plan));
  ASSERT_ERR(plan.err, SP_ESOCKTNOSUPPORT);
  ASSERT_OK(
      sp_socketpair_plan(SP_PF_INET, SP_SOCK_RAW, SP_IPPROTO_ICMP, &plan));
  ASSERT_ERR(plan.err, SP_EPERM);
  ASSERT_OK(sp_socketpair_plan(SP_PF_INET, SP_SOCK_RAW, 0, &plan));
  ASSERT_ERR(plan.err, SP_EPROTONOSUPPORT);
  ASSERT_OK(
      sp_socketpair_plan(SP_PF_INET, SP_SOCK_DGRAM, SP_IPPROTO_ICMP, &plan));
  ASSERT_ERR(plan.err, SP_EACCES);
  ASSERT_OK(sp_socketpair_plan(SP_PF_INET, 15, 0, &plan));
  ASSERT_ERR(plan.err, SP_EINVAL);
  ASSERT_OK(sp_socketpair_plan(SP_PF_INET, SP_SOCK_STREAM, -1, &plan));
  ASSERT_ERR(plan.err, SP_EINVAL);
  ASSERT_OK(sp_socketpair_plan(SP_PF_UNIX, SP_SOCK_RDM, 0, &plan));
  ASSERT_EQ(plan.method, SP_METHOD_KERNEL);
  ASSERT_OK(sp_socketpair_plan(SP_PF_INET6, SP_SOCK_DGRAM | SP_SOCK_NONBLOCK, 0,
                               &plan));
  ASSERT_EQ(plan.method, SP_METHOD_EMULATED_UDP);
  ASSERT_EQ(plan.base_type, SP_SOCK_DGRAM);
  ASSERT_EQ(plan.flags, SP_SOCK_NONBLOCK);
}

/* Counts every call that reaches the seam. */
static int count_calls(void *ctx, sp_call call, size_t *len) {
  (void)call;
  (void)len;
  (*(int *)ctx)++;
  return 0;
}

TEST(bad_arguments_rejected_before_any_syscall) {
  static const struct {
    int domain, type, err;
  } cases[] = {
      {SP_PF_UNIX, SP_SOCK_STREAM | 0x100, SP_EINVAL},
      {SP_PF_INET, SP_SOCK_STREAM | 0x40000000, SP_EINVAL},
      {SP_PF_INET6, -1, SP_EINVAL},
      {16, SP_SOCK_DGRAM, SP_EAFNOSUPPORT},
      {0, SP_SOCK_STREAM, SP_EAFNOSUPPORT},
      {-1, SP_SOCK_STREAM, SP_EAFNOSUPPORT},
      {SP_PF_UNIX, SP_SOCK_STREAM | SP_SOCK_NONBLOCK | 1 << 30, SP_EINVAL},
  };

  for (size_t i = 0; i < N_ELEMS(cases); i++) {
    int calls = 0;
    int fds[2] = {-7, -7};
    sp_plan plan;

    sp_fault_set_hook(count_calls, &calls);
    ASSERT_ERR(sp_socketpair(cases[i].domain, cases[i].type, 0, fds),
               cases[i].err);
    ASSERT_ERR(sp_socketpair_plan(cases[i].domain, cases[i].type, 0, &plan),
               cases[i].err);
    sp_fault_set_hook(NULL, NULL);
    ASSERT_EQ(calls, 0);
    ASSERT_EQ(fds[0], -7);
    ASSERT(plan.why && *plan.why);
  }
  /* And the kernel agrees on the flag bits, for AF_UNIX. */
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, (int[2]){0}), -1);
  ASSERT_EQ(errno, EINVAL);
}

TEST(null_fds) {
  ASSERT_ERR(sp_socketpair(SP_PF_UNIX, SP_SOCK_STREAM, 0, NULL), SP_EINVAL);
  ASSERT_ERR(sp_socketpair(SP_PF_INET, SP_SOCK_STREAM, 0, NULL), SP_EINVAL);
  /* A NULL plan is allowed: only the result is wanted. */
  ASSERT_OK(sp_socketpair_plan(SP_PF_INET, SP_SOCK_STREAM, 0, NULL));
}

/* Each flag set on both ends and no other; pair_check checks the rest. */
static void check_flags(int domain, int type) {
  static const int flag_sets[] = {0, SP_SOCK_NONBLOCK, SP_SOCK_CLOEXEC,
                                  SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC};

  for (size_t i = 0; i < N_ELEMS(flag_sets); i++) {
    pair_cell c = {domain, type | flag_sets[i], 0};
    int fds[2];

    ASSERT_OK(sp_socketpair(c.domain, c.type, c.protocol, fds));
    pair_check(&c, fds);
    pair_close(&c, fds);
  }
}

TEST(flags_on_both_ends) {
  check_flags(SP_PF_UNIX, SP_SOCK_STREAM);
  check_flags(SP_PF_UNIX, SP_SOCK_DGRAM);
  check_flags(SP_PF_UNIX, SP_SOCK_SEQPACKET);
  check_flags(SP_PF_INET, SP_SOCK_STREAM);
  check_flags(SP_PF_INET, SP_SOCK_DGRAM);
  if (!sp_test_have_ipv6())
    return;
  check_flags(SP_PF_INET6, SP_SOCK_STREAM);
  check_flags(SP_PF_INET6, SP_SOCK_DGRAM);
}

TEST(tcp_nodelay_on_both_ends) {
  int fds[2];

  ASSERT_OK(sp_socketpair(SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_TCP, fds));
  for (int end = 0; end < 2; end++) {
    int on = 0;
    socklen_t len = sizeof(on);

    ASSERT_EQ(getsockopt(fds[end], IPPROTO_TCP, 1 /* TCP_NODELAY */, &on, &len),
              0);
    ASSERT(on);
  }
  close(fds[0]);
  close(fds[1]);
}

/* The peer of each end is the other end, and both are on loopback. */
static void check_endpoints(int domain, int type) {
  struct sockaddr_storage a, b;
  socklen_t alen = sizeof(a);
  socklen_t blen = sizeof(b);
  int fds[2];

  ASSERT_OK(sp_socketpair(domain, type, 0, fds));
  ASSERT_EQ(getsockname(fds[0], (struct sockaddr *)&a, &alen), 0);
  ASSERT_EQ(getpeername(fds[1], (struct sockaddr *)&b, &blen), 0);
  ASSERT_EQ(alen, blen);
  ASSERT_MEM_EQ(&a, &b, alen);
  if (domain == SP_PF_INET)
    ASSERT_EQ(((struct sockaddr_in *)&a)->sin_addr.s_addr,
              htonl(INADDR_LOOPBACK));
  else
    ASSERT_MEM_EQ(&((struct sockaddr_in6 *)&a)->sin6_addr, &in6addr_loopback,
                  sizeof(in6addr_loopback));
  close(fds[0]);
  close(fds[1]);
}

TEST(emulated_pairs_are_loopback_peers) {
  check_endpoints(SP_PF_INET, SP_SOCK_STREAM);
  check_endpoints(SP_PF_INET, SP_SOCK_DGRAM);
  if (!sp_test_have_ipv6())
    return;
  check_endpoints(SP_PF_INET6, SP_SOCK_STREAM);
  check_endpoints(SP_PF_INET6, SP_SOCK_DGRAM);
}

/* --- Intruders ---------------------------------------------------------
 * The seam lets the test act inside the window between listen() and
 * accept(): when the library is about to connect its client (or, for UDP,
 * about to connect the first socket), a stranger gets there first. */
typedef struct intruder {
  int domain;
  int type;
  int fd;
  int armed;
} intruder;

/* The library's socket to attack: its listener (TCP), or its newest bound
 * socket (UDP). */
static int target_socket(int type) {
  for (int fd = 1023; fd > 2; fd--) {
    int t;
    int listening = 0;
    socklen_t len = sizeof(t);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) || t != type)
      continue;
    len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len))
      continue;
    if (type == SOCK_DGRAM || listening)
      return fd;
  }
  return -1;
}

static int intrude(void *ctx, sp_call call, size_t *len) {
  intruder *in = ctx;
  struct sockaddr_storage addr;
  socklen_t alen = sizeof(addr);
  int target;

  (void)len;
  if (call != SP_CALL_CONNECT || !in->armed)
    return 0;
  in->armed = 0;
  target = target_socket(in->type);
  if (target < 0 || getsockname(target, (struct sockaddr *)&addr, &alen))
    return 0;
  in->fd = socket(in->domain, in->type | SOCK_CLOEXEC, 0);
  if (in->fd < 0)
    return 0;
  if (in->type == SOCK_STREAM) {
    /* Blocking connect to a listening loopback port completes at once. */
    if (connect(in->fd, (struct sockaddr *)&addr, alen))
      SP__FAIL("intruder connect: %s", strerror(errno));
  } else {
    if (sendto(in->fd, "evil", 4, 0, (struct sockaddr *)&addr, alen) != 4)
      SP__FAIL("intruder sendto: %s", strerror(errno));
  }
  return 0;
}

static void check_tcp_intruder(int domain) {
  intruder in = {.domain = domain, .type = SOCK_STREAM, .fd = -1, .armed = 1};
  int fds[2];
  char byte;

  sp_fault_set_hook(intrude, &in);
  ASSERT_OK(sp_socketpair(domain, SP_SOCK_STREAM, 0, fds));
  sp_fault_set_hook(NULL, NULL);
  ASSERT(in.fd >= 0); /* the intruder did connect */
  sp_test_round_trip(fds);
  /* The library closed the stranger's connection: it reads end of stream. */
  {
    struct timeval tv = {.tv_sec = 2};
    ASSERT_EQ(setsockopt(in.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    ASSERT_EQ(recv(in.fd, &byte, 1, 0), 0);
  }
  close(in.fd);
  close(fds[0]);
  close(fds[1]);
}

TEST(tcp_intruder_is_closed) {
  check_tcp_intruder(SP_PF_INET);
  if (sp_test_have_ipv6())
    check_tcp_intruder(SP_PF_INET6);
}

static void check_udp_intruder(int domain) {
  intruder in = {.domain = domain, .type = SOCK_DGRAM, .fd = -1, .armed = 1};
  int fds[2];
  char got[8];

  sp_fault_set_hook(intrude, &in);
  ASSERT_OK(sp_socketpair(domain, SP_SOCK_DGRAM, 0, fds));
  sp_fault_set_hook(NULL, NULL);
  ASSERT(in.fd >= 0);
  /* The stranger's datagram was queued before the connect: drained. The
   * first datagram each end reads is its peer's. */
  sp_test_round_trip(fds);
  /* After the connect, the kernel drops a stranger's datagrams. */
  {
    struct sockaddr_storage addr;
    socklen_t alen = sizeof(addr);

    ASSERT_EQ(getsockname(fds[0], (struct sockaddr *)&addr, &alen), 0);
    ASSERT_EQ(sendto(in.fd, "evil", 4, 0, (struct sockaddr *)&addr, alen), 4);
    sp_test_write_all(fds[1], "good", 4, 2000);
    sp_test_read_exact(fds[0], got, 4, 2000);
    ASSERT_MEM_EQ(got, "good", 4);
    ASSERT_EQ(recv(fds[0], got, sizeof(got), MSG_DONTWAIT), -1);
    ASSERT_EQ(errno, EAGAIN);
  }
  close(in.fd);
  close(fds[0]);
  close(fds[1]);
}

TEST(udp_stranger_is_dropped) {
  check_udp_intruder(SP_PF_INET);
  if (sp_test_have_ipv6())
    check_udp_intruder(SP_PF_INET6);
}

/* Many pairs in a row: each close releases everything (the runner checks
 * the descriptor count). */
TEST(repeated_create_close) {
  for (int i = 0; i < 200; i++) {
    int fds[2];

    ASSERT_OK(sp_socketpair(SP_PF_INET, SP_SOCK_DGRAM, 0, fds));
    close(fds[0]);
    close(fds[1]);
    ASSERT_OK(sp_socketpair(SP_PF_UNIX, SP_SOCK_SEQPACKET, 0, fds));
    close(fds[0]);
    close(fds[1]);
  }
  for (int i = 0; i < 20; i++) {
    int fds[2];

    ASSERT_OK(sp_socketpair(SP_PF_INET, SP_SOCK_STREAM, 0, fds));
    close(fds[0]);
    close(fds[1]);
  }
}
