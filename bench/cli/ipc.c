/*
 * What `sockpair pingpong` and `sockpair stream` share: the flags and the
 * set-up. The transports, pinning, peers and bounded I/O are the
 * harness's (bench/harness), the same the benchmarks run.
 */
#include "cli.h"
#include "sockpair.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIZE (64u << 20)
#define CHILD_GRACE_S 5

/* --pin's spellings, in enum sh_pin's order. */
static const char *const pin_flags[] = {"same", "diff", "none"};

const char *cli_pin_name(enum sh_pin pin) {
  return pin_flags[pin];
}

/* A transport of the harness that carries bytes (an eventfd carries a
 * count: not one of the CLI's). */
static const struct sh_transport *find_transport(const char *name) {
  const struct sh_transport *t = sh_transport_find(name);
  return t && t->create != SH_EVENTFDS ? t : NULL;
}

int cli_parse_ll(const char *s, long long min, long long max, long long *out) {
  char *end;
  long long v;

  if (!s || !*s)
    return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || *end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

/* val's index among the n names, or -1. */
static int pick(const char *const *names, int n, const char *val) {
  for (int i = 0; i < n; i++)
    if (!strcmp(val, names[i]))
      return i;
  return -1;
}

static int parse_pin(cli_ipc_opts *o, const char *val) {
  int p = pick(pin_flags, 3, val);
  if (p < 0)
    return cli_usage_error("%s: --pin wants same, diff or none, not '%s'",
                           o->cmd, val);
  o->pin = (enum sh_pin)p;
  return 0;
}

static int parse_api(cli_ipc_opts *o, const char *val) {
  int a = pick(sh_api_names, 2, val);
  if (a < 0)
    return cli_usage_error("%s: --api wants raw or stream, not '%s'", o->cmd,
                           val);
  o->api = (enum sh_api)a;
  return 0;
}

/* One "--name value" option: 0, or the usage error's exit code. */
static int parse_option(void *ctx, const char *a, const char *val) {
  cli_ipc_opts *o = ctx;
  long long v;

  if (!strcmp(a, "--transport")) {
    o->t = find_transport(val);
    if (!o->t)
      return cli_usage_error("%s: unknown transport '%s'", o->cmd, val);
  } else if (!strcmp(a, "--count")) {
    if (cli_parse_ll(val, 1, o->max_count, &v))
      return cli_usage_error("%s: --count wants 1..%lld, not '%s'", o->cmd,
                             o->max_count, val);
    o->count = v;
  } else if (!strcmp(a, "--size")) {
    if (cli_parse_ll(val, 1, MAX_SIZE, &v))
      return cli_usage_error("%s: --size wants 1..%u bytes, not '%s'", o->cmd,
                             MAX_SIZE, val);
    o->size = (size_t)v;
  } else if (!strcmp(a, "--pin")) {
    return parse_pin(o, val);
  } else if (!strcmp(a, "--api")) {
    return parse_api(o, val);
  } else if (!strcmp(a, "--timeout")) {
    if (cli_parse_ll(val, 1, 3600, &v))
      return cli_usage_error("%s: --timeout wants 1..3600 s, not '%s'", o->cmd,
                             val);
    o->timeout_s = (int)v;
  } else {
    return cli_usage_error("%s: unknown option '%s'", o->cmd, a);
  }
  return 0;
}

int cli_parse_opts(int argc, char **argv, const char *cmd,
                   const char *const *bare, cli_option_fn fn, void *ctx) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int err, is_bare = 0;

    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      cli_usage(cli_out);
      return -1;
    }
    for (int k = 0; bare && bare[k] && !is_bare; k++)
      is_bare = !strcmp(a, bare[k]);
    if (!is_bare && i + 1 == argc)
      return cli_usage_error("%s: unknown option '%s' or missing value", cmd,
                             a);
    err = fn(ctx, a, is_bare ? NULL : argv[++i]);
    if (err)
      return err;
  }
  return 0;
}

int cli_ipc_parse(int argc, char **argv, cli_ipc_opts *o) {
  int err = cli_parse_opts(argc, argv, o->cmd, NULL, parse_option, o);
  if (err)
    return err;
  if (!o->t)
    o->t = find_transport("unix-stream");
  return 0;
}

int cli_ipc_setup(const cli_ipc_opts *o, struct sh_cpus *cpus,
                  struct sh_chan *c) {
  char why[128];
  int err;

  sh_signals_init();
  err = sh_cpus_pick(o->pin, cpus, why, sizeof(why));
  if (!err)
    err = sh_pin_self(cpus->self); /* the child starts here too */
  if (err)
    return cli_ipc_fail(o->cmd,
                        o->pin == SH_PIN_DIFF ? "pinning (diff needs "
                                                "two allowed CPUs)"
                                              : "pinning",
                        err);
  err = sh_chan_open(o->t, c);
  if (err)
    return cli_ipc_fail(o->cmd, o->t->name, err);
  return 0;
}

void cli_run_init(const cli_ipc_opts *o, const struct sh_cpus *cpus,
                  struct sh_run *r) {
  r->t = o->t;
  r->peer_cpu = cpus->peer;
  r->peer_timeout_s = (unsigned)o->timeout_s + CHILD_GRACE_S;
  r->size = o->size;
  r->count = o->count;
  r->api = o->api;
}

int cli_run_failed(const cli_ipc_opts *o, const struct sh_run *r, int err) {
  if (!strcmp(r->failed, "peer")) {
    fprintf(cli_err, "sockpair: %s: the child failed: %s\n", o->cmd, r->msg);
    return CLI_EXIT_OSERR;
  }
  return cli_ipc_fail(o->cmd, r->failed, err);
}

int cli_ipc_fail(const char *cmd, const char *what, int err) {
  fprintf(cli_err, "sockpair: %s: %s: %s (%s)\n", cmd, what, sp_strerror(err),
          sp_err_name(err));
  if (err == SP_EMSGSIZE)
    fprintf(cli_err,
            "sockpair: %s: --size is larger than one datagram of "
            "this transport can be\n",
            cmd);
  return CLI_EXIT_OSERR;
}
