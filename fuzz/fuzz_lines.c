/*
 * fuzz_lines: the pure line-reading core (lib/src/linebuf.c) against a
 * reference model (model.c), through an in-memory transport.
 *
 * Input:
 *   byte 0     bit 0 datagram mode, bit 1 no at_eof callback, bit 2 after
 *              the last event the source would block (-EAGAIN) instead of
 *              ending (SP_EOF)
 *   bytes 1-2  chunk size (little endian; 0 = the core's default; raised
 *              to nbytes / FILL_BUDGET, as 'c' is)
 *   bytes 3-4  getline cap (0 = none)
 *   byte 5     datagram mode: next_size() over-estimates by this much
 *   events, up to '|':
 *     'D' n bytes[n]   data (a message in datagram mode; n may be 0 there)
 *     'R' count16 c    count copies of byte c (long lines cheaply)
 *     'A' would block  'T' timeout  'E' EOF  'Z' EOF told as 0
 *     'X' an error (-ECONNRESET)     'B' the source breaks its contract
 *   operations, to the end:
 *     'g' size16 gets (size as a signed 16-bit value)   'l' getline
 *     'r' len16 read    'e' eof    'c' n16 set chunk    'm' n16 set cap
 *     'u' misuse (NULL pointers, no source): -EINVAL, nothing changes
 *     'f' n8   allocation failure: the ((n & 7) + 1)-th allocation of the
 *              core from now on fails (ENOMEM, the seam's errno table);
 *              bit 3: that one and every later one, until the next 'f'
 *   Other bytes are ignored. Afterwards everything left is drained with
 *   read (with no more failures).
 *
 * Oracle: every operation gives the model's result and bytes; buffered,
 * pending and timed_out agree after each; every byte returned is the next
 * byte of the script (nothing lost or duplicated); nothing is longer than
 * its limit; the core keeps the source's contract (fill space >= chunk,
 * datagram fill only after next_size with room for it). An operation
 * during which an allocation failed returns -ENOMEM, consumes nothing and
 * leaves getline's buffer alone; the model then makes the fills the core
 * made, and everything above holds again (LibFuzzer's leak check and ASan
 * see the memory).
 */
#include "fuzz.h"

#include "fault.h"
#include "linebuf.h"
#include "model.h"
#include "sockpair.h"

#include <errno.h>

#define MAX_BYTES (80 * 1024) /* past the default chunk (64 KiB) */
#define MAX_EVENTS 4096
#define MAX_OPS 1024
#define DRAIN_LEN 4096
/* Stream-mode fills an input may cost: a chunk below nbytes / FILL_BUDGET
 * (set by the header or a 'c' operation) is raised to that, for the core
 * and the model alike. Small chunks stay reachable with small scripts; a
 * 256 KiB script read 3 bytes at a time (87,000 fills) is not. */
#define FILL_BUDGET 512

/* The script: written afresh by every input, into one buffer for the
 * whole run, because allocating (and page-faulting) up to 256 KiB afresh
 * for every input was most of an execution's cost. */
static uint8_t script_bytes[MAX_BYTES];
static fz_event script_events[MAX_EVENTS];

/* ---- parsing the script ---- */

static void add_event(fz_script *s, fz_ev_kind kind, size_t off, size_t len) {
  if (s->nev == s->evcap)
    return;
  s->ev[s->nev].kind = kind;
  s->ev[s->nev].off = off;
  s->ev[s->nev].len = len;
  s->nev++;
}

static void add_data(fz_script *s, const uint8_t *p, size_t n, int repeat) {
  size_t off = s->nbytes;

  if (s->nev == s->evcap || n > MAX_BYTES - s->nbytes)
    return;
  if (n == 0 && !s->dgram)
    return; /* a stream has no empty reads: 0 means EOF */
  if (n && repeat)
    memset(s->bytes + off, p[0], n);
  else if (n)
    memcpy(s->bytes + off, p, n);
  s->nbytes += n;
  add_event(s, FZ_EV_DATA, off, n);
}

