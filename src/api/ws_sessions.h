#pragma once
// The WebSocket protocols, one file each. Sessions refer to `api`, which must outlive them.
// `upgrade` is the request that opened the socket: its id, peer and key name go into every
// utterance's record (Api::request_done).

#include <memory>

#include "api/api.h"

namespace lector::api {

// /v1/stream, the native protocol (ws_stream.cpp). Every utterance's audio is charged to
// `upgrade.usage` (the caller's API key; may be null).
std::unique_ptr<WsSession> make_stream_session(Api& api, const HttpRequest& upgrade);
// /ws, RealtimeTTS's protocol (ws_realtimetts.cpp).
std::unique_ptr<WsSession> make_realtimetts_session(Api& api, const HttpRequest& upgrade);

// The record of one utterance on a WebSocket, everything but the synthesis fields filled in:
// id "<connection id>/<n>", method "WS", total time since `started`.
RequestRecord utterance_record(const HttpRequest& upgrade, std::uint64_t n, int status,
                               RequestEnd end, std::chrono::steady_clock::time_point started);

}  // namespace lector::api
