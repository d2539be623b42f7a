#include "api/text_upload.h"

#include "api/text_options.h"
#include "text/utf8.h"

namespace lector::api {

TextUpload::TextUpload(std::shared_ptr<AudioBody> source, text::FrontendOptions frontend,
                       std::size_t max_chars)
    : source_(std::move(source)), frontend_(std::move(frontend)), max_chars_(max_chars) {}

bool TextUpload::feed(std::string_view bytes) {
  if (failed_) return false;
  carry_.append(bytes);
  // Hold back an incomplete UTF-8 sequence at the end until its remaining bytes arrive.
  const std::size_t keep = text::utf8_incomplete_tail(carry_);
  const std::string_view complete(carry_.data(), carry_.size() - keep);
  if (!text::is_valid_utf8(complete)) return reject("not valid UTF-8");
  chars_ += text::count_code_points(complete);
  if (chars_ > max_chars_)
    return reject("too long: over " + std::to_string(max_chars_) + " characters");
  send(frontend_.feed(complete));
  carry_.erase(0, carry_.size() - keep);
  return true;
}

void TextUpload::finish() {
  if (failed_) return;
  if (!carry_.empty()) {
    reject("not valid UTF-8");
    return;
  }
  send(frontend_.flush());
  if (segments_ == 0) {
    reject("empty");
    return;
  }
  source_->close();
}

void TextUpload::abort() {
  source_->cancel();
}

bool TextUpload::reject(const std::string& problem) {
  failed_ = true;
  source_->reject(ErrorCode::kBadParameter, "parameter 'text': " + problem);
  return false;
}

void TextUpload::send(const std::vector<text::MappedText>& segments) {
  if (segments.empty()) return;
  segments_ += segments.size();
  source_->append(segment_texts(segments));
}

}  // namespace lector::api
