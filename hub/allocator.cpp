// jemalloc's settings for the hub's processes (the hub_allocator target, hub/CMakeLists.txt),
// read by jemalloc at its first allocation; MALLOC_CONF in the environment still overrides them.
//
// Dirty pages (freed, kept for reuse) go back to the kernel after 1 s instead of jemalloc's 10 s,
// and without the "muzzy" stage between. The billing store applies a claim of registry batches
// (deploy/local.yaml: 100 payment.lines messages, 50,000 payments) in one go and frees it all
// before the next; with 10 s the freed claims piled up: bench_registry_import's high-water mark
// with the apply was 122-153 MB against glibc's 92-114, with this 110-119 (the import's own peak
// the same, the apply 54k payments/s against 57-58k). The GIS figures in hub/CMakeLists.txt are
// with these settings.
extern "C" {
// jemalloc looks this symbol up by name (Debian builds it without a symbol prefix).
extern const char* const malloc_conf;
const char* const malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";
}
