/*
 * sockpair matrix: every domain x type x protocol cell on the running
 * kernel. This is the table users diff across kernels, so each cell that
 * pairs is proved connected by a one-byte exchange each way.
 */
#include "cli.h"
#include "sockpair.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

static const int domains[] = {SP_PF_UNIX, SP_PF_INET, SP_PF_INET6};
static const int types[] = {SP_SOCK_STREAM, SP_SOCK_DGRAM, SP_SOCK_RAW,
                            SP_SOCK_RDM, SP_SOCK_SEQPACKET};
static const int protocols[] = {SP_IPPROTO_IP, SP_IPPROTO_ICMP, SP_IPPROTO_TCP,
                                SP_IPPROTO_UDP, SP_IPPROTO_RAW};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define EXCHANGE_TIMEOUT_MS 2000

typedef struct cell {
  int domain, type, protocol;
  sp_plan plan;
  int err; /* sp_socketpair's result, or the exchange's error */
} cell;

static int send_one(int from, int to) {
  struct pollfd pfd = {.fd = to, .events = POLLIN};
  char byte = 'x';
  ssize_t n;

  if (send(from, &byte, 1, MSG_NOSIGNAL) != 1)
    return -errno;
  if (poll(&pfd, 1, EXCHANGE_TIMEOUT_MS) != 1)
    return SP_ETIMEDOUT;
  n = recv(to, &byte, 1, 0);
  if (n < 0)
    return -errno;
  return n == 1 && byte == 'x' ? 0 : SP_EIO;
}

static void try_cell(cell *c) {
  int fds[2];

  sp_socketpair_plan(c->domain, c->type, c->protocol, &c->plan);
  if (cli_parse_only) { /* the plan's answer, no socket */
    c->err = c->plan.err;
    return;
  }
  c->err = sp_socketpair(c->domain, c->type, c->protocol, fds);
  if (c->err)
    return;
  c->err = send_one(fds[0], fds[1]);
  if (!c->err)
    c->err = send_one(fds[1], fds[0]);
  close(fds[0]);
  close(fds[1]);
}

static const char *method_name(const cell *c) {
  switch (c->plan.method) {
  case SP_METHOD_KERNEL:
    return "native";
  case SP_METHOD_EMULATED_TCP:
    return "emulated-tcp";
  case SP_METHOD_EMULATED_UDP:
    return "emulated-udp";
  case SP_METHOD_REFUSED:
    break;
  }
  return "refused";
}

/* Why a cell failed: the plan's reason for refused inet cells, else the
 * error's own sentence. */
static const char *why(const cell *c) {
  if (c->plan.method == SP_METHOD_REFUSED)
    return c->plan.why;
  return sp_strerror(c->err);
}

static void print_text(const struct utsname *u, const cell *cells, int n) {
  fprintf(cli_out, "sockpair %s matrix on %s %s (%s)\n", sp_version(),
          u->sysname, u->release, u->machine);
  fprintf(cli_out, "%-9s %-15s %-13s %s\n", "domain", "type", "protocol",
          "result");
  for (int i = 0; i < n; i++) {
    const cell *c = &cells[i];

    fprintf(cli_out, "%-9s %-15s %-13s ", sp_domain_name(c->domain),
            sp_type_name(c->type), sp_protocol_name(c->protocol));
    if (!c->err)
      fprintf(cli_out, "ok (%s)\n", method_name(c));
    else
      fprintf(cli_out, "%s: %s\n", sp_err_name(c->err), why(c));
  }
}

static void print_json_cell(const cell *c) {
  fprintf(
      cli_out,
      "    {\"domain\": %d, \"domain_name\": \"%s\", \"type\": %d, "
      "\"type_name\": \"%s\", \"protocol\": %d, \"protocol_name\": \"%s\", ",
      c->domain, sp_domain_name(c->domain), c->type, sp_type_name(c->type),
      c->protocol, sp_protocol_name(c->protocol));
  fprintf(cli_out, "\"ok\": %s, \"method\": \"%s\", ",
          c->err ? "false" : "true", method_name(c));
  if (!c->err) {
    fprintf(cli_out, "\"errno\": null, \"errno_value\": 0, \"message\": null}");
    return;
  }
  fprintf(cli_out, "\"errno\": \"%s\", \"errno_value\": %d, \"message\": ",
          sp_err_name(c->err), -c->err);
  cli_json_string(cli_out, why(c));
  fputc('}', cli_out);
}

static void print_json(const struct utsname *u, const cell *cells, int n) {
  fprintf(cli_out, "{\n  \"sockpair_version\": \"%s\",\n  \"kernel\": {",
          sp_version());
  fprintf(cli_out, "\"sysname\": ");
  cli_json_string(cli_out, u->sysname);
  fprintf(cli_out, ", \"release\": ");
  cli_json_string(cli_out, u->release);
  fprintf(cli_out, ", \"version\": ");
  cli_json_string(cli_out, u->version);
  fprintf(cli_out, ", \"machine\": ");
  cli_json_string(cli_out, u->machine);
  fprintf(cli_out, "},\n  \"euid\": %u,\n  \"cells\": [\n",
          (unsigned)geteuid());
  for (int i = 0; i < n; i++) {
    print_json_cell(&cells[i]);
    fputs(i + 1 < n ? ",\n" : "\n", cli_out);
  }
  fprintf(cli_out, "  ]\n}\n");
}

int cli_matrix(int argc, char **argv) {
  cell cells[N_ELEMS(domains) * N_ELEMS(types) * N_ELEMS(protocols)];
  struct utsname u;
  int json = 0;
  int n = 0;

  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      json = 1;
    else
      return cli_usage_error("matrix: unknown option '%s'", argv[i]);
  }
  if (uname(&u)) {
    fprintf(cli_err, "sockpair: uname: %s\n", strerror(errno));
    return CLI_EXIT_OSERR;
  }
  for (size_t d = 0; d < N_ELEMS(domains); d++)
    for (size_t t = 0; t < N_ELEMS(types); t++)
      for (size_t p = 0; p < N_ELEMS(protocols); p++) {
        cell *c = &cells[n++];

        c->domain = domains[d];
        c->type = types[t];
        c->protocol = protocols[p];
        try_cell(c);
      }
  if (json)
    print_json(&u, cells, n);
  else
    print_text(&u, cells, n);
  return CLI_EXIT_OK;
}
