/*
 * fuzz_args: argument validation of sp_socketpair() and
 * sp_socketpair_plan(), over the whole int range of domain, type (any flag
 * bits) and protocol.
 *
 * The input is a sequence of records; each is one control byte, then the
 * domain, the type and the protocol, each either a full 32-bit value or a
 * small one (control bits), so the fuzzer reaches both the interesting
 * small cells and the extremes.
 *
 * Oracles:
 *  - AF_UNIX: sp_socketpair() answers exactly as the kernel's socketpair()
 *    on the same arguments (same errno, or both succeed); every success is
 *    two connected descriptors of the kernel's socket type, protocol and
 *    flags (proved by a one-byte exchange each way), then closed. The
 *    kernel's answer for a pair it creates is learned once per type and
 *    protocol (see kernel_answer_for).
 *  - every domain: sp_socketpair_plan() is pure (no syscall) and follows
 *    its contract: unknown flag bits -EINVAL, other domains -EAFNOSUPPORT,
 *    inet cells emulated exactly for STREAM+{IP,TCP} and DGRAM+{IP,UDP},
 *    refused otherwise with an error and a sentence; sp_socketpair()
 *    returns the same errors without any syscall.
 *  - inet cells that are refused may be asked of sp_socketpair() (it only
 *    opens a socket(2) probe, no port); emulated cells never are, so the
 *    fuzzer takes no ports and leaves no TIME_WAIT. AF_INET SOCK_PACKET
 *    is probed once, at start (see is_packet_cell).
 *  - no descriptor is left open (or closed) by an input.
 */
/* An input holds at most four descriptors at once: a pair and the
 * kernel's reference pair, or one probe socket. */
#define FZ_FD_SLACK 5
#include "fuzz.h"

#include "fault.h"
#include "sockpair.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RECORDS 32
#define TYPE_MASK 0xf
#define FLAG_BITS (SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC)

/* Control byte of a record. */
#define CTL_DOMAIN_FULL 0x01
#define CTL_TYPE_FULL 0x02
#define CTL_PROTO_FULL 0x04
#define CTL_PROBE_REFUSED 0x20 /* ask sp_socketpair() for a refused cell */
#define CTL_NULL_FDS 0x40      /* also call sp_socketpair(..., NULL) */

typedef struct cell {
  int domain;
  int type;
  int protocol;
  uint8_t ctl;
} cell;

/* ---- counting syscalls through the fault-injection seam ---- */

typedef struct calls {
  unsigned n[SP_CALL__COUNT];
  unsigned total;
} calls;

FZ_NO_COVERAGE static int count_hook(void *ctx, sp_call call, size_t *len) {
  calls *c = ctx;

  (void)len;
  c->n[call]++;
  c->total++;
  return 0;
}

FZ_NO_COVERAGE static void count_start(calls *c) {
  memset(c, 0, sizeof(*c));
  sp_fault_set_hook(count_hook, c);
}

FZ_NO_COVERAGE static void count_stop(void) {
  sp_fault_set_hook(NULL, NULL);
}

/* ---- reading a record ---- */

static int small_type(uint8_t b) {
  int type = b & TYPE_MASK;

  if (b & 0x10)
    type |= SP_SOCK_NONBLOCK;
  if (b & 0x20)
    type |= SP_SOCK_CLOEXEC;
  if (b & 0x40)
    type |= 0x10; /* the lowest bit the kernel rejects */
  if (b & 0x80)
    type = (int)((unsigned)type | 0x80000000u);
  return type;
}

static cell read_cell(fz_in *in) {
  cell c;

  c.ctl = fz_u8(in);
  c.domain = (c.ctl & CTL_DOMAIN_FULL) ? fz_i32(in) : fz_u8(in);
  c.type = (c.ctl & CTL_TYPE_FULL) ? fz_i32(in) : small_type(fz_u8(in));
  c.protocol = (c.ctl & CTL_PROTO_FULL) ? fz_i32(in) : fz_u16(in);
  return c;
}

/* ---- the plan's contract ---- */

static int flags_valid(int type) {
  return !((unsigned)type & ~(unsigned)TYPE_MASK & ~(unsigned)FLAG_BITS);
}

static int is_inet(int domain) {
  return domain == SP_PF_INET || domain == SP_PF_INET6;
}

