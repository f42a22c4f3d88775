/*
 * The pure line core (lib/src/linebuf.c) driven by an in-memory source: no
 * socket, no syscall. Each source event is one answer of fill/next_size.
 */
#include "test.h"

#include "fault.h"
#include "linebuf.h"

enum { EV_DATA, EV_STATUS };

typedef struct ev {
  int kind;
  const char *data; /* EV_DATA */
  size_t len;       /* EV_DATA */
  ssize_t status;   /* EV_STATUS: SP_EOF, -EAGAIN, -ETIMEDOUT, -errno */
} ev;

#define DATA(s)                                                                \
  { EV_DATA, s, sizeof(s) - 1, 0 }
#define STATUS(st)                                                             \
  { EV_STATUS, NULL, 0, st }

typedef struct mem {
  const ev *evs;
  size_t n;
  size_t i;
  size_t used; /* bytes of evs[i] already delivered (stream mode) */
  int fills;
  int sizes;
  int at_eof_calls;
  int at_eof_answer;
  size_t last_space;
} mem;

static ssize_t mem_fill(void *ctx, char *dst, size_t space) {
  mem *m = ctx;
  const ev *e;
  size_t n;

  m->fills++;
  m->last_space = space;
  ASSERT(space > 0);
  if (m->i == m->n)
    return SP_EOF;
  e = &m->evs[m->i];
  if (e->kind == EV_STATUS) {
    m->i++;
    return e->status;
  }
  n = e->len - m->used;
  if (n > space)
    n = space;
  memcpy(dst, e->data + m->used, n);
  m->used += n;
  if (m->used == e->len) {
    m->i++;
    m->used = 0;
  }
  return (ssize_t)n;
}

static ssize_t mem_next_size(void *ctx) {
  mem *m = ctx;
  const ev *e;

  m->sizes++;
  if (m->i == m->n)
    return SP_EOF;
  e = &m->evs[m->i];
  if (e->kind == EV_STATUS) {
    m->i++;
    return e->status;
  }
  return (ssize_t)e->len;
}

static int mem_at_eof(void *ctx) {
  mem *m = ctx;

  m->at_eof_calls++;
  return m->at_eof_answer;
}

#define MEM(evs_)                                                              \
  { evs_, sizeof(evs_) / sizeof(evs_[0]), 0, 0, 0, 0, 0, 0, 0 }

static sp__source source(mem *m) {
  sp__source src = {m, mem_fill, mem_next_size, mem_at_eof};

  return src;
}

#define ASSERT_GETS(lb, src, size, expect)                                     \
  do {                                                                         \
    char buf_[256];                                                            \
    ssize_t n_ = sp__lb_gets(lb, src, buf_, size);                             \
    ASSERT_EQ(n_, sizeof(expect) - 1);                                         \
    ASSERT_MEM_EQ(buf_, expect, sizeof(expect) - 1);                           \
    ASSERT_EQ(buf_[n_], '\0');                                                 \
  } while (0)

TEST(core_gets_lines) {
  static const ev evs[] = {DATA("hello\nworld\nlast")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[64];

  sp__lb_init(&lb, 0);
  ASSERT_GETS(&lb, &src, 64, "hello\n");
  ASSERT_GETS(&lb, &src, 64, "world\n");
  ASSERT_GETS(&lb, &src, 64, "last"); /* partial line at EOF */
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, 64), SP_EOF);
  ASSERT_EQ(buf[0], '\0');
  /* EOF is sticky: no more fills. */
  ASSERT_EQ(m.fills, 2);
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, 64), SP_EOF);
  ASSERT_ERR(sp__lb_read(&lb, &src, buf, 64), SP_EOF);
  ASSERT_EQ(m.fills, 2);
  /* Every stream-mode fill gets at least chunk bytes of space. */
  ASSERT_GE(m.last_space, SP__LB_DEFAULT_CHUNK);
  sp__lb_free(&lb);
}

