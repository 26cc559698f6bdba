// Fuzz target of the bank registry parsers (bank.<layout> for every shipped layout in
// mappings/bank). Beyond "does not crash" it checks the parser's promises on every input:
// - a refused file emitted nothing and says why (nothing half-imported);
// - every emitted body is valid against its canonical XSD (schemas/canonical), so Ingress never
//   refuses a batch because of one line, and every envelope has a type, a source and a key;
// - the summary is a JSON object;
// - pass 1 read in two halves on two threads (reconciler.h) decides exactly as one pass does.
// The parser reads files, so each input is written to one temporary file reused per process.
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "registry/layout.h"
#include "registry/registry_parser.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_bank_registry: %s\n%s\n", what, detail.c_str());
  std::abort();
}

struct Schemas {
  std::map<std::string, xmlSchemaPtr> by_type;
  Schemas() {
    for (const auto& [type, file] : {std::pair{"payment.received", "payment_received.xsd"},
                                     std::pair{"meter.reading", "meter_reading.xsd"}}) {
      const auto path = std::string(HUB_CANONICAL_SCHEMAS) + "/" + file;
      xmlSchemaParserCtxtPtr ctx = xmlSchemaNewParserCtxt(path.c_str());
      xmlSchemaPtr s = xmlSchemaParse(ctx);
      xmlSchemaFreeParserCtxt(ctx);
      if (!s) fail("cannot load schema", path);
      by_type[type] = s;
    }
  }
  // Freed at exit so that LeakSanitizer reports only what an input leaked.
  ~Schemas() {
    for (auto& [type, s] : by_type) xmlSchemaFree(s);
  }
};

struct CheckingSink : hub::plugin::ParseSink {
  const Schemas& schemas;
  std::size_t emitted = 0;
  explicit CheckingSink(const Schemas& s) : schemas(s) {}
  void emit(std::vector<hub::plugin::Envelope> batch, std::int64_t) override {
    for (const auto& e : batch) {
      ++emitted;
      if (e.type.empty() || e.source.empty() || e.idempotency_key.empty() ||
          e.idempotency_key.size() > 512) {
        fail("envelope without type, source or a usable idempotency key", e.idempotency_key);
      }
      auto it = schemas.by_type.find(e.type);
      if (it == schemas.by_type.end()) fail("unexpected message type", e.type);
      xmlDocPtr doc =
          xmlReadMemory(e.body.data(), static_cast<int>(e.body.size()), "body.xml", "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
      if (!doc) fail("body is not well-formed XML", e.body);
      xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(it->second);
      xmlSchemaSetValidErrors(v, nullptr, nullptr, nullptr);
      const int rc = xmlSchemaValidateDoc(v, doc);
      xmlSchemaFreeValidCtxt(v);
      xmlFreeDoc(doc);
      if (rc != 0) fail("body is not valid against its canonical XSD", e.body);
    }
  }
  void error(hub::plugin::InputError) override {}
};

// A C buffer, not a static path: the atexit handler runs after static destructors.
char g_scratch[] = "/tmp/fuzz-bank-registry-XXXXXX";

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

// Silences libxml2's generic error handler (schema validation reports through it).
void quiet(void*, const char*, ...) {}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto layouts = [] {
    xmlSetGenericErrorFunc(nullptr, quiet);
    std::vector<std::shared_ptr<hub::bank::RegistryParser>> out;
    for (auto& l : hub::bank::load_layouts(HUB_BANK_LAYOUTS)) {
      // Batches of 2 lines: positions and several emits per file are exercised.
      out.push_back(std::make_shared<hub::bank::RegistryParser>(
          std::make_shared<const hub::bank::Layout>(std::move(l)), 2));
    }
    return out;
  }();
  static const Schemas schemas;
  const std::filesystem::path file = scratch_file();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  for (const auto& parser : layouts) {
    CheckingSink sink(schemas);
    parser->set_split_reconcile_bytes(UINT64_MAX);
    const auto outcome = parser->parse(file, {"fuzz.txt", std::string(64, '0'), 0, "fuzz"}, sink);
    // Pass 1 in two halves on two threads (as files from 8 MB are read) decides the same.
    CheckingSink split_sink(schemas);
    parser->set_split_reconcile_bytes(0);
    const auto split =
        parser->parse(file, {"fuzz.txt", std::string(64, '0'), 0, "fuzz"}, split_sink);
    if (split.accepted != outcome.accepted || split.summary != outcome.summary ||
        split_sink.emitted != sink.emitted ||
        (!outcome.accepted && (split.fatal.at(0).line != outcome.fatal.at(0).line ||
                               split.fatal.at(0).reason != outcome.fatal.at(0).reason))) {
      fail("pass 1 in two halves decided otherwise than in one",
           outcome.summary + " / " + split.summary + "\n" +
               (outcome.fatal.empty() ? "" : outcome.fatal[0].reason) + " / " +
               (split.fatal.empty() ? "" : split.fatal[0].reason));
    }
    if (!outcome.accepted && sink.emitted != 0) {
      fail("refused file emitted messages", outcome.fatal.empty() ? "" : outcome.fatal[0].reason);
    }
    if (!outcome.accepted && outcome.fatal.empty()) fail("refused without a reason", "");
    if (outcome.summary.empty() || outcome.summary.front() != '{' ||
        outcome.summary.back() != '}') {
      fail("summary is not a JSON object", outcome.summary);
    }
  }
  return 0;
}
