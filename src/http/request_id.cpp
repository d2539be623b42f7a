#include "http/request_id.h"

#include <cstdio>
#include <random>

namespace lector::http {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdChars) return false;
  for (const char c : id)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

RequestIds::RequestIds() {
  std::random_device rd;
  const std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
  prefix_ = buf;
}

std::string RequestIds::accept(std::string_view client_id) {
  return valid_request_id(client_id) ? std::string(client_id) : make();
}

std::string RequestIds::make() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "-%llx", static_cast<unsigned long long>(++counter_));
  return prefix_ + buf;
}

}  // namespace lector::http
