/*
 * Real exhaustion and real interruption, no seam involved:
 *   - RLIMIT_NOFILE set so that exactly n descriptors are free: a pair that
 *     needs more fails with a clean EMFILE and leaves nothing open;
 *   - a signal storm (SIGALRM every 100 us, handler installed without
 *     SA_RESTART) while pairs are created: the same results as a quiet run,
 *     no EINTR surfacing.
 */
#include "storm.h"
#include "pair_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

/* --- RLIMIT_NOFILE ------------------------------------------------------- */

#define MAX_PLACEHOLDERS 256

typedef struct fd_squeeze {
  int placeholders[MAX_PLACEHOLDERS];
  int n;
  struct rlimit saved;
} fd_squeeze;

/* The highest descriptor of ours: under valgrind, its own descriptors sit
 * above the soft limit it shows us, out of our reach. */
static int highest_open_fd(void) {
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *ent;
  struct rlimit lim;
  int self;
  int max = -1;

  ASSERT(dir);
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  self = dirfd(dir);
  while ((ent = readdir(dir))) {
    int fd;

    if (ent->d_name[0] == '.')
      continue;
    fd = atoi(ent->d_name);
    if (fd != self && fd > max && (rlim_t)fd < lim.rlim_cur)
      max = fd;
  }
  closedir(dir);
  return max;
}

/* Fills the holes below the highest open descriptor, then lowers the soft
 * limit so that exactly `free_fds` descriptor numbers are left. */
static void squeeze(fd_squeeze *sq, int free_fds) {
  int max = highest_open_fd();
  struct rlimit lim;

  sq->n = 0;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    ASSERT(fd >= 0);
    if (fd > max) {
      close(fd);
      break;
    }
    ASSERT(sq->n < MAX_PLACEHOLDERS);
    sq->placeholders[sq->n++] = fd;
  }
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &sq->saved), 0);
  lim = sq->saved;
  lim.rlim_cur = (rlim_t)(max + 1 + free_fds);
  ASSERT(lim.rlim_cur <= sq->saved.rlim_cur);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
}

static void unsqueeze(fd_squeeze *sq) {
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &sq->saved), 0);
  for (int i = 0; i < sq->n; i++)
    close(sq->placeholders[i]);
}

/* The cell must fail with EMFILE below `needed` free descriptors and work
 * with exactly `needed`. */
static void check_exhaustion(const pair_cell *c, int needed) {
  for (int free_fds = 0; free_fds <= needed; free_fds++) {
    int fds[2] = {SENTINEL0, SENTINEL1};
    int before = sp_test_count_fds();
    fd_squeeze sq;
    int r;

    squeeze(&sq, free_fds);
    r = sp_socketpair(c->domain, c->type, c->protocol, fds);
    unsqueeze(&sq);
    if (free_fds < needed) {
      if (r != SP_EMFILE)
        SP__FAIL("%s type %#x with %d free descriptors: %s, not EMFILE",
                 sp_domain_name(c->domain), c->type, free_fds, sp_err_name(r));
      ASSERT_EQ(fds[0], SENTINEL0);
      ASSERT_EQ(fds[1], SENTINEL1);
    } else {
      ASSERT_OK(r);
      pair_check(c, fds);
      pair_close(c, fds);
    }
    ASSERT_EQ(sp_test_count_fds(), before);
  }
}

TEST(rlimit_nofile_unix) {
  static const int types[] = {SP_SOCK_STREAM, SP_SOCK_DGRAM, SP_SOCK_SEQPACKET};

  for (size_t i = 0; i < N_ELEMS(types); i++) {
    pair_cell c = {SP_PF_UNIX, types[i] | SP_SOCK_CLOEXEC, 0};

    check_exhaustion(&c, 2);
  }
}

/* The TCP emulation holds three sockets at once: listener, client and the
 * accepted end. */
