#include "text_arena.h"

#include <sys/mman.h>

#include <cstring>
#include <limits>
#include <new>

namespace hub::adapters::gis_zhkh::emulator {

namespace {
// 2 MiB: a few thousand accounts a block, and one huge page where the kernel gives them.
constexpr std::size_t kBlockBytes = 2u << 20;
}  // namespace

TextArena::~TextArena() {
  clear();
}

TextArena::Ref TextArena::put(std::initializer_list<std::string_view> parts) {
  std::size_t total = 0;
  for (auto p : parts) total += p.size();
  if (total > std::numeric_limits<std::uint32_t>::max()) throw std::bad_alloc();
  Block* b = blocks_.empty() ? nullptr : &blocks_.back();
  if (!b || !b->bytes || b->capacity - b->used < total) b = &open_block(total);
  Ref ref{b->bytes + b->used, static_cast<std::uint32_t>(total),
          first_ + static_cast<std::uint32_t>(blocks_.size() - 1)};
  for (auto p : parts) {
    if (!p.empty()) std::memcpy(b->bytes + b->used, p.data(), p.size());
    b->used += p.size();
  }
  ++b->live;
  return ref;
}

void TextArena::release(const Ref& ref) {
  if (!ref.data) return;
  const std::size_t at = ref.block - first_;
  Block& b = blocks_[at];
  // The newest block still takes texts: it goes when the next one opens (open_block).
  if (--b.live == 0 && at + 1 != blocks_.size()) unmap(b);
  while (!blocks_.empty() && !blocks_.front().bytes) {
    blocks_.pop_front();
    ++first_;
  }
}

void TextArena::clear() {
  for (auto& b : blocks_) unmap(b);
  first_ += static_cast<std::uint32_t>(blocks_.size());
  blocks_.clear();
}

TextArena::Block& TextArena::open_block(std::size_t at_least) {
  if (!blocks_.empty() && blocks_.back().bytes && blocks_.back().live == 0) unmap(blocks_.back());
  const std::size_t capacity = at_least <= kBlockBytes
                                   ? kBlockBytes
                                   : (at_least + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
  void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  mapped_ += capacity;
  blocks_.push_back(Block{static_cast<char*>(p), capacity, 0, 0});
  Block& b = blocks_.back();
  while (!blocks_.front().bytes) {  // an unmapped newest block can now be dropped
    blocks_.pop_front();
    ++first_;
  }
  return b;
}

void TextArena::unmap(Block& b) {
  if (!b.bytes) return;
  ::munmap(b.bytes, b.capacity);
  mapped_ -= b.capacity;
  b.bytes = nullptr;
}

}  // namespace hub::adapters::gis_zhkh::emulator
