#include "wyoming/frame.h"

#include <algorithm>

#include "core/error.h"

namespace lector::wyoming {
namespace {

using json = nlohmann::json;

Error malformed(const std::string& what) {
  return Error(ErrorCode::kMalformed, "malformed Wyoming frame: " + what);
}

// "data_length" / "payload_length": absent, null or a whole number in [0, limit].
std::size_t length_field(const json& header, const char* name, std::size_t limit) {
  auto it = header.find(name);
  if (it == header.end() || it->is_null()) return 0;
  if (it->is_number_unsigned()) {
    const auto n = it->get<std::uint64_t>();
    if (n > limit)
      throw Error(ErrorCode::kTooLarge, std::string("Wyoming frame: ") + name + " " +
                                            std::to_string(n) + " is over the limit of " +
                                            std::to_string(limit) + " bytes");
    return static_cast<std::size_t>(n);
  }
  if (it->is_number_integer()) throw malformed(std::string(name) + " is negative");
  throw malformed(std::string(name) + " is not a whole number");
}

}  // namespace

std::optional<Event> FrameDecoder::next() {
  if (!pending_) {
    const std::string_view rest = std::string_view(buffer_).substr(consumed_);
    // Bytes already searched are not searched again: a header dribbled in byte by byte costs
    // linear time, not quadratic.
    const std::size_t nl = rest.substr(0, limits_.max_header_bytes + 1).find('\n', scanned_);
    if (nl == std::string_view::npos) {
      scanned_ = std::min(rest.size(), limits_.max_header_bytes + 1);
      if (rest.size() > limits_.max_header_bytes)
        throw Error(ErrorCode::kTooLarge, "Wyoming frame: header line over " +
                                              std::to_string(limits_.max_header_bytes) +
                                              " bytes without a newline");
      compact();
      return std::nullopt;
    }
    scanned_ = 0;
    parse_header(rest.substr(0, nl));
    consumed_ += nl + 1;
  }
  if (buffered() < data_length_ + payload_length_) {
    compact();
    return std::nullopt;
  }
  Event event = std::move(*pending_);
  pending_.reset();
  if (data_length_ > 0) {
    const std::string_view block = std::string_view(buffer_).substr(consumed_, data_length_);
    json data = json::parse(block, nullptr, false);
    if (data.is_discarded()) throw malformed("the data block is not valid JSON");
    if (!data.is_object()) throw malformed("the data block is not a JSON object");
    // The block's fields take precedence over the header's, as in the reference reader.
    for (auto& [key, value] : data.items()) event.data[key] = std::move(value);
    consumed_ += data_length_;
  }
  event.payload.assign(buffer_, consumed_, payload_length_);
  consumed_ += payload_length_;
  data_length_ = payload_length_ = 0;
  compact();
  return event;
}

void FrameDecoder::parse_header(std::string_view line) {
  json header = json::parse(line, nullptr, false);
  if (header.is_discarded()) throw malformed("the header line is not valid JSON");
  if (!header.is_object()) throw malformed("the header line is not a JSON object");
  auto type = header.find("type");
  if (type == header.end() || !type->is_string())
    throw malformed("the header has no string field 'type'");
  Event event;
  event.type = type->get<std::string>();
  if (event.type.empty()) throw malformed("the header's 'type' is empty");
  auto data = header.find("data");
  if (data != header.end() && !data->is_null()) {
    if (!data->is_object()) throw malformed("the header's 'data' is not a JSON object");
    event.data = std::move(*data);
  }
  data_length_ = length_field(header, "data_length", limits_.max_data_bytes);
  payload_length_ = length_field(header, "payload_length", limits_.max_payload_bytes);
  pending_ = std::move(event);
}

void FrameDecoder::compact() {
  // Drop what was handed out once it is the larger part, so appends stay amortised O(1).
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
}

std::string encode_event(std::string_view type, const json& data, std::string_view payload) {
  json header = {{"type", type}, {"version", kProtocolVersion}};
  std::string block;
  if (data.is_object() && !data.empty()) {
    block = data.dump(-1, ' ', false, json::error_handler_t::replace);
    header["data_length"] = block.size();
  }
  if (!payload.empty()) header["payload_length"] = payload.size();
  std::string out = header.dump(-1, ' ', false, json::error_handler_t::replace);
  out.reserve(out.size() + 1 + block.size() + payload.size());
  out += '\n';
  out += block;
  out.append(payload);
  return out;
}

}  // namespace lector::wyoming
