#pragma once
// X-Request-Id: a client's id is kept when it is 1 to 128 printable ASCII characters
// (0x20-0x7E: nothing that could split a log line or a header); otherwise the server makes
// one, unique across restarts and replicas: a random 64-bit prefix per process and a counter.
//
// Threading: any thread.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace lector::http {

constexpr std::size_t kMaxRequestIdChars = 128;

bool valid_request_id(std::string_view id);

class RequestIds {
 public:
  RequestIds();
  // The client's id when valid, else a new one.
  std::string accept(std::string_view client_id);
  std::string make();

 private:
  std::string prefix_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace lector::http
