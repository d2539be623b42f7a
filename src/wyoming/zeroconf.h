#pragma once
// Announces the Wyoming port on the local network as `_wyoming._tcp` (mDNS/DNS-SD), as
// wyoming-piper does, so Home Assistant discovers the server by itself. Through the Avahi
// daemon's client library, when Lector was built with it (libavahi-client-dev); otherwise, or
// when the daemon is not running, it logs one line saying so and announces nothing: discovery
// is a convenience, the server runs the same without it.
//
// Threading: created and destroyed by one thread; Avahi's callbacks run on Avahi's own thread
// (its threaded poll) and touch only this object's Avahi state.

#include <cstdint>
#include <memory>
#include <string>

namespace lector::wyoming {

class Zeroconf {
 public:
  // Starts announcing service `name` on `port`; never throws. The announcement lasts until
  // the object is destroyed.
  static std::unique_ptr<Zeroconf> announce(const std::string& name, std::uint16_t port);
  ~Zeroconf();
  Zeroconf(const Zeroconf&) = delete;
  Zeroconf& operator=(const Zeroconf&) = delete;

  // Whether this build can announce at all.
  static bool built_in();

  struct Impl;

 private:
  Zeroconf() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lector::wyoming
