#include "hub/metrics/registry.h"

#include <array>
#include <cstdio>
#include <sstream>

namespace hub::metrics {
namespace {

constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,   5,     30};

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void atomic_add(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::string with_le(const std::string& labels, const std::string& le) {
  if (labels.empty()) return "{le=\"" + le + "\"}";
  return labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
}

}  // namespace

Registry::Histogram::Histogram() : buckets(kBuckets.size()) {}

Registry& Registry::global() {
  static Registry r;
  return r;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"";
    for (char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Registry::Family& Registry::family(std::string_view name, Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{kind, {}, {}, {}}).first;
  return it->second;
}

void Registry::describe(std::string_view name, std::string_view help) {
  std::unique_lock lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.help = std::string(help);
  else families_.emplace(std::string(name), Family{Kind::kCounter, std::string(help), {}, {}});
}

void Registry::add(std::string_view name, const Labels& labels, double value) {
  const auto key = render_labels(labels);
  {
    std::shared_lock lock(mu_);
    auto f = families_.find(name);
    if (f != families_.end()) {
      auto s = f->second.values.find(key);
      if (s != f->second.values.end()) {
        atomic_add(*s->second, value);
        return;
      }
    }
  }
  std::unique_lock lock(mu_);
  auto& fam = family(name, Kind::kCounter);
  auto& slot = fam.values[key];
  if (!slot) slot = std::make_unique<std::atomic<double>>(0);
  atomic_add(*slot, value);
}

void Registry::set(std::string_view name, const Labels& labels, double value) {
  const auto key = render_labels(labels);
  {
    std::shared_lock lock(mu_);
    auto f = families_.find(name);
    if (f != families_.end()) {
      auto s = f->second.values.find(key);
      if (s != f->second.values.end()) {
        s->second->store(value);
        return;
      }
    }
  }
  std::unique_lock lock(mu_);
  auto& fam = family(name, Kind::kGauge);
  fam.kind = Kind::kGauge;
  auto& slot = fam.values[key];
  if (!slot) slot = std::make_unique<std::atomic<double>>(0);
  slot->store(value);
}

void Registry::observe(std::string_view name, const Labels& labels, double seconds) {
  const auto key = render_labels(labels);
  Histogram* h = nullptr;
  {
    std::shared_lock lock(mu_);
    auto f = families_.find(name);
    if (f != families_.end()) {
      auto s = f->second.histograms.find(key);
      if (s != f->second.histograms.end()) h = s->second.get();
    }
  }
  if (!h) {
    std::unique_lock lock(mu_);
    auto& fam = family(name, Kind::kHistogram);
    fam.kind = Kind::kHistogram;
    auto& slot = fam.histograms[key];
    if (!slot) slot = std::make_unique<Histogram>();
    h = slot.get();
  }
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) h->buckets[i].fetch_add(1, std::memory_order_relaxed);
  }
  h->count.fetch_add(1, std::memory_order_relaxed);
  atomic_add(h->sum, seconds);
}

double Registry::value(std::string_view name, const Labels& labels) const {
  std::shared_lock lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.values.find(render_labels(labels));
  return s == f->second.values.end() ? 0 : s->second->load();
}

std::string Registry::render() const {
  std::ostringstream out;
  std::shared_lock lock(mu_);
  for (const auto& [name, fam] : families_) {
    if (fam.values.empty() && fam.histograms.empty()) continue;
    if (!fam.help.empty()) out << "# HELP " << name << ' ' << fam.help << '\n';
    const char* type =
        fam.kind == Kind::kCounter ? "counter" : fam.kind == Kind::kGauge ? "gauge" : "histogram";
    out << "# TYPE " << name << ' ' << type << '\n';
    for (const auto& [labels, v] : fam.values) {
      out << name << labels << ' ' << format_number(v->load()) << '\n';
    }
    for (const auto& [labels, h] : fam.histograms) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        out << name << "_bucket" << with_le(labels, format_number(kBuckets[i])) << ' '
            << h->buckets[i].load() << '\n';
      }
      out << name << "_bucket" << with_le(labels, "+Inf") << ' ' << h->count.load() << '\n';
      out << name << "_sum" << labels << ' ' << format_number(h->sum.load()) << '\n';
      out << name << "_count" << labels << ' ' << h->count.load() << '\n';
    }
  }
  return out.str();
}

Labels AdapterMetrics::with_instance(const Labels& labels) const {
  Labels out = labels;
  out.insert(out.begin(), {"instance", instance_});
  return out;
}
std::string AdapterMetrics::prefixed(std::string_view name) const {
  return "zhkh_adapter_" + std::string(name);
}
void AdapterMetrics::add(std::string_view c, const Labels& l, double v) {
  registry_.add(prefixed(c), with_instance(l), v);
}
void AdapterMetrics::set(std::string_view g, const Labels& l, double v) {
  registry_.set(prefixed(g), with_instance(l), v);
}
void AdapterMetrics::observe(std::string_view h, const Labels& l, double s) {
  registry_.observe(prefixed(h), with_instance(l), s);
}

}  // namespace hub::metrics
