#include <fstream>

#include "parsers.h"
#include "util.h"

namespace hub::plugins::file_inbox {

plugin::ParseOutcome FileReceivedParser::parse(const std::filesystem::path& file,
                                               const plugin::ParsedFile& info,
                                               plugin::ParseSink& sink) {
  plugin::ParseOutcome outcome;
  const auto size = std::filesystem::file_size(file);
  const std::string source = info.source.empty() ? std::string("file") : info.source;
  std::string body = std::string("<c:fileReceived xmlns:c=\"") + kCanonicalNs + "\">" +
                     "<c:fileName>" + xml_escape(info.file_name) + "</c:fileName>" + "<c:size>" +
                     std::to_string(size) + "</c:size>" + "<c:sha256>" + info.fingerprint +
                     "</c:sha256>" + "<c:source>" + xml_escape(source) + "</c:source>";
  if (size <= max_text_bytes_) {
    const auto text = read_file(file, max_text_bytes_);
    if (is_xml_safe_utf8(text)) body += "<c:content>" + xml_escape(text) + "</c:content>";
  }
  body += "</c:fileReceived>";

  plugin::Envelope e;
  e.type = "file.received";
  e.idempotency_key = source + ":" + info.fingerprint;
  e.headers["file_name"] = info.file_name;
  e.body = std::move(body);
  if (info.resume_after < 1) {
    std::vector<plugin::Envelope> batch;
    batch.push_back(std::move(e));
    sink.emit(std::move(batch), 1);
  }
  outcome.summary = "1 file.received message, " + std::to_string(size) + " bytes";
  return outcome;
}

}  // namespace hub::plugins::file_inbox
