/*
 * Torture of pair creation: every cell that can succeed (and a few that
 * cannot), every flag combination, with every fallible call failed in turn
 * with each errno it can really return (see support/torture.h).
 */
#include "torture.h"
#include "pair_check.h"

static const int flag_sets[] = {0, SP_SOCK_NONBLOCK, SP_SOCK_CLOEXEC,
                                SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC};

static void pair_scenario(void *arg, torture_outcome *out) {
  const pair_cell *c = arg;
  int fds[2] = {SENTINEL0, SENTINEL1};
  int r;

  torture_arm();
  r = sp_socketpair(c->domain, c->type, c->protocol, fds);
  torture_disarm();
  out->result = r;
  if (r) {
    ASSERT(r < 0);
    ASSERT_EQ(fds[0], SENTINEL0); /* untouched on failure */
    ASSERT_EQ(fds[1], SENTINEL1);
    ASSERT(strcmp(sp_err_name(r), "UNKNOWN"));
    return;
  }
  pair_check(c, fds);
  pair_close(c, fds);
}

static void torture_cells(const char *what, int domain, const int *types,
                          const int *protocols, size_t n) {
  torture_stats total = {0};

  for (size_t i = 0; i < n; i++)
    for (size_t f = 0; f < N_ELEMS(flag_sets); f++) {
      pair_cell c = {domain, types[i] | flag_sets[f], protocols[i]};
      char name[96];

      snprintf(name, sizeof(name), "%s %s/%s%s%s", sp_domain_name(domain),
               sp_type_name(types[i]), sp_protocol_name(protocols[i]),
               (flag_sets[f] & SP_SOCK_NONBLOCK) ? "|NONBLOCK" : "",
               (flag_sets[f] & SP_SOCK_CLOEXEC) ? "|CLOEXEC" : "");
      torture_run(name, pair_scenario, &c, &total);
    }
  torture_total(what, &total);
}

TEST(pair_unix) {
  static const int types[] = {
      SP_SOCK_STREAM, SP_SOCK_DGRAM, SP_SOCK_RAW, SP_SOCK_SEQPACKET,
      SP_SOCK_STREAM, SP_SOCK_DGRAM, SP_SOCK_RAW, SP_SOCK_SEQPACKET};
  static const int protocols[] = {0, 0, 0, 0, 1, 1, 1, 1};

  torture_cells("= unix", SP_PF_UNIX, types, protocols, N_ELEMS(types));
}

static const int inet_stream[] = {SP_SOCK_STREAM, SP_SOCK_STREAM};
static const int inet_tcp[] = {SP_IPPROTO_IP, SP_IPPROTO_TCP};
static const int inet_dgram[] = {SP_SOCK_DGRAM, SP_SOCK_DGRAM};
static const int inet_udp[] = {SP_IPPROTO_IP, SP_IPPROTO_UDP};

TEST(pair_tcp4) {
  torture_cells("= tcp4", SP_PF_INET, inet_stream, inet_tcp, 2);
}

TEST(pair_tcp6) {
  if (!sp_test_have_ipv6())
    SKIP("no IPv6 loopback here");
  torture_cells("= tcp6", SP_PF_INET6, inet_stream, inet_tcp, 2);
}

TEST(pair_udp4) {
  torture_cells("= udp4", SP_PF_INET, inet_dgram, inet_udp, 2);
}

TEST(pair_udp6) {
  if (!sp_test_have_ipv6())
    SKIP("no IPv6 loopback here");
  torture_cells("= udp6", SP_PF_INET6, inet_dgram, inet_udp, 2);
}

/* Cells that cannot be paired: the probe socket is failed too. */
TEST(pair_refused) {
  static const pair_cell cells[] = {
      {SP_PF_INET, SP_SOCK_RAW, SP_IPPROTO_ICMP},
      {SP_PF_INET6, SP_SOCK_RAW, SP_IPPROTO_RAW},
      {SP_PF_INET, SP_SOCK_STREAM, SP_IPPROTO_UDP},
      {SP_PF_INET, SP_SOCK_DGRAM, SP_IPPROTO_ICMP},
      {SP_PF_INET6, SP_SOCK_SEQPACKET | SP_SOCK_NONBLOCK, 0},
      {SP_PF_INET, SP_SOCK_RDM | SP_SOCK_CLOEXEC, 0},
  };
  torture_stats total = {0};

  for (size_t i = 0; i < N_ELEMS(cells); i++) {
    char name[96];

    snprintf(name, sizeof(name), "refused %s %s/%d",
             sp_domain_name(cells[i].domain), sp_type_name(cells[i].type & 0xf),
             cells[i].protocol);
    torture_run(name, pair_scenario, (void *)&cells[i], &total);
  }
  torture_total("= refused", &total);
}

/* --- The accept loop is bounded by the deadline --------------------------
 * While the listener stays readable (a stranger flooding it, or accept4
 * failing with ECONNABORTED / EAGAIN again and again), the accept loop
 * used to poll with 0 ms left and go round for ever: the 5 s deadline was
 * only enforced by poll() timing out, which a readable listener never
 * does. */
static int abort_every_accept(void *ctx, sp_call call, size_t *len) {
  (void)len;
  if (call != SP_CALL_ACCEPT4)
    return 0;
  (*(long *)ctx)++;
  return ECONNABORTED;
}

TEST(tcp_accept_loop_bounded_by_deadline) {
  int fds[2] = {SENTINEL0, SENTINEL1};
  long accepts = 0;
  int64_t start = sp_test_now_us();
  int64_t ms;
  int r;

  sp_fault_set_hook(abort_every_accept, &accepts);
  r = sp_socketpair(SP_PF_INET, SP_SOCK_STREAM, 0, fds);
  sp_fault_set_hook(NULL, NULL);
  ms = (sp_test_now_us() - start) / 1000;
  ASSERT_ERR(r, SP_ETIMEDOUT);
  ASSERT_EQ(fds[0], SENTINEL0);
  ASSERT_EQ(fds[1], SENTINEL1);
  ASSERT_GT(accepts, 1);
  ASSERT_GE(ms, 4500); /* the documented 5 s deadline, not sooner */
  ASSERT_LT(ms, 8000);
}
