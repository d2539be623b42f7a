// `lector`: one binary, three subcommands. `serve` runs the server, `worker` is what the
// server spawns for each engine process, `say` is the client.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/api.h"
#include "engine/engine.h"
#include "http/client.h"
#include "http/server.h"
#include "obs/log.h"
#include "sched/scheduler.h"
#include "worker/worker_main.h"

namespace {

int default_workers() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : static_cast<int>(n);
}

constexpr int kMaxPool = 256;

// One `--pool NAME=N` value. Strict: the whole of N must be a decimal number in 0..kMaxPool
// (std::stoi read "2x" as 2 and " 2" as 2), and NAME a built-in engine. On error, returns
// nullopt and says why in `error`.
std::optional<std::pair<std::string, int>> parse_pool(const std::string& value,
                                                      const std::vector<std::string>& engines,
                                                      std::string& error) {
  const auto eq = value.find('=');
  if (eq == std::string::npos) {
    error = "expected NAME=N";
    return std::nullopt;
  }
  std::string name = value.substr(0, eq);
  if (name.empty()) {
    error = "empty engine name";
    return std::nullopt;
  }
  if (std::find(engines.begin(), engines.end(), name) == engines.end()) {
    error = "unknown engine '" + name + "'";
    return std::nullopt;
  }
  const char* first = value.data() + eq + 1;
  const char* last = value.data() + value.size();
  int n = -1;
  const auto [end, ec] = std::from_chars(first, last, n);
  if (first == last || ec != std::errc() || end != last) {
    error = "N is not a whole number";
    return std::nullopt;
  }
  if (n < 0 || n > kMaxPool) {
    error = "N must be 0 to " + std::to_string(kMaxPool);
    return std::nullopt;
  }
  return std::pair{std::move(name), n};
}

