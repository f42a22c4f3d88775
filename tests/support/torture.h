/*
 * The torture harness: run a scenario once to count the fallible calls it
 * makes through the seam of lib/src/sys.h, then once more for each call k,
 * failing call k with each errno that call can really return, and with
 * short transfers for the I/O calls (curl's torture tests, SQLite's fault
 * injection). After every run:
 *   - EINTR and short transfers must be invisible: the same outcome as the
 *     clean run;
 *   - any other fault gives the clean outcome (the library recovered) or
 *     exactly -errno of a fault it was dealt: never a crash, a hang, or a
 *     success with garbage (the scenario checks its outputs);
 *   - no descriptor is leaked (count of /proc/self/fd) and, under ASan, no
 *     byte (a LeakSanitizer check after each scenario);
 *   - no run waits for a hidden deadline (each is bounded in time).
 * Besides the one-shot faults: for each call k a sticky run, call k and
 * every later call failing (SQLite's persistent faults: cleanup paths fail
 * too), and two whole-run modes, every transfer cut to one byte and every
 * interruptible call interrupted once.
 *
 * A scenario is a function that arms the hook (torture_arm) around the
 * library calls under test only, checks what it got, releases everything
 * it made, and describes its outcome with torture_note*().
 *
 * Debugging: TORTURE_VERBOSE=1 names each fault before its run,
 * TORTURE_SLOW=1 names the runs slower than 20 ms. A failure names the
 * fault being dealt (an atexit handler).
 */
#ifndef SP_TEST_TORTURE_H
#define SP_TEST_TORTURE_H

#include "fault.h"
#include "test.h"

typedef struct torture_outcome {
  long result;     /* what the operation returned */
  uint64_t digest; /* FNV-1a of everything else the caller observed */
  size_t noted;    /* bytes fed to the digest */
  /* Set by a scenario when its error outcome is the documented consequence
   * of the fault dealt (e.g. feof is sticky after a hard error, as PHP's):
   * accepted even in strict mode, if result is -errno of a fault dealt. */
  int excused;
} torture_outcome;

typedef struct torture_stats {
  long calls;     /* fallible calls of the clean runs */
  long points;    /* one-shot faults: call k, one errno or short transfer */
  long sticky;    /* runs failing call k and every call after it */
  long whole;     /* runs with every transfer short / every call EINTR */
  long recovered; /* faulted runs that gave the clean outcome */
  long failed;    /* ... that gave a clean error */
  long diverged;  /* ... whose call k was not the clean run's call k */
} torture_stats;

typedef void (*torture_fn)(void *arg, torture_outcome *out);

/* strict: the scenario retries what failed, so that every one-shot fault
 * must end in the clean outcome (a sticky fault may still end in an error).
 * no_short: leave transfers whole (datagram sockets never cut a message on
 * their own: a shortened datagram recv or send is no real failure). */
void torture_options(int strict, int no_short);

/* The scenario's action before each armed call (e.g. the peer sends the
 * next piece when the library is about to wait): keeps a scenario with
 * real waits deterministic, single-threaded. NULL for none. */
void torture_on_call(void (*fn)(void *ctx, sp_call call), void *ctx);

/* Around the library calls under test only: the scenario's own setup and
 * checks through the library are neither counted nor failed. */
void torture_arm(void);
void torture_disarm(void);

/* 1 if err (an errno) was injected during this run: a scenario accepts an
 * error from the library only if it was dealt one. */
int torture_was_dealt(int err);
/* How many faults were dealt so far in this run, and the last one. */
int torture_dealt_count(void);
int torture_last_dealt(void);
/* 1 while the run cuts every transfer to one byte. */
int torture_cuts_every_transfer(void);

/* Adds what the caller observed to the outcome's digest. */
void torture_note(torture_outcome *out, const void *data, size_t len);
void torture_note_long(torture_outcome *out, long v);

/* One line of figures for a scenario or a test's total. */
void torture_total(const char *name, const torture_stats *t);

/* Runs the scenario clean, then with every fault at every call it made;
 * adds to *total (if not NULL) and prints one line of figures. */
void torture_run(const char *name, torture_fn fn, void *arg,
                 torture_stats *total);

#endif /* SP_TEST_TORTURE_H */
