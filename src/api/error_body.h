#pragma once
// Reading the api's own error shape back (for `lector say`), so JSON stays inside api/.

#include <string>
#include <string_view>

namespace lector::api {

// The message of an error body `{"error": "..."}`; the body itself when it is not one.
std::string error_message_of(std::string_view body);

}  // namespace lector::api
