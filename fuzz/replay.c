/*
 * A main() for compilers without libFuzzer (gcc): feeds each file named on
 * the command line, or each file of each directory named (dot files
 * skipped, in name order), to LLVMFuzzerTestOneInput once. This is how the
 * corpus and the regression files run under ctest in the sanitizer build.
 *
 * Exit status: 0 when every input ran (an oracle failure, or an input
 * running longer than REPLAY_TIMEOUT_S, aborts instead), 1 when a path
 * cannot be read or nothing at all was replayed, 64 on a usage error.
 */
#include "fuzz.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* A target's one-time set-up (libFuzzer calls it before the first
 * input), if it has one. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT (16 << 20)
#define REPLAY_TIMEOUT_S 30 /* per input: a hang is a finding too */

static void on_alarm(int sig) {
  static const char msg[] = "replay: TIMEOUT: the input above hangs\n";

  (void)sig;
  (void)!write(2, msg, sizeof(msg) - 1);
  abort();
}

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  struct stat st;
  size_t len;
  int rc = -1;

  if (!f) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (fstat(fileno(f), &st) != 0 || st.st_size > REPLAY_MAX_INPUT) {
    fprintf(stderr, "replay: %s: cannot stat, or too large\n", path);
    goto out;
  }
  /* Exactly the file's size, so ASan sees any read past the input. */
  buf = malloc(st.st_size ? (size_t)st.st_size : 1);
  if (!buf)
    goto out;
  len = fread(buf, 1, (size_t)st.st_size, f);
  if (len != (size_t)st.st_size) {
    fprintf(stderr, "replay: %s: short read\n", path);
    goto out;
  }
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
  alarm(REPLAY_TIMEOUT_S);
  LLVMFuzzerTestOneInput(buf, len);
  alarm(0);
  rc = 0;
out:
  free(buf);
  fclose(f);
  return rc;
}

static int skip_entry(const struct dirent *e) {
  return e->d_name[0] != '.';
}

/* Returns the number of files replayed, or -1. */
static int replay_dir(const char *dir) {
  struct dirent **names = NULL;
  int n = scandir(dir, &names, skip_entry, alphasort);
  int done = 0;
  int i;

  if (n < 0) {
    fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  for (i = 0; i < n; i++) {
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      if (replay_file(path) < 0)
        done = -1;
      else if (done >= 0)
        done++;
    }
  }
  for (i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return done;
}

int main(int argc, char **argv) {
  int total = 0;
  int i;

  if (argc < 2 || !strcmp(argv[1], "--help")) {
    fprintf(argc < 2 ? stderr : stdout,
            "usage: %s FILE|DIR...\n"
            "Runs the fuzz target once on each file (each file of each "
            "DIR).\n",
            argv[0]);
    return argc < 2 ? 64 : 0;
  }
  signal(SIGALRM, on_alarm);
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  for (i = 1; i < argc; i++) {
    struct stat st;
    int n;

    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
      return 1;
    }
    n = S_ISDIR(st.st_mode) ? replay_dir(argv[i])
                            : (replay_file(argv[i]) < 0 ? -1 : 1);
    if (n < 0)
      return 1;
    total += n;
  }
  fprintf(stderr, "replay: %d input(s), no finding\n", total);
  return total > 0 ? 0 : 1;
}
