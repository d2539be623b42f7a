#include "sched/request_handle.h"

#include "sched/scheduler.h"

namespace lector::sched {

RequestHandle::RequestHandle(Scheduler* owner, std::shared_ptr<AudioStream> stream,
                             std::shared_ptr<UsageMeter> usage)
    : owner_(owner), stream_(std::move(stream)), usage_(std::move(usage)) {}

RequestHandle::RequestHandle(RequestHandle&& other) noexcept
    : owner_(other.owner_),
      stream_(std::move(other.stream_)),
      usage_(std::move(other.usage_)),
      released_(other.released_),
      cancelled_(other.cancelled_) {
  other.stream_.reset();
  other.released_ = true;
}

RequestHandle& RequestHandle::operator=(RequestHandle&& other) noexcept {
  if (this != &other) {
    cancel();
    owner_ = other.owner_;
    stream_ = std::move(other.stream_);
    usage_ = std::move(other.usage_);
    released_ = other.released_;
    cancelled_ = other.cancelled_;
    other.stream_.reset();
    other.released_ = true;
  }
  return *this;
}

RequestHandle::~RequestHandle() {
  cancel();
}

RequestHandle::State RequestHandle::take(std::string& out, std::vector<AudioMark>* marks,
                                         std::size_t max_bytes) {
  const std::size_t before = out.size();
  const State state = stream_->take(out, marks, max_bytes);
  if (usage_ && out.size() > before)
    usage_->delivered(static_cast<double>(out.size() - before) / 2.0 / stream_->sample_rate());
  if (state == State::kEnd || state == State::kFailed) release();
  return state;
}

void RequestHandle::set_waker(std::function<void()> waker) {
  stream_->set_waker(std::move(waker));
}

std::string RequestHandle::error() const {
  return stream_->error();
}

void RequestHandle::append(std::vector<std::string> segments) {
  if (stream_ && !cancelled_)
    owner_->post(Scheduler::AppendCmd{stream_->id(), std::move(segments)});
}

void RequestHandle::close() {
  if (stream_ && !cancelled_) owner_->post(Scheduler::CloseCmd{stream_->id()});
}

void RequestHandle::cancel() {
  if (!stream_ || cancelled_) return;
  cancelled_ = true;
  // A stream that ended on its own needs no cancel; its request is gone from the loop.
  if (stream_->close_consumer()) owner_->post(Scheduler::CancelCmd{stream_->id()});
  release();
}

void RequestHandle::release() {
  if (released_ || owner_ == nullptr) return;
  released_ = true;
  owner_->release_slot();
}

}  // namespace lector::sched
