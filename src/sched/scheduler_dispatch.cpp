// The scheduler's choice of what runs where (loop thread only): segments served from the cache,
// and jobs given to free worker slots.
#include <algorithm>

#include "sched/scheduler.h"

namespace lector::sched {

// Segments in a request's window that are cached complete need no worker. Each segment is
// looked up once, when it first enters the window; serving the head moves the window, which
// may bring more cached segments into it.
void Scheduler::serve_from_cache() {
  if (!cache_.enabled()) return;
  std::vector<std::uint64_t> ids;
  ids.reserve(requests_.size());
  for (const auto& [id, r] : requests_) ids.push_back(id);
  for (const std::uint64_t id : ids) {
    for (;;) {
      Request* r = find(id);
      if (r == nullptr) break;
      const std::vector<std::size_t> candidates = r->cache_candidates();
      if (candidates.empty()) break;
      for (const std::size_t i : candidates) {
        auto hit = cache_.find(
            SynthesisCache::key(r->spec().engine, r->spec().voice, r->spec().params, r->text(i)));
        if (hit) {
          ++counters_.engines[r->spec().engine].segments_cached;
          r->sink().mark_dispatched();
        }
        r->cache_checked(i, std::move(hit));
      }
      settle(*r);
    }
  }
}

// Fills free slots, the least loaded worker first (so jobs spread over processes before they
// share one); each slot takes what start_one() finds for its engine.
void Scheduler::dispatch() {
  if (requests_.empty()) return;
  std::vector<std::string> exhausted;  // engines with nothing more to run
  for (;;) {
    Worker* best = nullptr;
    for (const auto& w : pool_.workers()) {
      if (!w->has_free_slot()) continue;
      if (std::find(exhausted.begin(), exhausted.end(), w->engine) != exhausted.end()) continue;
      // Load as a fraction of capacity, compared without division.
      if (best == nullptr || w->jobs.size() * best->capacity < best->jobs.size() * w->capacity)
        best = w.get();
    }
    if (best == nullptr) return;
    if (!start_one(*best)) exhausted.push_back(best->engine);
  }
}

// Pass 0: the first segment of a request that has sent no audio yet, oldest request first (ids
// grow with arrival). A listener already playing holds seconds of audio for every millisecond
// a segment takes, while a new one hears silence until its first segment ends; served in turn
// with the others (round-robin), a new request's first audio would wait behind one segment of
// every request running, so under load time to first audio would grow with the number of
// requests times their segments' length rather than with the requests arriving at once.
// Pass 1: the head segment of some request (its listener is waiting for it). Pass 2:
// look-ahead segments. Passes 1 and 2 go round-robin from the request served last.
bool Scheduler::start_one(Worker& w) {
  auto start = [&](Request& r, std::size_t index) {
    worker::SynthesizeJob job;
    job.job_id = next_job_id_++;
    job.voice = r.spec().voice;
    job.params = r.spec().params;
    job.text = r.text(index);
    r.started(index);
    r.sink().mark_dispatched();
    pool_.start_job(w, job, r.id(), index, Clock::now() + config_.segment_timeout);
  };
  for (auto& [id, r] : requests_) {
    if (r.cancelled() || r.spec().engine != w.engine || !r.awaiting_first_audio()) continue;
    if (const std::optional<std::size_t> index = r.next_to_run(true)) {
      start(r, *index);
      return true;
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    auto it = requests_.upper_bound(rr_cursor_);
    for (std::size_t k = 0; k < requests_.size(); ++k, ++it) {
      if (it == requests_.end()) it = requests_.begin();
      Request& r = it->second;
      if (r.cancelled() || r.spec().engine != w.engine) continue;
      const std::optional<std::size_t> index = r.next_to_run(pass == 0);
      if (!index) continue;
      rr_cursor_ = r.id();
      start(r, *index);
      return true;
    }
  }
  return false;
}

}  // namespace lector::sched
