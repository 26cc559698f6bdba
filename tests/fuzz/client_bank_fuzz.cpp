// Fuzz target of bank.client_bank (1CClientBankExchange). Beyond "does not crash" (ASan/UBSan in
// the libFuzzer build) it checks the parser's promises on every input:
// - a refused file emitted nothing (nothing half-imported);
// - every body emitted is well-formed XML and every envelope has a type, a source and an
//   idempotency key of at most 512 bytes (Ingress would refuse the batch otherwise, after the
//   earlier batches of the file were committed);
// - the summary is a JSON object.
// The parser reads files, so each input is written to one temporary file reused per process.
#include <libxml/parser.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "client_bank/client_bank_parser.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_client_bank: %s\n%s\n", what, detail.c_str());
  std::abort();
}

struct CheckingSink : hub::plugin::ParseSink {
  std::size_t emitted = 0;
  void emit(std::vector<hub::plugin::Envelope> batch, std::int64_t position) override {
    for (const auto& e : batch) {
      ++emitted;
      if (e.type.empty() || e.source.empty() || e.idempotency_key.empty() ||
          e.idempotency_key.size() > 512) {
        fail("envelope without type, source or a usable idempotency key", e.idempotency_key);
      }
      xmlDocPtr doc =
          xmlReadMemory(e.body.data(), static_cast<int>(e.body.size()), "body.xml", "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
      if (!doc) fail("body is not well-formed XML", e.body);
      xmlFreeDoc(doc);
    }
  }
  void error(hub::plugin::InputError) override {}
};

// A C buffer, not a static path: the atexit handler runs after static destructors.
char g_scratch[] = "/tmp/fuzz-client-bank-XXXXXX";

const char* scratch_file() {
  static const bool made = [] {
    const int fd = mkstemp(g_scratch);
    if (fd < 0) std::abort();
    close(fd);
    std::atexit([] { std::remove(g_scratch); });
    return true;
  }();
  (void)made;
  return g_scratch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path file = scratch_file();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  hub::bank::ClientBankParserOptions options;
  options.batch_size = 3;  // several batches per file, so that positions and flushes are exercised
  hub::bank::ClientBankParser parser(options);
  CheckingSink sink;
  const auto outcome = parser.parse(file, {"fuzz.txt", std::string(64, '0'), 0, "fuzz"}, sink);
  if (!outcome.accepted && sink.emitted != 0) {
    fail("refused file emitted messages", outcome.fatal.empty() ? "" : outcome.fatal[0].reason);
  }
  if (!outcome.accepted && outcome.fatal.empty()) fail("refused without a reason", "");
  if (outcome.summary.empty() || outcome.summary.front() != '{' || outcome.summary.back() != '}') {
    fail("summary is not a JSON object", outcome.summary);
  }
  return 0;
}
