#pragma once
// Request targets ("/path?a=1&b=x%20y") -> decoded path and query parameters, by Boost.URL.
// Pure functions; any thread.

#include <string>
#include <string_view>

#include "api/http_types.h"

namespace lector::http {

struct Target {
  std::string path;         // percent-decoded
  api::QueryParams params;  // in order, percent-decoded, '+' as space
};

// Accepts origin-form ("/p?q"), absolute-form ("http://h/p?q") and "*". Characters RFC 3986
// does not allow but clients send anyway (raw UTF-8, '|', '{', ...) are taken as they are; a
// fragment is dropped. Throws lector::Error(kMalformed) naming the problem, e.g. "malformed
// percent-escape in the query string". The decoded text may be any bytes: whether it must be
// UTF-8 is the api's concern.
Target parse_target(std::string_view raw);

}  // namespace lector::http
