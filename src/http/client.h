#pragma once
// `lector say`: a client that streams GET /tts to a file or stdout and reports latency; with
// captions, it asks POST /dev/captioned_speech for the audio and its word timings instead and
// writes WebVTT next to the audio.

#include <string>

namespace lector::http {

struct SayOptions {
  std::string server = "http://127.0.0.1:8000";
  std::string engine;                // empty: the server's default
  std::string voice;                 // empty: the server's default
  std::string speed, pitch, volume;  // passed through as given; the server validates
  std::string format, sample_rate;   // empty: WAV at the voice's rate
  std::string output = "-";          // file path, or "-" for stdout
  std::string captions;              // WebVTT file path; empty: no captions
  std::string text;
};

// Returns the process exit code: 0 on success, 1 when the server answered an error (its
// message is printed to stderr), 2 when the server could not be reached.
int run_say(const SayOptions& options);

}  // namespace lector::http
