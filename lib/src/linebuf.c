/* The line-reading core: PHP's fgets/fread rules over an abstract source.
 * No syscall here (allocation goes through the sys.h seam). */
#include "linebuf.h"

#include "sockpair.h"
#include "sys.h"

#include <string.h>

#define SP__LB_MIN_CAP 1024
#define SP__LB_MIN_MSGS 16

void sp__lb_init(sp__linebuf *lb, int dgram) {
  memset(lb, 0, sizeof(*lb));
  lb->chunk = SP__LB_DEFAULT_CHUNK;
  lb->dgram = dgram ? 1 : 0;
}

void sp__lb_free(sp__linebuf *lb) {
  if (!lb)
    return;
  sp__free(lb->data);
  sp__free(lb->msgs);
  sp__lb_init(lb, lb->dgram);
}

int sp__lb_set_chunk(sp__linebuf *lb, size_t chunk) {
  if (!lb || chunk == 0 || chunk > SIZE_MAX / 4)
    return SP_EINVAL;
  lb->chunk = chunk;
  return 0;
}

int sp__lb_set_line_max(sp__linebuf *lb, size_t max) {
  if (!lb)
    return SP_EINVAL;
  lb->line_max = max;
  return 0;
}

size_t sp__lb_buffered(const sp__linebuf *lb) {
  return lb ? lb->len - lb->off : 0;
}

int sp__lb_pending(const sp__linebuf *lb) {
  if (!lb)
    return 0;
  return lb->len > lb->off || lb->mtail > lb->mhead;
}

int sp__lb_timed_out(const sp__linebuf *lb) {
  return lb ? lb->timed_out : 0;
}

/* Makes room for want more bytes after len: first reclaims the consumed
 * prefix, then doubles the capacity, every step checked for overflow (as
 * c-ares ares_buf's ensure_space). */
static int ensure_free(sp__linebuf *lb, size_t want) {
  size_t unread = lb->len - lb->off;
  size_t need;
  size_t ncap;
  int fresh;
  char *p;

  if (lb->cap - lb->len >= want)
    return 0;
  if (lb->off > 0) {
    memmove(lb->data, lb->data + lb->off, unread);
    lb->off = 0;
    lb->len = unread;
    if (lb->cap - lb->len >= want)
      return 0;
  }
  if (want > SIZE_MAX - unread)
    return SP_ENOMEM;
  need = unread + want;
  ncap = lb->cap > SP__LB_MIN_CAP ? lb->cap : SP__LB_MIN_CAP;
  while (ncap < need)
    ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
  /* When most of the old block is dead (consumed, or never filled),
   * realloc would copy all of it into the new one, touching every page of
   * it, when only the unread bytes (data[0..unread) now) matter. */
  fresh = unread <= lb->cap / 2;
  p = sp__realloc(fresh ? NULL : lb->data, ncap);
  if (!p)
    return SP_ENOMEM;
  if (fresh) {
    if (unread)
      memcpy(p, lb->data, unread);
    sp__free(lb->data);
  }
  lb->data = p;
  lb->cap = ncap;
  return 0;
}

/* Guarantees one free slot in the message FIFO, so that a message taken
 * from the source can always be recorded (never delivered, then lost). */
static int msg_reserve(sp__linebuf *lb) {
  size_t n = lb->mtail - lb->mhead;
  size_t ncap;
  size_t *p;

  if (lb->mtail < lb->mcap)
    return 0;
  if (lb->mhead > 0) {
    memmove(lb->msgs, lb->msgs + lb->mhead, n * sizeof(*lb->msgs));
    lb->mhead = 0;
    lb->mtail = n;
    return 0;
  }
  ncap = lb->mcap ? lb->mcap : SP__LB_MIN_MSGS / 2;
  if (ncap > SIZE_MAX / 2 / sizeof(*lb->msgs))
    return SP_ENOMEM;
  ncap *= 2;
  p = sp__realloc(lb->msgs, ncap * sizeof(*lb->msgs));
  if (!p)
    return SP_ENOMEM;
  lb->msgs = p;
  lb->mcap = ncap;
  return 0;
}

static void msg_pop(sp__linebuf *lb) {
  if (lb->msgs[lb->mhead] == 0)
    lb->nempty--;
  lb->mhead++;
  if (lb->mhead == lb->mtail)
    lb->mhead = lb->mtail = 0;
}

