// The program BM_ForkExecWait (syscall_bench.cc) executes: static, so that
// exec costs only the kernel's work, and it exits at once.
int main() { return 0; }
