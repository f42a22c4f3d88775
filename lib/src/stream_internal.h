/* The sp_stream object, shared by stream.c (the API) and stream_io.c (the
 * socket / pipe transport). Not part of the public interface. */
#ifndef SOCKPAIR_STREAM_INT_H
#define SOCKPAIR_STREAM_INT_H

#include "internal.h"
#include "linebuf.h"

struct sp_stream {
  int fd;
  int type;           /* SO_TYPE, or 0 for a descriptor that is no socket */
  int domain;         /* SO_DOMAIN of a socket */
  int blocking;       /* the stream's mode (sockets: = !O_NONBLOCK) */
  int restore_block;  /* non-socket made O_NONBLOCK by open: undo at close */
  int64_t timeout_us; /* each blocking wait; negative: none */
  sp__linebuf lb;     /* the read buffer and PHP's line rules */
  sp__source src;     /* stream_io.c's callbacks, ctx = the stream */
};

/* stream_io.c: points s->src at the transport for s->type. */
void sp__stream_io_init(sp_stream *s);
/* The write loop behind sp_stream_write (arguments already checked). */
ssize_t sp__stream_send(sp_stream *s, const char *buf, size_t len);

#endif /* SOCKPAIR_STREAM_INT_H */
