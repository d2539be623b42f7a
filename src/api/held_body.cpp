#include "api/held_body.h"

#include <charconv>

#include "api/api.h"
#include "api/complete_wav.h"
#include "audio/wav.h"

namespace lector::api {

std::string BodyCache::key(const sched::SynthesisRequest& request, const OutputSpec& output,
                           int sentence_silence_ms, bool ssml, std::string_view text) {
  std::string what = audio::to_string(output.format);
  what += '\0' + std::to_string(output.sample_rate) + '\0' + std::to_string(sentence_silence_ms) +
          '\0' + (ssml ? "ssml" : "text") + '\0';
  what += text;
  return sched::SynthesisCache::key(request.engine, request.voice, request.params, what);
}

std::optional<BodyCache::Body> BodyCache::find(const std::string& key) {
  std::shared_ptr<const sched::CachedSegment> entry;
  {
    const std::lock_guard lock(mu_);
    entry = lru_.find(key);
  }
  if (!entry) return std::nullopt;
  // The body is the entry's `pcm` field (the cache is the synthesis cache's LRU).
  const std::shared_ptr<const std::string> value(entry, &entry->pcm);
  Body body{value, value->find('\n') + 1, 0};
  std::from_chars(value->data(), value->data() + body.offset - 1, body.rate);
  return body;
}

void BodyCache::insert(const std::string& key, std::string_view body, int rate) {
  if (!enabled()) return;
  std::string value = std::to_string(rate) + '\n';
  value.append(body);
  const std::lock_guard lock(mu_);
  lru_.insert(key, sched::CachedSegment{std::move(value), {}});
}

Response ranged_response(std::string_view whole, const std::optional<ByteRange>& range,
                         Response head, const Api& api) {
  const std::size_t total = whole.size();
  if (!range) {
    head.body.assign(whole);
    return head;
  }
  if (const auto slice = satisfy(*range, total)) {
    head.status = 206;
    head.headers.emplace_back("Content-Range",
                              "bytes " + std::to_string(slice->offset) + "-" +
                                  std::to_string(slice->offset + slice->length - 1) + "/" +
                                  std::to_string(total));
    head.body.assign(whole.substr(slice->offset, slice->length));
    return head;
  }
  const std::string asked = range->suffix
                                ? "the last " + std::to_string(*range->suffix) + " bytes"
                                : "a range starting at byte " + std::to_string(range->first);
  Response e = api.error_response(
      ErrorCode::kBadRange,
      "header 'Range': " + asked + " of a " + std::to_string(total) + "-byte body", "/tts",
      "Range");
  head.status = e.status;
  head.content_type = e.content_type;
  head.body = std::move(e.body);
  head.error = e.error;
  head.headers.emplace_back("Content-Range", "bytes */" + std::to_string(total));
  return head;
}

HeldBody::HeldBody(const Api& api, std::shared_ptr<AudioBody> audio, audio::Format format,
                   std::optional<ByteRange> range, BodyCache* cache, std::string cache_key)
    : api_(api),
      audio_(std::move(audio)),
      format_(format),
      range_(range),
      cache_(cache),
      cache_key_(std::move(cache_key)) {}

BodySource::State HeldBody::next(std::string& out) {
  if (held_) return State::kEnd;
  for (;;) {
    const State state = audio_->next(whole_);
    if (state == State::kData) continue;
    if (state != State::kEnd) return state;  // pending, or failed before anything was sent
    break;
  }
  if (format_ == audio::Format::kWav && whole_.size() >= audio::kWavHeaderBytes)
    set_wav_sizes(whole_, audio_->output_rate());
  if (cache_) cache_->insert(cache_key_, whole_, audio_->output_rate());
  // The Response's own Content-Type and headers stay; these replace or add to them.
  Response head;
  head.content_type.clear();
  Response r = ranged_response(whole_, range_, std::move(head), api_);
  held_ = HeldResponse{r.status, std::move(r.content_type), std::move(r.headers), r.error};
  out += r.body;
  whole_.clear();
  whole_.shrink_to_fit();
  return State::kData;
}

}  // namespace lector::api
