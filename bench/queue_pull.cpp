// Consumer throughput of the canonical queues, as a billing engine sees them, against pg-boss on
// the same PostgreSQL.
//
//   bench_queue_pull [--batches 1,100,1000] [--messages 2000,20000,40000]
//                    [--pgboss-messages 300,15000,30000] [--lag-messages 200] [--lag-rate 50]
//                    [--rounds 3] [--no-pgboss] [--synchronous-acks] [--keep-db]
//
// Per batch size B: N payment.received messages (the canonical sample, in the envelope) are
// journalled through Ingress, whose fan-out queues them for subscription `billing`; then one
// consumer drains the queue over HTTP with keep-alive: POST /api/v1/queues/billing/pull?max=B
// whose body acks the batch before ({"ack": [receipts]}, one call per batch; the last batch is
// acked with POST .../ack), parsing every response in full (each message and its body, as a
// billing engine would) before acking it. msgs/s = N / time until every message is acked. The
// plain loop with pull and ack as two calls per batch is measured once for reference
// (hub_two_call_*). Then pg-boss (bench/node, pinned in package-lock.json)
// does the same with the same batch size on its own database of the same cluster: send/insert N
// jobs whose data is the same envelope, then one consumer fetch(B) + complete(ids) until done.
// ratio = hub / pg-boss. Each side runs --rounds times per batch size, the rounds of the two
// interleaved, and its best round counts: the machine is shared, and a round can be slowed by
// someone else's build. End-to-end lag: one consumer long-polls (wait=10) while messages are
// submitted one by one at --lag-rate per second; lag = consumer has it - Ingress committed it
// (Ingress step hook kCommitted). The last output line is one JSON object.
//
// PostgreSQL: ZHKH_BENCH_PG (an admin conninfo; fresh databases are created in it), else a
// private cluster is started with deploy/lib-pg.sh under /tmp and stopped at the end. Node:
// `node` on PATH with bench/node/node_modules installed (deploy/install-deps.sh runs npm ci).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hub/api/admin_server.h"
#include "hub/api/token_store.h"
#include "hub/core/json_text.h"
#include "hub/core/log.h"
#include "hub/ingress/ingress.h"
#include "hub/metrics/registry.h"
#include "hub/queue/canonical_queues.h"
#include "hub/queue/envelope_json.h"
#include "hub/queue/queue_routes.h"
#include "hub/router/router.h"
#include "hub/store/migrations.h"
#include "hub/store/pool.h"
#include "hub/xml/schema_registry.h"
#include "pg_cluster.h"
#include "process_usage.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Options {
  std::vector<int> batches{1, 100, 1000};
  std::vector<int> messages{2000, 20000, 40000};
  std::vector<int> pgboss_messages{300, 15000, 30000};
  int lag_messages = 200;
  int lag_rate = 50;
  int rounds = 3;
  bool pgboss = true;
  bool synchronous_acks = false;
  bool keep_db = false;  ///< leave the bench databases for a look with psql (ZHKH_BENCH_PG)
  fs::path source = HUB_SOURCE_DIR;
};

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Reads a pull response in one streaming pass (Poco's JSON parser with its own handler):
/// every token is parsed and every string unescaped, as with a document parse, but no tree of
/// Dynamic::Var is built; the consumer keeps per message what it needs (receipt, key, body).
class PullHandler : public Poco::JSON::Handler {
 public:
  struct Message {
    std::string receipt;
    std::string idempotency_key;
    std::size_t body_bytes = 0;
  };
  std::vector<Message> messages;
  long long acked = -1;  ///< "acked" of a pull that carried receipts

  void reset() override {
    messages.clear();
    acked = -1;
    depth_ = 0;
  }
  void startObject() override {
    // depth 1: the response; 2: one queued message; 3: its envelope; 4: headers
    if (++depth_ == 2) messages.emplace_back();
  }
  void endObject() override { --depth_; }
  void startArray() override {}
  void endArray() override {}
  void key(const std::string& k) override { key_ = k; }
  void null() override {}
  void value(int v) override { number(v); }
  void value(unsigned v) override { number(v); }
  void value(Poco::Int64 v) override { number(v); }
  void value(Poco::UInt64 v) override { number(static_cast<long long>(v)); }
  void value(double) override {}
  void value(bool) override {}
  void value(const std::string& v) override {
    if (messages.empty()) return;
    auto& m = messages.back();
    if (depth_ == 2 && key_ == "receipt") m.receipt = v;
    if (depth_ == 3 && key_ == "idempotency_key") m.idempotency_key = v;
    if (depth_ == 3 && key_ == "body") m.body_bytes = v.size();
  }

 private:
  void number(long long v) {
    if (depth_ == 1 && key_ == "acked") acked = v;
  }
  int depth_ = 0;
  std::string key_;
};

/// A complete JSON reader (RFC 8259: every token checked, every string unescaped, \u escapes
/// and surrogate pairs to UTF-8) that feeds a Poco::JSON::Handler. The consumer uses it instead
/// of Poco's parser, which took more CPU than the whole server side of a pull in the profile
/// (~10 us per 2 KB message): pg-boss's client parses with V8's JSON.parse, and a billing engine
/// would use its platform's fast parser too. Checked against Poco's on every run (warm-up).
class JsonReader {
 public:
  JsonReader(std::string_view text, Poco::JSON::Handler& h) : s_(text), h_(h) {}
  void parse() {
    h_.reset();
    ws();
    value();
    ws();
    if (i_ != s_.size()) fail("trailing characters");
  }

 private:
  [[noreturn]] void fail(const char* why) {
    throw std::runtime_error(std::string("JSON: ") + why + " at offset " + std::to_string(i_));
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  char peek() { return i_ < s_.size() ? s_[i_] : '\0'; }
  void expect(char c) {
    if (peek() != c) fail("unexpected character");
    ++i_;
  }
  void literal(const char* word) {
    for (const char* p = word; *p; ++p) expect(*p);
  }
  void value() {
    switch (peek()) {
      case '{':
        object();
        break;
      case '[':
        array();
        break;
      case '"':
        h_.value(string());
        break;
      case 't':
        literal("true");
        h_.value(true);
        break;
      case 'f':
        literal("false");
        h_.value(false);
        break;
      case 'n':
        literal("null");
        h_.null();
        break;
      default:
        number();
    }
  }
  void object() {
    expect('{');
    h_.startObject();
    ws();
    if (peek() == '}') {
      ++i_;
      h_.endObject();
      return;
    }
    for (;;) {
      ws();
      h_.key(string());
      ws();
      expect(':');
      ws();
      value();
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      h_.endObject();
      return;
    }
  }
  void array() {
    expect('[');
    h_.startArray();
    ws();
    if (peek() == ']') {
      ++i_;
      h_.endArray();
      return;
    }
    for (;;) {
      ws();
      value();
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect(']');
      h_.endArray();
      return;
    }
  }
  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("short \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        fail("bad \\u escape");
    }
    return v;
  }
  void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::string string() {
    expect('"');
    std::string out;
    std::size_t run = i_;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        out.append(s_.data() + run, i_ - run);
        ++i_;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c != '\\') {
        ++i_;
        continue;
      }
      out.append(s_.data() + run, i_ - run);
      ++i_;
      const char e = i_ < s_.size() ? s_[i_++] : '\0';
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
            expect('\\');
            expect('u');
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default:
          fail("bad escape");
      }
      run = i_;
    }
  }
  void number() {
    const std::size_t start = i_;
    if (peek() == '-') ++i_;
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a value");
    while (std::isdigit(static_cast<unsigned char>(peek()))) ++i_;
    bool real = false;
    if (peek() == '.') {
      real = true;
      ++i_;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("bad number");
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      real = true;
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("bad exponent");
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++i_;
    }
    const std::string text(s_.substr(start, i_ - start));
    if (real) {
      h_.value(std::stod(text));
    } else {
      h_.value(static_cast<Poco::Int64>(std::stoll(text)));
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  Poco::JSON::Handler& h_;
};

/// A billing engine's HTTP client: one keep-alive connection, bearer token.
class Consumer {
 public:
  Consumer(int port, std::string token)
      : session_("127.0.0.1", static_cast<Poco::UInt16>(port)), token_(std::move(token)) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(60, 0));
  }

  using Message = PullHandler::Message;

  /// One pull, fully parsed.
  /// With `ack`, those are acked in the same call (pull's {"ack": [...]}); `acked` gets the count.
  std::vector<Message> pull(int max, int wait, const std::vector<Message>* ack = nullptr,
                            long long* acked = nullptr) {
    std::string body;
    if (ack) body = receipts_json("ack", *ack);
    const auto text = post(
        "/api/v1/queues/billing/pull?max=" + std::to_string(max) + "&wait=" + std::to_string(wait),
        body);
    const auto tparse = Clock::now();
    JsonReader(text, *handler_).parse();
    if (check_parser) {  // the same answer as Poco's parser, message for message
      Poco::SharedPtr<PullHandler> poco_handler = new PullHandler;
      Poco::JSON::Parser(poco_handler).parse(text);
      if (poco_handler->messages.size() != handler_->messages.size() ||
          poco_handler->acked != handler_->acked) {
        throw std::runtime_error("JsonReader and Poco's parser disagree on a pull");
      }
      for (std::size_t i = 0; i < handler_->messages.size(); ++i) {
        const auto& a = handler_->messages[i];
        const auto& b = poco_handler->messages[i];
        if (a.receipt != b.receipt || a.idempotency_key != b.idempotency_key ||
            a.body_bytes != b.body_bytes) {
          throw std::runtime_error("JsonReader and Poco's parser disagree on a message");
        }
      }
    }
    std::vector<Message> out = std::move(handler_->messages);
    handler_->messages.clear();
    if (acked) *acked = handler_->acked;
    parse_s += std::chrono::duration<double>(Clock::now() - tparse).count();
    for (const auto& m : out) {
      if (m.body_bytes == 0 || m.receipt.empty()) throw std::runtime_error("incomplete message");
    }
    return out;
  }

  double parse_s = 0;         ///< time spent parsing pull responses
  bool check_parser = false;  ///< also parse with Poco and compare (warm-up)

  int ack(const std::vector<Message>& batch) {
    const auto text = post("/api/v1/queues/billing/ack", receipts_json("receipts", batch));
    auto root = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    return root->getValue<int>("acked");
  }

 private:
  static std::string receipts_json(const char* key, const std::vector<Message>& batch) {
    std::string body = std::string("{\"") + key + "\":[";
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i) body += ',';
      hub::append_json_string(body, batch[i].receipt);
    }
    return body + "]}";
  }

  std::string post(const std::string& path, const std::string& body) {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token_);
    req.setKeepAlive(true);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session_.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    auto& in = session_.receiveResponse(resp);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    if (resp.getStatus() != 200) {
      throw std::runtime_error(path + ": HTTP " + std::to_string(resp.getStatus()) + ": " + text);
    }
    return text;
  }

  Poco::Net::HTTPClientSession session_;
  std::string token_;
  Poco::SharedPtr<PullHandler> handler_ = new PullHandler;
};

