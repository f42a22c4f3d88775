/* The sp_stream object, shared by stream.c (the API) and stream_io.c (the
 * socket / pipe transport). Not part of the public interface. */
#ifndef SOCKPAIR_STREAM_INT_H
#define SOCKPAIR_STREAM_INT_H

#include "internal.h"
#include "linebuf.h"

#include <sys/time.h>

/* A socket timeout option (SO_RCVTIMEO, SO_SNDTIMEO) as the stream set it,
 * and the caller's value it replaced (stream_io.c). */
typedef struct sp__timeo {
  int64_t us; /* what the stream set (0: no limit); SP__TIMEO_UNKNOWN */
  int saved;  /* saved_tv holds the caller's value, to give back */
  struct timeval saved_tv;
} sp__timeo;
#define SP__TIMEO_UNKNOWN (-1)

struct sp_stream {
  int fd;
  int type;           /* SO_TYPE, or 0 for a descriptor that is no socket */
  int domain;         /* SO_DOMAIN of a socket */
  int blocking;       /* the stream's mode (sockets: = !O_NONBLOCK) */
  int restore_block;  /* non-socket made O_NONBLOCK by open: undo at close */
  int64_t timeout_us; /* each blocking wait; negative: none */
  /* What stream_io.c learned and changed (see the note at its top). */
  int waits;            /* a blocking read has had to wait */
  int send_waits;       /* a blocking write has had to wait */
  size_t send_cap;      /* the most a send waiting in the kernel asks */
  int sent;             /* bytes sent since the last read brought some */
  int own_fd;           /* made by sp_pair: no setting of a caller's to keep */
  sp__timeo rcv;        /* SO_RCVTIMEO */
  sp__timeo snd;        /* SO_SNDTIMEO */
  int sigpipe_ign;      /* pipes: SIGPIPE was ignored when last asked */
  unsigned pipe_writes; /* pipes: writes, to ask again now and then */
  sp__linebuf lb;       /* the read buffer and PHP's line rules */
  sp__source src;       /* stream_io.c's callbacks, ctx = the stream */
};

/* stream.c: a stream on fd, whose kind the caller knows: type (SO_TYPE,
 * 0 for a descriptor that is no socket), domain (SO_DOMAIN) and whether
 * it is O_NONBLOCK. 0, or -errno (fd left open). */
int sp__stream_new(int fd, int type, int domain, int nonblock, sp_stream **out);

/* stream_io.c: points s->src at the transport for s->type. */
void sp__stream_io_init(sp_stream *s);
/* The write loop behind sp_stream_write (arguments already checked). */
ssize_t sp__stream_send(sp_stream *s, const char *buf, size_t len);
/* Marks s's descriptor as made by the library (sp_pair): a new socket,
 * whose settings belong to nobody else. */
void sp__stream_io_owned(sp_stream *s);
/* Gives a caller's socket back the timeouts it had (before close). */
void sp__stream_io_restore(sp_stream *s);

#endif /* SOCKPAIR_STREAM_INT_H */
