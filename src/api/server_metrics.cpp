#include "api/server_metrics.h"

#include <array>
#include <map>
#include <string_view>

namespace lector::api {
namespace {

// Seconds: from a cached sentence (a few ms) to a long text on a loaded server.
const std::vector<double> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,    2.5,   5,    10,  30};
const std::vector<double> kDurationBuckets = {0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                              5,    10,  30,   60,  120, 300};
// Wall time over audio time: below 1 is faster than real time.
const std::vector<double> kRtfBuckets = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};

constexpr std::array<std::string_view, 7> kSynthesisRoutes = {
    "/tts", "/v1/audio/speech", "/dev/captioned_speech", "/process", "/v1/stream",
    "/ws",  "wyoming"};

bool is_synthesis_route(std::string_view route) {
  for (const std::string_view r : kSynthesisRoutes)
    if (r == route) return true;
  return false;
}

}  // namespace

ServerMetrics::ServerMetrics()
    : requests_(registry_.counter(
          "lector_requests_total",
          "Finished HTTP requests and WebSocket utterances by route and status (499: the "
          "client ended a stream; a stream cut at shutdown counts as 503).",
          {"route", "status"})),
      first_audio_(registry_.histogram(
          "lector_time_to_first_audio_seconds",
          "Synthesis requests: from the request (an utterance: its first text) to its first "
          "audio.",
          {"route"}, kLatencyBuckets)),
      duration_(registry_.histogram("lector_request_duration_seconds",
                                    "Completed synthesis requests: from the request to the "
                                    "last byte sent.",
                                    {"route"}, kDurationBuckets)),
      queue_wait_(registry_.histogram(
          "lector_queue_wait_seconds",
          "Synthesis requests: from submission to the start of their first segment on a "
          "worker (or from the cache).",
          {"engine"}, kLatencyBuckets)),
      real_time_factor_(registry_.histogram(
          "lector_real_time_factor",
          "Completed synthesis requests: total time over the duration of their audio.", {"engine"},
          kRtfBuckets)),
      audio_seconds_(registry_.counter("lector_audio_seconds_total",
                                       "Seconds of audio sent to clients, by engine.", {"engine"})),
      segments_(registry_.counter(
          "lector_segments_total",
          "Segments (sentences) synthesized by a worker or served from the cache, by engine.",
          {"engine", "source"})),
      cancellations_(registry_.counter(
          "lector_cancellations_total",
          "Synthesis ended before its end: client_gone, write_timeout, barge_in, shutdown.",
          {"reason"})),
      rejections_(registry_.counter(
          "lector_rejections_total",
          "Requests refused before synthesis, by error code (overloaded, unavailable, "
          "shutting_down, ...).",
          {"reason"})),
      key_requests_(registry_.counter(
          "lector_key_requests_total",
          "Synthesis requests and utterances by API key name (anonymous without a key).", {"key"})),
      key_audio_seconds_(registry_.counter("lector_key_audio_seconds_total",
                                           "Seconds of audio sent, by API key name.", {"key"})),
      in_flight_(registry_.gauge("lector_requests_in_flight",
                                 "Synthesis requests whose client has not taken all their "
                                 "audio.")),
      queue_depth_(registry_.gauge("lector_queue_depth",
                                   "Segments waiting for a worker, over all requests.")),
      workers_alive_(registry_.gauge("lector_workers_alive",
                                     "Worker processes able to take work, by engine.", {"engine"})),
      worker_slots_(registry_.gauge("lector_worker_slots",
                                    "Syntheses the live workers can run at once, by engine.",
                                    {"engine"})),
      worker_slots_busy_(registry_.gauge("lector_worker_slots_busy",
                                         "Worker slots holding a job, by engine.", {"engine"})),
      worker_restarts_(registry_.counter("lector_worker_restarts_total",
                                         "Worker processes lost (crashed, hung, killed) and "
                                         "replaced, by engine.",
                                         {"engine"})),
      cache_hits_(registry_.counter("lector_cache_hits_total",
                                    "Segment lookups answered by the synthesis cache.")),
      cache_misses_(registry_.counter("lector_cache_misses_total",
                                      "Segment lookups the synthesis cache could not answer.")),
      cache_bytes_(registry_.gauge("lector_cache_bytes", "PCM bytes held by the synthesis cache.")),
      cache_entries_(
          registry_.gauge("lector_cache_entries", "Segments held by the synthesis cache.")),
      draining_(registry_.gauge("lector_draining",
                                "1 once the server drains for shutdown (/readyz is 503).")) {}