TEST(rlimit_nofile_tcp) {
  static const int flags[] = {0, SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC};

  for (size_t f = 0; f < N_ELEMS(flags); f++) {
    pair_cell c4 = {SP_PF_INET, SP_SOCK_STREAM | flags[f], 0};
    pair_cell c6 = {SP_PF_INET6, SP_SOCK_STREAM | flags[f], SP_IPPROTO_TCP};

    check_exhaustion(&c4, 3);
    if (sp_test_have_ipv6())
      check_exhaustion(&c6, 3);
  }
}

TEST(rlimit_nofile_udp) {
  static const int flags[] = {0, SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC};

  for (size_t f = 0; f < N_ELEMS(flags); f++) {
    pair_cell c4 = {SP_PF_INET, SP_SOCK_DGRAM | flags[f], 0};
    pair_cell c6 = {SP_PF_INET6, SP_SOCK_DGRAM | flags[f], SP_IPPROTO_UDP};

    check_exhaustion(&c4, 2);
    if (sp_test_have_ipv6())
      check_exhaustion(&c6, 2);
  }
}

/* sp_pair: the same limits, and no half-made pair of streams left. */
TEST(rlimit_nofile_sp_pair) {
  static const struct {
    pair_cell c;
    int needed;
  } cases[] = {{{SP_PF_UNIX, SP_SOCK_STREAM, 0}, 2},
               {{SP_PF_INET, SP_SOCK_STREAM, 0}, 3},
               {{SP_PF_INET, SP_SOCK_DGRAM, 0}, 2}};

  for (size_t i = 0; i < N_ELEMS(cases); i++)
    for (int free_fds = 0; free_fds <= cases[i].needed; free_fds++) {
      const pair_cell *c = &cases[i].c;
      sp_stream *p[2] = {NULL, NULL};
      int before = sp_test_count_fds();
      fd_squeeze sq;
      int r;

      squeeze(&sq, free_fds);
      r = sp_pair(c->domain, c->type, c->protocol, p);
      unsqueeze(&sq);
      if (free_fds < cases[i].needed) {
        ASSERT_ERR(r, SP_EMFILE);
        ASSERT(!p[0] && !p[1]); /* not written */
      } else {
        int fds[2];

        ASSERT_OK(r);
        fds[0] = sp_stream_fd(p[0]);
        fds[1] = sp_stream_fd(p[1]);
        pair_check(c, fds);
        pair_set_abortive(c, fds[0]);
        ASSERT_OK(sp_stream_close(p[0]));
        ASSERT_OK(sp_stream_close(p[1]));
      }
      ASSERT_EQ(sp_test_count_fds(), before);
    }
}

/* --- Signal storm ----------------------------------------------------------
 */

TEST(signal_storm_pair_creation) {
  static const pair_cell cells[] = {
      {SP_PF_UNIX, SP_SOCK_STREAM, 0},
      {SP_PF_UNIX, SP_SOCK_SEQPACKET | SP_SOCK_NONBLOCK, 0},
      {SP_PF_INET, SP_SOCK_STREAM, 0},
      {SP_PF_INET, SP_SOCK_STREAM | SP_SOCK_NONBLOCK, 0},
      {SP_PF_INET, SP_SOCK_DGRAM, 0},
      {SP_PF_INET6, SP_SOCK_STREAM | SP_SOCK_CLOEXEC, 0},
      {SP_PF_INET6, SP_SOCK_DGRAM | SP_SOCK_NONBLOCK, 0},
  };
  int have6 = sp_test_have_ipv6();
  long pairs = 0;
  storm st;
  int64_t end;

  storm_start(&st);
  end = sp_test_now_us() + STORM_US;
  while (sp_test_now_us() < end)
    for (size_t i = 0; i < N_ELEMS(cells); i++) {
      const pair_cell *c = &cells[i];
      int fds[2] = {SENTINEL0, SENTINEL1};

      if (c->domain == SP_PF_INET6 && !have6)
        continue;
      ASSERT_OK(sp_socketpair(c->domain, c->type, c->protocol, fds));
      pair_check(c, fds);
      pair_close(c, fds);
      pairs++;
    }
  storm_stop(&st);
  printf("storm: %ld pairs created under %ld signals\n", pairs, storm_ticks());
  ASSERT_GT(pairs, 0);
  storm_assert_stormy(&st);
}
