/* The test runner: "binary NAME" runs one test, "binary" lists them. */
#include "test.h"

#include <signal.h>
#include <unistd.h>

#define SP_TEST_MAX 256
#define SP_TEST_ALARM_S 100 /* under ctest's TIMEOUT, to name the culprit */

static struct {
  const char *name;
  sp_test_fn fn;
} tests[SP_TEST_MAX];
static int test_count;

void sp_test_register(const char *name, sp_test_fn fn) {
  if (test_count == SP_TEST_MAX) {
    fprintf(stderr, "too many tests\n");
    exit(2);
  }
  tests[test_count].name = name;
  tests[test_count].fn = fn;
  test_count++;
}

static void on_alarm(int sig) {
  static const char msg[] = "test timed out (runner alarm)\n";

  (void)sig;
  (void)!write(2, msg, sizeof(msg) - 1);
  _exit(124);
}

static int run_one(const char *name) {
  for (int i = 0; i < test_count; i++) {
    int before;
    int after;

    if (strcmp(tests[i].name, name))
      continue;
    signal(SIGALRM, on_alarm);
    alarm(SP_TEST_ALARM_S);
    before = sp_test_count_fds();
    tests[i].fn();
    after = sp_test_count_fds();
    alarm(0);
    if (before != after) {
      fprintf(stderr, "%s: descriptor leak: %d open before, %d after\n", name,
              before, after);
      return 1;
    }
    return 0;
  }
  fprintf(stderr, "no test named %s\n", name);
  return 2;
}

int main(int argc, char **argv) {
  if (argc == 2)
    return run_one(argv[1]);
  for (int i = 0; i < test_count; i++)
    printf("%s\n", tests[i].name);
  return 0;
}
