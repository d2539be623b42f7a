#pragma once
// The WebSocket protocols, one file each. Sessions refer to `api`, which must outlive them.

#include <memory>

#include "api/api.h"

namespace lector::api {

// /v1/stream, the native protocol (ws_stream.cpp).
std::unique_ptr<WsSession> make_stream_session(Api& api);
// /ws, RealtimeTTS's protocol (ws_realtimetts.cpp).
std::unique_ptr<WsSession> make_realtimetts_session(Api& api);

}  // namespace lector::api
