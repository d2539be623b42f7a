// Kept whole, past ~450 lines: the `serve` flags of six concerns (engines, limits, formats, remote
// engines, access, operations) are defined here in one CLI11 app so that --help, the config file
// and the LECTOR_* variables all see one list; moving their wiring into src/app/serve_flags.* is
// the next split when this grows.

// `lector`: one binary, three subcommands. `serve` runs the server, `worker` is what the
// server spawns for each engine process, `say` is the client.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "access/access.h"
#include "api/api.h"
#include "api/lexicon_store.h"
#include "app/config.h"
#include "app/neural_flags.h"
#include "app/remote_flags.h"
#include "app/sighup.h"
#include "engine/engine.h"
#include "http/client.h"
#include "http/server.h"
#include "obs/log.h"
#include "sched/scheduler.h"
#include "worker/worker_main.h"
#include "wyoming/server.h"
#include "wyoming/zeroconf.h"

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
  std::string lexicon_file;
  serve->add_option("--lexicon", lexicon_file,
                    "Pronunciation lexicon: one entry a line, WORD<TAB>REPLACEMENT (re-read on "
                    "SIGHUP)");
  bool read_code = false;
  serve->add_flag("--read-code", read_code,
                  "Read code in markdown text aloud instead of skipping it (per request: "
                  "read_code)");
  bool emoji_names = false;
  serve->add_flag("--emoji-names", emoji_names,
                  "Say emoji by their names instead of removing them (per request: emoji_names)");
  std::vector<std::string> openai_voices;
  serve->add_option("--openai-voice", openai_voices,
                    "OpenAI voice name mapped to a voice, NAME=ENGINE:VOICE (repeatable)");
  serve
      ->add_option("--sentence-silence", api_config.sentence_silence,
                   "Seconds of silence added after each sentence (0 to 10; per request: "
                   "sentence_silence)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
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
  sched_config.max_buffered_bytes = std::size_t{256} << 10;
  serve
      ->add_option("--max-buffered-bytes", sched_config.max_buffered_bytes,
                   "Unread audio held per request before its synthesis pauses, in bytes")
      ->check(CLI::Range(std::size_t{64} << 10, std::size_t{1} << 30))
      ->capture_default_str();
  serve
      ->add_option("--cache-bytes", sched_config.cache_bytes,
                   "Synthesis cache budget in bytes (0 disables the cache)")
      ->capture_default_str();
  serve
      ->add_option("--range-cache-bytes", api_config.range_cache_bytes,
                   "Whole /tts bodies kept for Range requests and complete=1, in bytes (0 keeps "
                   "none)")
      ->capture_default_str();
  int write_timeout_s = static_cast<int>(http_config.write_timeout.count());
  serve
      ->add_option("--write-timeout", write_timeout_s,
                   "Seconds a client may leave audio unread before it is disconnected")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  lector::wyoming::WyomingConfig wyoming_config;
  serve
      ->add_option(
          "--wyoming-port", wyoming_config.port,
          "Port of the Wyoming server for Home Assistant, on --host (0: no Wyoming server)")
      ->capture_default_str();
  bool zeroconf = false;
  serve->add_flag("--zeroconf", zeroconf,
                  "Announce the Wyoming port on the local network (_wyoming._tcp, through Avahi)");
  serve->add_option("--threads", http_config.threads, "Network threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  std::vector<std::string> remotes;
  serve->add_option("--remote", remotes,
                    "A remote engine NAME forwarding to an OpenAI-compatible server, "
                    "NAME=BASE_URL[,KEY] (repeatable; the key may come from the environment "
                    "variable LECTOR_REMOTE_KEY_<NAME> instead)");
  std::vector<std::string> remote_models;
  serve->add_option("--remote-model", remote_models,
                    "Model a remote engine asks for, NAME=MODEL (repeatable; default tts-1)");
  int remote_timeout_s = 30;
  serve
      ->add_option("--remote-timeout", remote_timeout_s,
                   "Seconds a remote engine waits for its upstream's next bytes")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  lector::engine::NeuralOptions neural;
  lector::app::add_neural_flags(*serve, neural);
  int header_timeout_s = static_cast<int>(http_config.header_timeout.count());
  serve
      ->add_option("--header-timeout", header_timeout_s,
                   "Seconds a request's line and headers may take to arrive")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  int idle_timeout_s = static_cast<int>(http_config.idle_timeout.count());
  serve
      ->add_option("--idle-timeout", idle_timeout_s,
                   "Seconds a keep-alive connection may wait for its next request")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--max-connections", http_config.max_connections,
                   "Open connections; past it a new connection gets 503 and is closed")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
      ->capture_default_str();
  lector::access::AccessConfig access_config;
  serve->add_option("--api-key", access_config.api_keys,
                    "API key required on synthesis routes, named 'default', admin (repeatable)");
  serve->add_option("--keys-file", access_config.keys_file,
                    "TOML file of named API keys with quotas and rate limits");
  serve->add_flag("--auth-all", access_config.auth_all,
                  "Require a key on every route but the probes, not only on synthesis");
  std::string rate_limit;
  serve->add_option("--rate-limit", rate_limit,
                    "Synthesis requests per client address, N/min (also N/s, N/h; default off)");
  serve->add_option("--cors-origin", access_config.cors_origins,
                    "Origin allowed to call from a browser, e.g. https://app.example:8443, or * "
                    "(repeatable; default http://localhost, http://127.0.0.1, http://[::1])");
  std::string config_file;
  serve->add_option("--config", config_file,
                    "TOML file of flag values (max_requests = 128); env LECTOR_CONFIG");
  bool print_config = false;
  serve->add_flag("--print-config", print_config,
                  "Print the effective configuration as TOML and exit");
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
  lector::worker::RemoteOptions worker_remote;
  worker->add_option("--remote-url", worker_remote.url, "A remote engine's upstream");
  worker->add_option("--remote-model", worker_remote.model, "A remote engine's model");
  worker->add_option("--remote-timeout", worker_remote.timeout_s, "Idle read timeout, seconds")
      ->check(CLI::Range(1, 3600));
  lector::engine::NeuralOptions worker_neural;
  lector::app::add_neural_flags(*worker, worker_neural);

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
  say->add_option("--captions", say_options.captions,
                  "Also write WebVTT captions (a cue per word) to this file; the audio then "
                  "comes whole from /dev/captioned_speech");
  say->add_option("text", say_options.text, "Text to speak")->required();

  CLI11_PARSE(app, argc, argv);

  if (worker->parsed()) {
    // The key comes through the environment (never the command line, which `ps` shows). The
    // worker has a single thread.
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    if (const char* key = std::getenv(lector::sched::kRemoteKeyEnvPrefix)) {
      worker_remote.key = key;
      ::unsetenv(lector::sched::kRemoteKeyEnvPrefix);  // NOLINT(concurrency-mt-unsafe)
    }
    return lector::worker::run_worker(worker_engine, worker_fd, worker_remote, worker_neural);
  }
  if (say->parsed()) return lector::http::run_say(say_options);

  // Every serve flag also comes from LECTOR_* variables and the --config file.
  lector::app::ConfigSources sources(*serve);
  sources.mark_secret("api-key");
  try {
    sources.apply(lector::app::process_environment());
  } catch (const lector::app::ConfigError& e) {
    std::fprintf(stderr, "lector serve: %s\n", e.what());
    return 2;
  }
  // Where a value came from, for the errors below.
  const auto from = [&](const char* name) {
    const std::string source = sources.source_of(name);
    return source == "--" + std::string(name) ? std::string("--") + name
                                              : std::string("--") + name + " (" + source + ")";
  };

  try {
    lector::obs::init_logging(log_level, log_format);
  } catch (const std::exception& e) {
    std::fprintf(
        stderr, "lector serve: %s: %s\n",
        from(std::string(e.what()).find("format") != std::string::npos ? "log-format" : "log-level")
            .c_str(),
        e.what());
    return 2;
  }
  // Through the log, once it is set up: in its format (a JSON line under --log-format json).
  for (const std::string& var : sources.unknown_variables())
    lector::obs::log_warn("ignoring {}: no such flag", var);
  std::signal(SIGPIPE, SIG_IGN);
  sched_config.worker_exe = lector::sched::self_executable();
  sched_config.segment_timeout = std::chrono::seconds(segment_timeout_s);
  http_config.write_timeout = std::chrono::seconds(write_timeout_s);
  http_config.header_timeout = std::chrono::seconds(header_timeout_s);
  http_config.idle_timeout = std::chrono::seconds(idle_timeout_s);
  http_config.drain_timeout = std::chrono::seconds(drain_timeout_s);
  const auto built_in = lector::engine::engine_names();
  std::vector<lector::app::RemoteEngineFlag> remote_engines;
  try {
    // The neural engines' names are taken whether or not their flags are given.
    std::vector<std::string> taken = built_in;
    taken.insert(taken.end(), {"piper", "kokoro"});
    remote_engines = lector::app::parse_remote_flags(remotes, remote_models, taken);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "lector serve: %s\n", e.what());
    return 2;
  }
  // Without --workers each engine's pool takes the size its workers announce in Hello
  // (one per core; festival, at about 330 MiB a worker, one; a remote engine 4).
  const int pool_size =
      serve->count("--workers") > 0 ? workers : lector::sched::SchedulerConfig::kEngineDefault;
  std::vector<std::string> engine_names = built_in;
  // A remote engine runs whether or not --engines names it; --pool NAME=0 disables it.
  for (const auto& remote : remote_engines) {
    sched_config.workers[remote.name] = pool_size;
    sched_config.spawn[remote.name] = lector::app::spawn_spec(remote, remote_timeout_s);
    engine_names.push_back(remote.name);
  }
  // So does a neural engine whose voices are given (--piper-voices, --kokoro-model).
  for (const std::string& name : lector::app::neural_engine_names(neural)) {
    sched_config.workers[name] = pool_size;
    sched_config.spawn[name] = lector::app::neural_spawn_spec(neural);
    engine_names.push_back(name);
  }
  if (enabled_engines.empty()) enabled_engines = lector::engine::default_engine_names();
  for (const std::string& name : enabled_engines) {
    if (std::find(engine_names.begin(), engine_names.end(), name) == engine_names.end()) {
      std::fprintf(stderr, "lector serve: %s: unknown engine '%s'\n", from("engines").c_str(),
                   name.c_str());
      return 2;
    }
    sched_config.workers[name] = pool_size;
  }
  for (const std::string& pool : pools) {
    std::string error;
    const auto parsed = parse_pool(pool, engine_names, error);
    if (!parsed) {
      std::fprintf(stderr, "lector serve: %s '%s': %s (expected ENGINE=N, N in 0..%d)\n",
                   from("pool").c_str(), pool.c_str(), error.c_str(), kMaxPool);
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
                   "lector serve: %s '%s': expected NAME=ENGINE:VOICE with NAME an "
                   "OpenAI voice (alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, "
                   "shimmer, verse, marin, cedar)\n",
                   from("openai-voice").c_str(), spec.c_str());
      return 2;
    }
    api_config.openai_voices.push_back(std::move(*parsed));
  }
  if (!rate_limit.empty()) {
    try {
      access_config.rate_limit_per_minute = lector::access::parse_rate(rate_limit);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "lector serve: %s: %s\n", from("rate-limit").c_str(), e.what());
      return 2;
    }
  }
  try {
    api_config.access = std::make_shared<lector::access::AccessControl>(access_config);
  } catch (const std::exception& e) {
    // The message starts with the flag at fault (--keys-file: FILE:LINE: ...).
    std::fprintf(stderr, "lector serve: %s\n", e.what());
    return 2;
  }
  if (read_code) api_config.text.cleanup.code = lector::text::CleanupOptions::Code::kRead;
  if (emoji_names) api_config.text.cleanup.emoji = lector::text::CleanupOptions::Emoji::kName;
  if (!lexicon_file.empty()) {
    try {
      api_config.lexicon = std::make_shared<lector::api::LexiconStore>(lexicon_file);
    } catch (const std::exception& e) {
      // The message names the file and the line of the bad entry.
      std::fprintf(stderr, "lector serve: %s: %s\n", from("lexicon").c_str(), e.what());
      return 2;
    }
  }
  if (print_config) {
    std::fputs(sources.to_toml().c_str(), stdout);
    return 0;
  }
  std::optional<lector::app::SighupWatcher> sighup;
  if (api_config.lexicon) {
    lector::obs::log_info("lexicon {}: {} entries (SIGHUP re-reads it)", lexicon_file,
                          api_config.lexicon->current()->size());
    sighup.emplace([store = api_config.lexicon] { store->reload(); });
  }
  if (api_config.access->keys_enabled()) {
    std::string names;
    for (const std::string& n : api_config.access->key_names())
      names += (names.empty() ? "" : ", ") + n;
    lector::obs::log_info("API keys required on synthesis routes{}: {}",
                          access_config.auth_all ? " and every route but the probes" : "", names);
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
    // The Wyoming server runs its own io_context on a thread of its own (wyoming/server.h);
    // HTTP's run() below returns on SIGINT/SIGTERM, and the Wyoming server is stopped after
    // it, before the scheduler, so its requests are cancelled while the scheduler still runs.
    std::optional<lector::wyoming::WyomingServer> wyoming;
    std::unique_ptr<lector::wyoming::Zeroconf> announcement;
    if (wyoming_config.port != 0) {
      wyoming_config.host = http_config.host;
      wyoming_config.write_timeout = http_config.write_timeout;
      wyoming_config.program = {
          LECTOR_VERSION, "http://" + http_config.host + ":" + std::to_string(server.port()) + "/"};
      wyoming.emplace(api, wyoming_config);
      try {
        wyoming->listen();
      } catch (const std::exception& e) {
        lector::obs::log_error("--wyoming-port {}: cannot listen on {}: {} (0 disables Wyoming)",
                               wyoming_config.port, wyoming_config.host, e.what());
        return 1;
      }
      wyoming->start();
      lector::obs::log_info("Wyoming server listening on tcp://{}:{}", wyoming_config.host,
                            wyoming->port());
      if (zeroconf) announcement = lector::wyoming::Zeroconf::announce("lector", wyoming->port());
    } else if (zeroconf) {
      lector::obs::log_warn(
          "--zeroconf: there is no Wyoming server to announce (--wyoming-port 0)");
    }
    server.run();
    // Drained (or stopped): the workers go, and the exit status is 0.
    announcement.reset();
    if (wyoming) wyoming->stop();
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
