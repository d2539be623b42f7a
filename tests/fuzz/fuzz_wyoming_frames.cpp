// The Wyoming frame decoder (wyoming/frame.h) on whatever a network peer sends, in random
// splits: malformed input is a lower-case lector::Error of kMalformed or kTooLarge (answered
// with an error event, then the connection closes), never a crash or another exception; the
// buffer stays within the limits; every decoded event encodes back to itself.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "core/error.h"
#include "wyoming/frame.h"

namespace {

namespace wy = lector::wyoming;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "wyoming invariant broken: %s\n", what);
  std::abort();
}

void round_trip(const wy::Event& e) {
  if (!e.data.is_object()) fail("event data is not an object");
  wy::FrameDecoder again;
  again.feed(wy::encode_event(e.type, e.data, e.payload));
  std::optional<wy::Event> back;
  try {
    back = again.next();
  } catch (const lector::Error& err) {
    std::fprintf(stderr, "re-encoded event refused: %s\n", err.what());
    fail("an encoded event does not decode");
  }
  // Text that was not valid UTF-8 is encoded with U+FFFD; compare only what survives exactly.
  if (!back || back->type.empty() != e.type.empty() || back->payload != e.payload)
    fail("event round trip");
  if (again.buffered() != 0) fail("bytes left after one encoded event");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  wy::FrameLimits limits;
  limits.max_header_bytes = in.ConsumeIntegralInRange<std::size_t>(16, 4096);
  limits.max_data_bytes = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
  limits.max_payload_bytes = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
  std::minstd_rand split(in.ConsumeIntegral<std::uint32_t>());
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  wy::FrameDecoder decoder(limits);
  // One header line, its data block and payload, plus the last piece fed.
  const std::size_t bound =
      limits.max_header_bytes + 1 + limits.max_data_bytes + limits.max_payload_bytes + 64;
  try {
    for (std::size_t pos = 0; pos < bytes.size();) {
      const std::size_t n = std::min<std::size_t>(1 + split() % 64, bytes.size() - pos);
      decoder.feed(std::string_view(bytes).substr(pos, n));
      pos += n;
      while (auto event = decoder.next()) round_trip(*event);
      if (decoder.buffered() > bound) fail("the decoder buffers past its limits");
    }
  } catch (const lector::Error& e) {
    if (e.code() != lector::ErrorCode::kMalformed && e.code() != lector::ErrorCode::kTooLarge)
      fail("a Wyoming decode error of an unexpected code");
    if (std::string_view(e.what()).empty()) fail("an error without a message");
  }
  return 0;
}
