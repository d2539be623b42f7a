// The page at GET / and the files it loads from /web/, embedded at build time (web/,
// cmake/embed.cmake). The page runs under a strict Content-Security-Policy: scripts, styles and
// the AudioWorklet module come from this server only, nothing inline, and it connects (fetch,
// WebSocket) to this server only.

#include "api/routes.h"

namespace lector::api {

// Defined by the generated sources of lector_embed (CMakeLists.txt).
std::string_view page_html();
std::string_view page_css();
std::string_view page_js();
std::string_view voices_js();
std::string_view stream_js();
std::string_view live_js();
std::string_view worklet_js();

namespace {

// 'self' in connect-src covers ws:// and wss:// to the same host (CSP Level 3), which is how
// the page reaches /v1/stream; the AudioWorklet module is a script (script-src). data: images
// only for the empty favicon.
constexpr std::string_view kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "media-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

}  // namespace

Response embedded_file(std::string_view content_type, std::string_view body) {
  Response r;
  r.content_type = std::string(content_type);
  r.body = std::string(body);
  // The files change with the binary, not with a date: always revalidate.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

void add_page_routes(RouteTable& routes) {
  routes.add("/", {"GET"}, [](const HttpRequest&) {
    Response r = embedded_file("text/html; charset=utf-8", page_html());
    r.headers.emplace_back("Content-Security-Policy", std::string(kPagePolicy));
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  });
  struct Asset {
    const char* path;
    const char* type;
    std::string_view (*body)();
  };
  for (const Asset& a : {Asset{"/web/page.css", "text/css; charset=utf-8", page_css},
                         Asset{"/web/page.js", "text/javascript; charset=utf-8", page_js},
                         Asset{"/web/voices.js", "text/javascript; charset=utf-8", voices_js},
                         Asset{"/web/stream.js", "text/javascript; charset=utf-8", stream_js},
                         Asset{"/web/live.js", "text/javascript; charset=utf-8", live_js},
                         Asset{"/web/worklet.js", "text/javascript; charset=utf-8", worklet_js}}) {
    routes.add(a.path, {"GET"},
               [a](const HttpRequest&) { return embedded_file(a.type, a.body()); });
  }
}

}  // namespace lector::api
