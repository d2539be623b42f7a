#pragma once
// application/x-www-form-urlencoded bodies ("a=1&b=x+y%21"), as MaryTTS clients send them.
// Pure function; any thread.

#include <string_view>

#include "api/http_types.h"

namespace lector::api {

// The body's fields in order, '+' as space, percent-escapes decoded (any bytes: whether a value
// must be UTF-8 is the caller's concern). A field without '=' has an empty value; empty fields
// ("a=1&&b=2") are skipped. Throws lector::Error(kMalformed) on a malformed percent-escape.
QueryParams parse_form(std::string_view body);

}  // namespace lector::api
