#include "client_bank/payment_order_outbox.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace hub::bank {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDone = ".xml";
constexpr const char* kPending = ".xml.pending";

std::string compact(const std::string& iso) {
  std::string s;
  for (char c : iso) {
    if (c != '-') s += c;
  }
  return s;
}

/// Message ids are UUIDs; anything else (a producer's key) is made file-name safe.
std::string file_safe(const std::string& id) {
  std::string s;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.';
    s += ok ? c : '_';
  }
  return s.substr(0, 200);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Writes `bytes` to `p` through a temporary file and a rename.
void write_atomically(const fs::path& p, const std::string& bytes) {
  const fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Stored {
  std::string id;
  fs::path path;
  bool pending = false;
  int batch = 1;
};

std::vector<Stored> stored_orders(const fs::path& group) {
  std::vector<Stored> out;
  if (!fs::exists(group)) return out;
  for (const auto& b : fs::directory_iterator(group)) {
    if (!b.is_directory()) continue;
    int batch = 0;
    try {
      batch = std::stoi(b.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    for (const auto& f : fs::directory_iterator(b.path())) {
      const std::string name = f.path().filename().string();
      if (ends_with(name, kPending)) {
        out.push_back(
            {name.substr(0, name.size() - std::string(kPending).size()), f.path(), true, batch});
      } else if (ends_with(name, kDone)) {
        out.push_back(
            {name.substr(0, name.size() - std::string(kDone).size()), f.path(), false, batch});
      }
    }
  }
  return out;
}

long long number_value(const std::string& n) {
  try {
    return std::stoll(n);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

PaymentOrderOutbox::PaymentOrderOutbox(PaymentOrderOutboxOptions options, Clock now)
    : options_(std::move(options)), now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::system_clock::now(); };
  std::error_code ec;
  fs::create_directories(options_.dir / ".orders", ec);
  if (ec) {
    throw std::runtime_error("payment order outbox " + options_.dir.string() + ": " + ec.message());
  }
}

fs::path PaymentOrderOutbox::file_for(const std::string& date, const std::string& account,
                                      int batch) const {
  std::string name = "1c_to_kl_" + compact(date) + "_" + account;
  if (batch > 1) name += "_" + std::to_string(batch);
  return options_.dir / (name + ".txt");
}

plugin::DeliveryResult PaymentOrderOutbox::deliver(const plugin::Envelope& message) {
  if (message.type != kPaymentOrderType) {
    return plugin::DeliveryResult::rejected(
        "the bank adapter writes " + std::string(kPaymentOrderType) + " only, not " + message.type);
  }
  std::string error;
  auto order = parse_payment_order(message.body, error);
  if (!order) return plugin::DeliveryResult::rejected(error);
  // The order alone must be writable before anything is stored.
  std::string probe;
  if (!write_payment_order_file({*order}, options_.file, probe, error)) {
    return plugin::DeliveryResult::rejected(error);
  }
  const std::string id = file_safe(message.id.empty() ? message.idempotency_key : message.id);
  if (id.empty()) return plugin::DeliveryResult::rejected("message has neither id nor key");
  std::lock_guard lock(mu_);
  try {
    return write(id, *order);
  } catch (const std::exception& e) {
    return plugin::DeliveryResult::retry(std::string("payment order outbox: ") + e.what());
  }
}

plugin::DeliveryResult PaymentOrderOutbox::write(const std::string& id, const PaymentOrder& order) {
  const std::string group_name = compact(order.date) + "_" + order.payer.account;
  const fs::path group = options_.dir / ".orders" / group_name;
  const auto stored = stored_orders(group);

  int last_batch = 1;
  const Stored* mine = nullptr;
  for (const auto& s : stored) {
    last_batch = std::max(last_batch, s.batch);
    if (s.id == id) mine = &s;
  }
  if (mine && !mine->pending) return plugin::DeliveryResult::delivered();  // written before

  std::vector<std::pair<Stored, PaymentOrder>> orders;
  for (const auto& s : stored) {
    if (s.id == id) continue;
    std::string error;
    auto o = parse_payment_order(read_all(s.path), error);
    if (!o) throw std::runtime_error(s.path.string() + ": " + error);
    if (o->number == order.number) {
      return plugin::DeliveryResult::rejected("payment order number " + order.number + " of " +
                                              order.date + " from account " + order.payer.account +
                                              " was already written for message " + s.id);
    }
    orders.emplace_back(s, std::move(*o));
  }

  // The newest batch, unless its file was taken by the client-bank program already.
  int batch = mine ? mine->batch : last_batch;
  const bool batch_has_others = std::any_of(orders.begin(), orders.end(),
                                            [&](const auto& p) { return p.first.batch == batch; });
  if (batch_has_others && !fs::exists(file_for(order.date, order.payer.account, batch))) {
    batch = last_batch + 1;
  }
  const fs::path dir = group / std::to_string(batch);
  fs::create_directories(dir);
  const fs::path pending = dir / (id + kPending);
  if (mine && mine->path != pending) fs::remove(mine->path);
  write_atomically(pending, payment_order_xml(order));

  std::vector<PaymentOrder> file_orders;
  for (auto& [s, o] : orders) {
    if (s.batch == batch) file_orders.push_back(o);
  }
  file_orders.push_back(order);
  std::stable_sort(file_orders.begin(), file_orders.end(), [](const auto& a, const auto& b) {
    return number_value(a.number) < number_value(b.number);
  });

  PaymentOrderFileOptions file = options_.file;
  const std::time_t t = std::chrono::system_clock::to_time_t(now_());
  std::tm tm{};
  localtime_r(&t, &tm);
  char date[16], time[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  std::strftime(time, sizeof time, "%H:%M:%S", &tm);
  file.created_date = date;
  file.created_time = time;
  std::string bytes, error;
  if (!write_payment_order_file(file_orders, file, bytes, error)) {
    fs::remove(pending);
    return plugin::DeliveryResult::rejected(error);
  }
  write_atomically(file_for(order.date, order.payer.account, batch), bytes);
  fs::rename(pending, dir / (id + kDone));
  return plugin::DeliveryResult::delivered();
}

}  // namespace hub::bank
