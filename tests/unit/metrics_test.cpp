// The Prometheus text format as written by obs/metrics.h (golden text), the server's own series
// after known records (api/server_metrics.h), and the structured log line (obs/log.h).

#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "api/server_metrics.h"
#include "obs/log.h"

namespace lector {
namespace {

TEST(Metrics, RendersTheTextFormat) {
  obs::Registry r;
  auto& requests = r.counter("t_requests_total", "Requests by route.", {"route", "status"});
  auto& depth = r.gauge("t_depth", "Queue depth.");
  auto& latency = r.histogram("t_latency_seconds", "Latency.", {"route"}, {0.1, 0.5, 1});
  requests.with({"/tts", "200"}).inc();
  requests.with({"/tts", "200"}).inc();
  requests.with({"/a\"b\\c\nd", "503"}).inc(3);
  depth.get().set(2.5);
  latency.with({"/tts"}).observe(0.05);
  latency.with({"/tts"}).observe(0.1);  // on a bound: that bucket (le is "less or equal")
  latency.with({"/tts"}).observe(0.7);
  latency.with({"/tts"}).observe(30);
  EXPECT_EQ(r.render(),
            "# HELP t_requests_total Requests by route.\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{route=\"/a\\\"b\\\\c\\nd\",status=\"503\"} 3\n"
            "t_requests_total{route=\"/tts\",status=\"200\"} 2\n"
            "# HELP t_depth Queue depth.\n"
            "# TYPE t_depth gauge\n"
            "t_depth 2.5\n"
            "# HELP t_latency_seconds Latency.\n"
            "# TYPE t_latency_seconds histogram\n"
            "t_latency_seconds_bucket{route=\"/tts\",le=\"0.1\"} 2\n"
            "t_latency_seconds_bucket{route=\"/tts\",le=\"0.5\"} 2\n"
            "t_latency_seconds_bucket{route=\"/tts\",le=\"1\"} 3\n"
            "t_latency_seconds_bucket{route=\"/tts\",le=\"+Inf\"} 4\n"
            "t_latency_seconds_sum{route=\"/tts\"} 30.85\n"
            "t_latency_seconds_count{route=\"/tts\"} 4\n");
}

TEST(Metrics, FamilyWithoutSeriesRendersItsHeaderOnly) {
  obs::Registry r;
  r.counter("t_none_total", "Nothing yet.", {"reason"});
  EXPECT_EQ(r.render(), "# HELP t_none_total Nothing yet.\n# TYPE t_none_total counter\n");
}

TEST(Metrics, Values) {
  EXPECT_EQ(obs::format_value(0), "0");
  EXPECT_EQ(obs::format_value(42), "42");
  EXPECT_EQ(obs::format_value(-3), "-3");
  EXPECT_EQ(obs::format_value(0.025), "0.025");
  EXPECT_EQ(obs::format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(obs::format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(obs::format_value(0.0 / 0.0), "NaN");
  EXPECT_EQ(obs::format_value(1e20), "1e+20");
}

TEST(Metrics, RejectsBadDefinitions) {
  obs::Registry r;
  EXPECT_THROW(r.histogram("t_h", "h", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("t_h", "h", {}, {2, 1}), std::invalid_argument);
  auto& c = r.counter("t_c", "c", {"a"});
  EXPECT_THROW(c.with({}), std::invalid_argument);
  EXPECT_THROW(c.with({"x", "y"}), std::invalid_argument);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  obs::Registry r;
  auto& c = r.counter("t_c", "c", {"t"});
  auto& h = r.histogram("t_h", "h", {}, {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.with({"x"}).inc();
        h.get().observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.with({"x"}).value(), 40000);
  EXPECT_EQ(h.get().bucket_counts(), (std::vector<std::uint64_t>{20000, 20000}));
  EXPECT_EQ(h.get().sum(), 20000 * 0.25 + 20000 * 1.0);
}

// The line of a series in a rendering, e.g. "lector_x{a=\"b\"} 3"; empty when absent.
std::string line_of(const std::string& text, const std::string& series) {
  std::size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      const std::size_t end = text.find('\n', pos);
      return text.substr(pos, end - pos);
    }
    ++pos;
  }
  return {};
}

TEST(ServerMetrics, CountsRecords) {
  api::ServerMetrics m;
  api::RequestRecord ok;
  ok.status = 200;
  ok.engine = "tone";
  ok.audio_seconds = 0.5;
  ok.first_audio_seconds = 0.02;
  ok.queue_wait_seconds = 0.001;
  ok.total_seconds = 0.25;
  m.record(ok, "/tts");
  api::RequestRecord gone = ok;
  gone.status = 499;
  gone.end = api::RequestEnd::kClientGone;
  gone.key_name = "alice";
  m.record(gone, "/v1/stream");
  api::RequestRecord busy;
  busy.status = 503;
  busy.error = ErrorCode::kOverloaded;
  m.record(busy, "/tts");
  api::RequestRecord bad;
  bad.status = 400;
  bad.error = ErrorCode::kBadParameter;
  m.record(bad, "/tts");
  api::RequestRecord page;
  page.status = 200;
  m.record(page, "/");
  m.error(ErrorCode::kShuttingDown);

  sched::SchedulerStats s;
  s.requests_active = 1;
  s.segments_queued = 4;
  s.workers = {{"tone", 10, "busy", 0, 4, 3, ""},
               {"tone", 11, "dead", 0, 4, 0, ""},
               {"espeak", 12, "busy", 3, 1, 1, ""}};
  s.engines["tone"] = {7, 2, 1};
  s.cache_hits = 2;
  s.cache_misses = 7;
  s.cache_bytes = 1000;
  const std::string text = m.render(s, true);
  EXPECT_EQ(line_of(text, "lector_requests_total{route=\"/tts\",status=\"200\"}"),
            "lector_requests_total{route=\"/tts\",status=\"200\"} 1");
  EXPECT_EQ(line_of(text, "lector_requests_total{route=\"/tts\",status=\"503\"}"),
            "lector_requests_total{route=\"/tts\",status=\"503\"} 1");
  EXPECT_EQ(line_of(text, "lector_requests_total{route=\"/\",status=\"200\"}"),
            "lector_requests_total{route=\"/\",status=\"200\"} 1");
  EXPECT_EQ(line_of(text, "lector_rejections_total{reason=\"overloaded\"}"),
            "lector_rejections_total{reason=\"overloaded\"} 1");
  EXPECT_EQ(line_of(text, "lector_rejections_total{reason=\"shutting_down\"}"),
            "lector_rejections_total{reason=\"shutting_down\"} 1");
  EXPECT_EQ(line_of(text, "lector_rejections_total{reason=\"bad_parameter\"}"), "");
  EXPECT_EQ(line_of(text, "lector_cancellations_total{reason=\"client_gone\"}"),
            "lector_cancellations_total{reason=\"client_gone\"} 1");
  // Per key: every request of a synthesis route, refused or not; "/" is not one.
  EXPECT_EQ(line_of(text, "lector_key_requests_total{key=\"anonymous\"}"),
            "lector_key_requests_total{key=\"anonymous\"} 3");
  EXPECT_EQ(line_of(text, "lector_key_requests_total{key=\"alice\"}"),
            "lector_key_requests_total{key=\"alice\"} 1");
  EXPECT_EQ(line_of(text, "lector_key_audio_seconds_total{key=\"alice\"}"),
            "lector_key_audio_seconds_total{key=\"alice\"} 0.5");
  EXPECT_EQ(line_of(text, "lector_audio_seconds_total{engine=\"tone\"}"),
            "lector_audio_seconds_total{engine=\"tone\"} 1");
  // Duration and real-time factor only for the completed request.
  EXPECT_EQ(line_of(text, "lector_request_duration_seconds_count{route=\"/tts\"}"),
            "lector_request_duration_seconds_count{route=\"/tts\"} 1");
  EXPECT_EQ(line_of(text, "lector_real_time_factor_sum{engine=\"tone\"}"),
            "lector_real_time_factor_sum{engine=\"tone\"} 0.5");
  EXPECT_EQ(line_of(text, "lector_time_to_first_audio_seconds_count{route=\"/v1/stream\"}"),
            "lector_time_to_first_audio_seconds_count{route=\"/v1/stream\"} 1");
  EXPECT_EQ(line_of(text, "lector_queue_wait_seconds_count{engine=\"tone\"}"),
            "lector_queue_wait_seconds_count{engine=\"tone\"} 2");
  // From the scheduler's snapshot; a dead worker's slots do not count.
  EXPECT_EQ(line_of(text, "lector_worker_slots{engine=\"tone\"}"),
            "lector_worker_slots{engine=\"tone\"} 4");
  EXPECT_EQ(line_of(text, "lector_worker_slots_busy{engine=\"tone\"}"),
            "lector_worker_slots_busy{engine=\"tone\"} 3");
  EXPECT_EQ(line_of(text, "lector_worker_slots_busy{engine=\"espeak\"}"),
            "lector_worker_slots_busy{engine=\"espeak\"} 1");
  EXPECT_EQ(line_of(text, "lector_requests_in_flight"), "lector_requests_in_flight 1");
  EXPECT_EQ(line_of(text, "lector_queue_depth"), "lector_queue_depth 4");
  EXPECT_EQ(line_of(text, "lector_workers_alive{engine=\"tone\"}"),
            "lector_workers_alive{engine=\"tone\"} 1");
  EXPECT_EQ(line_of(text, "lector_workers_alive{engine=\"espeak\"}"),
            "lector_workers_alive{engine=\"espeak\"} 1");
  EXPECT_EQ(line_of(text, "lector_worker_restarts_total{engine=\"tone\"}"),
            "lector_worker_restarts_total{engine=\"tone\"} 1");
  EXPECT_EQ(line_of(text, "lector_worker_restarts_total{engine=\"espeak\"}"),
            "lector_worker_restarts_total{engine=\"espeak\"} 0");
  EXPECT_EQ(line_of(text, "lector_segments_total{engine=\"tone\",source=\"worker\"}"),
            "lector_segments_total{engine=\"tone\",source=\"worker\"} 7");
  EXPECT_EQ(line_of(text, "lector_segments_total{engine=\"tone\",source=\"cache\"}"),
            "lector_segments_total{engine=\"tone\",source=\"cache\"} 2");
  EXPECT_EQ(line_of(text, "lector_cache_misses_total"), "lector_cache_misses_total 7");
  EXPECT_EQ(line_of(text, "lector_cache_bytes"), "lector_cache_bytes 1000");
  EXPECT_EQ(line_of(text, "lector_draining"), "lector_draining 1");
}

TEST(LogFields, TextAndJson) {
  const auto text = obs::render_fields(obs::LogFormat::kText, "request",
                                       {{"id", "a b\"c"},
                                        {"route", "/tts"},
                                        {"status", std::int64_t{200}},
                                        {"total_ms", 12.3456},
                                        {"error", ""}});
  EXPECT_EQ(text, "request id=\"a b\\\"c\" route=/tts status=200 total_ms=12.346 error=\"\"");
  const auto json = obs::render_fields(obs::LogFormat::kJson, "request",
                                       {{"id", "x\ny"}, {"status", std::int64_t{503}}});
  // The JSON formatter splices this after "time" and "level" (the first byte marks it).
  EXPECT_EQ(json.substr(1), ",\"msg\":\"request\",\"id\":\"x\\ny\",\"status\":503");
  EXPECT_EQ(obs::json_string(std::string_view("\x01\x7f", 2)), "\"\\u0001\\u007f\"");
}

}  // namespace
}  // namespace lector
