/*
 * The reference model of the line-reading core: simple and slow, written
 * from docs/php-semantics.md ("rule N" and "better N" below are its
 * numbered lists), never from lib/src/linebuf.c. One rule is not PHP's: a
 * source that returns more than it was given room for is a bug, -EIO at
 * once, nothing consumed (the source contract of lib/src/linebuf.h).
 *
 * The model's buffer is the run of unread bytes of the script; in datagram mode
 * a second array holds the remaining length of each unread message, so an empty
 * message is an entry of length 0 (a "barrier").
 */
#include "model.h"

#include "sockpair.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void fz_model_init(fz_model *m, const fz_script *s, size_t default_chunk) {
  memset(m, 0, sizeof(*m));
  m->s = s;
  m->chunk = default_chunk;
  m->msg_mem = malloc((s->nev ? s->nev : 1) * sizeof(*m->msg));
  if (!m->msg_mem)
    abort();
  m->buf = s->bytes;
  m->msg = m->msg_mem;
}

void fz_model_free(fz_model *m) {
  free(m->msg_mem);
  m->buf = NULL;
  m->msg_mem = m->msg = NULL;
}

int fz_model_set_chunk(fz_model *m, size_t chunk) {
  if (chunk < 1 || chunk > SIZE_MAX / 4)
    return -EINVAL;
  m->chunk = chunk;
  return 0;
}

void fz_model_set_line_max(fz_model *m, size_t max) {
  m->line_max = max;
}

size_t fz_model_buffered(const fz_model *m) {
  return m->len;
}

int fz_model_pending(const fz_model *m) {
  return m->len > 0 || m->nmsg > 0;
}

/* Bytes that can be taken before the first empty message (all of them in
 * stream mode). */
static size_t before_barrier(const fz_model *m) {
  size_t n = 0;
  size_t i;

  if (!m->s->dgram)
    return m->len;
  for (i = 0; i < m->nmsg && m->msg[i] > 0; i++)
    n += m->msg[i];
  return n;
}

/* An empty message is unread, somewhere. */
static int has_barrier(const fz_model *m) {
  size_t i;

  for (i = 0; m->s->dgram && i < m->nmsg; i++)
    if (m->msg[i] == 0)
      return 1;
  return 0;
}

/* An empty message is next. */
static int barrier_first(const fz_model *m) {
  return m->s->dgram && m->nmsg > 0 && m->msg[0] == 0;
}

/* Consumes n unread bytes (n <= before_barrier); messages emptied by it are
 * gone (a message that was never empty is not a barrier). */
static void take(fz_model *m, const uint8_t **out, size_t n) {
  *out = m->buf;
  m->buf += n;
  m->len -= n;
  while (m->s->dgram && n > 0) {
    size_t k = n < m->msg[0] ? n : m->msg[0];

    m->msg[0] -= k;
    n -= k;
    if (m->msg[0] == 0) {
      m->msg++;
      m->nmsg--;
    }
  }
}

static void pop_empty(fz_model *m) {
  m->msg++;
  m->nmsg--;
}

/* Every byte and message of the script enters the buffer at most once and
 * in order, so the unread bytes are always the script's bytes from the
 * first unread one on (no copy), and the message array, sized for the
 * whole script, only moves forward. */
static void append(fz_model *m, const uint8_t *p, size_t n) {
  if (p != m->buf + m->len)
    abort(); /* the script was read out of order */
  m->len += n;
  if (m->s->dgram)
    m->msg[m->nmsg++] = n;
}

/* The source broke its contract: reported at once, nothing consumed. */
#define BREACH (-EIO)

/* ONE read round from the script. Returns the bytes it brought (> 0), 0
 * for an empty message, or a status. */
static ssize_t fill(fz_model *m) {
  const fz_script *s = m->s;
  const fz_event *e;
  ssize_t r;

  m->rounds++;
  if (m->ev >= s->nev) {
    r = s->empty_is_eagain ? -EAGAIN : SP_EOF;
  } else {
    e = &s->ev[m->ev];
    switch (e->kind) {
    case FZ_EV_DATA:
      r = (ssize_t)(e->len - m->used);
      if (!s->dgram && (size_t)r > m->chunk)
        r = (ssize_t)m->chunk; /* the transport gives a chunk at most */
      append(m, s->bytes + e->off + m->used, (size_t)r);
      m->used += (size_t)r;
      if (s->dgram || m->used == e->len) {
        m->ev++;
        m->used = 0;
      }
      break;
    case FZ_EV_EAGAIN:
      r = -EAGAIN;
      m->ev++;
      break;
    case FZ_EV_TIMEOUT:
      r = -ETIMEDOUT;
      m->ev++;
      break;
    case FZ_EV_ERROR:
      r = -ECONNRESET;
      m->ev++;
      break;
    case FZ_EV_BREACH:
      r = BREACH;
      m->ev++;
      break;
    default: /* FZ_EV_EOF, FZ_EV_EOF0: for ever */
      r = SP_EOF;
      break;
    }
  }
  /* rule 6 */
  if (r == SP_EOF)
    m->eof = 1;
  if (r == -ETIMEDOUT)
    m->timed_out = 1;
  else if (r >= 0 || r == SP_EOF)
    m->timed_out = 0;
  return r;
}