TEST(core_gets_size_rules) {
  static const ev evs[] = {DATA("abcdef\nxy\n")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[8] = "junk";

  sp__lb_init(&lb, 0);
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, 0), SP_EINVAL);
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, -1), SP_EINVAL);
  /* size 1: returns nothing, consumes nothing, reads nothing. */
  ASSERT_EQ(sp__lb_gets(&lb, &src, buf, 1), 0);
  ASSERT_EQ(buf[0], '\0');
  ASSERT_EQ(m.fills, 0);
  ASSERT_GETS(&lb, &src, 4, "abc"); /* at most size-1 */
  ASSERT_EQ(sp__lb_gets(&lb, &src, buf, 1), 0);
  ASSERT_EQ(sp__lb_buffered(&lb), 7u);
  ASSERT_GETS(&lb, &src, 4, "def");
  ASSERT_GETS(&lb, &src, 4, "\n");
  ASSERT_GETS(&lb, &src, 3, "xy"); /* exactly size-1, no "\n" yet */
  ASSERT_GETS(&lb, &src, 3, "\n");
  ASSERT_EQ(m.fills, 1);
  sp__lb_free(&lb);
}

TEST(core_crlf_cr_nul_are_data) {
  static const ev evs[] = {DATA("a\r\nb\rc\0d\n\0\n")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;

  sp__lb_init(&lb, 0);
  ASSERT_GETS(&lb, &src, 64, "a\r\n");
  ASSERT_GETS(&lb, &src, 64, "b\rc\0d\n");
  ASSERT_GETS(&lb, &src, 64, "\0\n");
  sp__lb_free(&lb);
}

TEST(core_partial_line_on_eagain_and_timeout) {
  static const ev evs[] = {DATA("abc"),          STATUS(SP_EAGAIN),
                           DATA("def\n"),        DATA("gh"),
                           STATUS(SP_ETIMEDOUT), STATUS(SP_ETIMEDOUT),
                           DATA("\n"),           STATUS(SP_EAGAIN)};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[64];

  sp__lb_init(&lb, 0);
  ASSERT_GETS(&lb, &src, 64, "abc"); /* would block: the partial line */
  ASSERT_EQ(sp__lb_timed_out(&lb), 0);
  ASSERT_GETS(&lb, &src, 64, "def\n");
  ASSERT_GETS(&lb, &src, 64, "gh"); /* timed out: the partial line */
  ASSERT_EQ(sp__lb_timed_out(&lb), 1);
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, 64), SP_ETIMEDOUT);
  ASSERT_EQ(sp__lb_timed_out(&lb), 1);
  ASSERT_GETS(&lb, &src, 64, "\n"); /* data clears the flag */
  ASSERT_EQ(sp__lb_timed_out(&lb), 0);
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, 64), SP_EAGAIN);
  ASSERT_EQ(sp__lb_timed_out(&lb), 0);
  sp__lb_free(&lb);
}

TEST(core_line_split_across_many_fills) {
  static const ev evs[] = {DATA("h"), DATA("el"),   DATA("lo"), DATA(" "),
                           DATA("w"), DATA("orld"), DATA("\nx")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char *line = NULL;
  size_t cap = 0;

  sp__lb_init(&lb, 0);
  ASSERT_GETS(&lb, &src, 64, "hello world\n");
  ASSERT_EQ(m.fills, 7);
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), 1); /* "x" at EOF */
  ASSERT_STR_EQ(line, "x");
  free(line);
  sp__lb_free(&lb);
}

TEST(core_read_rules) {
  static const ev evs[] = {DATA("a\nbcd"), DATA("ef"), DATA("gh")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[64];

  sp__lb_init(&lb, 0);
  ASSERT_ERR(sp__lb_read(&lb, &src, buf, 0), SP_EINVAL);
  ASSERT_GETS(&lb, &src, 64, "a\n");
  /* Buffered bytes come back at once: no fill. */
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 3);
  ASSERT_MEM_EQ(buf, "bcd", 3);
  ASSERT_EQ(m.fills, 1);
  /* Empty buffer: exactly one fill, never a loop to fill len. */
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 2);
  ASSERT_MEM_EQ(buf, "ef", 2);
  ASSERT_EQ(m.fills, 2);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 1), 1);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 1);
  ASSERT_EQ(buf[0], 'h');
  ASSERT_ERR(sp__lb_read(&lb, &src, buf, 64), SP_EOF);
  sp__lb_free(&lb);
}

TEST(core_direct_read_into_caller_buffer) {
  static const ev evs[] = {DATA("0123456789")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[16];

  sp__lb_init(&lb, 0);
  ASSERT_OK(sp__lb_set_chunk(&lb, 8));
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, sizeof(buf)), 10);
  ASSERT_EQ(m.last_space, sizeof(buf));
  ASSERT(lb.data == NULL); /* never went through the buffer */
  ASSERT_MEM_EQ(buf, "0123456789", 10);
  sp__lb_free(&lb);
}

