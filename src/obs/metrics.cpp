#include "obs/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace lector::obs {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::invalid_argument("histogram bounds must increase strictly");
}

void Histogram::observe(double v) {
  // A dozen buckets: a linear scan beats a binary search's branches.
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

template <typename Metric>
Metric& Family<Metric>::with(const LabelValues& values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("metric " + name_ + ": wrong number of label values");
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it == series_.end()) {
    std::unique_ptr<Metric> m;
    if constexpr (std::is_same_v<Metric, Histogram>) {
      m = std::make_unique<Histogram>(bounds_);
    } else {
      m = std::make_unique<Metric>();
    }
    it = series_.emplace(values, std::move(m)).first;
  }
  return *it->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e = families_.emplace_back();
  e.type = MetricType::kCounter;
  e.counter =
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(label_names));
  return *e.counter;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e = families_.emplace_back();
  e.type = MetricType::kGauge;
  e.gauge =
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(label_names));
  return *e.gauge;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> bounds) {
  // Checked here, at registration, rather than on the first observation.
  Histogram check(bounds);
  std::lock_guard lock(mu_);
  Entry& e = families_.emplace_back();
  e.type = MetricType::kHistogram;
  e.histogram = std::make_unique<Family<Histogram>>(std::move(name), std::move(help),
                                                    std::move(label_names), std::move(bounds));
  return *e.histogram;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    return std::to_string(static_cast<long long>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string escape_help(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional extra label (le for buckets); empty without labels.
std::string label_set(const std::vector<std::string>& names, const LabelValues& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i] + "=\"" + escape_label(values[i]) + '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + '"';
  }
  out += '}';
  return out;
}

template <typename Metric>
void header(std::string& out, const Family<Metric>& f, std::string_view type) {
  out += "# HELP " + f.name() + ' ' + escape_help(f.help()) + '\n';
  out += "# TYPE " + f.name() + ' ' + std::string(type) + '\n';
}

template <typename Metric>
void render_simple(std::string& out, const Family<Metric>& f, std::string_view type) {
  header(out, f, type);
  f.for_each([&](const LabelValues& values, const Metric& m) {
    out += f.name() + label_set(f.label_names(), values) + ' ' + format_value(m.value()) + '\n';
  });
}

void render_histogram(std::string& out, const Family<Histogram>& f) {
  header(out, f, "histogram");
  f.for_each([&](const LabelValues& values, const Histogram& h) {
    const std::vector<std::uint64_t> counts = h.bucket_counts();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      const std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
      out += f.name() + "_bucket" + label_set(f.label_names(), values, "le", le) + ' ' +
             std::to_string(cumulative) + '\n';
    }
    const std::string labels = label_set(f.label_names(), values);
    out += f.name() + "_sum" + labels + ' ' + format_value(h.sum()) + '\n';
    out += f.name() + "_count" + labels + ' ' + std::to_string(cumulative) + '\n';
  });
}

}  // namespace

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const Entry& e : families_) {
    switch (e.type) {
      case MetricType::kCounter:
        render_simple(out, *e.counter, "counter");
        break;
      case MetricType::kGauge:
        render_simple(out, *e.gauge, "gauge");
        break;
      case MetricType::kHistogram:
        render_histogram(out, *e.histogram);
        break;
    }
  }
  return out;
}

}  // namespace lector::obs
