// The WebSocket protocols above the framing: the /v1/stream session (api/ws_stream.cpp) and the
// RealtimeTTS /ws session (api/ws_realtimetts.cpp), fed a fuzzed sequence of text and binary
// messages, with the outgoing queue drained between them, against a real scheduler whose
// worker is an in-process stand-in (fuzz_server.h). Invariants: on_message never throws;
// every text message sent back is a JSON object (/v1/stream's carry a "type"); once the client
// is gone, no request slot stays held.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "api/ws_sessions.h"
#include "fuzz_server.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "WebSocket session invariant broken: %s %s\n", what, detail.c_str());
  std::abort();
}

void drain(lector::api::WsSession& session, bool native) {
  for (int i = 0; i < 256; ++i) {
    auto message = session.poll();
    if (!message) return;
    if (message->binary) continue;
    const auto j = nlohmann::json::parse(message->data, nullptr, false);
    if (!j.is_object()) fail("a text message that is not a JSON object:", message->data);
    if (native && !(j.contains("type") && j["type"].is_string()))
      fail("an event without a type:", message->data);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  auto& api = *lector::fuzz::fuzz_server().api;
  const bool native = in.ConsumeBool();
  {
    lector::api::HttpRequest upgrade;
    upgrade.method = "GET";
    upgrade.path = native ? "/v1/stream" : "/ws";
    upgrade.peer = "fuzz";
    upgrade.id = "fuzz";
    std::unique_ptr<lector::api::WsSession> session =
        native ? lector::api::make_stream_session(api, upgrade)
               : lector::api::make_realtimetts_session(api, upgrade);
    session->set_waker([] {});
    for (int i = 0; i < 16 && in.remaining_bytes() > 0; ++i) {
      const bool binary = in.ConsumeIntegralInRange(0, 7) == 0;
      const std::string message = in.ConsumeRandomLengthString(2048);
      session->on_message(message, binary);
      drain(*session, native);
      if (session->finished()) break;
    }
    session->on_disconnect();
    drain(*session, native);
  }
  lector::fuzz::check_no_request_leaked("WebSocket session");
  return 0;
}
