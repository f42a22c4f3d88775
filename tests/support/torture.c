/* The torture harness (see torture.h): the fault hook, its tables of real
 * errnos, and the driver that runs a scenario clean and then faulted. */
#include "torture.h"

#include <errno.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define TORTURE_HAVE_LSAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define TORTURE_HAVE_LSAN 1
#endif
#endif
#ifdef TORTURE_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define TORTURE_MAX_CALLS 512
/* A faulted run slower than this waited for something that never came
 * (the environment variable TORTURE_MAX_RUN_MS overrides it: valgrind). */
#define TORTURE_MAX_RUN_MS 3000

/* Pseudo-errnos of the tables: a transfer cut short instead of failed. */
#define TORTURE_SHORT_ONE (-1)  /* to one byte */
#define TORTURE_SHORT_HALF (-2) /* to half of what was asked */

typedef enum torture_mode {
  TORTURE_COUNT,   /* count and log, inject nothing */
  TORTURE_ONESHOT, /* fail call k only */
  TORTURE_STICKY,  /* fail call k and every later call */
  TORTURE_SHORT_ALL,
  TORTURE_EINTR_ALL
} torture_mode;

/* The whole state of the hook: tests may have globals, lib/ may not. */
static struct torture_state {
  torture_mode mode;
  int armed;
  long calls;
  long target;
  sp_call target_call;
  int err;
  int fired;
  int diverged;
  unsigned char flip[SP_CALL__COUNT]; /* TORTURE_EINTR_ALL, per call kind */
  unsigned char dealt[256];           /* errnos injected during this run */
  int ndealt;
  int last_dealt;
  sp_call log[TORTURE_MAX_CALLS];
  size_t lens[TORTURE_MAX_CALLS];
  const char *scenario; /* for the report on failure */
  int in_run;
  int strict;                               /* torture_options */
  int no_short;                             /* torture_options */
  void (*on_call)(void *ctx, sp_call call); /* torture_on_call */
  void *on_call_ctx;
} torture;

/* --- what each call can really return ------------------------------- */

typedef struct torture_errnos {
  int n;
  const int *err;
} torture_errnos;

/* The seam's table (lib/src/fault.c), which the fuzzers deal from too. */
static torture_errnos torture_table(sp_call call) {
  torture_errnos t;

  t.n = sp_fault_errnos(call, &t.err);
  return t;
}

static int torture_is_io(sp_call call) {
  return call == SP_CALL_RECV || call == SP_CALL_RECV_WAIT ||
         call == SP_CALL_SEND || call == SP_CALL_SEND_WAIT ||
         call == SP_CALL_READ || call == SP_CALL_WRITE;
}

static int torture_can_eintr(sp_call call) {
  torture_errnos t = torture_table(call);

  for (int i = 0; i < t.n; i++)
    if (t.err[i] == EINTR)
      return 1;
  return 0;
}

static int torture_hard_errno(sp_call call) {
  torture_errnos t = torture_table(call);

  for (int i = 0; i < t.n; i++)
    if (t.err[i] != EINTR && t.err[i] != EAGAIN)
      return t.err[i];
  return EIO;
}

static const char *torture_err_label(int err) {
  if (err == TORTURE_SHORT_ONE)
    return "short(1)";
  if (err == TORTURE_SHORT_HALF)
    return "short(half)";
  return sp_err_name(-err);
}

/* --- the hook ---------------------------------------------------------- */

static int torture_deal(int err) {
  torture.fired = 1;
  torture.dealt[err & 0xff] = 1;
  torture.ndealt++;
  torture.last_dealt = err;
  return err;
}

static int torture_short(int how, size_t *len) {
  torture.fired = 1;
  if (len && *len > 1)
    *len = how == TORTURE_SHORT_ONE ? 1 : *len / 2;
  return 0;
}

static int torture_hook(void *ctx, sp_call call, size_t *len) {
  long i;

  (void)ctx;
  if (!torture.armed)
    return 0;
  if (torture.on_call)
    torture.on_call(torture.on_call_ctx, call);
  i = torture.calls++;
  switch (torture.mode) {
  case TORTURE_COUNT:
    if (i >= TORTURE_MAX_CALLS)
      SP__FAIL("more than %d fallible calls in one run", TORTURE_MAX_CALLS);
    torture.log[i] = call;
    torture.lens[i] = len ? *len : 0;
    return 0;
  case TORTURE_ONESHOT:
    if (i != torture.target)
      return 0;
    if (call != torture.target_call) {
      torture.diverged = 1;
      return 0;
    }
    if (torture.err < 0)
      return torture_short(torture.err, len);
    return torture_deal(torture.err);
  case TORTURE_STICKY:
    if (i < torture.target)
      return 0;
    if (i == torture.target && call != torture.target_call) {
      torture.diverged = 1;
      torture.target = -1; /* the run went elsewhere: stop */
      return 0;
    }
    if (torture.target < 0)
      return 0;
    return torture_deal(i == torture.target ? torture.err
                                            : torture_hard_errno(call));
  case TORTURE_SHORT_ALL:
    if (len && *len > 1)
      return torture_short(TORTURE_SHORT_ONE, len);
    return 0;
  case TORTURE_EINTR_ALL:
    /* Every interruptible call fails once, its retry goes through: the
     * calls of each kind alternate (a retry loop may call others first). */
    if (!torture_can_eintr(call))
      return 0;
    torture.flip[call] = !torture.flip[call];
    return torture.flip[call] ? torture_deal(EINTR) : 0;
  }
  return 0;
}