struct Rig {
  std::string body;
  std::unique_ptr<hub::store::Pool> pool;
  hub::router::RouterHolder router;
  std::unique_ptr<hub::ingress::Ingress> ingress;
  std::unique_ptr<hub::queue::CanonicalQueues> queues;
  std::unique_ptr<hub::api::AdminServer> api;
  std::string token;
};

hub::Envelope payment(const Rig& rig, const std::string& key) {
  hub::Envelope e;
  e.type = "payment.received";
  e.source = "bench";
  e.idempotency_key = key;
  e.body = rig.body;
  return e;
}

/// Journals `count` messages in Ingress batches of 1000; returns msgs/s.
double enqueue(Rig& rig, const std::string& prefix, int count) {
  const auto t0 = Clock::now();
  for (int start = 0; start < count; start += 1000) {
    std::vector<hub::Envelope> batch;
    for (int i = start; i < std::min(count, start + 1000); ++i) {
      batch.push_back(payment(rig, prefix + "-" + std::to_string(i)));
    }
    rig.ingress->submit(std::move(batch));
  }
  return count / seconds_since(t0);
}

/// Seconds the admin API spent in `endpoint` so far (its latency histogram's sum).
double server_seconds(const std::string& endpoint) {
  const auto text = hub::metrics::Registry::global().render();
  const auto key = "zhkh_api_request_seconds_sum{endpoint=\"" + endpoint + "\"} ";
  const auto at = text.find(key);
  return at == std::string::npos ? 0.0 : std::atof(text.c_str() + at + key.size());
}

