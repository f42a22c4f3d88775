/*
 * hackbench's messaging (perf bench sched messaging), over every
 * transport, for BM_Messaging and `sockpair messaging` (one code path).
 *
 * Each group has `fds` receivers and `fds` senders; each receiver owns one
 * channel (a pair, or a pipe); every sender of the group writes `loops`
 * messages of `size` bytes to every receiver of its group, in hackbench's
 * order (loop by loop, receiver by receiver), with blocking calls. A
 * round runs from releasing every task at once to the last receiver's
 * last message. Each message carries the sender's CLOCK_MONOTONIC time,
 * read again at receipt: the per-message delivery latency.
 *
 * Byte streams whose writes the kernel may split under memory pressure
 * (TCP always; a pipe or a UNIX stream for messages over PIPE_BUF) would
 * interleave two senders' bytes: there the senders of one receiver take
 * a lock around each write. UDP may drop: a receiver stops when its
 * senders are done and nothing more arrives, and the loss is counted.
 */
#ifndef SP_HARNESS_MESSAGING_H
#define SP_HARNESS_MESSAGING_H

#include <stddef.h>
#include <stdint.h>

#include "crew.h"
#include "harness.h"

#define SH_MSG_HEADER 24 /* the smallest message: time, round, sender, seq */

struct sh_msg_config {
  const struct sh_transport *t;
  enum sh_mode mode;
  int groups, fds, loops;
  size_t size;
  unsigned timeout_s; /* a round's bound; 0: from the work (generous) */
};

/* One round. lat (ns, nlat of them) stays valid until the next
 * round or sh_msg_close(). */
struct sh_msg_result {
  int64_t t_release; /* CLOCK_MONOTONIC ns: every task released */
  int64_t span_ns;   /* release -> last receiver's last message */
  int64_t expected;  /* messages the senders were to deliver */
  int64_t sent;      /* ... and did send (UDP: some may be dropped) */
  int64_t delivered; /* messages the receivers got */
  int64_t csw;       /* context switches of every task in the round */
  double fairness;   /* slowest / fastest receiver's completion time */
  int64_t *lat;
  size_t nlat;
};

struct sh_msg;

/* Checks the limits, opens every channel and starts every task. 0, or
 * -1 with why: "skip: ..." (a limit, or the kernel has no such
 * transport) or "error: ...". */
int sh_msg_open(struct sh_msg **m, const struct sh_msg_config *cfg, char *why,
                size_t len);
/* One round: 0, or -1 with "error: ..." in why (the run is then over:
 * every task gone; sh_msg_close() still frees it). */
int sh_msg_round(struct sh_msg *m, struct sh_msg_result *res, char *why,
                 size_t len);
/* Ends every task (they leave at the gate) and reaps it; the last
 * result stays valid. 0, or -1 with why (a task that failed). */
int sh_msg_stop(struct sh_msg *m, char *why, size_t len);
/* Frees everything (tasks still running are killed first). */
void sh_msg_free(struct sh_msg *m);
/* sh_msg_stop() then sh_msg_free(). */
int sh_msg_close(struct sh_msg *m, char *why, size_t len);
/* The tasks and descriptors a configuration needs. */
long sh_msg_tasks(const struct sh_msg_config *cfg);
long sh_msg_fds(const struct sh_msg_config *cfg);

#endif /* SP_HARNESS_MESSAGING_H */
