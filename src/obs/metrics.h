#pragma once
// Metrics in Prometheus's text exposition format 0.0.4, written by hand (Debian has no
// prometheus-cpp; the format is small): counters, gauges and histograms with fixed buckets,
// grouped in labelled families, rendered on scrape.
//
// Threading: every method may be called from any thread. Updating a series is one or two
// relaxed atomic operations, so the audio path can count without locks; finding a labelled
// series (Family::with) takes the family's mutex, so callers look a series up once per
// request, never per chunk. A series, once created, lives as long as its Registry: references
// returned by with() stay valid.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lector::obs {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  // For a counter that mirrors a count kept elsewhere (the scheduler's), copied at scrape
  // time. That count only grows, so the series still never goes down.
  void set(double total) { value_.store(total, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly increasing; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations per bucket (not cumulative), the last one being +Inf; and their sum.
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// A metric name with its help text and label names, and one series per label-value tuple.
template <typename Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The series with these label values (as many as label names), created on first use.
  Metric& with(const LabelValues& values);
  // The series without labels (a family with no label names).
  Metric& get() { return with({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls f(values, metric) for every series, in label order.
  template <typename F>
  void for_each(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, metric] : series_) f(values, *metric);
  }

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Metric>> series_;
};

class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> label_names, std::vector<double> bounds);

  // Every family in registration order: "# HELP", "# TYPE", then one line per series
  // (histograms: cumulative _bucket lines with le, then _sum and _count).
  std::string render() const;

 private:
  struct Entry {
    MetricType type;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  mutable std::mutex mu_;
  std::vector<Entry> families_;
};

// The exposition format's pieces, exposed for tests.
// A sample value: integers as integers, others in the shortest form that reads back exactly;
// +Inf, -Inf, NaN as Prometheus spells them.
std::string format_value(double v);
// A label value with backslash, double quote and newline escaped.
std::string escape_label(std::string_view v);

// Content-Type of render()'s output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace lector::obs