/* Consumes n unread bytes (never a zero-length message: those are popped
 * explicitly by the operation that returns them). */
static void consume(sp__linebuf *lb, size_t n) {
  lb->off += n;
  if (lb->off == lb->len)
    lb->off = lb->len = 0;
  if (!lb->dgram)
    return;
  while (n > 0) {
    size_t front = lb->msgs[lb->mhead];

    if (front > n) {
      lb->msgs[lb->mhead] = front - n;
      return;
    }
    n -= front;
    msg_pop(lb);
  }
}

/* Bytes a line may use: everything unread, or in datagram mode what comes
 * before the first pending zero-length message. */
static size_t line_avail(const sp__linebuf *lb) {
  size_t n = 0;

  if (!lb->dgram || lb->nempty == 0)
    return lb->len - lb->off;
  for (size_t i = lb->mhead; i < lb->mtail && lb->msgs[i] > 0; i++)
    n += lb->msgs[i];
  return n;
}

/* Records what a fill said about the source's state. */
static ssize_t note(sp__linebuf *lb, ssize_t r) {
  /* Data first: it is what nearly every fill brings. */
  if (r >= 0) {
    lb->timed_out = 0;
  } else if (r == SP_EOF) {
    lb->eof = 1;
    lb->timed_out = 0;
  } else if (r == SP_ETIMEDOUT) {
    lb->timed_out = 1;
  }
  return r;
}

/* One stream-mode fill into dst (the buffer's tail, or the caller's buffer
 * for a direct read). */
static ssize_t fill_stream_into(sp__linebuf *lb, const sp__source *src,
                                char *dst, size_t space) {
  ssize_t r = src->fill(src->ctx, dst, space);

  /* Data first, as in note(): a flat "r > 0 && r > space" then "r == 0"
   * costs every data fill a third comparison. */
  if (r > 0) {
    if ((size_t)r > space)
      return SP_EIO;
  } else if (r == 0) {
    r = SP_EOF;
  }
  return note(lb, r);
}

static ssize_t fill_stream(sp__linebuf *lb, const sp__source *src) {
  ssize_t r;
  int err = ensure_free(lb, lb->chunk);

  if (err)
    return err;
  r = fill_stream_into(lb, src, lb->data + lb->len, lb->cap - lb->len);
  if (r > 0)
    lb->len += (size_t)r;
  return r;
}

/* One datagram: its size first, room for all of it, then the message. */
static ssize_t fill_dgram(sp__linebuf *lb, const sp__source *src) {
  ssize_t r;
  size_t space;
  int err;

  if (!src->next_size)
    return SP_EINVAL;
  r = src->next_size(src->ctx);
  if (r < 0)
    return note(lb, r);
  err = ensure_free(lb, r > 0 ? (size_t)r : 1);
  if (!err)
    err = msg_reserve(lb);
  if (err)
    return err;
  space = lb->cap - lb->len;
  r = src->fill(src->ctx, lb->data + lb->len, space);
  if (r > 0 && (size_t)r > space)
    return SP_EIO;
  if (r < 0)
    return note(lb, r);
  lb->len += (size_t)r;
  lb->msgs[lb->mtail++] = (size_t)r;
  lb->nempty += r == 0;
  return note(lb, r);
}

/* One read round: > 0 bytes appended, 0 an empty datagram appended, or a
 * status. */
static ssize_t fill_once(sp__linebuf *lb, const sp__source *src) {
  if (lb->eof)
    return SP_EOF;
  if (!src || !src->fill)
    return SP_EINVAL;
  return lb->dgram ? fill_dgram(lb, src) : fill_stream(lb, src);
}

/* Scans the unread bytes for a line of at most limit bytes, filling as
 * PHP's _php_stream_get_line does. Returns the line's length (> 0), 0 if a
 * zero-length datagram is at the front (not consumed), or a status when
 * nothing was collected.
 * gets (capped == 0): limit bytes without "\n" are a line.
 * getline with a cap (capped == 1): limit bytes without "\n" are a line
 * only if nothing follows; when more bytes are known to follow, *over is
 * set and nothing more is read. */