static void parse_event(fz_script *s, fz_in *in, uint8_t tag) {
  size_t n;
  const uint8_t *p;
  uint8_t c;

  switch (tag) {
  case 'D':
    p = fz_bytes(in, fz_u8(in), &n);
    add_data(s, p, n, 0);
    break;
  case 'R':
    n = fz_u16(in);
    c = fz_u8(in);
    add_data(s, &c, n, 1);
    break;
  case 'A':
    add_event(s, FZ_EV_EAGAIN, 0, 0);
    break;
  case 'T':
    add_event(s, FZ_EV_TIMEOUT, 0, 0);
    break;
  case 'E':
    add_event(s, FZ_EV_EOF, 0, 0);
    break;
  case 'Z':
    add_event(s, FZ_EV_EOF0, 0, 0);
    break;
  case 'X':
    add_event(s, FZ_EV_ERROR, 0, 0);
    break;
  case 'B':
    add_event(s, FZ_EV_BREACH, 0, 0);
    break;
  }
}

static void parse_script(fz_script *s, fz_in *in) {
  uint8_t cfg = fz_u8(in);

  s->dgram = cfg & 1;
  s->no_at_eof = (cfg >> 1) & 1;
  s->empty_is_eagain = (cfg >> 2) & 1;
  s->chunk = fz_u16(in);
  s->line_max = fz_u16(in);
  s->overestimate = fz_u8(in);
  while (fz_left(in)) {
    uint8_t tag = fz_u8(in);

    if (tag == '|')
      break;
    parse_event(s, in, tag);
  }
}

/* A chunk size within the fill budget of the script (0 stays 0). */
static uint16_t budget_chunk(const fz_script *s, uint16_t v) {
  size_t least = (s->nbytes + FILL_BUDGET - 1) / FILL_BUDGET;

  return v && v < least ? (uint16_t)least : v;
}

/* ---- the in-memory transport: the core's source ---- */

typedef struct transport {
  const fz_script *s;
  size_t ev;
  size_t used;
  size_t chunk;      /* the core's current chunk: deliveries never exceed it */
  ssize_t announced; /* dgram: true length told by next_size, or -1 */
  size_t delivered;  /* bytes handed to the core */
  size_t rounds;     /* read rounds completed: the model's fill() calls */
} transport;

static ssize_t after_last(const transport *t) {
  return t->s->empty_is_eagain ? -EAGAIN : SP_EOF;
}

static ssize_t status_of(fz_ev_kind kind) {
  switch (kind) {
  case FZ_EV_EAGAIN:
    return -EAGAIN;
  case FZ_EV_TIMEOUT:
    return -ETIMEDOUT;
  case FZ_EV_ERROR:
    return -ECONNRESET;
  default:
    return SP_EOF;
  }
}

static ssize_t stream_fill(transport *t, char *dst, size_t space) {
  const fz_event *e;
  size_t n;

  FZ_CHECK(space >= t->chunk, "stream fill given %zu bytes, chunk %zu", space,
           t->chunk);
  if (t->ev == t->s->nev)
    return after_last(t);
  e = &t->s->ev[t->ev];
  switch (e->kind) {
  case FZ_EV_DATA:
    n = e->len - t->used;
    if (n > t->chunk)
      n = t->chunk;
    memcpy(dst, t->s->bytes + e->off + t->used, n);
    t->used += n;
    t->delivered += n;
    if (t->used == e->len) {
      t->ev++;
      t->used = 0;
    }
    return (ssize_t)n;
  case FZ_EV_EOF:
    return SP_EOF;
  case FZ_EV_EOF0:
    return 0;
  case FZ_EV_BREACH:
    t->ev++;
    return (ssize_t)space + 1;
  default:
    t->ev++;
    return status_of(e->kind);
  }
}

static ssize_t dgram_fill(transport *t, char *dst, size_t space) {
  const fz_event *e = &t->s->ev[t->ev];
  size_t told = (size_t)t->announced + t->s->overestimate;

  FZ_CHECK(t->announced >= 0, "datagram fill without next_size");
  FZ_CHECK(space >= 1 && space >= told, "datagram fill: space %zu, told %zu",
           space, told);
  t->announced = -1;
  switch (e->kind) {
  case FZ_EV_DATA:
    memcpy(dst, t->s->bytes + e->off, e->len);
    t->delivered += e->len;
    t->ev++;
    return (ssize_t)e->len;
  case FZ_EV_EOF0:
    return SP_EOF;
  default: /* FZ_EV_BREACH */
    t->ev++;
    return (ssize_t)space + 1;
  }
}