TEST(core_getline_long_line) {
  size_t big = 1024 * 1024;
  char *data = malloc(big + 1);
  ev evs[3];
  mem m;
  sp__source src;
  sp__linebuf lb;
  char *line = NULL;
  size_t cap = 0;

  ASSERT(data);
  for (size_t i = 0; i < big; i++)
    data[i] = (char)('a' + i % 26);
  data[big] = '\n';
  evs[0] = (ev){EV_DATA, data, big / 3, 0};
  evs[1] = (ev){EV_DATA, data + big / 3, big + 1 - big / 3, 0};
  evs[2] = (ev){EV_DATA, "tail\n", 5, 0};
  m = (mem){evs, 3, 0, 0, 0, 0, 0, 0, 0};
  src = source(&m);
  sp__lb_init(&lb, 0);
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), big + 1);
  ASSERT_MEM_EQ(line, data, big + 1);
  ASSERT_EQ(line[big + 1], '\0');
  ASSERT_GE(cap, big + 2);
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), 5);
  ASSERT_STR_EQ(line, "tail\n");
  ASSERT_ERR(sp__lb_getline(&lb, &src, &line, &cap), SP_EOF);
  free(line);
  free(data);
  sp__lb_free(&lb);
}

TEST(core_getline_cap) {
  static const ev evs[] = {DATA("abcd\nabcde\nabc"), DATA("defgh\nab"),
                           DATA("cde")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char *line = NULL;
  size_t cap = 0;

  sp__lb_init(&lb, 0);
  ASSERT_OK(sp__lb_set_line_max(&lb, 5));
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), 5); /* 5 with "\n" */
  ASSERT_STR_EQ(line, "abcd\n");
  /* 6 bytes with its "\n": too long, nothing consumed or lost. */
  ASSERT_ERR(sp__lb_getline(&lb, &src, &line, &cap), SP_ELINEMAX);
  ASSERT_ERR(sp__lb_getline(&lb, &src, &line, &cap), SP_ELINEMAX);
  ASSERT_STR_EQ(line, "abcd\n"); /* untouched */
  ASSERT_GETS(&lb, &src, 64, "abcde\n");
  /* Spans two fills and is too long: detected once 6 bytes are known. */
  ASSERT_ERR(sp__lb_getline(&lb, &src, &line, &cap), SP_ELINEMAX);
  ASSERT_GETS(&lb, &src, 64, "abcdefgh\n");
  /* Exactly line_max bytes, then EOF: a line. */
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), 5);
  ASSERT_STR_EQ(line, "abcde");
  ASSERT_ERR(sp__lb_getline(&lb, &src, &line, &cap), SP_EOF);
  free(line);
  sp__lb_free(&lb);
}

TEST(core_dgram_boundaries_kept) {
  static const ev evs[] = {DATA("abc"), DATA("defgh"), DATA("ij\nk\n"),
                           DATA("l")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[64];

  sp__lb_init(&lb, 1);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 3);
  ASSERT_MEM_EQ(buf, "abc", 3);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 2), 2); /* rest stays buffered */
  ASSERT_MEM_EQ(buf, "de", 2);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 3); /* the rest of it only */
  ASSERT_MEM_EQ(buf, "fgh", 3);
  ASSERT_EQ(m.fills, 2);
  ASSERT_EQ(m.sizes, 2);
  /* Lines may span messages; read then returns the rest of a message. */
  ASSERT_GETS(&lb, &src, 64, "ij\n");
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 2);
  ASSERT_MEM_EQ(buf, "k\n", 2);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 1);
  sp__lb_free(&lb);
}

TEST(core_dgram_lines_span_messages) {
  static const ev evs[] = {DATA("hel"), DATA("lo\nwo"), DATA("rld\n")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[64];

  sp__lb_init(&lb, 1);
  ASSERT_GETS(&lb, &src, 64, "hello\n");
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 2); /* "wo", its message */
  ASSERT_GETS(&lb, &src, 64, "rld\n");
  sp__lb_free(&lb);
}

TEST(core_dgram_whole_big_message) {
  size_t big = 200000;
  char *data = malloc(big);
  char *buf = malloc(big + 100);
  ev evs[2];
  mem m;
  sp__source src;
  sp__linebuf lb;

  ASSERT(data && buf);
  memset(data, 'x', big);
  evs[0] = (ev){EV_DATA, data, big, 0};
  evs[1] = (ev){EV_DATA, data, 20001, 0};
  m = (mem){evs, 2, 0, 0, 0, 0, 0, 0, 0};
  src = source(&m);
  sp__lb_init(&lb, 1);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, big + 100), big);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, big + 100), 20001);
  ASSERT_EQ(m.fills, 2); /* each message in one fill */
  free(buf);
  free(data);
  sp__lb_free(&lb);
}

