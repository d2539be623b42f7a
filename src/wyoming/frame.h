#pragma once
// The Wyoming wire format (github.com/rhasspy/wyoming, event.py): every event is
//   a header line: a JSON object {"type", "data"?, "data_length"?, "payload_length"?, ...}
//                  ended by '\n';
//   a data block:  `data_length` bytes of JSON object, merged into the header's "data";
//   a payload:     `payload_length` raw bytes (audio).
// Pure code: no sockets, no clock. The decoder is fed whatever arrived and hands out whole
// events; it enforces the limits below, because a Wyoming peer is any program on the network.
//
// Threading: a FrameDecoder belongs to one connection and is used by one thread at a time;
// encode_event is a pure function.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lector::wyoming {

struct Event {
  std::string type;
  nlohmann::json data = nlohmann::json::object();  // always an object
  std::string payload;
};

struct FrameLimits {
  // Home Assistant's reader caps header lines at 64 KiB too; big data goes in the data block.
  std::size_t max_header_bytes = 64 * 1024;  // without the '\n'
  std::size_t max_data_bytes = 1024 * 1024;
  // A TTS server receives no audio: payloads are read and dropped, but bounded.
  std::size_t max_payload_bytes = 1024 * 1024;
};

// Incremental decoder. feed() appends bytes; next() returns the next whole event, or nullopt
// until more bytes arrive. A malformed frame throws lector::Error (kMalformed, or kTooLarge for
// a limit) naming what is wrong; the stream cannot be resynchronised after that, so the caller
// closes the connection. Buffered bytes never exceed one header line, data block and payload
// within the limits, plus what the caller fed since its last next().
class FrameDecoder {
 public:
  explicit FrameDecoder(FrameLimits limits = {}) : limits_(limits) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }
  std::optional<Event> next();
  // Bytes received and not yet returned as part of an event.
  std::size_t buffered() const { return buffer_.size() - consumed_; }
  const FrameLimits& limits() const { return limits_; }

 private:
  void parse_header(std::string_view line);
  void compact();

  FrameLimits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already handed out
  std::size_t scanned_ = 0;   // bytes after consumed_ known to hold no '\n'
  // The header of the event being read, once its line is complete.
  std::optional<Event> pending_;
  std::size_t data_length_ = 0;
  std::size_t payload_length_ = 0;
};

// One event on the wire: the header line, then `data` (when not empty) as the data block, then
// the payload. Strings that are not valid UTF-8 are rendered with U+FFFD, so the output is
// always valid JSON.
std::string encode_event(std::string_view type, const nlohmann::json& data = nlohmann::json(),
                         std::string_view payload = {});

// The protocol version written in headers: the version of the Python library whose events
// this implementation follows (synthesize streaming appeared in 1.7).
inline constexpr const char* kProtocolVersion = "1.8.0";

}  // namespace lector::wyoming
