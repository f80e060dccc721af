// Placeholder entry point; the command line lands with runsc/cli.
#include <cstdio>

int main() {
  std::fprintf(stderr, "runsc: command line not built yet\n");
  return 1;
}
