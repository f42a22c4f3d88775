/*
 * fuzz_cli: the sockpair CLI's command line (sp_cli_run) from an argv the
 * fuzzer chooses: the command, matrix's flags and the flags of pingpong,
 * stream and messaging, values and all.
 *
 * The input is the arguments after argv[0], each ended by a NUL byte (the
 * last one's NUL may be missing), at most MAX_ARGS of them.
 *
 * The CLI runs in its parse-only mode: pingpong, stream and messaging
 * return once their flags are valid (no child, no channel, no timed run),
 * and matrix prints each cell's plan from sp_socketpair_plan() instead of
 * pairing it, so the fuzzer opens no socket, takes no port and leaves no
 * TIME_WAIT. stdout and stderr are memory streams.
 *
 * Oracles:
 *  - no crash, and the exit status is 0, 64, 71 or 74;
 *  - 64 leaves stdout empty and says why on stderr, then the usage;
 *  - 0 leaves stderr empty;
 *  - matrix --json that succeeds prints exactly one JSON value (checked by
 *    the strict RFC 8259 reader below), an object;
 *  - no descriptor is left open (or closed) by an input; memory leaks are
 *    LeakSanitizer's.
 */
#include "fuzz.h"

#include "cli.h"

#define MAX_ARGS 16
#define JSON_MAX_DEPTH 32

/* ---- a strict JSON reader: 0 when [p, end) is one value and spaces ---- */

typedef struct json {
  const char *p, *end;
  int depth;
} json;

static int json_value(json *j);