/// Drains `count` messages, `batch` per pull; returns msgs/s. Separate: pull, then ack (two
/// calls per batch). Combined: each pull carries the receipts of the batch before it (one call
/// per batch; the last batch is acked alone). Either way a batch is acked only after the
/// consumer has parsed it, and every message is acked before the clock stops.
double drain(Rig& rig, int batch, int count, bool combined, bool check_parser = false) {
  if (combined) {
    const double server0 = server_seconds("queue.pull");
    Consumer c(rig.api->port(), rig.token);
    c.check_parser = check_parser;
    int received = 0;
    long long acked_total = 0;
    std::vector<Consumer::Message> previous;
    const auto t0 = Clock::now();
    while (received < count) {
      long long acked = 0;
      auto got = c.pull(batch, 0, previous.empty() ? nullptr : &previous, &acked);
      if (!previous.empty() && acked != static_cast<long long>(previous.size())) {
        throw std::runtime_error("pull acked " + std::to_string(acked) + " of " +
                                 std::to_string(previous.size()));
      }
      if (!previous.empty()) acked_total += acked;
      if (got.empty()) {
        throw std::runtime_error("queue ran dry after " + std::to_string(received) + " of " +
                                 std::to_string(count));
      }
      received += static_cast<int>(got.size());
      previous = std::move(got);
    }
    acked_total += c.ack(previous);
    const double total = seconds_since(t0);
    std::printf("  per message: %.1f us, of it in the server's pull handler %.1f, parsing %.1f\n",
                1e6 * total / count, 1e6 * (server_seconds("queue.pull") - server0) / count,
                1e6 * c.parse_s / count);
    if (acked_total != count) throw std::runtime_error("not every message was acked");
    return count / total;
  }
  const double server_pull0 = server_seconds("queue.pull");
  const double server_ack0 = server_seconds("queue.ack");
  Consumer c(rig.api->port(), rig.token);
  int done = 0;
  const auto t0 = Clock::now();
  double pull_s = 0, ack_s = 0;
  while (done < count) {
    const auto tp = Clock::now();
    const auto got = c.pull(batch, 0);
    pull_s += seconds_since(tp);
    if (got.empty()) {
      throw std::runtime_error("queue ran dry after " + std::to_string(done) + " of " +
                               std::to_string(count));
    }
    const auto ta = Clock::now();
    const int acked = c.ack(got);
    ack_s += seconds_since(ta);
    if (acked != static_cast<int>(got.size())) {
      throw std::runtime_error("ack took " + std::to_string(acked) + " of " +
                               std::to_string(got.size()));
    }
    done += acked;
  }
  const double total = seconds_since(t0);
  const double server_pull = server_seconds("queue.pull") - server_pull0;
  const double server_ack = server_seconds("queue.ack") - server_ack0;
  std::printf(
      "  per message: pull %.1f us (server %.1f, client JSON parse %.1f), ack %.1f us"
      " (server %.1f)\n",
      1e6 * pull_s / done, 1e6 * server_pull / done, 1e6 * c.parse_s / done, 1e6 * ack_s / done,
      1e6 * server_ack / done);
  return done / total;
}

