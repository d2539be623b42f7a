#pragma once
// A real sched::Scheduler and api::Api for the fuzz targets that need a catalog (request
// validation, WebSocket sessions), over one in-process stand-in worker: a thread at the far end
// of a socketpair that speaks the real frame protocol, announces engine "fake" with a few
// voices, and answers every job with a little audio and Done. No engine, no process.
//
// Built once per fuzzer process (fuzz_server() is a function-local static) and never torn
// down: libFuzzer exits the process, and tearing down would only slow every run.

#include "api/api.h"
#include "sched/scheduler.h"

namespace lector::fuzz {

struct FuzzServer {
  sched::Scheduler* scheduler;
  api::Api* api;
};

FuzzServer& fuzz_server();

// Every request slot is free again (no RequestHandle alive). Aborts with a message otherwise:
// a leak found by a fuzzer is a crash like any other.
void check_no_request_leaked(const char* where);

}  // namespace lector::fuzz
