// Child process for the lease-takeover test: claims a batch of TARGET with a sink that reports
// the claim in MARKER_FILE and then hangs, so the test can SIGKILL it while it holds the leases.
//   dispatcher_lease_child CONNINFO TARGET LEASE_MS MARKER_FILE

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

#include "hub/dispatcher/dispatcher.h"

namespace {

class HangingSink : public hub::dispatcher::Sink {
 public:
  explicit HangingSink(std::string marker) : marker_(std::move(marker)) {}
  hub::dispatcher::DeliveryResult deliver(const hub::Envelope&) override {
    return hub::dispatcher::DeliveryResult::delivered();
  }
  std::vector<hub::dispatcher::DeliveryResult> deliver_batch(
      const std::vector<hub::Envelope>& batch) override {
    {
      std::ofstream tmp(marker_ + ".tmp");
      tmp << batch.size() << "\n";
    }
    std::rename((marker_ + ".tmp").c_str(), marker_.c_str());
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));  // killed here
  }

 private:
  std::string marker_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s CONNINFO TARGET LEASE_MS MARKER_FILE\n", argv[0]);
    return 2;
  }
  const std::string target = argv[2];
  hub::store::Pool pool(argv[1], 2);
  auto sinks = std::make_shared<hub::dispatcher::SinkRegistry>();
  sinks->add(target, std::make_shared<HangingSink>(argv[4]));
  hub::dispatcher::DispatcherOptions options;
  options.node_id = "child-" + std::to_string(::getpid());
  options.defaults.workers = 1;
  options.defaults.batch_size = 1000;
  options.defaults.lease = std::chrono::milliseconds(std::atol(argv[3]));
  options.defaults.poll_interval = std::chrono::milliseconds(50);
  hub::dispatcher::Dispatcher dispatcher(pool, sinks, options);
  dispatcher.start();
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}
