#pragma once
// Whole /tts bodies, for clients that need sizes: `complete=1` (a Content-Length, and a WAV
// header with exact sizes) and Range requests (Safari and iOS play audio only from a server
// that answers them, starting with `bytes=0-1`). The whole audio is synthesized and encoded,
// held, then sent at once with its length. The encoded body is kept in a BodyCache keyed by
// the normalized request, so the player's next ranges of the same audio are answered without
// synthesis. Costs the time to first audio and memory for the whole body (bounded by the text
// caps), which is why the streamed answer stays the default.

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/audio_body.h"
#include "api/byte_range.h"
#include "api/http_types.h"
#include "api/output.h"
#include "sched/cache.h"

namespace lector::api {

class Api;

// Encoded bodies by request, least recently used first out, within a byte budget (keys
// included); a body larger than the budget is not kept. Any thread (one mutex).
class BodyCache {
 public:
  explicit BodyCache(std::size_t capacity_bytes) : lru_(capacity_bytes) {}

  // What determines a body's bytes: the resolved engine, voice and parameters, the output,
  // the pause after sentences, whether the text is SSML, and the (cleaned) text.
  static std::string key(const sched::SynthesisRequest& request, const OutputSpec& output,
                         int sentence_silence_ms, bool ssml, std::string_view text);

  struct Body {
    std::shared_ptr<const std::string> bytes;  // the encoded body (after the rate line)
    std::size_t offset = 0;                    // where the body starts in `bytes`
    int rate = 0;                              // its sample rate (X-Sample-Rate of raw PCM)
    std::string_view view() const { return std::string_view(*bytes).substr(offset); }
  };
  std::optional<Body> find(const std::string& key);
  void insert(const std::string& key, std::string_view body, int rate);

  bool enabled() const { return lru_.enabled(); }

 private:
  std::mutex mu_;
  sched::SynthesisCache lru_;  // values: "<rate>\n" then the body
};

// The answer for `range` of `whole`, on top of `head` (status, Content-Type, headers): the
// whole body (200) without a range; 206 with Content-Range and the slice; or a 416 error with
// `Content-Range: bytes */N` when the range starts past the end.
Response ranged_response(std::string_view whole, const std::optional<ByteRange>& range,
                         Response head, const Api& api);

// The held body: takes all of `audio`, fixes a WAV header's sizes, keeps the result in the
// cache (when `cache` is set), then gives its range in one piece and the status and headers
// that go with it (BodySource::held()).
// Threading: as AudioBody (the connection's strand). `api` outlives it.
class HeldBody final : public BodySource {
 public:
  HeldBody(const Api& api, std::shared_ptr<AudioBody> audio, audio::Format format,
           std::optional<ByteRange> range, BodyCache* cache, std::string cache_key);

  State next(std::string& out) override;
  void set_waker(std::function<void()> waker) override { audio_->set_waker(std::move(waker)); }
  void cancel() override { audio_->cancel(); }
  std::string error() const override { return audio_->error(); }
  ErrorCode error_code() const override { return audio_->error_code(); }
  void describe(RequestRecord& record) const override { audio_->describe(record); }
  std::optional<HeldResponse> held() const override { return held_; }

 private:
  const Api& api_;
  std::shared_ptr<AudioBody> audio_;
  const audio::Format format_;
  const std::optional<ByteRange> range_;
  BodyCache* cache_;
  const std::string cache_key_;
  std::string whole_;
  std::optional<HeldResponse> held_;  // set once the body is complete
};

}  // namespace lector::api
