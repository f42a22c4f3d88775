/* The sockpair binary: the CLI (sp_cli_run) on stdout and stderr. */
#include "cli.h"

int main(int argc, char **argv) {
  return sp_cli_run(argc, argv, stdout, stderr, 0);
}