static sp_method expected_method(const cell *c) {
  int base = c->type & TYPE_MASK;

  if (!flags_valid(c->type))
    return SP_METHOD_REFUSED;
  if (c->domain == SP_PF_UNIX)
    return SP_METHOD_KERNEL;
  if (!is_inet(c->domain))
    return SP_METHOD_REFUSED;
  if (base == SP_SOCK_STREAM &&
      (c->protocol == SP_IPPROTO_IP || c->protocol == SP_IPPROTO_TCP))
    return SP_METHOD_EMULATED_TCP;
  if (base == SP_SOCK_DGRAM &&
      (c->protocol == SP_IPPROTO_IP || c->protocol == SP_IPPROTO_UDP))
    return SP_METHOD_EMULATED_UDP;
  return SP_METHOD_REFUSED;
}

static int expected_return(const cell *c) {
  if (!flags_valid(c->type))
    return SP_EINVAL;
  if (c->domain != SP_PF_UNIX && !is_inet(c->domain))
    return SP_EAFNOSUPPORT;
  return 0;
}

FZ_NO_COVERAGE static void check_text(int err) {
  const char *msg = sp_strerror(err);
  const char *name = sp_err_name(err);

  FZ_CHECK(msg && msg[0], "sp_strerror(%d) is empty", err);
  FZ_CHECK(name && name[0], "sp_err_name(%d) is empty", err);
}

/* The fields of a plan for c that returned r. */
FZ_NO_COVERAGE static void check_plan_fields(const cell *c, const sp_plan *plan,
                                             int r) {
  FZ_CHECK(plan->method == expected_method(c),
           "plan(%d, %#x, %d): method %d, expected %d", c->domain,
           (unsigned)c->type, c->protocol, plan->method, expected_method(c));
  FZ_CHECK(plan->base_type == (c->type & TYPE_MASK), "base_type %d",
           plan->base_type);
  FZ_CHECK(plan->flags == (c->type & ~TYPE_MASK), "flags %#x",
           (unsigned)plan->flags);
  FZ_CHECK(plan->why && plan->why[0], "plan without a sentence");
  FZ_CHECK(plan->method == SP_METHOD_REFUSED ? plan->err < 0 : plan->err == 0,
           "method %d with err %d", plan->method, plan->err);
  FZ_CHECK(!r || plan->err == r, "returned %d but plan.err %d", r, plan->err);
  check_text(plan->err);
}

static sp_plan check_plan(const cell *c) {
  sp_plan plan;
  calls n;
  int r, r_null;

  count_start(&n);
  r = sp_socketpair_plan(c->domain, c->type, c->protocol, &plan);
  r_null = sp_socketpair_plan(c->domain, c->type, c->protocol, NULL);
  count_stop();
  FZ_CHECK(n.total == 0, "plan made %u syscalls", n.total);
  FZ_CHECK(r == r_null, "plan %d, with NULL plan %d", r, r_null);
  FZ_CHECK(r == expected_return(c), "plan(%d, %#x, %d) returned %d", c->domain,
           (unsigned)c->type, c->protocol, r);
  check_plan_fields(c, &plan, r);
  return plan;
}

/* The name lookups answer for the named constants only. */
FZ_NO_COVERAGE static void check_names(const cell *c) {
  const char *d = sp_domain_name(c->domain);
  const char *t = sp_type_name(c->type);
  const char *p = sp_protocol_name(c->protocol);
  int known_d = c->domain == 1 || c->domain == 2 || c->domain == 10;
  int known_t = c->type >= 1 && c->type <= 5;
  int known_p = c->protocol == 0 || c->protocol == 1 || c->protocol == 6 ||
                c->protocol == 17 || c->protocol == 255;

  FZ_CHECK(!d == !known_d && (!d || d[0]), "domain name of %d", c->domain);
  FZ_CHECK(!t == !known_t && (!t || t[0]), "type name of %d", c->type);
  FZ_CHECK(!p == !known_p && (!p || p[0]), "protocol name of %d", c->protocol);
}

/* ---- sp_socketpair() against its contract ---- */

/* Errors decided before any syscall, and a NULL fds argument. */
static void check_no_syscall(const cell *c, int err, int null_fds) {
  int fds[2] = {-7, -7};
  calls n;
  int r;

  count_start(&n);
  r = sp_socketpair(c->domain, c->type, c->protocol, null_fds ? NULL : fds);
  count_stop();
  FZ_CHECK(r == err, "sp_socketpair(%d, %#x, %d%s) = %d, expected %d",
           c->domain, (unsigned)c->type, c->protocol, null_fds ? ", NULL" : "",
           r, err);
  FZ_CHECK(n.total == 0, "%u syscalls before refusing", n.total);
  FZ_CHECK(fds[0] == -7 && fds[1] == -7, "fds written on failure");
}

