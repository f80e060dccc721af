#include "sentry/kernel/testing.h"

namespace sentry::kernel {

KernelAndTask MakeKernelAndTask(Credentials creds, KernelConfig config) {
  KernelAndTask kt;
  kt.kernel = std::make_unique<Kernel>(std::move(config));
  kt.mem = std::make_shared<FlatUserMemory>(kTestMemBase, kTestMemSize);
  NewTaskArgs args;
  args.mm = kt.mem;
  args.creds = std::move(creds);
  args.regs.gp().rsp = kTestMemBase + kTestMemSize - 4096;
  args.regs.gp().cs = arch::kUserCs;
  args.regs.gp().ss = arch::kUserDs;
  args.regs.gp().eflags = arch::kFlagsFixed;
  auto t = kt.kernel->CreateInitProcess(std::move(args));
  if (t.ok()) kt.task = *t;
  return kt;
}

}  // namespace sentry::kernel
