#pragma once
// Lector's own series (lector_*), fed by Api::request_done for every finished request and
// utterance, and by the scheduler's stats snapshot at scrape time (GET /metrics).
//
// Threading: record() may be called from any thread at once (atomics, plus one family lookup
// per series per request: never per audio chunk); render() serializes scrapes.

#include <mutex>
#include <string>

#include "api/request_record.h"
#include "obs/metrics.h"
#include "sched/scheduler.h"

namespace lector::api {

class ServerMetrics {
 public:
  ServerMetrics();
  // Counts one finished request; `route` is its route label.
  void record(const RequestRecord& r, const std::string& route);
  // An error refused a request before any synthesis (a WebSocket error event; HTTP errors
  // come through record()). Counted in lector_rejections_total when it is one.
  void error(ErrorCode code);
  // The text exposition of every series, the scheduler's copied in from `stats` first.
  std::string render(const sched::SchedulerStats& stats, bool draining);

  // Whether `code` refuses a request for the server's or the client's standing (overloaded,
  // shutting down, no key, over quota: 401, 403, 429, 503) rather than for its content.
  static bool is_rejection(ErrorCode code);

 private:
  obs::Registry registry_;
  obs::Family<obs::Counter>& requests_;
  obs::Family<obs::Histogram>& first_audio_;
  obs::Family<obs::Histogram>& duration_;
  obs::Family<obs::Histogram>& queue_wait_;
  obs::Family<obs::Histogram>& real_time_factor_;
  obs::Family<obs::Counter>& audio_seconds_;
  obs::Family<obs::Counter>& segments_;
  obs::Family<obs::Counter>& cancellations_;
  obs::Family<obs::Counter>& rejections_;
  obs::Family<obs::Counter>& key_requests_;
  obs::Family<obs::Counter>& key_audio_seconds_;
  obs::Family<obs::Gauge>& in_flight_;
  obs::Family<obs::Gauge>& queue_depth_;
  obs::Family<obs::Gauge>& workers_alive_;
  obs::Family<obs::Gauge>& worker_slots_;
  obs::Family<obs::Gauge>& worker_slots_busy_;
  obs::Family<obs::Counter>& worker_restarts_;
  obs::Family<obs::Counter>& cache_hits_;
  obs::Family<obs::Counter>& cache_misses_;
  obs::Family<obs::Gauge>& cache_bytes_;
  obs::Family<obs::Gauge>& cache_entries_;
  obs::Family<obs::Gauge>& draining_;
  std::mutex scrape_mu_;
};

}  // namespace lector::api