/* One byte from a to b, without ever blocking: a UNIX socket queues it on
 * the peer before send() returns. */
FZ_NO_COVERAGE static void check_exchange(int a, int b, char byte) {
  char got = 0;
  ssize_t n = send(a, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);

  FZ_CHECK(n == 1, "send on %d: %zd (%s)", a, n, strerror(errno));
  n = recv(b, &got, 1, MSG_DONTWAIT);
  FZ_CHECK(n == 1 && got == byte, "recv on %d: %zd (%s)", b, n,
           strerror(errno));
}

/* ---- the kernel's own answer, the AF_UNIX reference ---- */

/* What socketpair(AF_UNIX, type, protocol) gives: an error, or a pair of
 * this SO_TYPE and SO_PROTOCOL (both ends alike). */
typedef struct kernel_answer {
  int err;
  int so_type;
  int so_protocol;
} kernel_answer;

FZ_NO_COVERAGE static void close_pair(int fds[2]) {
  close(fds[0]);
  close(fds[1]);
}

FZ_NO_COVERAGE static kernel_answer ask_kernel(int type, int protocol) {
  kernel_answer a = {0, -1, -1};
  int ref[2];

  if (socketpair(AF_UNIX, type, protocol, ref)) {
    a.err = -errno;
    return a;
  }
  a.so_type = fz_opt_int(ref[0], SO_TYPE);
  a.so_protocol = fz_opt_int(ref[0], SO_PROTOCOL);
  FZ_CHECK(fz_opt_int(ref[1], SO_TYPE) == a.so_type &&
               fz_opt_int(ref[1], SO_PROTOCOL) == a.so_protocol,
           "the kernel's pair has two kinds of end");
  close_pair(ref);
  return a;
}

/*
 * The kernel's answer for the (type, protocol) of a pair it created is
 * remembered: it cannot change while the process runs, and creating and
 * closing the reference pair was a third of each AF_UNIX cell's time
 * (socket allocation and release, ≈ 20 µs). Refusals are asked every time
 * (they cost the kernel little), and so is everything once the table is
 * full, so a transient error (EMFILE, ENOBUFS) is never remembered. An
 * input's outcome is the same as with a fresh reference pair each time.
 */
#define KNOWN_PAIRS 64

typedef struct known_pair {
  int type;
  int protocol;
  kernel_answer answer;
} known_pair;

static known_pair known[KNOWN_PAIRS];
static size_t nknown;

FZ_NO_COVERAGE static kernel_answer kernel_answer_for(int type, int protocol) {
  kernel_answer a;
  size_t i;

  for (i = 0; i < nknown; i++)
    if (known[i].type == type && known[i].protocol == protocol)
      return known[i].answer;
  a = ask_kernel(type, protocol);
  if (!a.err && nknown < KNOWN_PAIRS) {
    known[nknown].type = type;
    known[nknown].protocol = protocol;
    known[nknown].answer = a;
    nknown++;
  }
  return a;
}

FZ_NO_COVERAGE static void
check_unix_pair(const int fds[2], const kernel_answer *kernel, int type) {
  int i;

  FZ_CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1], "fds %d %d", fds[0],
           fds[1]);
  for (i = 0; i < 2; i++) {
    FZ_CHECK(fz_opt_int(fds[i], SO_DOMAIN) == AF_UNIX, "not AF_UNIX");
    FZ_CHECK(fz_opt_int(fds[i], SO_TYPE) == kernel->so_type,
             "SO_TYPE %d, the kernel's %d", fz_opt_int(fds[i], SO_TYPE),
             kernel->so_type);
    FZ_CHECK(fz_opt_int(fds[i], SO_PROTOCOL) == kernel->so_protocol,
             "SO_PROTOCOL %d, the kernel's %d", fz_opt_int(fds[i], SO_PROTOCOL),
             kernel->so_protocol);
    fz_check_flags(fds[i], type & ~TYPE_MASK);
  }
  check_exchange(fds[0], fds[1], 'a');
  check_exchange(fds[1], fds[0], 'b');
}

