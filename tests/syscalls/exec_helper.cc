// A tiny static program that exec_test runs. It reports what it received on
// stdout, one item per line, then exits with a status chosen by argv:
//   syscalls_exec_helper [exit N] ...    -> exit status N
// Output: "argc=N", "argv[i]=...", "env=..." for each environment entry,
// "fd=N open|closed" for the descriptor named by CHECK_FD, the dispositions
// of SIGUSR1/SIGUSR2, whether SIGTERM is blocked, and its pid.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  for (char** e = environ; *e != nullptr; ++e) printf("env=%s\n", *e);
  const char* check = getenv("CHECK_FD");
  if (check != nullptr) {
    int fd = atoi(check);
    printf("fd=%d %s\n", fd, fcntl(fd, F_GETFD) >= 0 ? "open" : "closed");
  }
  struct sigaction sa;
  sigaction(SIGUSR1, nullptr, &sa);
  printf("sigusr1=%s\n", sa.sa_handler == SIG_IGN   ? "ign"
                         : sa.sa_handler == SIG_DFL ? "dfl"
                                                    : "handler");
  sigaction(SIGUSR2, nullptr, &sa);
  printf("sigusr2=%s\n", sa.sa_handler == SIG_IGN   ? "ign"
                         : sa.sa_handler == SIG_DFL ? "dfl"
                                                    : "handler");
  sigset_t mask;
  sigprocmask(SIG_BLOCK, nullptr, &mask);
  printf("blocked_term=%d\n", sigismember(&mask, SIGTERM));
  printf("pid=%d\n", getpid());
  fflush(stdout);
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "exit") == 0) return atoi(argv[i + 1]);
  }
  return 0;
}
