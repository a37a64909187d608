// Metrics in the Prometheus text exposition format (version 0.0.4), for
// `spsync serve`'s /metrics and `spsync run --metrics-file`.
//
// A family is declared once (name, type, help); samples are keyed by their
// label values. Names follow Prometheus conventions: base units, `_total`
// for counters, `_seconds`, `_timestamp_seconds`.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace spsync::engine::serve {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge };
  void Declare(const std::string& name, Type type, const std::string& help);
  // Adds `by` to a counter (or gauge) sample, creating it at 0.
  void Add(const std::string& name, const Labels& labels, double by = 1);
  void Set(const std::string& name, const Labels& labels, double value);
  // Removes every sample of `name` (a gauge recomputed from scratch).
  void Clear(const std::string& name);
  // The value of a sample, or 0 (tests, health).
  double Value(const std::string& name, const Labels& labels) const;
  // Called at the start of Exposition(), to refresh computed gauges.
  void OnCollect(std::function<void(Metrics&)> fn);
  // The text format, families in name order, samples in label order.
  std::string Exposition();
  // Writes Exposition() to `path` through a temporary file and a rename, so
  // node_exporter's textfile collector never reads half a file.
  void WriteFile(const std::string& path);

 private:
  struct Family {
    Type type = Type::kGauge;
    std::string help;
    std::map<Labels, double> samples;
  };
  Family& Find(const std::string& name);  // mu_ held; throws for an undeclared name
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(Metrics&)>> collectors_;
};

// A label value or HELP text escaped for the exposition format.
std::string EscapeLabelValue(const std::string& v);

}  // namespace spsync::engine::serve