static void json_space(json *j) {
  while (j->p < j->end &&
         (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static int json_eat(json *j, char c) {
  json_space(j);
  if (j->p == j->end || *j->p != c)
    return -1;
  j->p++;
  return 0;
}

static int json_word(json *j, const char *w) {
  size_t n = strlen(w);

  if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
    return -1;
  j->p += n;
  return 0;
}

static int json_hex4(json *j) {
  for (int i = 0; i < 4; i++, j->p++)
    if (j->p == j->end || !*j->p || !strchr("0123456789abcdefABCDEF", *j->p))
      return -1;
  return 0;
}

static int json_string(json *j) {
  if (json_eat(j, '"'))
    return -1;
  while (j->p < j->end && *j->p != '"') {
    unsigned char c = (unsigned char)*j->p++;

    if (c < 0x20)
      return -1;
    if (c != '\\')
      continue;
    if (j->p == j->end)
      return -1;
    c = (unsigned char)*j->p++;
    if (c == 'u' && json_hex4(j))
      return -1;
    if (c != 'u' && (!c || !strchr("\"\\/bfnrt", c)))
      return -1;
  }
  return json_eat(j, '"');
}

static int json_digits(json *j) {
  const char *start = j->p;

  while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
    j->p++;
  return j->p > start ? 0 : -1;
}

static int json_number(json *j) {
  if (j->p < j->end && *j->p == '-')
    j->p++;
  if (j->p < j->end && *j->p == '0')
    j->p++;
  else if (json_digits(j))
    return -1;
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (json_digits(j))
      return -1;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
      j->p++;
    if (json_digits(j))
      return -1;
  }
  return 0;
}

/* The members of an object or the elements of an array, after its '['
 * or '{', up to its close. */
static int json_items(json *j, int object, char close) {
  json_space(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    return 0;
  }
  for (;;) {
    if (object && (json_string(j) || json_eat(j, ':')))
      return -1;
    if (json_value(j))
      return -1;
    if (!json_eat(j, close))
      return 0;
    if (json_eat(j, ','))
      return -1;
  }
}

static int json_value(json *j) {
  int object, rc;

  json_space(j);
  if (j->p == j->end)
    return -1;
  switch (*j->p) {
  case '{':
  case '[':
    object = *j->p++ == '{';
    if (++j->depth > JSON_MAX_DEPTH)
      return -1;
    rc = json_items(j, object, object ? '}' : ']');
    j->depth--;
    return rc;
  case '"':
    return json_string(j);
  case 't':
    return json_word(j, "true");
  case 'f':
    return json_word(j, "false");
  case 'n':
    return json_word(j, "null");
  default:
    return json_number(j);
  }
}

/* One JSON object and nothing but white space after it. */
static int json_check_object(const char *s, size_t n) {
  json j = {s, s + n, 0};

  json_space(&j);
  if (j.p == j.end || *j.p != '{' || json_value(&j))
    return -1;
  json_space(&j);
  return j.p == j.end ? 0 : -1;
}

/* ---- the input as an argv ---- */

typedef struct args {
  char *buf; /* the input, NUL-terminated copy */
  char *argv[MAX_ARGS + 2];
  int argc;
} args;

static void args_read(args *a, const uint8_t *data, size_t size) {
  char *p, *end;

  a->buf = malloc(size + 1);
  FZ_CHECK(a->buf, "malloc(%zu)", size + 1);
  memcpy(a->buf, data, size);
  a->buf[size] = '\0';
  a->argv[0] = "sockpair";
  a->argc = 1;
  end = a->buf + size;
  for (p = a->buf; p < end && a->argc <= MAX_ARGS; p += strlen(p) + 1)
    a->argv[a->argc++] = p;
  a->argv[a->argc] = NULL;
}

static int has_arg(const args *a, int from, const char *s) {
  for (int i = from; i < a->argc; i++)
    if (!strcmp(a->argv[i], s))
      return 1;
  return 0;
}

/* ---- the oracle ---- */

typedef struct output {
  char *buf;
  size_t len;
} output;

static void check_run(const args *a, int rc, const output *out,
                      const output *err) {
  const char *cmd = a->argc > 1 ? a->argv[1] : "";

  FZ_CHECK(rc == CLI_EXIT_OK || rc == CLI_EXIT_USAGE || rc == CLI_EXIT_OSERR ||
               rc == CLI_EXIT_IOERR,
           "exit status %d", rc);
  if (rc == CLI_EXIT_USAGE) {
    FZ_CHECK(out->len == 0, "a usage error wrote %zu bytes to stdout",
             out->len);
    FZ_CHECK(!strncmp(err->buf, "sockpair: ", 10) &&
                 strstr(err->buf, "\nusage: sockpair "),
             "a usage error without its message and the usage: %s", err->buf);
  }
  if (rc == CLI_EXIT_OK)
    FZ_CHECK(err->len == 0, "success wrote to stderr: %s", err->buf);
  if (rc == CLI_EXIT_OK && !strcmp(cmd, "matrix") && !has_arg(a, 2, "-h") &&
      !has_arg(a, 2, "--help") && has_arg(a, 2, "--json"))
    FZ_CHECK(json_check_object(out->buf, out->len) == 0,
             "matrix --json is not one JSON object:\n%s", out->buf);
}

/* sp_cli_run() in parse-only mode, its stdout and stderr in memory. */
static int run_cli(args *a, output *out, output *err) {
  FILE *fout = open_memstream(&out->buf, &out->len);
  FILE *ferr = open_memstream(&err->buf, &err->len);
  int rc;

  FZ_CHECK(fout && ferr, "open_memstream: %s", strerror(errno));
  rc = sp_cli_run(a->argc, a->argv, fout, ferr, 1);
  FZ_CHECK(fclose(fout) == 0 && fclose(ferr) == 0, "fclose: %s",
           strerror(errno));
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_fds before = fz_fds_take();
  output out = {NULL, 0}, err = {NULL, 0};
  args a;
  int rc;

  args_read(&a, data, size);
  rc = run_cli(&a, &out, &err);
  check_run(&a, rc, &out, &err);
  free(out.buf);
  free(err.buf);
  free(a.buf);
  fz_fds_check(&before);
  return 0;
}
