/*
 * The line-reading core of sp_stream: a read buffer and PHP's fgets / fread
 * rules over an abstract byte source. No socket, no syscall, no clock in
 * here: the transport (stream_io.c) or a test / fuzzer / reference model (an
 * in-memory source) supplies the bytes through the callbacks of sp__source.
 * Internal (sp__), not part of the public API; link libsockpair.a (or
 * compile linebuf.c) to use it.
 *
 * Vocabulary
 *   unread     bytes in the buffer not yet returned to the caller.
 *   fill       one call of the source's fill callback: one "read round".
 *   stream     mode 0: the source delivers a byte stream; fill may return
 *              any count in 1..space; every stream-mode fill is given
 *              space >= chunk (the buffer is compacted, then grown).
 *   datagram   mode 1: the source delivers whole messages. Before each fill
 *              the core calls next_size() and grows the buffer so that the
 *              message fits: a message is never truncated. Message
 *              boundaries are kept in the buffer (a FIFO of lengths), so
 *              read() never returns bytes of two messages at once, and a
 *              zero-length message is a message, never end-of-stream.
 *
 * Results (every operation): a count >= 0, or
 *   SP_EOF       the source said end of stream (sticky: once seen, the core
 *                never calls fill or next_size again; every later operation
 *                on an empty buffer returns SP_EOF without a callback);
 *   -EAGAIN      non-blocking and nothing ready;
 *   -ETIMEDOUT   blocking and the source's timeout ran out (sets the
 *                timed_out flag);
 *   SP_ELINEMAX  getline: the line is longer than line_max (nothing lost);
 *   -EINVAL      misuse (NULL pointers, size <= 0, len == 0);
 *   -ENOMEM      the buffer could not grow (nothing lost: a datagram that
 *                did not fit is still pending in the source);
 *   -EIO         the source broke its contract (see below);
 *   -errno       anything else the source returned, passed through.
 *
 * The rules, PHP's and where the core does better: docs/php-semantics.md
 * (rules 1-4 and 6-8, better 1-3 and 7). Not PHP's: the core's own
 * failures (-ENOMEM, -EIO, -EINVAL) are returned at once instead of a
 * partial line, with nothing consumed; each zero-length datagram gives
 * exactly one 0 result.
 *
 * Datagram mode and lines: lines may span messages (only "\n" ends a
 * line, as in PHP), but a pending zero-length message stops a gets/getline
 * like a fill that brought nothing: "abc" | "" | "def\n" gives gets results
 * "abc", "" (0), "def\n"; read gives "abc", 0, "def\n".
 */
#ifndef SOCKPAIR_LINEBUF_H
#define SOCKPAIR_LINEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Default bytes asked of each stream-mode fill (PHP: 8192). */
#define SP__LB_DEFAULT_CHUNK (64 * 1024)

/*
 * The byte source. The core calls these synchronously; waiting, timeouts
 * and blocking mode are the source's business, reported by result codes.
 *
 * fill(ctx, dst, space)   space >= 1. Writes into dst[0..space) and returns
 *   stream mode:   n in 1..space bytes delivered, SP_EOF, -EAGAIN,
 *                  -ETIMEDOUT or -errno. 0 is taken as SP_EOF.
 *   datagram mode: called only after next_size() returned m >= 0, with
 *                  space >= m (space >= 1 even when m == 0); must deliver
 *                  exactly that next message: returns its length n (0 for
 *                  an empty message) with n <= space, or -errno (then the
 *                  message is considered still pending). SP_EOF is
 *                  accepted too (SEQPACKET peer closed).
 *   A result > space is a contract breach: the core returns -EIO and
 *   discards nothing it had.
 *
 * next_size(ctx)   datagram mode only (may be NULL in stream mode): waits
 *   as fill would, then returns the length (>= 0) of the next pending
 *   message without consuming it, or SP_EOF, -EAGAIN, -ETIMEDOUT, -errno.
 *   It may over-estimate (e.g. SIOCINQ on SEQPACKET sums the queue): the
 *   buffer is grown to the estimate and fill returns the true length.
 *
 * at_eof(ctx)   the liveness check behind sp__lb_eof() when nothing is
 *   buffered and no EOF was seen yet; must not wait and must not consume.
 *   Returns 1 (end of stream or a hard error: PHP's feof), 0 (alive or
 *   unknown), or -errno. May be NULL: then 0.
 */
typedef struct sp__source {
  void *ctx;
  ssize_t (*fill)(void *ctx, char *dst, size_t space);
  ssize_t (*next_size)(void *ctx);
  int (*at_eof)(void *ctx);
} sp__source;