bool ServerMetrics::is_rejection(ErrorCode code) {
  const int status = error_spec(code).http_status;
  return status == 401 || status == 403 || status == 429 || status == 503;
}

void ServerMetrics::error(ErrorCode code) {
  if (is_rejection(code)) rejections_.with({to_string(code)}).inc();
}

void ServerMetrics::record(const RequestRecord& r, const std::string& route) {
  requests_.with({route, std::to_string(r.status)}).inc();
  if (r.error) error(*r.error);
  if (!is_synthesis_route(route)) return;
  const std::string key = r.key_name.empty() ? "anonymous" : r.key_name;
  key_requests_.with({key}).inc();
  switch (r.end) {
    case RequestEnd::kClientGone:
    case RequestEnd::kWriteTimeout:
    case RequestEnd::kBargeIn:
    case RequestEnd::kShutdown:
      cancellations_.with({to_string(r.end)}).inc();
      break;
    default:
      break;
  }
  if (r.engine.empty()) return;  // refused before a synthesis started
  if (r.audio_seconds > 0) {
    audio_seconds_.with({r.engine}).inc(r.audio_seconds);
    key_audio_seconds_.with({key}).inc(r.audio_seconds);
  }
  if (r.first_audio_seconds) first_audio_.with({route}).observe(*r.first_audio_seconds);
  if (r.queue_wait_seconds) queue_wait_.with({r.engine}).observe(*r.queue_wait_seconds);
  if (r.end == RequestEnd::kComplete && r.status == 200) {
    duration_.with({route}).observe(r.total_seconds);
    if (r.audio_seconds > 0)
      real_time_factor_.with({r.engine}).observe(r.total_seconds / r.audio_seconds);
  }
}

std::string ServerMetrics::render(const sched::SchedulerStats& s, bool draining) {
  std::lock_guard lock(scrape_mu_);
  in_flight_.get().set(static_cast<double>(s.requests_active));
  queue_depth_.get().set(static_cast<double>(s.segments_queued));
  std::map<std::string, int> alive;
  for (const auto& [engine, counters] : s.engines) alive[engine];
  std::map<std::string, std::size_t> slots, busy;
  for (const sched::WorkerStatus& w : s.workers) {
    alive[w.engine] += w.live() ? 1 : 0;
    slots[w.engine] += w.live() ? w.capacity : 0;
    busy[w.engine] += w.live() ? w.busy : 0;
  }
  for (const auto& [engine, n] : alive) {
    workers_alive_.with({engine}).set(n);
    worker_slots_.with({engine}).set(static_cast<double>(slots[engine]));
    worker_slots_busy_.with({engine}).set(static_cast<double>(busy[engine]));
  }
  // Every engine with workers gets its series, at 0 before anything happened.
  for (const auto& [engine, n] : alive) {
    const auto it = s.engines.find(engine);
    const sched::EngineCounters c = it != s.engines.end() ? it->second : sched::EngineCounters{};
    segments_.with({engine, "worker"}).set(static_cast<double>(c.segments_done));
    segments_.with({engine, "cache"}).set(static_cast<double>(c.segments_cached));
    worker_restarts_.with({engine}).set(static_cast<double>(c.worker_restarts));
  }
  cache_hits_.get().set(static_cast<double>(s.cache_hits));
  cache_misses_.get().set(static_cast<double>(s.cache_misses));
  cache_bytes_.get().set(static_cast<double>(s.cache_bytes));
  cache_entries_.get().set(static_cast<double>(s.cache_entries));
  draining_.get().set(draining ? 1 : 0);
  return registry_.render();
}

const char* to_string(RequestEnd end) noexcept {
  switch (end) {
    case RequestEnd::kComplete:
      return "complete";
    case RequestEnd::kClientGone:
      return "client_gone";
    case RequestEnd::kWriteTimeout:
      return "write_timeout";
    case RequestEnd::kBargeIn:
      return "barge_in";
    case RequestEnd::kFailed:
      return "failed";
    case RequestEnd::kShutdown:
      return "shutdown";
  }
  return "?";
}

}  // namespace lector::api
