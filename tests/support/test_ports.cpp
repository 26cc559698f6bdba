#include "test_ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>

namespace hub::testing {
namespace {

int ephemeral_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768, high = 60999;
  in >> low >> high;
  return low;
}

bool bindable(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int unused_port() {
  const int high = ephemeral_low() - 1;
  const int low = high > 20000 ? 20000 : 1024;
  std::random_device rd;
  std::uniform_int_distribution<int> pick(low, high);
  for (int i = 0; i < 200; ++i) {
    const int port = pick(rd);
    if (bindable(port)) return port;
  }
  throw std::runtime_error("no unused loopback port below the ephemeral range");
}

}  // namespace hub::testing