void torture_options(int strict, int no_short) {
  torture.strict = strict;
  torture.no_short = no_short;
}

void torture_on_call(void (*fn)(void *ctx, sp_call call), void *ctx) {
  torture.on_call = fn;
  torture.on_call_ctx = ctx;
}

int torture_was_dealt(int err) {
  return err > 0 && err < 256 && torture.dealt[err];
}

int torture_dealt_count(void) {
  return torture.ndealt;
}

int torture_last_dealt(void) {
  return torture.last_dealt;
}

int torture_cuts_every_transfer(void) {
  return torture.mode == TORTURE_SHORT_ALL;
}

void torture_arm(void) {
  torture.armed = 1;
}

void torture_disarm(void) {
  torture.armed = 0;
}

/* --- outcomes ----------------------------------------------------------- */

void torture_note(torture_outcome *out, const void *data, size_t len) {
  const unsigned char *p = data;

  if (!out->noted && !out->digest)
    out->digest = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++) {
    out->digest ^= p[i];
    out->digest *= 1099511628211ULL;
  }
  out->noted += len;
}

void torture_note_long(torture_outcome *out, long v) {
  torture_note(out, &v, sizeof(v));
}

static int torture_same(const torture_outcome *a, const torture_outcome *b) {
  return a->result == b->result && a->digest == b->digest &&
         a->noted == b->noted;
}

/* --- reporting ---------------------------------------------------------- */

static void torture_describe(FILE *f) {
  if (!torture.in_run)
    return;
  if (torture.mode == TORTURE_COUNT) {
    fprintf(f, "torture: in the clean run of %s\n", torture.scenario);
    return;
  }
  if (torture.mode == TORTURE_SHORT_ALL || torture.mode == TORTURE_EINTR_ALL) {
    fprintf(f, "torture: %s with every %s\n", torture.scenario,
            torture.mode == TORTURE_SHORT_ALL ? "transfer cut to 1 byte"
                                              : "interruptible call EINTR");
    return;
  }
  fprintf(f, "torture: %s, call #%ld (%s) failed with %s%s\n", torture.scenario,
          torture.target, sp_fault_call_name(torture.target_call),
          torture_err_label(torture.err),
          torture.mode == TORTURE_STICKY ? ", and every call after it" : "");
}

/* An ASSERT exits: say which fault was being dealt. */
static void torture_atexit(void) {
  torture_describe(stderr);
}

static int64_t torture_now_ms(void) {
  return sp_test_now_us() / 1000;
}

/* --- the driver --------------------------------------------------------- */

void torture_total(const char *name, const torture_stats *t) {
  printf("torture %-44s calls %4ld  faults %5ld  sticky %4ld  whole %3ld  "
         "recovered %5ld  errors %5ld  diverged %ld\n",
         name, t->calls, t->points, t->sticky, t->whole, t->recovered,
         t->failed, t->diverged);
  fflush(stdout);
}

static int64_t torture_max_run_ms(void) {
  const char *env = getenv("TORTURE_MAX_RUN_MS");

  return env && atoll(env) > 0 ? atoll(env) : TORTURE_MAX_RUN_MS;
}

static void torture_run_once(torture_fn fn, void *arg, torture_outcome *out) {
  int before = sp_test_count_fds();
  int64_t start = torture_now_ms();
  int after;

  memset(out, 0, sizeof(*out));
  torture.calls = 0;
  torture.fired = 0;
  torture.diverged = 0;
  torture.ndealt = 0;
  memset(torture.dealt, 0, sizeof(torture.dealt));
  memset(torture.flip, 0, sizeof(torture.flip));
  torture.in_run = 1;
  sp_fault_set_hook(torture_hook, &torture);
  fn(arg, out);
  torture_disarm();
  sp_fault_set_hook(NULL, NULL);
  after = sp_test_count_fds();
  if (after != before)
    SP__FAIL("descriptor leak: %d open before, %d after", before, after);
  if (getenv("TORTURE_SLOW") && torture_now_ms() - start > 20) {
    fprintf(stderr, "slow run (%" PRId64 " ms): ", torture_now_ms() - start);
    torture_describe(stderr);
  }
  if (torture_now_ms() - start > torture_max_run_ms())
    SP__FAIL("a run took %" PRId64 " ms: it waited for a deadline",
             torture_now_ms() - start);
  torture.in_run = 0;
}

