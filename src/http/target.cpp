#include "http/target.h"

// Boost.URL is compiled into this translation unit only (header-only mode): Debian 12 ships
// its headers in libboost1.81-dev but no libboost_url.
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/src.hpp>
#include <boost/url/url_view.hpp>

#include "core/error.h"

namespace lector::http {
namespace urls = boost::urls;

namespace {

// Characters RFC 3986 allows in a path or query: unreserved, sub-delims, ':', '@', '/', '?'
// and '%' (escapes, validated by the parser).
bool allowed(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view kOthers = "-._~!$&'()*+,;=:@/?%";
  return kOthers.find(static_cast<char>(c)) != std::string_view::npos;
}

// Escapes what RFC 3986 forbids so that lenient clients still parse; leaves '%' alone so a
// malformed escape stays an error.
std::string escape_stray(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (allowed(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

Target parse_target(std::string_view raw) {
  raw = raw.substr(0, raw.find('#'));
  const std::string escaped = escape_stray(raw);
  // "//x" is an origin-form path, not an authority: only other forms go to the URI grammar.
  const auto parsed = !escaped.empty() && escaped.front() == '/'
                          ? urls::parse_origin_form(escaped)
                          : urls::parse_uri_reference(escaped);
  if (!parsed) {
    // Every other character was made valid above, so the problem is an escape; say where.
    const std::size_t q = escaped.find('?');
    const bool path_ok =
        urls::make_pct_string_view(std::string_view(escaped).substr(0, q)).has_value();
    throw Error(ErrorCode::kMalformed, path_ok ? "malformed percent-escape in the query string"
                                               : "malformed percent-escape in the path");
  }
  const urls::url_view& url = *parsed;
  Target t;
  t.path = url.path();
  if (url.scheme_id() == urls::scheme::http || url.scheme_id() == urls::scheme::https) {
    if (t.path.empty()) t.path.push_back('/');  // "http://host" asks for the root
  }
  for (const auto& p : url.params(urls::encoding_opts(/*space_as_plus=*/true))) {
    if (p.key.empty() && !p.has_value) continue;  // "a=1&&b=2"
    t.params.emplace_back(p.key, p.value);
  }
  return t;
}

}  // namespace lector::http