/* Consumes a line of n bytes (*out points at them) and returns n. */
static ssize_t take_line(fz_model *m, const uint8_t **out, size_t n) {
  take(m, out, n);
  return (ssize_t)n;
}

static ssize_t find_nl(const uint8_t *p, size_t n) {
  const uint8_t *nl = n ? memchr(p, '\n', n) : NULL;

  return nl ? nl - p : -1;
}

/* rule 3's first step, peeking: extends the line (got bytes so far) up to
 * and including a "\n", or to the limit, or over every byte there is.
 * Returns 1 when the line is complete. */
static int gets_take(const fz_model *m, size_t limit, size_t *got) {
  size_t avail = before_barrier(m);
  size_t n;
  ssize_t nl;

  if (avail <= *got)
    return 0;
  n = avail - *got < limit - *got ? avail - *got : limit - *got;
  nl = find_nl(m->buf + *got, n);
  if (nl >= 0) {
    *got += (size_t)nl + 1;
    return 1;
  }
  *got += n;
  return *got == limit;
}

/* gets peeks (got bytes so far) and consumes only when it returns. */
ssize_t fz_model_gets(fz_model *m, const uint8_t **out, ssize_t size) {
  size_t limit, got = 0;
  ssize_t r;

  if (size <= 0) /* rule 2 */
    return -EINVAL;
  if (size == 1)
    return 0;
  limit = (size_t)size - 1;
  while (!gets_take(m, limit, &got)) {
    /* Everything there is was taken: what ends the line now? */
    if (has_barrier(m) && !got) { /* better 2 */
      pop_empty(m);
      return 0;
    }
    if (has_barrier(m)) /* an empty message ends the partial line */
      break;
    if (m->eof) /* rule 3: buffer empty, stop at EOF */
      return got ? take_line(m, out, got) : SP_EOF;
    r = fill(m); /* rule 3: ONE read */
    if (r == BREACH || (r < 0 && !got))
      return r;
    if (r < 0) /* rule 4: it brought nothing, the partial line */
      break;
  }
  return take_line(m, out, got);
}

/* getline's search: the length of the line up to and including its "\n"
 * if there is one within the cap, SP_ELINEMAX if the line is known to be
 * longer than the cap, else 0. scanned: bytes known to hold no "\n". */
static ssize_t getline_scan(const fz_model *m, size_t avail, size_t *scanned) {
  size_t look = avail;
  ssize_t nl = -1;

  if (m->line_max && look > m->line_max)
    look = m->line_max;
  if (look > *scanned) {
    nl = find_nl(m->buf + *scanned, look - *scanned);
    if (nl >= 0)
      return nl + (ssize_t)*scanned + 1;
    *scanned = look;
  }
  if (m->line_max && avail > m->line_max)
    return SP_ELINEMAX; /* longer than the cap whatever comes: keep it */
  return 0;
}

ssize_t fz_model_getline(fz_model *m, const uint8_t **out) {
  size_t scanned = 0;

  for (;;) {
    size_t avail = before_barrier(m);
    ssize_t n = getline_scan(m, avail, &scanned);
    ssize_t r = SP_EOF;

    if (n)
      return n > 0 ? take_line(m, out, (size_t)n) : n;
    if (avail == 0 && barrier_first(m)) { /* better 2 */
      pop_empty(m);
      return 0;
    }
    if (avail > 0 && has_barrier(m)) /* an empty message ends the line */
      return take_line(m, out, avail);
    if (!m->eof) { /* rule 3: ONE read */
      r = fill(m);
      if (r >= 0)
        continue;
      if (r == BREACH)
        return r;
    }
    /* rule 4: nothing more, the partial line or the status */
    return avail ? take_line(m, out, avail) : r;
  }
}

ssize_t fz_model_read(fz_model *m, const uint8_t **out, size_t len) {
  if (len == 0) /* rule 8 */
    return -EINVAL;
  if (!fz_model_pending(m)) {
    ssize_t r;

    if (m->eof)
      return SP_EOF;
    r = fill(m); /* ONE read, and only with nothing buffered (better 3) */
    if (r < 0)
      return r;
  }
  if (barrier_first(m)) { /* better 2 */
    pop_empty(m);
    return 0;
  }
  {
    size_t n = m->s->dgram ? m->msg[0] : m->len; /* better 1 */

    if (n > len)
      n = len;
    take(m, out, n);
    return (ssize_t)n;
  }
}

int fz_model_eof(fz_model *m) {
  const fz_script *s = m->s;
  int dead;

  if (fz_model_pending(m)) /* rule 7 */
    return 0;
  if (m->eof)
    return 1;
  if (s->no_at_eof)
    return 0;
  if (m->ev >= s->nev) {
    dead = !s->empty_is_eagain;
  } else {
    fz_ev_kind k = s->ev[m->ev].kind;

    dead = k == FZ_EV_EOF || k == FZ_EV_EOF0 || k == FZ_EV_ERROR;
  }
  if (dead)
    m->eof = 1;
  return dead;
}

/* The core made read rounds and then failed (-ENOMEM) before returning:
 * make as many (the same script events, the same chunks, the same EOF and
 * timeout flags). */
void fz_model_catch_up(fz_model *m, size_t rounds) {
  while (m->rounds < rounds)
    (void)fill(m);
}
