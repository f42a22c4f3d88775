/*
 * A signal storm for the torture tests: SIGALRM every 100 us from
 * setitimer(ITIMER_REAL), its handler installed WITHOUT SA_RESTART, so
 * that every blocking call of the library in the meantime can see EINTR.
 *
 * The runner bounds each test with alarm() (the same ITIMER_REAL and the
 * same signal): storm_stop() puts its handler and what was left of its
 * timer back.
 */
#ifndef SP_TEST_STORM_H
#define SP_TEST_STORM_H

#include "test.h"

#include <signal.h>
#include <sys/time.h>

#define STORM_US 300000 /* how long each storm blows */

typedef struct storm {
  struct sigaction saved_action;
  struct itimerval saved_timer;
  int64_t started_us;
} storm;

void storm_start(storm *st);
void storm_stop(storm *st);
/* Signals taken since the last storm_start. */
long storm_ticks(void);
/* A storm that hardly blew proves nothing: fails the test. */
void storm_assert_stormy(const storm *st);

#endif /* SP_TEST_STORM_H */