TEST(core_dgram_empty_message_is_not_eof) {
  static const ev evs[] = {DATA(""),      DATA("x"), DATA("abc"), DATA(""),
                           DATA("def\n"), DATA(""),  DATA("")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[64];
  char *line = NULL;
  size_t cap = 0;

  sp__lb_init(&lb, 1);
  ASSERT_EQ(sp__lb_eof(&lb, &src), 0);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 0);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 1);
  ASSERT_GETS(&lb, &src, 64, "abc"); /* the empty message ends the line */
  ASSERT(sp__lb_pending(&lb));       /* ... and is still there */
  ASSERT_EQ(sp__lb_buffered(&lb), 0u);
  ASSERT_EQ(sp__lb_eof(&lb, &src), 0);
  ASSERT_EQ(m.at_eof_calls, 1); /* only the first, with nothing pending */
  ASSERT_GETS(&lb, &src, 64, "");
  ASSERT_GETS(&lb, &src, 64, "def\n");
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), 0);
  ASSERT_STR_EQ(line, "");
  ASSERT_EQ(sp__lb_gets(&lb, &src, buf, 64), 0);
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, 64), SP_EOF);
  free(line);
  sp__lb_free(&lb);
}

TEST(core_eof_query) {
  static const ev evs[] = {DATA("a")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[4];

  sp__lb_init(&lb, 0);
  ASSERT_EQ(sp__lb_eof(&lb, &src), 0); /* alive says the source */
  ASSERT_EQ(m.at_eof_calls, 1);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 1), 1);
  m.at_eof_answer = 1;
  ASSERT_EQ(sp__lb_eof(&lb, &src), 1);
  ASSERT_EQ(sp__lb_eof(&lb, &src), 1); /* sticky */
  ASSERT_EQ(m.at_eof_calls, 2);
  ASSERT_ERR(sp__lb_read(&lb, &src, buf, 1), SP_EOF);
  ASSERT_EQ(m.fills, 1);
  sp__lb_free(&lb);
}