/* What a faulted run may end in, besides the clean outcome. */
enum {
  TORTURE_MAY_FAIL, /* -errno of a fault dealt */
  TORTURE_STRICT,   /* only an error the scenario excused */
  TORTURE_INVISIBLE /* nothing else: EINTR and short transfers */
};

/* The faulted outcome against the clean one. */
static void torture_judge(const torture_outcome *clean,
                          const torture_outcome *got, int rule,
                          torture_stats *st) {
  if (torture.mode == TORTURE_ONESHOT)
    st->points++;
  else if (torture.mode == TORTURE_STICKY)
    st->sticky++;
  else if (torture.fired)
    st->whole++;
  else
    return; /* nothing to cut or interrupt in this scenario */
  if (torture.diverged)
    st->diverged++;
  if (torture_same(got, clean)) {
    st->recovered++;
    return;
  }
  torture.in_run = 1; /* for the description in the failure message */
  if (rule == TORTURE_INVISIBLE || (rule == TORTURE_STRICT && !got->excused))
    SP__FAIL("an invisible fault changed the outcome: %ld (%s) instead of "
             "%ld (%s)",
             got->result, sp_err_name((int)got->result), clean->result,
             sp_err_name((int)clean->result));
  if (got->result < 0 && torture_was_dealt((int)-got->result)) {
    st->failed++;
    torture.in_run = 0;
    return;
  }
  SP__FAIL("outcome %ld (%s) is neither the clean one (%ld, %s) nor a fault "
           "that was dealt",
           got->result, sp_err_name((int)got->result), clean->result,
           sp_err_name((int)clean->result));
}

static void torture_leak_check(const char *name) {
#ifdef TORTURE_HAVE_LSAN
  if (__lsan_do_recoverable_leak_check())
    SP__FAIL("%s: LeakSanitizer found leaks (see above)", name);
#else
  (void)name;
#endif
}

static void torture_fault_at(torture_fn fn, void *arg, long k, int err,
                             torture_mode mode, const torture_outcome *clean,
                             torture_stats *st) {
  torture_outcome got;
  int rule = TORTURE_MAY_FAIL;

  torture.mode = mode;
  torture.target = k;
  torture.target_call = torture.log[k];
  torture.err = err;
  if (getenv("TORTURE_VERBOSE")) {
    torture.in_run = 1;
    torture_describe(stderr);
    torture.in_run = 0;
  }
  torture_run_once(fn, arg, &got);
  torture.mode = mode; /* describe() reads it on failure */
  torture.target = k;
  if (mode == TORTURE_ONESHOT && (err == EINTR || err < 0))
    rule = TORTURE_INVISIBLE;
  else if (mode == TORTURE_ONESHOT && torture.strict)
    rule = TORTURE_STRICT;
  torture_judge(clean, &got, rule, st);
}

void torture_run(const char *name, torture_fn fn, void *arg,
                 torture_stats *total) {
  static int registered;
  torture_outcome clean;
  torture_outcome got;
  torture_stats st = {0};
  long n;

  if (!registered && !atexit(torture_atexit))
    registered = 1;
  torture.scenario = name;
  torture.mode = TORTURE_COUNT;
  torture_run_once(fn, arg, &clean);
  /* Only the clean run writes the log: the faulted runs read it. */
  n = torture.calls;
  st.calls = n;

  for (long k = 0; k < n; k++) {
    sp_call call = torture.log[k];
    torture_errnos t = torture_table(call);

    for (int e = 0; e < t.n; e++)
      torture_fault_at(fn, arg, k, t.err[e], TORTURE_ONESHOT, &clean, &st);
    if (torture_is_io(call) && torture.lens[k] > 1 && !torture.no_short) {
      torture_fault_at(fn, arg, k, TORTURE_SHORT_ONE, TORTURE_ONESHOT, &clean,
                       &st);
      torture_fault_at(fn, arg, k, TORTURE_SHORT_HALF, TORTURE_ONESHOT, &clean,
                       &st);
    }
    torture_fault_at(fn, arg, k, torture_hard_errno(call), TORTURE_STICKY,
                     &clean, &st);
  }

  if (!torture.no_short) {
    torture.mode = TORTURE_SHORT_ALL;
    torture_run_once(fn, arg, &got);
    torture_judge(&clean, &got, TORTURE_INVISIBLE, &st);
  }
  torture.mode = TORTURE_EINTR_ALL;
  torture_run_once(fn, arg, &got);
  torture_judge(&clean, &got, TORTURE_INVISIBLE, &st);

  torture_leak_check(name);
  torture_total(name, &st);
  if (total) {
    total->calls += st.calls;
    total->points += st.points;
    total->sticky += st.sticky;
    total->whole += st.whole;
    total->recovered += st.recovered;
    total->failed += st.failed;
    total->diverged += st.diverged;
  }
}
