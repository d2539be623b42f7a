#pragma once
// The WebSocket protocols, one file each. Sessions refer to `api`, which must outlive them.

#include <memory>

#include "api/api.h"

namespace lector::api {

// /v1/stream, the native protocol (ws_stream.cpp). Every utterance's audio is charged to
// `usage` (the caller's API key; may be null).
std::unique_ptr<WsSession> make_stream_session(Api& api, std::shared_ptr<UsageMeter> usage);
// /ws, RealtimeTTS's protocol (ws_realtimetts.cpp).
std::unique_ptr<WsSession> make_realtimetts_session(Api& api, std::shared_ptr<UsageMeter> usage);

}  // namespace lector::api