static ssize_t src_fill(void *ctx, char *dst, size_t space) {
  transport *t = ctx;

  FZ_CHECK(dst && space >= 1, "fill(%p, %zu)", (void *)dst, space);
  t->rounds++;
  return t->s->dgram ? dgram_fill(t, dst, space) : stream_fill(t, dst, space);
}

static ssize_t src_next_size(void *ctx) {
  transport *t = ctx;
  const fz_event *e;

  FZ_CHECK(t->s->dgram, "next_size in stream mode");
  if (t->ev == t->s->nev) {
    t->rounds++; /* a status: the round ends here */
    return after_last(t);
  }
  e = &t->s->ev[t->ev];
  switch (e->kind) {
  case FZ_EV_DATA:
    t->announced = (ssize_t)e->len;
    break;
  case FZ_EV_EOF0:
    t->announced = 0;
    break;
  case FZ_EV_BREACH:
    t->announced = 1;
    break;
  case FZ_EV_EOF:
    t->rounds++;
    return SP_EOF;
  default:
    t->rounds++;
    t->ev++;
    return status_of(e->kind);
  }
  return (ssize_t)((size_t)t->announced + t->s->overestimate);
}

static int src_at_eof(void *ctx) {
  transport *t = ctx;
  fz_ev_kind k;

  if (t->ev == t->s->nev)
    return !t->s->empty_is_eagain;
  k = t->s->ev[t->ev].kind;
  return k == FZ_EV_EOF || k == FZ_EV_EOF0 || k == FZ_EV_ERROR;
}

/* ---- running operations on both ---- */

/* ---- allocation failures chosen by the input ---- */

typedef struct alloc_faults {
  unsigned countdown; /* 0 disarmed; k: the k-th allocation from now fails */
  int sticky;         /* ... and every one after it, until the next 'f' */
  unsigned dealt;     /* failures dealt during the current operation */
} alloc_faults;

/* The core's only fallible calls are allocations (sp__malloc and
 * sp__realloc through the seam); a failure gets the errno the torture
 * tests deal them (lib/src/fault.c's table: ENOMEM). */
FZ_NO_COVERAGE static int alloc_hook(void *ctx, sp_call call, size_t *len) {
  alloc_faults *f = ctx;

  (void)len;
  if ((call != SP_CALL_MALLOC && call != SP_CALL_REALLOC) || !f->countdown)
    return 0;
  if (--f->countdown > 0)
    return 0;
  if (f->sticky)
    f->countdown = 1;
  f->dealt++;
  return sp_fault_hard_errno(call);
}

static void arm_faults(alloc_faults *f, uint8_t n) {
  f->countdown = (n & 7u) + 1;
  f->sticky = (n & 8u) != 0;
}

typedef struct run {
  fz_script s;
  transport t;
  sp__source src;
  sp__linebuf lb;
  fz_model m;
  size_t returned; /* bytes returned so far, = their offset in the script */
  char *line;      /* getline's buffer, kept across calls */
  size_t cap;
  alloc_faults f;
} run;

FZ_NO_COVERAGE static const char *op_name(uint8_t op) {
  switch (op) {
  case 'g':
    return "gets";
  case 'l':
    return "getline";
  case 'r':
    return "read";
  case 'e':
    return "eof";
  }
  return "op";
}

/* The core returned n bytes at p, the model the same count at want (a
 * pointer into the script): both are the next n bytes of the script. */
FZ_NO_COVERAGE static void check_bytes(run *r, uint8_t op, const void *p,
                                       const uint8_t *want, ssize_t n) {
  if (n <= 0)
    return;
  FZ_CHECK(want == r->s.bytes + r->returned,
           "%s: the model returned bytes at %td, expected %zu", op_name(op),
           want - r->s.bytes, r->returned);
  FZ_CHECK(r->returned + (size_t)n <= r->s.nbytes &&
               !memcmp(p, r->s.bytes + r->returned, (size_t)n),
           "%s: returned bytes are not the next %zd of the stream at %zu",
           op_name(op), n, r->returned);
  r->returned += (size_t)n;
}

