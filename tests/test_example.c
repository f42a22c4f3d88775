/* The manual's example: both lines appear, exit status 0. */
#include "test.h"

#include <stdio.h>
#include <sys/wait.h>

TEST(manual_example) {
  char line[256];
  int saw_pid = 0;
  int saw_child = 0;
  FILE *out = popen("timeout 20 " SP_TEST_BIN_DIR "/manual", "r");
  int status;

  ASSERT(out != NULL);
  while (fgets(line, sizeof(line), out)) {
    int pid;

    if (sscanf(line, "child PID: %d\n", &pid) == 1 && pid > 0)
      saw_pid = 1;
    else if (!strcmp(line, "message from child\n"))
      saw_child = 1;
    else
      SP__FAIL("unexpected line: %s", line);
  }
  status = pclose(out);
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT(saw_pid);
  ASSERT(saw_child);
}
