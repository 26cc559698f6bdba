#pragma once
// Waiting for something a separate process or thread does (a hub child process, an emulator, a
// dispatcher): poll a condition until it holds or time runs out. Tests assert on the result, so a
// timeout fails the test with the test's own message rather than hanging it.

#include <chrono>
#include <functional>
#include <thread>

namespace hub::testing {

/// True as soon as `ok()` is; false when `timeout` passes first (`ok()` is asked once more then).
inline bool wait_for(const std::function<bool()>& ok, std::chrono::milliseconds timeout,
                     std::chrono::milliseconds poll = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(poll);
  }
  return ok();
}

}  // namespace hub::testing
