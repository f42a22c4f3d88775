/* sockpair: the command-line tool (sp_cli_run; main.c only calls it). */
#include "cli.h"
#include "sockpair.h"

#include <stdarg.h>
#include <string.h>

void cli_usage(FILE *out) {
  fputs("usage: sockpair <command> [options]\n"
        "\n"
        "commands:\n"
        "  matrix [--json]   try every domain x type x protocol cell (75) on\n"
        "                    the running kernel: ok (native or emulated) or\n"
        "                    the error, its name and why\n"
        "  pingpong [flags]  round trips between two processes (a forked\n"
        "                    child echoes): RTT percentiles, context\n"
        "                    switches per round trip\n"
        "  stream [flags]    one-way throughput between two processes:\n"
        "                    bytes/s, messages/s and loss %\n"
        "  messaging [flags] hackbench (perf bench sched messaging) over any\n"
        "                    transport: messages/s, per-message latency,\n"
        "                    context switches, fairness, loss %\n"
        "\n"
        "pingpong / stream flags (one line of key=value on cli_out):\n"
        "  --transport T     unix-stream (default), unix-dgram,\n"
        "                    unix-seqpacket, tcp4, tcp6, udp4, udp6, pipe\n"
        "  --count N         messages (pingpong 10000, stream 100000)\n"
        "  --size B          bytes per message (default 64)\n"
        "  --pin P           same (both on one CPU), diff, none (default)\n"
        "  --timeout S       bound on the whole run, seconds (default 60)\n"
        "  --api A           raw (default: send/recv, read/write) or stream\n"
        "                    (the library's sp_stream_write / gets / read)\n"
        "\n"
        "messaging flags (perf bench sched messaging's defaults):\n"
        "  --groups N        groups of senders and receivers (10)\n"
        "  --fds N           senders and receivers per group (20)\n"
        "  --loops N         messages per sender to each receiver (100)\n"
        "  --size B          bytes per message, >= 24 (100)\n"
        "  --thread          threads instead of processes\n"
        "  --transport T     as above (unix-stream; perf's -p is pipe)\n"
        "  --timeout S       bound on the round (default: from the work)\n"
        "\n"
        "options:\n"
        "  -h, --help        this text\n"
        "  -V, --version     the version\n"
        "\n"
        "exit status:\n"
        "  0   success (a cell that cannot be paired is a result, not a "
        "failure)\n"
        "  64  usage error: unknown command, flag or value\n"
        "  71  the system refused something sockpair needs (or a\n"
        "      pingpong / stream run failed or ran out of time)\n"
        "  74  the output could not be written\n",
        out);
}

int cli_usage_error(const char *fmt, ...) {
  va_list ap;

  fputs("sockpair: ", cli_err);
  va_start(ap, fmt);
  vfprintf(cli_err, fmt, ap);
  va_end(ap);
  fputs("\n\n", cli_err);
  cli_usage(cli_err);
  return CLI_EXIT_USAGE;
}

static int finish(int code) {
  if (fflush(cli_out) || ferror(cli_out)) {
    fprintf(cli_err, "sockpair: cannot write the output\n");
    return code ? code : CLI_EXIT_IOERR;
  }
  return code;
}

FILE *cli_out, *cli_err;
int cli_parse_only;

static int run(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : NULL;

  if (!cmd)
    return cli_usage_error("a command is needed");
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    cli_usage(cli_out);
    return finish(CLI_EXIT_OK);
  }
  if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
    fprintf(cli_out, "sockpair %s\n", sp_version());
    return finish(CLI_EXIT_OK);
  }
  if (!strcmp(cmd, "matrix"))
    return finish(cli_matrix(argc - 1, argv + 1));
  if (!strcmp(cmd, "pingpong"))
    return finish(cli_pingpong(argc - 1, argv + 1));
  if (!strcmp(cmd, "stream"))
    return finish(cli_stream(argc - 1, argv + 1));
  if (!strcmp(cmd, "messaging"))
    return finish(cli_messaging(argc - 1, argv + 1));
  return cli_usage_error("unknown command '%s'", cmd);
}

int sp_cli_run(int argc, char **argv, FILE *out, FILE *err, int parse_only) {
  cli_out = out;
  cli_err = err;
  cli_parse_only = parse_only;
  return run(argc, argv);
}