FZ_NO_COVERAGE static void check_state(run *r, uint8_t op) {
  const sp__linebuf *lb = &r->lb;

  FZ_CHECK(lb->off <= lb->len && lb->len <= lb->cap, "off %zu len %zu cap %zu",
           lb->off, lb->len, lb->cap);
  FZ_CHECK(sp__lb_buffered(lb) == fz_model_buffered(&r->m),
           "after %s: buffered %zu, model %zu", op_name(op),
           sp__lb_buffered(lb), fz_model_buffered(&r->m));
  FZ_CHECK(sp__lb_pending(lb) == fz_model_pending(&r->m),
           "after %s: pending %d, model %d", op_name(op), sp__lb_pending(lb),
           fz_model_pending(&r->m));
  FZ_CHECK(sp__lb_timed_out(lb) == r->m.timed_out,
           "after %s: timed_out %d, model %d", op_name(op),
           sp__lb_timed_out(lb), r->m.timed_out);
  FZ_CHECK(r->t.rounds == r->m.rounds, "after %s: %zu read rounds, model %zu",
           op_name(op), r->t.rounds, r->m.rounds);
  FZ_CHECK(r->returned + sp__lb_buffered(lb) == r->t.delivered,
           "returned %zu + buffered %zu != delivered %zu", r->returned,
           sp__lb_buffered(lb), r->t.delivered);
}

FZ_NO_COVERAGE static void same(ssize_t got, ssize_t want, uint8_t op,
                                long arg) {
  FZ_CHECK(got == want, "%s(%ld): core %zd (%s), model %zd (%s)", op_name(op),
           arg, got, sp_err_name((int)got), want, sp_err_name((int)want));
}

/* An operation during which an allocation failed must say -ENOMEM, having
 * consumed nothing. The model never fails: it makes the fills the core
 * made before failing, so both agree again on what is buffered (nothing
 * lost, nothing duplicated). Returns 1 for such an operation. */
static int faulted(run *r, uint8_t op, ssize_t got) {
  if (!r->f.dealt)
    return 0;
  FZ_CHECK(got == SP_ENOMEM, "%s: an allocation failed, yet it returned %zd",
           op_name(op), got);
  fz_model_catch_up(&r->m, r->t.rounds);
  FZ_CHECK(r->m.rounds == r->t.rounds && r->m.ev == r->t.ev &&
               r->m.used == r->t.used,
           "%s: the core's reads and the model's differ", op_name(op));
  return 1;
}

static void do_gets(run *r, ssize_t size) {
  size_t n = size > 0 ? (size_t)size : 1;
  char *buf = fz_take(n); /* exact: ASan sees */
  const uint8_t *mp = NULL;
  ssize_t got, want;

  got = sp__lb_gets(&r->lb, &r->src, buf, size);
  if (faulted(r, 'g', got)) {
    fz_give(buf, n);
    return;
  }
  want = fz_model_gets(&r->m, &mp, size);
  same(got, want, 'g', (long)size);
  if (size > 0) {
    FZ_CHECK(got < size, "gets(%zd) returned %zd bytes", size, got);
    FZ_CHECK(buf[got > 0 ? got : 0] == '\0', "gets: not NUL-terminated");
    FZ_CHECK(got <= 0 || !memchr(buf, '\n', (size_t)got - 1),
             "gets: a \"\\n\" before the end of the line");
  }
  check_bytes(r, 'g', buf, mp, got);
  fz_give(buf, n);
}

/* A line getline returned: NUL-terminated in its buffer, within the cap,
 * a "\n" only at its end. */
FZ_NO_COVERAGE static void check_line(const run *r, ssize_t got) {
  FZ_CHECK(r->line && (size_t)got < r->cap && r->line[got] == '\0',
           "getline: %zd bytes in a buffer of %zu, or no NUL", got, r->cap);
  FZ_CHECK(!r->m.line_max || (size_t)got <= r->m.line_max,
           "getline: %zd bytes over the cap", got);
  FZ_CHECK(got == 0 || !memchr(r->line, '\n', (size_t)got - 1),
           "getline: a \"\\n\" before the end of the line");
}

