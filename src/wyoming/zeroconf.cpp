#include "wyoming/zeroconf.h"

#include "obs/log.h"

#ifdef LECTOR_HAVE_AVAHI
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>
#endif

namespace lector::wyoming {

#ifdef LECTOR_HAVE_AVAHI

// Avahi's state. The callbacks run on the threaded poll's thread (and, for the first client
// state, inside avahi_client_new on the caller's); the destructor stops that thread first.
struct Zeroconf::Impl {
  std::string name;
  std::uint16_t port = 0;
  AvahiThreadedPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  AvahiEntryGroup* group = nullptr;

  ~Impl() {
    if (poll != nullptr) avahi_threaded_poll_stop(poll);
    if (client != nullptr) avahi_client_free(client);  // frees the group too
    if (poll != nullptr) avahi_threaded_poll_free(poll);
  }

  void publish(AvahiClient* c) {
    if (group == nullptr) group = avahi_entry_group_new(c, &Impl::on_group, this);
    if (group == nullptr) {
      obs::log_warn("zeroconf: cannot create an Avahi entry group: {}",
                    avahi_strerror(avahi_client_errno(c)));
      return;
    }
    if (!avahi_entry_group_is_empty(group)) return;
    int rc = avahi_entry_group_add_service(
        group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, static_cast<AvahiPublishFlags>(0), name.c_str(),
        "_wyoming._tcp", nullptr, nullptr, port, static_cast<const char*>(nullptr));
    if (rc == AVAHI_ERR_COLLISION) {
      rename();
      publish(c);
      return;
    }
    if (rc < 0 || (rc = avahi_entry_group_commit(group)) < 0)
      obs::log_warn("zeroconf: cannot announce '{}': {}", name, avahi_strerror(rc));
  }

  void rename() {
    char* next = avahi_alternative_service_name(name.c_str());
    obs::log_info("zeroconf: the name '{}' is taken on this network, trying '{}'", name, next);
    name = next;
    avahi_free(next);
    if (group != nullptr) avahi_entry_group_reset(group);
  }

  static void on_client(AvahiClient* c, AvahiClientState state, void* user) {
    auto* self = static_cast<Impl*>(user);
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        self->publish(c);
        break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        // The host name changed or collides: announce again once the daemon is running.
        if (self->group != nullptr) avahi_entry_group_reset(self->group);
        break;
      case AVAHI_CLIENT_FAILURE:
        obs::log_warn("zeroconf: the Avahi daemon went away: {}; not announcing any more",
                      avahi_strerror(avahi_client_errno(c)));
        break;
      case AVAHI_CLIENT_CONNECTING:
        break;
    }
  }

  static void on_group(AvahiEntryGroup* g, AvahiEntryGroupState state, void* user) {
    auto* self = static_cast<Impl*>(user);
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        obs::log_info("zeroconf: announced '{}' as _wyoming._tcp on port {}", self->name,
                      self->port);
        break;
      case AVAHI_ENTRY_GROUP_COLLISION:
        self->rename();
        self->publish(avahi_entry_group_get_client(g));
        break;
      case AVAHI_ENTRY_GROUP_FAILURE:
        obs::log_warn("zeroconf: announcing '{}' failed: {}", self->name,
                      avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
  }
};

bool Zeroconf::built_in() {
  return true;
}

std::unique_ptr<Zeroconf> Zeroconf::announce(const std::string& name, std::uint16_t port) {
  std::unique_ptr<Zeroconf> z(new Zeroconf());
  z->impl_ = std::make_unique<Impl>();
  Impl& impl = *z->impl_;
  impl.name = name;
  impl.port = port;
  impl.poll = avahi_threaded_poll_new();
  if (impl.poll == nullptr) {
    obs::log_warn("zeroconf: cannot start Avahi's event loop; not announcing");
    return z;
  }
  int error = 0;
  impl.client = avahi_client_new(avahi_threaded_poll_get(impl.poll),
                                 static_cast<AvahiClientFlags>(0), &Impl::on_client, &impl, &error);
  if (impl.client == nullptr) {
    if (error == AVAHI_ERR_NO_DAEMON)
      obs::log_warn("zeroconf: the Avahi daemon is not running ({}); not announcing",
                    avahi_strerror(error));
    else
      obs::log_warn("zeroconf: cannot reach the Avahi daemon: {}; not announcing",
                    avahi_strerror(error));
    return z;
  }
  if (avahi_threaded_poll_start(impl.poll) < 0)
    obs::log_warn("zeroconf: cannot start Avahi's event loop; not announcing");
  return z;
}

#else

struct Zeroconf::Impl {};

bool Zeroconf::built_in() {
  return false;
}

std::unique_ptr<Zeroconf> Zeroconf::announce(const std::string& name, std::uint16_t port) {
  obs::log_warn(
      "zeroconf: not built in (this lector was built without libavahi-client-dev); not "
      "announcing '{}' on port {}",
      name, port);
  return std::unique_ptr<Zeroconf>(new Zeroconf());
}

#endif

Zeroconf::~Zeroconf() = default;

}  // namespace lector::wyoming
