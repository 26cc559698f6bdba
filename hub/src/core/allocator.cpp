#include "hub/core/allocator.h"

#include <malloc.h>

namespace hub {

void tune_allocator_for_batches() {
  // Blocks up to 32 MB come from the arenas rather than from mmap (a fresh mapping per batch
  // literal), and an arena gives memory back only once 256 MB at its top are free. Setting either
  // turns off glibc's dynamic threshold, which would otherwise settle lower.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  // No fastbins: a batch frees a parsed tree of thousands of small nodes at once, and the next
  // large request then has glibc consolidate all of them (malloc_consolidate was 10% of the
  // billing store's CPU on registry batches, as it was of the GIS emulator's). Small blocks are
  // still served by the per-thread cache.
  mallopt(M_MXFAST, 0);
}

}  // namespace hub
