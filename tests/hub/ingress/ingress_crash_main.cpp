// ingress_crash_child CONNINFO STEP: submits a batch of three payments with a checkpoint and
// kills itself with SIGKILL when Ingress reaches STEP ("none" = never). Exit 0 when it finishes.

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "ingress_fixture.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ingress_crash_child CONNINFO STEP\n";
    return 2;
  }
  const std::string crash_at = argv[2];
  hub::store::Pool pool(argv[1], 1);
  hub::testing::IngressRig rig(pool);
  rig.ingress->set_step_hook([&](hub::ingress::Step s) {
    if (crash_at == hub::ingress::to_string(s)) ::kill(::getpid(), SIGKILL);
  });
  std::vector<hub::Envelope> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back(hub::testing::make_message("payment.received", "crash-" + std::to_string(i)));
  }
  hub::plugin::Checkpoint cp{"test", "file-sha", "registry.txt", 3, "done", ""};
  rig.ingress->submit(std::move(batch), cp);
  return 0;
}