static void do_getline(run *r) {
  char *before = r->line;
  size_t cap = r->cap;
  const uint8_t *mp = NULL;
  ssize_t got = sp__lb_getline(&r->lb, &r->src, &r->line, &r->cap);
  ssize_t want;

  if (faulted(r, 'l', got)) {
    FZ_CHECK(r->line == before && r->cap == cap, "ENOMEM touched *line");
    return;
  }
  want = fz_model_getline(&r->m, &mp);
  same(got, want, 'l', 0);
  if (got == SP_ELINEMAX)
    FZ_CHECK(r->line == before && r->cap == cap, "ELINEMAX touched *line");
  if (got >= 0)
    check_line(r, got);
  check_bytes(r, 'l', r->line, mp, got);
}

/* buf holds exactly len bytes (ASan sees any write past them). */
static ssize_t read_into(run *r, char *buf, size_t len) {
  const uint8_t *mp = NULL;
  ssize_t got = sp__lb_read(&r->lb, &r->src, buf, len);
  ssize_t want;

  if (faulted(r, 'r', got))
    return got;
  want = fz_model_read(&r->m, &mp, len);
  same(got, want, 'r', (long)len);
  FZ_CHECK(got < 0 || (size_t)got <= len, "read(%zu) returned %zd", len, got);
  check_bytes(r, 'r', buf, mp, got);
  return got;
}

static void do_read(run *r, size_t len) {
  char *buf = fz_take(len);

  read_into(r, buf, len);
  fz_give(buf, len);
}

/* Misuse is -EINVAL and changes nothing: NULL pointers. */
static void do_misuse_null(run *r) {
  char buf[4];
  size_t cap = 0;
  char *line = NULL;

  FZ_CHECK(sp__lb_gets(NULL, &r->src, buf, 4) == SP_EINVAL, "gets(NULL)");
  FZ_CHECK(sp__lb_gets(&r->lb, &r->src, NULL, 4) == SP_EINVAL, "gets buf");
  FZ_CHECK(sp__lb_getline(NULL, &r->src, &line, &cap) == SP_EINVAL &&
               sp__lb_getline(&r->lb, &r->src, NULL, &cap) == SP_EINVAL &&
               sp__lb_getline(&r->lb, &r->src, &line, NULL) == SP_EINVAL,
           "getline(NULL)");
  FZ_CHECK(sp__lb_read(NULL, &r->src, buf, 4) == SP_EINVAL, "read(NULL)");
  FZ_CHECK(sp__lb_eof(NULL, &r->src) == SP_EINVAL, "eof(NULL)");
  FZ_CHECK(sp__lb_set_chunk(NULL, 1) == SP_EINVAL &&
               sp__lb_set_line_max(NULL, 1) == SP_EINVAL,
           "set(NULL)");
  FZ_CHECK(!sp__lb_pending(NULL), "pending(NULL)");
}

/* A missing source (or callback) is -EINVAL when a fill is needed. */
static void do_misuse_source(run *r) {
  sp__source none = {0};
  sp__source half = r->src;
  char buf[4];

  if (fz_model_pending(&r->m) || r->m.eof)
    return; /* no fill would be needed */
  half.next_size = NULL;
  FZ_CHECK(sp__lb_read(&r->lb, NULL, buf, 4) == SP_EINVAL &&
               sp__lb_read(&r->lb, &none, buf, 4) == SP_EINVAL &&
               sp__lb_gets(&r->lb, NULL, buf, 4) == SP_EINVAL,
           "a fill without a source");
  if (r->s.dgram)
    FZ_CHECK(sp__lb_read(&r->lb, &half, buf, 4) == SP_EINVAL,
             "a datagram fill without next_size");
}

