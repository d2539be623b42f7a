#pragma once
// Base64 (RFC 4648, standard alphabet, padded), for audio in RealtimeTTS's JSON messages.
// Pure; any thread.

#include <optional>
#include <string>
#include <string_view>

namespace lector::api {

std::string base64(std::string_view in);
// The bytes of padded base64 `in`; nullopt when it is not base64.
std::optional<std::string> unbase64(std::string_view in);

}  // namespace lector::api
