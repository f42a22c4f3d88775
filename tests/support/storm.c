/* The signal storm (see storm.h). */
#include "storm.h"

#include <unistd.h>

#define STORM_INTERVAL_US 100
#define STORM_MIN_TICKS 100
/* The storm takes the runner's alarm: its own watchdog ends a test stuck
 * under it. */
#define STORM_WATCHDOG_US (60 * 1000000LL)

static volatile sig_atomic_t ticks;
static int64_t deadline_us;

static void on_tick(int sig) {
  static const char msg[] = "stuck under the signal storm (watchdog)\n";

  (void)sig;
  ticks++;
  if (sp_test_now_us() > deadline_us) { /* clock_gettime: safe */
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(124);
  }
}

void storm_start(storm *st) {
  struct sigaction sa;
  struct itimerval every = {
      .it_interval = {.tv_sec = 0, .tv_usec = STORM_INTERVAL_US},
      .it_value = {.tv_sec = 0, .tv_usec = STORM_INTERVAL_US},
  };

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_tick;
  sa.sa_flags = 0; /* no SA_RESTART: blocking calls fail with EINTR */
  sigemptyset(&sa.sa_mask);
  ticks = 0;
  st->started_us = sp_test_now_us();
  deadline_us = st->started_us + STORM_WATCHDOG_US;
  ASSERT_EQ(sigaction(SIGALRM, &sa, &st->saved_action), 0);
  ASSERT_EQ(setitimer(ITIMER_REAL, &every, &st->saved_timer), 0);
}

void storm_stop(storm *st) {
  struct itimerval off = {{0, 0}, {0, 0}};
  struct itimerval rest = st->saved_timer;
  int64_t left_us = (int64_t)rest.it_value.tv_sec * 1000000 +
                    rest.it_value.tv_usec - (sp_test_now_us() - st->started_us);

  static const struct timespec zero = {0, 0};
  sigset_t alrm;
  sigset_t old_mask;

  /* A tick may still be pending once the timer is off (valgrind delivers
   * signals late): eat it before the runner's handler is back, or it
   * would read as the runner's timeout. */
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  ASSERT_EQ(sigprocmask(SIG_BLOCK, &alrm, &old_mask), 0);
  ASSERT_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
  while (sigtimedwait(&alrm, NULL, &zero) == SIGALRM)
    ticks++;
  ASSERT_EQ(sigaction(SIGALRM, &st->saved_action, NULL), 0);
  ASSERT_EQ(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
  if (rest.it_value.tv_sec == 0 && rest.it_value.tv_usec == 0)
    return; /* no alarm was pending */
  if (left_us < 1000000)
    left_us = 1000000;
  rest.it_value.tv_sec = (time_t)(left_us / 1000000);
  rest.it_value.tv_usec = (suseconds_t)(left_us % 1000000);
  ASSERT_EQ(setitimer(ITIMER_REAL, &rest, NULL), 0);
}

long storm_ticks(void) {
  return (long)ticks;
}

void storm_assert_stormy(const storm *st) {
  (void)st;
  ASSERT_GE(ticks, STORM_MIN_TICKS);
}