static void check_unix(const cell *c) {
  int fds[2] = {-7, -7};
  kernel_answer kernel;
  int r;

  r = sp_socketpair(c->domain, c->type, c->protocol, fds);
  kernel = kernel_answer_for(c->type, c->protocol);
  FZ_CHECK(r == kernel.err,
           "AF_UNIX(%#x, %d): sp_socketpair %d (%s), kernel %d (%s)",
           (unsigned)c->type, c->protocol, r, sp_err_name(r), kernel.err,
           sp_err_name(kernel.err));
  if (r) {
    FZ_CHECK(fds[0] == -7 && fds[1] == -7, "fds written on failure");
    return;
  }
  check_unix_pair(fds, &kernel, c->type);
  close_pair(fds);
}

/* A refused inet cell: only a socket(2) probe (closed again), never a
 * port, never written fds. */
static void check_refused_inet(const cell *c, const sp_plan *plan) {
  int fds[2] = {-7, -7};
  calls n;
  int r;

  count_start(&n);
  r = sp_socketpair(c->domain, c->type, c->protocol, fds);
  count_stop();
  FZ_CHECK(r < 0, "refused cell (%d, %#x, %d) returned %d", c->domain,
           (unsigned)c->type, c->protocol, r);
  FZ_CHECK(fds[0] == -7 && fds[1] == -7, "fds written on failure");
  FZ_CHECK(n.n[SP_CALL_SOCKET] <= 1 &&
               n.n[SP_CALL_CLOSE] <= n.n[SP_CALL_SOCKET] &&
               n.total == n.n[SP_CALL_SOCKET] + n.n[SP_CALL_CLOSE],
           "a refusal made %u syscalls (%u socket, %u close)", n.total,
           n.n[SP_CALL_SOCKET], n.n[SP_CALL_CLOSE]);
  check_text(r);
  /* The plan predicts the kernel's refusal for an unprivileged process:
   * privileged predictions (EPERM, EACCES) may differ, and a kernel built
   * with more protocols (MPTCP, UDP-Lite, SCTP) creates the probe socket,
   * which sp_socketpair() then refuses with EOPNOTSUPP. */
  FZ_CHECK(r == plan->err || r == SP_EOPNOTSUPP || plan->err == SP_EPERM ||
               plan->err == SP_EACCES,
           "refused cell (%d, %#x, %d): plan says %s, sp_socketpair %s",
           c->domain, (unsigned)c->type, c->protocol, sp_err_name(plan->err),
           sp_err_name(r));
}

/* AF_INET SOCK_PACKET is a packet socket, and closing one waits for an
 * RCU grace period (synchronize_net() in packet_release: 8-20 ms measured),
 * when it can be created at all (CAP_NET_RAW): one probe of that cell
 * through sp_socketpair() costs as much as a thousand other inputs. So it
 * is probed once per process, with every flag combination, in
 * LLVMFuzzerInitialize; inputs check the cell against the plan only
 * (above). The library's path is the same for every protocol of the cell. */
#define SOCK_PACKET_TYPE 10

static int is_packet_cell(const cell *c) {
  return c->domain == SP_PF_INET && (c->type & TYPE_MASK) == SOCK_PACKET_TYPE;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  static const int flags[] = {0, SP_SOCK_NONBLOCK, SP_SOCK_CLOEXEC, FLAG_BITS};
  fz_fds before = fz_fds_take();
  size_t i;

  (void)argc;
  (void)argv;
  for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
    cell c = {SP_PF_INET, SOCK_PACKET_TYPE | flags[i], 0, CTL_PROBE_REFUSED};
    sp_plan plan = check_plan(&c);

    check_refused_inet(&c, &plan);
  }
  fz_fds_check(&before);
  return 0;
}

static void check_cell(const cell *c) {
  sp_plan plan = check_plan(c);
  int err = expected_return(c);

  check_names(c);
  check_text(c->domain); /* any int has a name and a sentence */
  check_text(c->protocol);
  if (c->ctl & CTL_NULL_FDS)
    check_no_syscall(c, err ? err : SP_EINVAL, 1);
  if (err)
    check_no_syscall(c, err, 0);
  if (c->domain == SP_PF_UNIX) {
    check_unix(c);
    return;
  }
  if (err)
    return;
  if (plan.method == SP_METHOD_REFUSED && (c->ctl & CTL_PROBE_REFUSED) &&
      !is_packet_cell(c))
    check_refused_inet(c, &plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in = {data, size};
  fz_fds before = fz_fds_take();
  int i;

  for (i = 0; i < MAX_RECORDS && fz_left(&in); i++) {
    cell c = read_cell(&in);

    check_cell(&c);
  }
  fz_fds_check(&before);
  return 0;
}
