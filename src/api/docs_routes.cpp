// GET /openapi.json (docs/openapi.json, hand-written and embedded at build time) and /docs:
// Swagger UI from the swagger-ui-dist npm package, embedded at build time when the build had it
// (CMakeLists.txt: LECTOR_HAVE_SWAGGER_UI), so the page loads nothing but from this server;
// without it they answer 404 saying how to get it (not 503: retrying will not help).

#include "api/routes.h"

namespace lector::api {

std::string_view openapi_json();
std::string_view docs_html();
std::string_view docs_init_js();
#ifdef LECTOR_HAVE_SWAGGER_UI
std::string_view swagger_ui_bundle_js();
std::string_view swagger_ui_css();
#endif

namespace {

// Scripts and styles from this server only; Swagger UI sets inline styles on its elements and
// draws its icons from data: URIs.
constexpr std::string_view kDocsPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

Error missing() {
  return Error(ErrorCode::kNotFound,
               "/docs is not available: this lector was built without Swagger UI (run `npm ci "
               "--ignore-scripts` in third_party/swagger-ui, then build again); the API "
               "description is at /openapi.json");
}

}  // namespace

bool docs_available() {
#ifdef LECTOR_HAVE_SWAGGER_UI
  return true;
#else
  return false;
#endif
}

void add_docs_routes(RouteTable& routes) {
  routes.add("/openapi.json", {"GET"},
             [](const HttpRequest&) { return embedded_file("application/json", openapi_json()); });
  // Registered with or without Swagger UI, so the routes and /openapi.json agree either way.
  routes.add("/docs", {"GET"}, [](const HttpRequest&) {
    if (!docs_available()) throw missing();
    Response r = embedded_file("text/html; charset=utf-8", docs_html());
    r.headers.emplace_back("Content-Security-Policy", std::string(kDocsPolicy));
    return r;
  });
  routes.add("/docs/init.js", {"GET"}, [](const HttpRequest&) {
    if (!docs_available()) throw missing();
    return embedded_file("text/javascript; charset=utf-8", docs_init_js());
  });
  routes.add("/docs/swagger-ui-bundle.js", {"GET"}, [](const HttpRequest&) -> Response {
#ifdef LECTOR_HAVE_SWAGGER_UI
    return embedded_file("text/javascript; charset=utf-8", swagger_ui_bundle_js());
#else
    throw missing();
#endif
  });
  routes.add("/docs/swagger-ui.css", {"GET"}, [](const HttpRequest&) -> Response {
#ifdef LECTOR_HAVE_SWAGGER_UI
    return embedded_file("text/css; charset=utf-8", swagger_ui_css());
#else
    throw missing();
#endif
  });
}

}  // namespace lector::api
