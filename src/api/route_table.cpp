#include "api/route_table.h"

#include <algorithm>

#include "core/error.h"

namespace lector::api {

void RouteTable::add(std::string path, std::vector<std::string> methods, Handler handler) {
  if (std::find(methods.begin(), methods.end(), "GET") != methods.end() &&
      std::find(methods.begin(), methods.end(), "HEAD") == methods.end())
    methods.insert(std::find(methods.begin(), methods.end(), "GET") + 1, "HEAD");
  for (const Route& r : routes_)
    if (r.path == path) throw Error(ErrorCode::kInternal, "route " + path + " added twice");
  routes_.push_back(Route{std::move(path), std::move(methods), std::move(handler)});
}

RouteTable::Match RouteTable::match(std::string_view method, std::string_view path) const {
  Match m;
  for (const Route& r : routes_) {
    if (r.path != path) continue;
    m.path_known = true;
    for (const std::string& allowed : r.methods) {
      if (allowed == method) m.handler = &r.handler;
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += allowed;
    }
    break;
  }
  return m;
}

std::vector<std::string> RouteTable::paths() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) out.push_back(r.path);
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> RouteTable::entries() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const Route& r : routes_) out.emplace_back(r.path, r.methods);
  return out;
}

}  // namespace lector::api
