#pragma once
// What an engine can do and what a worker of it costs. A plain value, header only: an engine
// reports it (Engine::capabilities, in the worker process), the worker sends it in its Hello
// frame (worker/protocol.h, where it is also named worker::Capabilities), and the server reads
// it from there, so nothing outside engine/ decides by an engine's name.

namespace lector::engine {

struct Capabilities {
  // The engine reports word positions (AudioSink::on_word) for its audio.
  bool word_timings = false;
  // The engine's text carries directives of its own (the test engine's `[delay:MS]`): the
  // server's clean-up and normalization (text/frontend.h) leave it as sent.
  bool text_as_written = false;
  // Worker processes `lector serve` starts when no --workers/--pool says otherwise; 0 means
  // one per CPU core.
  int default_workers = 0;
  // Resident memory (VmRSS) of one idle worker after start-up, in MiB; a sizing hint, not a
  // limit. Measured 2026-11-29 on Debian 12 with every Debian voice package, from
  // /proc/PID/status of `lector worker` processes under `lector serve --workers 1`: espeak 20,
  // flite 18, festival 319 (303 of it private: its Scheme heap and 16 loaded voices), tone 17.
  // About 15 MiB of each is the binary's file pages, shared between workers.
  int memory_mb_per_worker = 0;
  // Syntheses one worker process runs at once (on threads sharing one copy of the engine's
  // data, as the neural engines do); the scheduler gives the worker that many slots. Engines
  // that synthesize on the worker's main thread say 1.
  int parallel_jobs = 1;
  bool operator==(const Capabilities&) const = default;
};

}  // namespace lector::engine
