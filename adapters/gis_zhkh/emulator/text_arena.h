#pragma once
// Bytes the store keeps for long (the markup of millions of accounts), packed into large blocks
// mapped outside malloc's heap. Stored as one std::string per field, they were millions of
// small long-lived chunks among the short-lived ones every request allocates (its parse tree,
// validation, signature check): the heap grew with the state and each request's nodes were
// scattered over it. A block is returned to the system when nothing in it is referenced any more
// (its accounts evicted or stored again elsewhere by an update).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <string_view>

namespace hub::adapters::gis_zhkh::emulator {

class TextArena {
 public:
  /// Where put() stored a text. Stays valid until release() or clear().
  struct Ref {
    const char* data = nullptr;
    std::uint32_t size = 0;
    std::uint32_t block = 0;  ///< sequence number of its block
    std::string_view view() const { return {data, size}; }
  };

  TextArena() = default;
  ~TextArena();
  TextArena(const TextArena&) = delete;
  TextArena& operator=(const TextArena&) = delete;

  /// Stores the concatenation of `parts` (one reference for all).
  Ref put(std::initializer_list<std::string_view> parts);
  /// The text is no longer referenced; its block goes once none of its texts is. A default
  /// (never stored) Ref is ignored.
  void release(const Ref& ref);
  void clear();

  std::size_t mapped_bytes() const { return mapped_; }

 private:
  struct Block {
    char* bytes = nullptr;  ///< nullptr once returned
    std::size_t capacity = 0, used = 0, live = 0;
  };
  Block& open_block(std::size_t at_least);
  void unmap(Block& b);

  std::deque<Block> blocks_;  ///< by sequence number, from first_
  std::uint32_t first_ = 0;   ///< sequence number of blocks_.front()
  std::size_t mapped_ = 0;
};

}  // namespace hub::adapters::gis_zhkh::emulator