struct PgBossResult {
  double send_per_s = 0;
  double consume_per_s = 0;
};

/// Runs one round of bench/node/pgboss_bench.js for one batch size against `url`.
PgBossResult run_pgboss(const Options& o, const std::string& url, int batch, int count) {
  const auto script = o.source / "bench/node/pgboss_bench.js";
  const std::string cmd =
      "cd " + shell_quote((o.source / "bench/node").string()) + " && node " +
      shell_quote(script.string()) + " --url " + shell_quote(url) + " --payload " +
      shell_quote((o.source / "schemas/canonical/samples/payment.received.xml").string()) +
      " --batches " + std::to_string(batch) + " --messages " + std::to_string(count) +
      " --rounds 1 2>&1";
  const auto out = run_capture(cmd);
  std::cout << out.substr(
      0, out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
  const auto last =
      out.substr(out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
  auto root = Poco::JSON::Parser().parse(last).extract<Poco::JSON::Object::Ptr>();
  const auto r = root->getObject(std::to_string(batch));
  return {r->getValue<double>("send_per_s"), r->getValue<double>("consume_per_s")};
}

struct Lag {
  double p50 = 0, p99 = 0, max = 0;
};

/// Single submits at `rate`/s while one consumer long-polls; lag = received - committed.
Lag measure_lag(Rig& rig, int count, int rate) {
  std::mutex mu;
  std::map<std::string, Clock::time_point> committed, received;
  Clock::time_point last_commit;
  rig.ingress->set_step_hook([&](hub::ingress::Step s) {
    if (s == hub::ingress::Step::kCommitted) last_commit = Clock::now();
  });
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    Consumer c(rig.api->port(), rig.token);
    std::size_t got_total = 0;
    while (got_total < static_cast<std::size_t>(count) && !stop) {
      const auto got = c.pull(100, 2);
      const auto now = Clock::now();
      {
        std::lock_guard lock(mu);
        for (const auto& m : got) received[m.idempotency_key] = now;
      }
      got_total += got.size();
      if (!got.empty()) c.ack(got);
    }
  });
  const auto interval = std::chrono::microseconds(1000000 / std::max(1, rate));
  auto next = Clock::now();
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(next);
    next += interval;
    const auto key = "lag-" + std::to_string(i);
    rig.ingress->submit({payment(rig, key)});
    std::lock_guard lock(mu);
    committed[key] = last_commit;
  }
  const auto deadline = Clock::now() + 30s;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (received.size() >= static_cast<std::size_t>(count)) break;
    }
    if (Clock::now() > deadline) break;
    std::this_thread::sleep_for(5ms);
  }
  stop = true;
  consumer.join();
  rig.ingress->set_step_hook({});
  std::vector<double> ms;
  for (const auto& [key, at] : committed) {
    auto it = received.find(key);
    if (it == received.end()) throw std::runtime_error("lag: " + key + " never arrived");
    ms.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
  }
  std::sort(ms.begin(), ms.end());
  const auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * (ms.size() - 1) + 0.5))];
  };
  return {pct(0.50), pct(0.99), ms.back()};
}