int run(int argc, char** argv) {
  CLI::App app{"Lector: a real-time text-to-speech server"};
  app.set_version_flag("--version", LECTOR_VERSION);
  app.require_subcommand(1);

  // serve
  auto* serve = app.add_subcommand("serve", "Run the HTTP server");
  lector::http::HttpConfig http_config;
  lector::api::ApiConfig api_config;
  lector::sched::SchedulerConfig sched_config;
  int workers = default_workers();
  std::string log_level = "info";
  int segment_timeout_s = 30;
  api_config.segmenter.first_fragment_min_words = 4;
  serve->add_option("--host", http_config.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", http_config.port, "Port to listen on (0 picks a free port)")
      ->capture_default_str();
  serve
      ->add_option(
          "--workers", workers,
          "Worker processes per engine (default: the engine's own: one per core, festival 1)")
      ->check(CLI::Range(1, kMaxPool));
  std::vector<std::string> pools;
  serve->add_option("--pool", pools,
                    "Pool size of one engine, NAME=N (repeatable; overrides --workers; 0 disables "
                    "the engine), e.g. --pool festival=2");
  std::vector<std::string> enabled_engines;
  serve
      ->add_option("--engines", enabled_engines,
                   "Engines to run, comma-separated (default: all built in)")
      ->delimiter(',');
  serve
      ->add_option("--default-engine", api_config.default_engine,
                   "Engine used when a request names none")
      ->capture_default_str();
  serve
      ->add_option("--default-voice", api_config.default_voice,
                   "Voice of the default engine used when a request names none")
      ->capture_default_str();
  serve
      ->add_option("--max-text-chars", api_config.max_text_chars,
                   "Longest text accepted, in characters")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  serve
      ->add_option("--openai-max-input", api_config.openai_max_input,
                   "Longest `input` of POST /v1/audio/speech, in characters")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  std::vector<std::string> openai_voices;
  serve->add_option("--openai-voice", openai_voices,
                    "OpenAI voice name mapped to a voice, NAME=ENGINE:VOICE (repeatable)");
  serve
      ->add_option("--max-requests", sched_config.max_requests,
                   "Requests in flight before new ones get 503 + Retry-After")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  serve
      ->add_option("--lookahead", sched_config.lookahead,
                   "Segments synthesized ahead of the one playing, per request")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  serve
      ->add_option("--max-segment-chars", api_config.segmenter.max_segment_chars,
                   "Longest segment sent to an engine, in characters")
      ->check(CLI::Range(20, 5000))
      ->capture_default_str();
  serve
      ->add_option(
          "--first-fragment-words", api_config.segmenter.first_fragment_min_words,
          "Cut the first segment at the first clause boundary after this many words (0: off)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  serve
      ->add_option("--segment-timeout", segment_timeout_s,
                   "Seconds a worker may spend on one segment before it is killed")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  sched_config.max_buffered_bytes = std::size_t{512} << 10;
  serve
      ->add_option("--max-buffered-bytes", sched_config.max_buffered_bytes,
                   "Unread audio held per request before its synthesis pauses, in bytes")
      ->check(CLI::Range(std::size_t{64} << 10, std::size_t{1} << 30))
      ->capture_default_str();
  serve
      ->add_option("--cache-bytes", sched_config.cache_bytes,
                   "Synthesis cache budget in bytes (0 disables the cache)")
      ->capture_default_str();
  int write_timeout_s = static_cast<int>(http_config.write_timeout.count());
  serve
      ->add_option("--write-timeout", write_timeout_s,
                   "Seconds a client may leave audio unread before it is disconnected")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve->add_option("--threads", http_config.threads, "Network threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  std::string log_format = "text";
  serve
      ->add_option("--log-format", log_format,
                   "text, or json: one JSON object per line (request lines with their fields)")
      ->capture_default_str();
  int drain_timeout_s = static_cast<int>(http_config.drain_timeout.count());
  serve
      ->add_option("--drain-timeout", drain_timeout_s,
                   "Seconds running streams get to finish after SIGTERM/SIGINT before they are "
                   "cut")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();

  // worker
  auto* worker =
      app.add_subcommand("worker", "Run one engine process (spawned by `serve`, not by users)");
  std::string worker_engine;
  int worker_fd = 3;
  worker->add_option("--engine", worker_engine, "Engine to load")->required();
  worker->add_option("--fd", worker_fd, "Socket connected to the server")->capture_default_str();

  // say
  auto* say = app.add_subcommand(
      "say", "Stream speech from a server to a file (WAV, or --format) or stdout");
  lector::http::SayOptions say_options;
  say->add_option("--server", say_options.server, "Server URL")->capture_default_str();
  say->add_option("--engine", say_options.engine, "Engine (default: the server's)");
  say->add_option("--voice", say_options.voice, "Voice (default: the server's)");
  say->add_option("--speed", say_options.speed, "Speed multiplier, 0.25 to 4");
  say->add_option("--pitch", say_options.pitch, "Pitch multiplier, 0.5 to 2");
  say->add_option("--volume", say_options.volume, "Volume multiplier, 0 to 2");
  say->add_option("--format", say_options.format, "wav (default), pcm, mp3, opus or flac");
  say->add_option("--sample-rate", say_options.sample_rate, "Output rate in Hz, 8000 to 48000");
  say->add_option("-o,--output", say_options.output, "Output file, or - for stdout")
      ->capture_default_str();
  say->add_option("text", say_options.text, "Text to speak")->required();

  CLI11_PARSE(app, argc, argv);

  if (worker->parsed()) return lector::worker::run_worker(worker_engine, worker_fd);
  if (say->parsed()) return lector::http::run_say(say_options);

  try {
    lector::obs::init_logging(log_level, log_format);
  } catch (const std::exception& e) {
    std::fprintf(
        stderr, "lector serve: %s: %s\n",
        std::string(e.what()).find("format") != std::string::npos ? "--log-format" : "--log-level",
        e.what());
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  sched_config.worker_exe = lector::sched::self_executable();
  sched_config.segment_timeout = std::chrono::seconds(segment_timeout_s);
  http_config.write_timeout = std::chrono::seconds(write_timeout_s);
  http_config.drain_timeout = std::chrono::seconds(drain_timeout_s);
  const auto built_in = lector::engine::engine_names();
  if (enabled_engines.empty()) enabled_engines = lector::engine::default_engine_names();
  for (const std::string& name : enabled_engines) {
    if (std::find(built_in.begin(), built_in.end(), name) == built_in.end()) {
      std::fprintf(stderr, "lector serve: --engines: unknown engine '%s'\n", name.c_str());
      return 2;
    }
    // Without --workers each engine's pool takes the size its workers announce in Hello
    // (one per core; festival, at about 330 MiB a worker, one).
    sched_config.workers[name] =
        serve->count("--workers") > 0 ? workers : lector::sched::SchedulerConfig::kEngineDefault;
  }
  for (const std::string& pool : pools) {
    std::string error;
    const auto parsed = parse_pool(pool, built_in, error);
    if (!parsed) {
      std::fprintf(stderr, "lector serve: --pool '%s': %s (expected ENGINE=N, N in 0..%d)\n",
                   pool.c_str(), error.c_str(), kMaxPool);
      return 2;
    }
    const auto& [name, n] = *parsed;
    if (n == 0)
      sched_config.workers.erase(name);
    else
      sched_config.workers[name] = n;
  }
  for (const std::string& spec : openai_voices) {
    auto parsed = lector::api::parse_openai_voice(spec);
    if (!parsed) {
      std::fprintf(stderr,
                   "lector serve: --openai-voice '%s': expected NAME=ENGINE:VOICE with NAME an "
                   "OpenAI voice (alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, "
                   "shimmer, verse, marin, cedar)\n",
                   spec.c_str());
      return 2;
    }
    api_config.openai_voices.push_back(std::move(*parsed));
  }

  try {
    lector::sched::Scheduler scheduler(sched_config);
    scheduler.start();
    if (!scheduler.engine(api_config.default_engine)) {
      lector::obs::log_error("default engine '{}' is not available", api_config.default_engine);
      return 1;
    }
    auto engine = scheduler.engine(api_config.default_engine);
    if (engine->find_voice(api_config.default_voice) == nullptr) {
      lector::obs::log_error("--default-voice: engine '{}' has no voice '{}'",
                             api_config.default_engine, api_config.default_voice);
      return 1;
    }
    for (const auto& o : api_config.openai_voices) {
      const auto* info = scheduler.engine(o.engine);
      if (info == nullptr || info->find_voice(o.voice) == nullptr) {
        lector::obs::log_error("--openai-voice {}: engine '{}' has no voice '{}'", o.name, o.engine,
                               o.voice);
        return 1;
      }
    }
    lector::api::Api api(scheduler, api_config);
    lector::http::HttpServer server(api, http_config);
    server.listen();
    lector::obs::log_info("listening on http://{}:{}", http_config.host, server.port());
    server.run();
    // Drained (or stopped): the workers go, and the exit status is 0.
    scheduler.stop();
    lector::obs::log_info("workers stopped; exiting");
  } catch (const std::exception& e) {
    lector::obs::log_error("{}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

// Anything run() did not handle (an allocation failure while parsing flags, an error finding
// our own executable) ends the process with a message and status 1 rather than terminate().
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lector: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "lector: unknown exception\n");
  }
  return 1;
}
