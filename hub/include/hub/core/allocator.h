#pragma once
// Allocator settings for the hub's batch-shaped memory use.

namespace hub {

/// Keeps freed memory in the process instead of handing it back to the kernel after every batch.
///
/// Ingress builds each batch's statement in a few hundred KB of strings and frees them when the
/// batch commits; with glibc's defaults every producer thread's arena trims that memory on free
/// and faults it back in, zeroed, on the next batch (measured in bench_route_throughput: 137,000
/// minor page faults for 30,000 messages, 43,000 with this). Peak memory is unchanged: what is
/// kept is at most what the busiest batch used. Call once, early in main().
void tune_allocator_for_batches();

}  // namespace hub