std::string pg_url(const std::string& conninfo, const std::string& db) {
  // host=127.0.0.1 port=N user=U ... -> postgres://U@127.0.0.1:N/db
  std::map<std::string, std::string> kv;
  std::stringstream ss(conninfo);
  std::string item;
  while (ss >> item) {
    const auto eq = item.find('=');
    if (eq != std::string::npos) kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  std::string url = "postgres://" + (kv.count("user") ? kv["user"] : std::string("postgres"));
  if (kv.count("password")) url += ":" + kv["password"];
  url += "@" + (kv.count("host") ? kv["host"] : std::string("127.0.0.1")) + ":" +
         (kv.count("port") ? kv["port"] : std::string("5432")) + "/" + db;
  return url;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* s = std::getenv("ZHKH_SOURCE_DIR")) o.source = s;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
      return argv[++i];
    };
    try {
      if (k == "--batches")
        o.batches = int_list(value());
      else if (k == "--messages")
        o.messages = int_list(value());
      else if (k == "--pgboss-messages")
        o.pgboss_messages = int_list(value());
      else if (k == "--lag-messages")
        o.lag_messages = std::stoi(value());
      else if (k == "--lag-rate")
        o.lag_rate = std::stoi(value());
      else if (k == "--rounds")
        o.rounds = std::max(1, std::stoi(value()));
      else if (k == "--no-pgboss")
        o.pgboss = false;
      else if (k == "--synchronous-acks")
        o.synchronous_acks = true;
      else if (k == "--keep-db")
        o.keep_db = true;
      else
        throw std::invalid_argument("unknown option " + k);
    } catch (const std::exception& e) {
      std::cerr << "bench_queue_pull: " << e.what() << "\n";
      return 2;
    }
  }
  if (o.messages.size() != o.batches.size() || o.pgboss_messages.size() != o.batches.size()) {
    std::cerr << "bench_queue_pull: --batches, --messages and --pgboss-messages need as many "
                 "entries each\n";
    return 2;
  }
  hub::LogSink::instance().set_min_level(hub::LogLevel::kWarn);
  try {
    std::unique_ptr<TempCluster> cluster;
    std::string admin;
    if (const char* env = std::getenv("ZHKH_BENCH_PG"); env && *env) {
      admin = env;
    } else {
      cluster = std::make_unique<TempCluster>(o.source);
      admin = cluster->conninfo();
    }
    const std::string db = "bench_queue_" + std::to_string(::getpid());
    const std::string boss_db = db + "_pgboss";
    {
      pqxx::connection c(admin);
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE " + db);
      if (o.pgboss) tx.exec("CREATE DATABASE " + boss_db);
    }
    const std::string conninfo = with_dbname(admin, db);
    {
      pqxx::connection c(conninfo);
      hub::store::migrate(c);
    }

    Rig rig;
    rig.body = read_file(o.source / "schemas/canonical/samples/payment.received.xml");
    rig.pool = std::make_unique<hub::store::Pool>(conninfo, 8);
    auto schemas = hub::xml::SchemaRegistry::load(o.source / "schemas/canonical");
    rig.router.set(hub::router::make_router("", "bench-routes.yaml", nullptr, 1));
    rig.ingress = std::make_unique<hub::ingress::Ingress>(*rig.pool, schemas, rig.router);
    hub::queue::Subscription sub;
    sub.name = "billing";
    sub.types = {"payment.received"};
    sub.visibility_timeout = 60s;
    hub::queue::QueueOptions qopt;
    qopt.synchronous_acks = o.synchronous_acks;
    qopt.stats_interval = 0ms;
    rig.queues =
        std::make_unique<hub::queue::CanonicalQueues>(*rig.pool, conninfo, std::vector{sub}, qopt);
    rig.ingress->set_fan_out(
        [q = rig.queues.get()](const hub::Envelope& e, hub::router::RoutingDecision& d) {
          q->fan_out(e, d);
        });
    rig.token = hub::api::TokenStore(*rig.pool).create("billing-engine", hub::api::Role::kOperator);
    hub::api::AdminServerOptions aopt;
    aopt.port = 0;
    rig.api = std::make_unique<hub::api::AdminServer>(*rig.pool, hub::api::AdminServices{}, aopt);
    rig.api->add_routes(hub::queue::queue_routes(*rig.queues, *rig.ingress, *rig.pool));
    rig.api->start();

    // Warm-up: statements prepared, caches filled, one connection to the API.
    enqueue(rig, "warm", 500);
    drain(rig, 100, 500, true, true);

    std::string envelope_json;
    {
      auto e = payment(rig, "size");
      e.id = "01900000-0000-7000-8000-000000000000";
      e.correlation_id = e.id;
      hub::queue::append_envelope_json(envelope_json, e);
    }
    std::printf("payload: payment.received sample, %zu-byte body, %zu-byte JSON envelope\n",
                rig.body.size(), envelope_json.size());

    struct Row {
      int batch, messages, boss_messages;
      double enqueue_per_s = 0, hub_per_s = 0, hub_separate_per_s = 0, boss_send_per_s = 0,
             boss_per_s = 0, ratio = 0, ratio_separate = 0;
    };
    std::vector<Row> rows;
    double min_ratio = 1e18, min_ratio_separate = 1e18;
    for (std::size_t i = 0; i < o.batches.size(); ++i) {
      Row r{o.batches[i], o.messages[i], o.pgboss_messages[i]};
      {
        auto lease = rig.pool->lease();
        pqxx::nontransaction tx(lease.conn());
        tx.exec("VACUUM ANALYZE hub.delivery");
      }
      for (int round = 1; round <= o.rounds; ++round) {
        const auto prefix = "b" + std::to_string(r.batch) + "r" + std::to_string(round);
        const double enq = enqueue(rig, prefix + "c", r.messages);
        const double hub = drain(rig, r.batch, r.messages, true);
        std::printf(
            "hub     batch %4d round %d: %8.0f msgs/s, each pull acking the batch before"
            " (%d msgs; enqueued at %.0f/s)\n",
            r.batch, round, hub, r.messages, enq);
        if (round == 1) {  // the plain two-call loop, for reference (one round: it is not scored)
          enqueue(rig, prefix + "s", r.messages);
          r.hub_separate_per_s = drain(rig, r.batch, r.messages, false);
          std::printf("hub     batch %4d round 1: %8.0f msgs/s with pull and ack as two calls\n",
                      r.batch, r.hub_separate_per_s);
        }
        std::fflush(stdout);
        r.enqueue_per_s = std::max(r.enqueue_per_s, enq);
        r.hub_per_s = std::max(r.hub_per_s, hub);
        if (o.pgboss) {
          const auto b = run_pgboss(o, pg_url(admin, boss_db), r.batch, r.boss_messages);
          r.boss_send_per_s = std::max(r.boss_send_per_s, b.send_per_s);
          r.boss_per_s = std::max(r.boss_per_s, b.consume_per_s);
        }
      }
      if (o.pgboss) {
        r.ratio = r.hub_per_s / std::max(1.0, r.boss_per_s);
        r.ratio_separate = r.hub_separate_per_s / std::max(1.0, r.boss_per_s);
        min_ratio = std::min(min_ratio, r.ratio);
        min_ratio_separate = std::min(min_ratio_separate, r.ratio_separate);
        std::printf("ratio   batch %4d: hub / pg-boss = %.2f (two-call loop: %.2f)\n", r.batch,
                    r.ratio, r.ratio_separate);
        std::fflush(stdout);
      }
      rows.push_back(r);
    }

    const auto lag = measure_lag(rig, o.lag_messages, o.lag_rate);
    std::printf(
        "lag: Ingress commit -> consumer has it (long-poll, %d msgs at %d/s): p50 %.2f ms,"
        " p99 %.2f ms, max %.2f ms\n",
        o.lag_messages, o.lag_rate, lag.p50, lag.p99, lag.max);

    rig.api->stop();
    rig.api.reset();
    rig.queues.reset();
    rig.ingress.reset();
    rig.pool.reset();
    if (o.keep_db && !cluster) {
      std::printf("kept databases %s and %s\n", db.c_str(), boss_db.c_str());
    } else {
      pqxx::connection c(admin);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      if (o.pgboss) tx.exec("DROP DATABASE IF EXISTS " + boss_db + " WITH (FORCE)");
    }

    std::string json = "{";
    for (const auto& r : rows) {
      char buf[512];
      std::snprintf(buf, sizeof buf,
                    "\"batch_%d\":{\"hub_msgs_per_s\":%.0f,\"pgboss_msgs_per_s\":%.0f,"
                    "\"ratio_vs_pgboss\":%.2f,\"hub_two_call_msgs_per_s\":%.0f,"
                    "\"ratio_two_call_vs_pgboss\":%.2f,\"messages\":%d,\"pgboss_messages\":%d,"
                    "\"hub_enqueue_msgs_per_s\":%.0f,\"pgboss_send_msgs_per_s\":%.0f},",
                    r.batch, r.hub_per_s, r.boss_per_s, r.ratio, r.hub_separate_per_s,
                    r.ratio_separate, r.messages, r.boss_messages, r.enqueue_per_s,
                    r.boss_send_per_s);
      json += buf;
    }
    char tail[512];
    std::snprintf(tail, sizeof tail,
                  "\"min_ratio_vs_pgboss\":%.2f,\"min_ratio_two_call_vs_pgboss\":%.2f,"
                  "\"lag_ms_p50\":%.2f,\"lag_ms_p99\":%.2f,"
                  "\"lag_ms_max\":%.2f,\"body_bytes\":%zu,\"envelope_json_bytes\":%zu,"
                  "\"consumers\":1,\"rounds\":%d,\"synchronous_acks\":%s,\"pgboss\":%s}",
                  o.pgboss ? min_ratio : 0.0, o.pgboss ? min_ratio_separate : 0.0, lag.p50, lag.p99,
                  lag.max, rig.body.size(), envelope_json.size(), o.rounds,
                  o.synchronous_acks ? "true" : "false", o.pgboss ? "true" : "false");
    json += tail;
    std::printf("%s\n", json.c_str());
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_queue_pull: %s\n", e.what());
    return 1;
  }
}
