/*
 * The I/O path a message takes: one send()/recv() per message (syscall),
 * io_uring (uring), sendmmsg()/recvmmsg() batches (mmsg), MSG_ZEROCOPY
 * (zerocopy) and io_uring's send_zc (uring-zc). An endpoint hides which:
 * the ping-pong and the one-way loops call the same three functions for
 * every path, and every path counts the system calls it makes.
 *
 *   iopath.c    the endpoint, the syscall path, the counter
 *   uring.c     io_uring: linked send + recv per hop, batched sends,
 *               multishot recv with provided buffers, send_zc
 *   mmsg.c      sendmmsg / recvmmsg
 *   zerocopy.c  MSG_ZEROCOPY and its completion notifications
 */
#ifndef SP_IOPATH_H
#define SP_IOPATH_H

#include <stddef.h>
#include <stdint.h>

struct sh_transport; /* harness.h */

enum sh_io {
  SH_IO_SYSCALL,  /* send/recv (read/write on pipes), one call a message */
  SH_IO_URING,    /* io_uring */
  SH_IO_MMSG,     /* sendmmsg/recvmmsg: message transports only */
  SH_IO_ZEROCOPY, /* send(MSG_ZEROCOPY): TCP/UDP only */
  SH_IO_URING_ZC  /* io_uring send_zc: TCP/UDP only */
};
#define SH_IO_COUNT 5
extern const char *const sh_io_names[SH_IO_COUNT]; /* "syscall", "uring" */

/* Whose calls move the messages: the harness's own send/recv/read/write
 * (raw), or the library's stream layer on the same descriptors (stream:
 * sp_stream_write, sp_stream_gets for a ping-pong's lines, sp_stream_read
 * for a receiver's chunks). Stream goes with the syscall path only. */
enum sh_api { SH_API_RAW, SH_API_STREAM };
extern const char *const sh_api_names[2]; /* "raw", "stream" */

/* How long a receiver on a transport that may drop waits for more before
 * it looks whether the sender is done (its receive timeout). */
#define SH_QUIET_US 20000

/* The system calls this thread made on a message path: sends, receives,
 * the polls and waits between them, io_uring_enter, error-queue reads.
 * Each side counts its own (a peer thread has its own counter). */
extern _Thread_local int64_t sh_syscalls;

/* Whether this kernel (and this build) can take path io on transport t:
 * 0, or a negative errno and a "skip: ..." sentence in why: io_uring
 * missing (ENOSYS: an old kernel or a seccomp filter; EPERM:
 * kernel.io_uring_disabled or a policy), an opcode the kernel lacks, a
 * build without liburing, a transport the path does not apply to. */
int sh_io_supported(enum sh_io io, const struct sh_transport *t, char *why,
                    size_t len);

struct sh_uring;                    /* uring.c */
typedef struct sp_stream sp_stream; /* sockpair.h */

/* What an endpoint did beyond moving bytes. */
struct sh_io_stats {
  int64_t zc_sends;  /* zero-copy sends made */
  int64_t zc_notifs; /* completion notifications read */
  int64_t zc_done;   /* sends the notifications reported complete */
  int64_t zc_copied; /* of those, the ones the kernel copied anyway */
  int zc_known;      /* 1 if the kernel says whether it copied */
};

/* One end of a channel on one path. */
struct sh_ioend {
  enum sh_io io;
  const struct sh_transport *t;
  int rfd, wfd;
  unsigned batch;      /* messages per call (mmsg, io_uring sends) */
  size_t cap;          /* the largest message a receive takes */
  int64_t deadline_ns; /* every wait ends by then (0: no deadline) */
  struct sh_uring *u;
  sp_stream *rs, *ws; /* api stream: on dup()s of rfd, wfd (one: a socket) */
  void *mm;           /* mmsg.c's arrays */
  char *rbuf;         /* the plain receiver's buffer (cap bytes) */
  struct sh_io_stats zc;
  char how[32]; /* io_uring: "ring=defer recv=multishot"; else "" */
};

/* What an endpoint is for: a ping-pong (sh_io_xfer), or one end of a
 * one-way run (sh_io_send, sh_io_recv). */
