// Drives an LLVMFuzzerTestOneInput without libFuzzer (GCC builds, CTest): every seed once, then
// --runs deterministic mutations of the seeds (byte flips, truncations, insertions of random
// bytes and dictionary tokens, line duplication, deletion and swaps). Same seed, same inputs, so
// a failure in CI reproduces with the printed command; the failing input is written to
// ./fuzz-crash-<name> before the target's own check aborts, as libFuzzer would.
//
//   fuzz_x [--runs N] [--seed S] [--max-len BYTES] [--dict FILE] CORPUS_DIR_OR_FILE...
//
// The dictionary uses libFuzzer's format: one "token" per line (\xNN and \" escapes), # comments.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> read_dict(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    const auto open = line.find('"');
    const auto close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    std::string token;
    for (std::size_t i = open + 1; i < close; ++i) {
      if (line[i] == '\\' && i + 1 < close) {
        if (line[i + 1] == 'x' && i + 3 < close) {
          token.push_back(static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16)));
          i += 3;
        } else {
          token.push_back(line[++i]);
        }
      } else {
        token.push_back(line[i]);
      }
    }
    out.push_back(token);
  }
  return out;
}

class Mutator {
 public:
  Mutator(std::uint64_t seed, std::vector<std::string> dict, std::size_t max_len)
      : rng_(seed), dict_(std::move(dict)), max_len_(max_len) {}

  std::string mutate(std::string s) {
    const int steps = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < steps; ++i) one(s);
    if (s.size() > max_len_) s.resize(max_len_);
    return s;
  }

 private:
  std::size_t pick(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  /// [begin, end) of the line around `pos` (end includes the '\n').
  std::pair<std::size_t, std::size_t> line_at(const std::string& s, std::size_t pos) {
    std::size_t b = s.rfind('\n', pos == 0 ? 0 : pos - 1);
    b = (b == std::string::npos || pos == 0) ? 0 : b + 1;
    std::size_t e = s.find('\n', pos);
    e = e == std::string::npos ? s.size() : e + 1;
    return {b, e};
  }

  void one(std::string& s) {
    const std::size_t pos = pick(s.size() + 1);
    switch (pick(9)) {
      case 0:  // flip bits of a byte
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // random byte
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
        break;
      case 2:  // truncate
        s.resize(pos);
        break;
      case 3: {  // insert random bytes
        std::string bytes(1 + pick(8), '\0');
        for (auto& c : bytes) c = static_cast<char>(pick(256));
        s.insert(pos, bytes);
        break;
      }
      case 4:  // insert a dictionary token
        if (!dict_.empty()) s.insert(pos, dict_[pick(dict_.size())]);
        break;
      case 5: {  // duplicate a line
        if (s.empty()) break;
        auto [b, e] = line_at(s, pick(s.size()));
        s.insert(b, s.substr(b, e - b));
        break;
      }
      case 6: {  // delete a line
        if (s.empty()) break;
        auto [b, e] = line_at(s, pick(s.size()));
        s.erase(b, e - b);
        break;
      }
      case 7: {  // swap two lines
        if (s.empty()) break;
        auto [b1, e1] = line_at(s, pick(s.size()));
        auto [b2, e2] = line_at(s, pick(s.size()));
        if (b1 > b2) std::swap(b1, b2), std::swap(e1, e2);
        if (e1 > b2) break;
        const std::string l1 = s.substr(b1, e1 - b1), l2 = s.substr(b2, e2 - b2);
        s.replace(b2, e2 - b2, l1);
        s.replace(b1, e1 - b1, l2);
        break;
      }
      case 8: {  // erase a span
        if (s.empty()) break;
        const std::size_t b = pick(s.size());
        s.erase(b, 1 + pick(std::min<std::size_t>(64, s.size() - b)));
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::string> dict_;
  std::size_t max_len_;
};

std::string g_crash_file;
std::string g_current;

void save_current() {
  std::ofstream(g_crash_file, std::ios::binary) << g_current;
  std::cerr << "fuzz: input written to " << g_crash_file << " (" << g_current.size() << " bytes)\n";
}

void run(const std::string& input) {
  g_current = input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t runs = 2000, seed = 1;
  std::size_t max_len = 1 << 16;
  std::vector<std::string> dict;
  std::vector<std::string> seeds;
  const std::string name = fs::path(argv[0]).filename().string();
  g_crash_file = "fuzz-crash-" + name;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << name << ": " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--runs") {
      runs = std::stoull(value());
    } else if (a == "--seed") {
      seed = std::stoull(value());
    } else if (a == "--max-len") {
      max_len = std::stoull(value());
    } else if (a == "--dict") {
      dict = read_dict(value());
    } else if (fs::is_directory(a)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(a)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) seeds.push_back(read_all(f));
    } else if (fs::is_regular_file(a)) {
      seeds.push_back(read_all(a));
    } else {
      std::cerr << name << ": no such corpus " << a << "\n";
      return 2;
    }
  }
  if (seeds.empty()) seeds.emplace_back();
  std::set_terminate([] {
    save_current();
    std::abort();
  });
  // A failed check in the target aborts: keep the input first.
  std::signal(SIGABRT, [](int) {
    save_current();
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
  });

  const auto started = std::chrono::steady_clock::now();
  for (const auto& s : seeds) run(s);
  Mutator m(seed, dict, max_len);
  for (std::uint64_t i = 0; i < runs; ++i) run(m.mutate(seeds[i % seeds.size()]));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  std::cout << name << ": " << seeds.size() << " seeds + " << runs << " mutations (seed " << seed
            << ") in " << ms << " ms, no failure\n";
  return 0;
}
