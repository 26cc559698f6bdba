#pragma once
// Loopback ports for child processes (a zhkh-hub the test starts) that must be told their port
// before they bind it.

namespace hub::testing {

/// A port on 127.0.0.1 that nothing listens on right now, chosen at random BELOW the kernel's
/// ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), so that neither the many outgoing
/// connections of parallel tests nor servers binding port 0 can take it before the child binds.
int unused_port();

}  // namespace hub::testing
