#pragma once
// The HTTP route table: (path, methods) -> handler. Filled once at start-up, then read-only:
// any thread may call match() at once; add() only before the first match().

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.h"

namespace lector::api {

using Handler = std::function<Response(const HttpRequest&)>;

class RouteTable {
 public:
  // `methods` are upper-case; GET implies HEAD (the transport drops the body).
  void add(std::string path, std::vector<std::string> methods, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method (or path)
    bool path_known = false;           // the path exists: a null handler means 405
    std::string allow;                 // the path's methods, for the Allow header of a 405
  };
  Match match(std::string_view method, std::string_view path) const;

  std::vector<std::string> paths() const;
  // Every route: its path and methods (HEAD included where GET is), in the order added.
  std::vector<std::pair<std::string, std::vector<std::string>>> entries() const;

 private:
  struct Route {
    std::string path;
    std::vector<std::string> methods;
    Handler handler;
  };
  std::vector<Route> routes_;  // a dozen entries: a linear scan beats a map here
};

}  // namespace lector::api