enum sh_io_role { SH_IO_PINGPONG, SH_IO_SENDER, SH_IO_RECEIVER };

/* Opens an endpoint on the descriptors rfd / wfd (not its own: it closes
 * neither) for a role, with the calls of api. deadline_ns bounds every
 * wait of a peer thread, which no signal interrupts. 0 or a negative
 * errno (-EOPNOTSUPP: api stream on another path than syscall, or on an
 * eventfd). */
int sh_io_open(struct sh_ioend *e, enum sh_io io, enum sh_api api,
               const struct sh_transport *t, int rfd, int wfd, unsigned batch,
               size_t cap, enum sh_io_role role, int64_t deadline_ns);
void sh_io_close(struct sh_ioend *e);

/* One hop of a ping-pong: sends slen bytes of sbuf (none if 0), then
 * receives rlen bytes into rbuf (none if 0). With io_uring both are one
 * io_uring_enter: the send linked to the receive, waited for together.
 * 0, or a negative errno as sh_send() / sh_recv() give. */
int sh_io_xfer(struct sh_ioend *e, const void *sbuf, size_t slen, void *rbuf,
               size_t rlen);

/* Sends count (<= batch) messages of size bytes, all of buf: one call per
 * message (syscall, zerocopy) or per batch (mmsg, io_uring). Sends the
 * kernel refused on a transport that may drop (ENOBUFS) are added to
 * *dropped. 0 or a negative errno (-EMSGSIZE: a message too big). */
int sh_io_send(struct sh_ioend *e, const void *buf, size_t size, unsigned count,
               int64_t *dropped);

/* Receives what is there (waiting for at least one message or chunk),
 * adds to *msgs and *bytes. -EAGAIN when a transport that may drop stayed
 * quiet for a while (its receive timeout), SP_EOF at end of stream, or
 * another negative errno. */
int sh_io_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes);

/* Waits (bounded) until every zero-copy send made is reported complete.
 * 0 or a negative errno. */
int sh_io_flush(struct sh_ioend *e);

/* ---- the paths (uring.c, mmsg.c, zerocopy.c) ------------------------ */
int sh_uring_supported(int zc, char *why, size_t len);
int sh_uring_open(struct sh_ioend *e, enum sh_io_role role);
void sh_uring_close(struct sh_ioend *e);
int sh_uring_xfer(struct sh_ioend *e, const void *sbuf, size_t slen, void *rbuf,
                  size_t rlen);
int sh_uring_send(struct sh_ioend *e, const void *buf, size_t size,
                  unsigned count, int64_t *dropped);
int sh_uring_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes);
int sh_uring_flush(struct sh_ioend *e);

int sh_mmsg_open(struct sh_ioend *e);
void sh_mmsg_close(struct sh_ioend *e);
int sh_mmsg_send(struct sh_ioend *e, const void *buf, size_t size,
                 unsigned count, int64_t *dropped);
int sh_mmsg_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes);

/* api stream (streamio.c). A ping-pong's receive takes one line: rlen
 * bytes, the last a newline, into rbuf of rlen + 1 bytes. */
int sh_stream_open(struct sh_ioend *e, enum sh_io_role role);
void sh_stream_close(struct sh_ioend *e);
int sh_stream_xfer(struct sh_ioend *e, const void *sbuf, size_t slen,
                   void *rbuf, size_t rlen);
int sh_stream_send(struct sh_ioend *e, const void *buf, size_t size);
int sh_stream_recv(struct sh_ioend *e, int64_t *msgs, int64_t *bytes);

int sh_zc_open(struct sh_ioend *e);
int sh_zc_send(struct sh_ioend *e, const void *buf, size_t size);
int sh_zc_flush(struct sh_ioend *e);

/* A receive buffer of n bytes, every page touched: a first touch costs
 * ~30 us a page on a VM (the host maps it), which belongs to the set-up,
 * not to the messages. NULL when out of memory; free() it. */
void *sh_io_buffer(size_t n);

/* A blocking call returned EINTR: 0 to go on, or -ETIMEDOUT once the
 * watchdog's deadline (or e's own) has passed. */
int sh_io_interrupted(const struct sh_ioend *e);

#endif /* SP_IOPATH_H */