/*
 * The buffer. Fields are the core's; callers may read them (tests, models)
 * but change them only through the functions below.
 * Invariants: off <= len <= cap; data[off..len) is unread; in datagram mode
 * the sum of msgs[mhead..mtail) equals len - off and nempty counts the
 * zero-length entries among them.
 */
typedef struct sp__linebuf {
  char *data;
  size_t cap;
  size_t off;
  size_t len;
  size_t chunk;    /* stream-mode fill size; SP__LB_DEFAULT_CHUNK */
  size_t line_max; /* getline cap in bytes including "\n"; 0 = none */
  int dgram;       /* 1: datagram mode */
  int eof;         /* sticky: the source returned SP_EOF */
  int timed_out;   /* last fill returned -ETIMEDOUT; see sp__lb_timed_out */
  /* datagram mode: remaining length of each unread message, FIFO */
  size_t *msgs;
  size_t mcap;
  size_t mhead;
  size_t mtail;
  size_t nempty;
} sp__linebuf;

/* An empty buffer (allocates nothing until the first fill); dgram selects
 * datagram mode. Never fails. */
void sp__lb_init(sp__linebuf *lb, int dgram);
/* Frees what lb holds (lb itself is the caller's); NULL is a no-op. Leaves
 * lb as after sp__lb_init in the same mode. */
void sp__lb_free(sp__linebuf *lb);

/* Stream-mode fill size: 1 .. SIZE_MAX/4; -EINVAL otherwise. */
int sp__lb_set_chunk(sp__linebuf *lb, size_t chunk);
/* getline cap in bytes including the "\n" (0 = none). Never fails on a
 * valid lb. */
int sp__lb_set_line_max(sp__linebuf *lb, size_t max);

/* Unread bytes (a pending zero-length datagram counts as 0 bytes; see
 * sp__lb_pending). */
size_t sp__lb_buffered(const sp__linebuf *lb);
/* 1 if anything is pending: bytes, or a zero-length datagram. */
int sp__lb_pending(const sp__linebuf *lb);
/* 1 if the last fill timed out. Set by a fill returning -ETIMEDOUT;
 * cleared by a fill that brings data, an empty datagram or SP_EOF; left
 * alone by -EAGAIN and other errors. */
int sp__lb_timed_out(const sp__linebuf *lb);

/*
 * gets: fgets(s, size). Copies at most size-1 bytes up to and including the
 * first "\n" into buf and NUL-terminates it (buf must hold size bytes).
 * Returns the byte count (buf may contain NULs: use the count), 0 for
 * size == 1 (consumes nothing, no fill) or for a zero-length datagram, or
 * a status (see above) when zero bytes were collected; buf is then "".
 * -EINVAL: lb, src (when a fill is needed) or buf NULL, size <= 0.
 */
ssize_t sp__lb_gets(sp__linebuf *lb, const sp__source *src, char *buf,
                    ssize_t size);

/*
 * getline: fgets(s) without a length. The whole line up to and including
 * the first "\n" (or the partial line, as for gets) is copied into *line,
 * grown with realloc as getline(3) does (*line may be NULL, then *cap is
 * ignored; the caller frees *line with free()), NUL-terminated. Returns the
 * length, 0 for a zero-length datagram, or a status.
 * SP_ELINEMAX: line_max is set and the line (with its "\n") is longer:
 * more than line_max bytes hold no "\n" (a partial line of at most
 * line_max bytes at EOF or timeout is returned as usual). Nothing is
 * consumed, *line and *cap are untouched, and no further fill is made for
 * that line.
 * -ENOMEM: *line could not grow; nothing consumed, *line still valid.
 */
ssize_t sp__lb_getline(sp__linebuf *lb, const sp__source *src, char **line,
                       size_t *cap);

/*
 * read: fread(s, len). If anything is unread, copies min(len, unread) at
 * once (datagram mode: at most the rest of the front message; the rest of
 * a message longer than len stays buffered, and its remainder is what the
 * next read returns) with no fill. Otherwise ONE fill, then the same.
 * A pending zero-length datagram returns 0 and is consumed.
 * len == 0: -EINVAL. Never loops to fill len. Stream mode, empty buffer
 * and len >= chunk: the fill goes straight into buf (no copy).
 */
ssize_t sp__lb_read(sp__linebuf *lb, const sp__source *src, void *buf,
                    size_t len);

/*
 * eof: feof(s). 0 if anything is pending; else 1 if EOF was seen; else the
 * source's at_eof() (1 makes EOF sticky), 0 if it is NULL. A negative
 * at_eof result is returned as is.
 */
int sp__lb_eof(sp__linebuf *lb, const sp__source *src);

#endif /* SOCKPAIR_LINEBUF_H */
