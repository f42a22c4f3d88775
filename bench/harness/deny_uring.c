/*
 * deny_uring ENOSYS|EPERM PROGRAM [ARG...]: runs PROGRAM with
 * io_uring_setup() refused by a seccomp filter, as a container runtime's
 * default profile refuses it, so the tests can show that the io:uring
 * benchmarks then skip with the reason instead of failing.
 * Exit: PROGRAM's; 64 usage; 71 the filter could not be installed; 77 an
 * architecture this helper does not know (the test skips).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

int main(int argc, char **argv) {
#ifdef ARCH
  int err;
  if (argc < 3 || (strcmp(argv[1], "ENOSYS") && strcmp(argv[1], "EPERM"))) {
    fprintf(stderr, "usage: deny_uring ENOSYS|EPERM PROGRAM [ARG...]\n");
    return 64;
  }
  err = strcmp(argv[1], "ENOSYS") == 0 ? ENOSYS : EPERM;
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("deny_uring: seccomp");
    return 71;
  }
  execvp(argv[2], argv + 2);
  perror("deny_uring: exec");
  return 71;
#else
  (void)argc;
  (void)argv;
  fprintf(stderr, "deny_uring: unknown architecture\n");
  return 77;
#endif
}
