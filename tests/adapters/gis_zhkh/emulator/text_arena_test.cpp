// TextArena: what put() stored reads back until released, and a block goes back to the system
// once none of its texts is referenced (the emulator's memory must follow its state).

#include "text_arena.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace emu = hub::adapters::gis_zhkh::emulator;

namespace {
constexpr std::size_t kBlock = 2u << 20;  // text_arena.cpp
}

TEST(TextArena, TextsReadBackAsPutAcrossBlocks) {
  emu::TextArena arena;
  std::vector<std::string> want;
  std::vector<emu::TextArena::Ref> refs;
  // ~5 MiB of texts of varying sizes: three blocks, none split across two.
  for (int i = 0; i < 5000; ++i) {
    std::string a(500 + i % 700, static_cast<char>('a' + i % 26)), b = std::to_string(i);
    refs.push_back(arena.put({a, "", b}));
    want.push_back(a + b);
  }
  EXPECT_EQ(arena.mapped_bytes(), 3 * kBlock);
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(refs[i].view(), want[i]) << i;
}

TEST(TextArena, ABlockIsUnmappedWhenNothingInItIsReferenced) {
  emu::TextArena arena;
  const std::string text(1000, 'x');
  std::vector<emu::TextArena::Ref> refs;
  while (arena.mapped_bytes() < 3 * kBlock) refs.push_back(arena.put({text}));
  const std::uint32_t first = refs.front().block, newest = refs.back().block;
  ASSERT_EQ(newest, first + 2);
  // Oldest first, as evicted accounts and messages go: each block goes with its last text.
  std::size_t i = 0;
  for (; refs[i].block == first; ++i) {
    EXPECT_EQ(arena.mapped_bytes(), 3 * kBlock);
    arena.release(refs[i]);
  }
  EXPECT_EQ(arena.mapped_bytes(), 2 * kBlock);
  // A text stored again elsewhere (an update) releases its old place: the middle block stays
  // while one of its texts is still referenced.
  const std::size_t middle_last = i + (kBlock / text.size()) - 1;
  ASSERT_EQ(refs[middle_last].block, first + 1);
  for (; i < middle_last; ++i) arena.release(refs[i]);
  EXPECT_EQ(arena.mapped_bytes(), 2 * kBlock);
  EXPECT_EQ(refs[middle_last].view(), text);
  arena.release(refs[middle_last]);
  EXPECT_EQ(arena.mapped_bytes(), kBlock);
  // The newest block keeps taking texts even with none left in it, until the next one opens.
  for (++i; i < refs.size(); ++i) arena.release(refs[i]);
  EXPECT_EQ(arena.mapped_bytes(), kBlock);
  const auto again = arena.put({"after"});
  EXPECT_EQ(again.block, newest);
  EXPECT_EQ(again.view(), "after");
  arena.release(emu::TextArena::Ref{});  // never stored: ignored
  arena.clear();
  EXPECT_EQ(arena.mapped_bytes(), 0u);
}

TEST(TextArena, ATextLargerThanABlockGetsItsOwn) {
  emu::TextArena arena;
  const auto small = arena.put({"small"});
  const std::string big(kBlock + 10, 'b');
  const auto large = arena.put({big, "!"});
  EXPECT_EQ(large.view(), big + "!");
  EXPECT_EQ(small.view(), "small");
  EXPECT_EQ(arena.mapped_bytes(), kBlock + 2 * kBlock);
  arena.release(small);  // its block is not the newest any more: it goes
  EXPECT_EQ(arena.mapped_bytes(), 2 * kBlock);
  EXPECT_EQ(large.view().size(), big.size() + 1);
}
