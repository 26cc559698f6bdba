#pragma once
// Process-wide metrics rendered as Prometheus text on /metrics. Lock-light: a series is looked up
// under a shared mutex and updated atomically.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hub/plugin/context.h"

namespace hub::metrics {

using plugin::Labels;

class Registry {
 public:
  static Registry& global();

  void add(std::string_view counter, const Labels& labels = {}, double value = 1);
  void set(std::string_view gauge, const Labels& labels, double value);
  /// Latency histogram in seconds, buckets from 0.5 ms to 30 s.
  void observe(std::string_view histogram, const Labels& labels, double seconds);
  /// Declares the help text shown on /metrics for `name`.
  void describe(std::string_view name, std::string_view help);

  /// Prometheus text exposition format (version 0.0.4).
  std::string render() const;
  /// Current value of a counter or gauge series; 0 when absent (for tests and the CLI).
  double value(std::string_view name, const Labels& labels = {}) const;

 private:
  struct Histogram {
    std::vector<std::atomic<std::uint64_t>> buckets;
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> sum{0};
    Histogram();
  };
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, std::unique_ptr<std::atomic<double>>> values;  // key: rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(std::string_view name, Kind kind);

  mutable std::shared_mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

/// Renders {a="x",b="y"} with escaping; "" for no labels.
std::string render_labels(const Labels& labels);

/// An adapter's view: names prefixed with `zhkh_adapter_`, the instance added as a label.
class AdapterMetrics : public plugin::Metrics {
 public:
  AdapterMetrics(Registry& registry, std::string instance)
      : registry_(registry), instance_(std::move(instance)) {}
  void add(std::string_view counter, const Labels& labels, double value) override;
  void set(std::string_view gauge, const Labels& labels, double value) override;
  void observe(std::string_view histogram, const Labels& labels, double seconds) override;

 private:
  Labels with_instance(const Labels& labels) const;
  std::string prefixed(std::string_view name) const;
  Registry& registry_;
  std::string instance_;
};

}  // namespace hub::metrics