static ssize_t scan_line(sp__linebuf *lb, const sp__source *src, size_t limit,
                         int capped, int *over) {
  size_t scanned = 0;

  *over = 0;
  for (;;) {
    size_t avail = line_avail(lb);
    size_t n = avail < limit ? avail : limit;
    ssize_t r;

    if (n > scanned) { /* data is not NULL: no offset on a null pointer */
      const char *start = lb->data + lb->off;
      const char *nl = memchr(start + scanned, '\n', n - scanned);

      if (nl)
        return nl - start + 1;
    }
    scanned = n;
    if (avail >= limit && (avail > limit || !capped)) {
      *over = capped;
      return (ssize_t)n;
    }
    if (lb->dgram && lb->nempty > 0)
      return (ssize_t)n; /* an empty message ends the line; 0 if first */
    r = fill_once(lb, src);
    if (r >= 0)
      continue;
    if (r == SP_ENOMEM || r == SP_EIO || r == SP_EINVAL)
      return r; /* our failure, not the source's: keep the line */
    return n > 0 ? (ssize_t)n : r;
  }
}

ssize_t sp__lb_gets(sp__linebuf *lb, const sp__source *src, char *buf,
                    ssize_t size) {
  size_t limit;
  int over;
  ssize_t n;

  if (!lb || !buf || size <= 0)
    return SP_EINVAL;
  buf[0] = '\0';
  if (size == 1)
    return 0;
  limit = (size_t)size - 1;
  n = scan_line(lb, src, limit, 0, &over);
  if (n < 0)
    return n;
  if (n == 0) {
    if (lb->dgram && lb->mtail > lb->mhead && lb->msgs[lb->mhead] == 0)
      msg_pop(lb);
    return 0;
  }
  memcpy(buf, lb->data + lb->off, (size_t)n);
  buf[n] = '\0';
  consume(lb, (size_t)n);
  return n;
}

/* Grows the caller's getline buffer to hold need bytes. */
static int grow_line(char **line, size_t *cap, size_t need) {
  size_t have = *line ? *cap : 0;
  size_t ncap = have > 64 ? have : 64;
  char *p;

  if (need <= have)
    return 0;
  while (ncap < need)
    ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
  p = sp__realloc(*line, ncap);
  if (!p)
    return SP_ENOMEM;
  *line = p;
  *cap = ncap;
  return 0;
}

ssize_t sp__lb_getline(sp__linebuf *lb, const sp__source *src, char **line,
                       size_t *cap) {
  size_t limit;
  int over;
  ssize_t n;
  int err;

  if (!lb || !line || !cap)
    return SP_EINVAL;
  /* With a cap, a partial line of exactly line_max bytes at EOF is fine,
   * one more byte is not. */
  limit = lb->line_max ? lb->line_max : SIZE_MAX - 1;
  n = scan_line(lb, src, limit, lb->line_max != 0, &over);
  if (n < 0)
    return n;
  if (over)
    return SP_ELINEMAX;
  err = grow_line(line, cap, (size_t)n + 1);
  if (err)
    return err;
  if (n == 0) {
    if (lb->dgram && lb->mtail > lb->mhead && lb->msgs[lb->mhead] == 0)
      msg_pop(lb);
    (*line)[0] = '\0';
    return 0;
  }
  memcpy(*line, lb->data + lb->off, (size_t)n);
  (*line)[n] = '\0';
  consume(lb, (size_t)n);
  return n;
}

ssize_t sp__lb_read(sp__linebuf *lb, const sp__source *src, void *buf,
                    size_t len) {
  size_t n;
  ssize_t r;

  if (!lb || !buf || len == 0)
    return SP_EINVAL;
  if (!sp__lb_pending(lb)) {
    if (lb->eof)
      return SP_EOF;
    if (!src || !src->fill)
      return SP_EINVAL;
    if (!lb->dgram && len >= lb->chunk)
      return fill_stream_into(lb, src, buf, len);
    r = fill_once(lb, src);
    if (r < 0)
      return r;
  }
  n = lb->len - lb->off;
  if (lb->dgram) {
    n = lb->msgs[lb->mhead];
    if (n == 0) {
      msg_pop(lb);
      return 0;
    }
  }
  if (n > len)
    n = len;
  memcpy(buf, lb->data + lb->off, n);
  consume(lb, n);
  return (ssize_t)n;
}

int sp__lb_eof(sp__linebuf *lb, const sp__source *src) {
  int r;

  if (!lb)
    return SP_EINVAL;
  if (sp__lb_pending(lb))
    return 0;
  if (lb->eof)
    return 1;
  if (!src || !src->at_eof)
    return 0;
  r = src->at_eof(src->ctx);
  if (r == 1)
    lb->eof = 1;
  return r;
}