static void do_op(run *r, fz_in *in) {
  uint8_t op = fz_u8(in);
  uint16_t v;

  r->f.dealt = 0;
  switch (op) {
  case 'f':
    arm_faults(&r->f, fz_u8(in));
    return;
  case 'g':
    v = fz_u16(in);
    do_gets(r, (int16_t)v);
    break;
  case 'l':
    do_getline(r);
    break;
  case 'r':
    do_read(r, fz_u16(in));
    break;
  case 'e':
    same(sp__lb_eof(&r->lb, &r->src), fz_model_eof(&r->m), 'e', 0);
    break;
  case 'u':
    do_misuse_null(r);
    do_misuse_source(r);
    break;
  case 'c':
    v = budget_chunk(&r->s, fz_u16(in));
    same(sp__lb_set_chunk(&r->lb, v), fz_model_set_chunk(&r->m, v), 'c', v);
    r->t.chunk = r->lb.chunk;
    break;
  case 'm':
    v = fz_u16(in);
    FZ_CHECK(sp__lb_set_line_max(&r->lb, v) == 0, "set_line_max failed");
    fz_model_set_line_max(&r->m, v);
    break;
  default:
    return;
  }
  check_state(r, op);
}

/* Reads what is left; at the end every byte delivered has been returned.
 * Each round returns data, consumes an event or meets the end, so the
 * number of rounds is bounded by the script. */
static void drain(run *r) {
  size_t i, rounds = r->s.nbytes + r->s.nev + 2;
  char *buf = fz_take(DRAIN_LEN);

  /* Large fills, so that a long script drains in few rounds. */
  same(sp__lb_set_chunk(&r->lb, DRAIN_LEN),
       fz_model_set_chunk(&r->m, DRAIN_LEN), 'c', DRAIN_LEN);
  r->t.chunk = r->lb.chunk;
  for (i = 0; i < rounds; i++) {
    ssize_t got = read_into(r, buf, DRAIN_LEN);

    check_state(r, 'r');
    if (got == SP_EOF || (got < 0 && r->t.ev == r->s.nev))
      break;
  }
  fz_give(buf, DRAIN_LEN);
  FZ_CHECK(i < rounds, "drain did not end");
  FZ_CHECK(r->returned == r->t.delivered, "drained %zu of %zu delivered",
           r->returned, r->t.delivered);
}

static void setup(run *r) {
  sp__lb_init(&r->lb, r->s.dgram);
  fz_model_init(&r->m, &r->s, r->lb.chunk);
  r->s.chunk = budget_chunk(&r->s, (uint16_t)r->s.chunk);
  if (r->s.chunk)
    same(sp__lb_set_chunk(&r->lb, r->s.chunk),
         fz_model_set_chunk(&r->m, r->s.chunk), 'c', (long)r->s.chunk);
  if (r->s.line_max) {
    FZ_CHECK(sp__lb_set_line_max(&r->lb, r->s.line_max) == 0, "line_max");
    fz_model_set_line_max(&r->m, r->s.line_max);
  }
  r->t.s = &r->s;
  r->t.chunk = r->lb.chunk;
  r->t.announced = -1;
  r->src.ctx = &r->t;
  r->src.fill = src_fill;
  r->src.next_size = r->s.dgram ? src_next_size : NULL;
  r->src.at_eof = r->s.no_at_eof ? NULL : src_at_eof;
}

static void teardown(run *r) {
  sp__lb_free(&r->lb);
  FZ_CHECK(!sp__lb_pending(&r->lb) && !r->lb.eof && !r->lb.timed_out,
           "sp__lb_free left state behind");
  sp__lb_free(&r->lb); /* twice is harmless */
  sp__lb_free(NULL);
  fz_model_free(&r->m);
  free(r->line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_in in = {data, size};
  run r;
  int i;

  memset(&r, 0, sizeof(r));
  r.s.evcap = MAX_EVENTS;
  r.s.ev = script_events;
  r.s.cap = MAX_BYTES;
  r.s.bytes = script_bytes;
  parse_script(&r.s, &in);
  setup(&r);
  sp_fault_set_hook(alloc_hook, &r.f);
  for (i = 0; i < MAX_OPS && fz_left(&in); i++)
    do_op(&r, &in);
  r.f.countdown = 0; /* the drain proves nothing was lost: no more faults */
  r.f.dealt = 0;
  drain(&r);
  sp_fault_set_hook(NULL, NULL);
  teardown(&r);
  return 0;
}
