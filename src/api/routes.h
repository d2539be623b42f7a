#pragma once
// Registration of the HTTP routes into the table; each group lives in its own file.

#include "api/api.h"
#include "api/params.h"
#include "api/route_table.h"

namespace lector::api {

// GET / and the page's files under /web/ (page_routes.cpp).
void add_page_routes(RouteTable& routes);

// GET /engines, /voices, /api/voices, /api/engines, /set_engine, /setvoice, /health,
// /status (catalog_routes.cpp).
void add_catalog_routes(RouteTable& routes, const sched::Scheduler& scheduler, Defaults& defaults);

// GET and POST /tts (tts_routes.cpp); POST with a text body goes through Api::open_upload.
void add_tts_routes(RouteTable& routes, Api& api);

// POST /v1/audio/speech, GET /v1/models, GET /v1/audio/voices (openai_routes.cpp).
void add_openai_routes(RouteTable& routes, Api& api);

// POST /dev/captioned_speech: OpenAI's request, Kokoro-FastAPI's captioned answer
// (captioned_routes.cpp).
void add_captioned_routes(RouteTable& routes, Api& api);

// GET|POST /process, GET /locales, /version, /marytts/voices (marytts_routes.cpp).
void add_marytts_routes(RouteTable& routes, Api& api);
// /livez, /readyz and /metrics (ops_routes.cpp).
void add_ops_routes(RouteTable& routes, Api& api);

// GET /openapi.json, /docs and Swagger UI's files under /docs/ (docs_routes.cpp).
void add_docs_routes(RouteTable& routes);
// Whether this build embeds Swagger UI (else /docs answers 503 saying how to get it).
bool docs_available();

// A file embedded in the binary (the page's, /docs'): no-cache (it changes with the binary,
// not with a date) and nosniff.
Response embedded_file(std::string_view content_type, std::string_view body);

}  // namespace lector::api