TEST(core_eof_query_with_buffered_bytes) {
  static const ev evs[] = {DATA("a\nb")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;

  sp__lb_init(&lb, 0);
  ASSERT_GETS(&lb, &src, 64, "a\n");
  m.at_eof_answer = 1;
  ASSERT_EQ(sp__lb_eof(&lb, &src), 0); /* "b" is buffered */
  ASSERT_EQ(m.at_eof_calls, 0);
  sp__lb_free(&lb);
}

static ssize_t liar_fill(void *ctx, char *dst, size_t space) {
  (void)ctx;
  (void)dst;
  return (ssize_t)space + 1;
}

static ssize_t zero_fill(void *ctx, char *dst, size_t space) {
  (void)ctx;
  (void)dst;
  (void)space;
  return 0;
}

TEST(core_source_contract) {
  sp__source liar = {NULL, liar_fill, NULL, NULL};
  sp__source zero = {NULL, zero_fill, NULL, NULL};
  sp__linebuf lb;
  char buf[8];

  sp__lb_init(&lb, 0);
  ASSERT_ERR(sp__lb_gets(&lb, &liar, buf, 8), SP_EIO);
  ASSERT_EQ(sp__lb_buffered(&lb), 0u);
  /* 0 from a stream-mode fill is end of stream. */
  ASSERT_ERR(sp__lb_gets(&lb, &zero, buf, 8), SP_EOF);
  ASSERT_EQ(sp__lb_eof(&lb, &zero), 1);
  sp__lb_free(&lb);
  /* Datagram mode needs next_size. */
  sp__lb_init(&lb, 1);
  ASSERT_ERR(sp__lb_read(&lb, &zero, buf, 8), SP_EINVAL);
  sp__lb_free(&lb);
}

TEST(core_misuse) {
  static const ev evs[] = {DATA("a\n")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__source nofill = {NULL, NULL, NULL, NULL};
  sp__linebuf lb;
  char buf[8];
  char *line = NULL;
  size_t cap = 0;

  sp__lb_init(&lb, 0);
  ASSERT_ERR(sp__lb_gets(NULL, &src, buf, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_gets(&lb, &src, NULL, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_gets(&lb, NULL, buf, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_gets(&lb, &nofill, buf, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_getline(NULL, &src, &line, &cap), SP_EINVAL);
  ASSERT_ERR(sp__lb_getline(&lb, &src, NULL, &cap), SP_EINVAL);
  ASSERT_ERR(sp__lb_getline(&lb, &src, &line, NULL), SP_EINVAL);
  ASSERT_ERR(sp__lb_getline(&lb, NULL, &line, &cap), SP_EINVAL);
  ASSERT_ERR(sp__lb_read(NULL, &src, buf, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_read(&lb, &src, NULL, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_read(&lb, NULL, buf, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_eof(NULL, &src), SP_EINVAL);
  ASSERT_EQ(sp__lb_eof(&lb, NULL), 0);
  ASSERT_ERR(sp__lb_set_chunk(NULL, 8), SP_EINVAL);
  ASSERT_ERR(sp__lb_set_chunk(&lb, 0), SP_EINVAL);
  ASSERT_ERR(sp__lb_set_chunk(&lb, SIZE_MAX), SP_EINVAL);
  ASSERT_ERR(sp__lb_set_line_max(NULL, 8), SP_EINVAL);
  ASSERT_EQ(sp__lb_buffered(NULL), 0u);
  ASSERT_EQ(sp__lb_pending(NULL), 0);
  ASSERT_EQ(sp__lb_timed_out(NULL), 0);
  sp__lb_free(NULL);
  ASSERT_EQ(m.fills, 0);
  /* Still usable after all that. */
  ASSERT_GETS(&lb, &src, 8, "a\n");
  sp__lb_free(&lb);
}

static int fail_realloc(void *ctx, sp_call call, size_t *len) {
  (void)len;
  (void)ctx;
  return call == SP_CALL_REALLOC ? ENOMEM : 0;
}

TEST(core_out_of_memory_loses_nothing) {
  static const ev evs[] = {DATA("ab"), DATA("cd\n"), DATA("msg")};
  mem m = MEM(evs);
  sp__source src = source(&m);
  sp__linebuf lb;
  char buf[64];
  char *line = NULL;
  size_t cap = 0;

  sp__lb_init(&lb, 0);
  sp_fault_set_hook(fail_realloc, NULL);
  ASSERT_ERR(sp__lb_gets(&lb, &src, buf, 64), SP_ENOMEM);
  sp_fault_set_hook(NULL, NULL);
  ASSERT_EQ(m.fills, 0);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 1), 1); /* "a" buffered, "b" kept */
  /* getline cannot grow the caller's line: nothing consumed. */
  sp_fault_set_hook(fail_realloc, NULL);
  ASSERT_ERR(sp__lb_getline(&lb, &src, &line, &cap), SP_ENOMEM);
  sp_fault_set_hook(NULL, NULL);
  ASSERT(line == NULL);
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), 4);
  ASSERT_STR_EQ(line, "bcd\n");
  free(line);
  sp__lb_free(&lb);

  /* Datagram mode: the message stays pending in the source. */
  m = (mem){&evs[2], 1, 0, 0, 0, 0, 0, 0, 0};
  sp__lb_init(&lb, 1);
  sp_fault_set_hook(fail_realloc, NULL);
  ASSERT_ERR(sp__lb_read(&lb, &src, buf, 64), SP_ENOMEM);
  sp_fault_set_hook(NULL, NULL);
  ASSERT_EQ(m.fills, 0);
  ASSERT_EQ(sp__lb_read(&lb, &src, buf, 64), 3);
  ASSERT_MEM_EQ(buf, "msg", 3);
  sp__lb_free(&lb);
}

TEST(core_many_messages_fifo_grows) {
  enum { N = 1000 };
  static ev evs[N];
  mem m;
  sp__source src;
  sp__linebuf lb;
  char *line = NULL;
  size_t cap = 0;

  for (int i = 0; i < N - 1; i++)
    evs[i] = (ev){EV_DATA, "ab", 2, 0};
  evs[N - 1] = (ev){EV_DATA, "\n", 1, 0};
  m = (mem){evs, N, 0, 0, 0, 0, 0, 0, 0};
  src = source(&m);
  sp__lb_init(&lb, 1);
  /* One line from 1000 messages: all of them buffered at once. */
  ASSERT_EQ(sp__lb_getline(&lb, &src, &line, &cap), 2 * (N - 1) + 1);
  ASSERT_EQ(lb.mhead, lb.mtail);
  ASSERT_EQ(lb.nempty, 0u);
  free(line);
  sp__lb_free(&lb);
}
