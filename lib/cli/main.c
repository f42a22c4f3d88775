/* sockpair: the command-line tool. */
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
        "\n"
        "options:\n"
        "  -h, --help        this text\n"
        "  -V, --version     the version\n"
        "\n"
        "exit status:\n"
        "  0   success (a cell that cannot be paired is a result, not a "
        "failure)\n"
        "  64  usage error: unknown command, flag or value\n"
        "  71  the system refused something sockpair needs\n"
        "  74  the output could not be written\n",
        out);
}

int cli_usage_error(const char *fmt, ...) {
  va_list ap;

  fputs("sockpair: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n\n", stderr);
  cli_usage(stderr);
  return CLI_EXIT_USAGE;
}

static int finish(int code) {
  if (fflush(stdout) || ferror(stdout)) {
    fprintf(stderr, "sockpair: cannot write the output\n");
    return code ? code : CLI_EXIT_IOERR;
  }
  return code;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : NULL;

  if (!cmd)
    return cli_usage_error("a command is needed");
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    cli_usage(stdout);
    return finish(CLI_EXIT_OK);
  }
  if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
    printf("sockpair %s\n", sp_version());
    return finish(CLI_EXIT_OK);
  }
  if (!strcmp(cmd, "matrix"))
    return finish(cli_matrix(argc - 1, argv + 1));
  return cli_usage_error("unknown command '%s'", cmd);
}
