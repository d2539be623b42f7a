// A request's UsageMeter (core/usage.h) through the real scheduler and fake workers: submit
// asks it before taking a slot, and the handle charges it with exactly the audio taken.
#include "core/usage.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>

#include "core/error.h"
#include "fake_worker.h"
#include "sched/scheduler.h"

namespace lector::sched {
namespace {

using SchedulerUsageTest = fake::SchedulerFixture;

class CountingMeter final : public UsageMeter {
 public:
  void check() const override {
    if (exhausted) throw Error(ErrorCode::kQuotaExceeded, "used up").with_retry_after(42);
  }
  void delivered(double seconds) noexcept override {
    std::lock_guard lock(mu_);
    seconds_ += seconds;
  }
  double seconds() const {
    std::lock_guard lock(mu_);
    return seconds_;
  }
  bool exhausted = false;

 private:
  mutable std::mutex mu_;
  double seconds_ = 0;
};

SynthesisRequest request_with(std::shared_ptr<UsageMeter> meter) {
  SynthesisRequest r;
  r.engine = fake::kEngine;
  r.voice = "v1";
  r.segments = fake::texts("s", 3);
  r.usage = std::move(meter);
  return r;
}

TEST_F(SchedulerUsageTest, TheAudioTakenIsChargedToTheMeter) {
  plan();
  start(2);
  auto meter = std::make_shared<CountingMeter>();
  RequestHandle h = scheduler_->submit(request_with(meter));
  fake::Reader reader(h);
  reader.read_until(1);
  const double partial = meter->seconds();
  EXPECT_GT(partial, 0);
  EXPECT_NEAR(partial, static_cast<double>(reader.audio.size()) / 2.0 / fake::kSampleRate, 1e-9);
  ASSERT_EQ(reader.read_to_end(), AudioSource::State::kEnd);
  EXPECT_NEAR(
      meter->seconds(),
      static_cast<double>(fake::audio_of(fake::texts("s", 3)).size()) / 2.0 / fake::kSampleRate,
      1e-9);
}

TEST_F(SchedulerUsageTest, AnExhaustedMeterRefusesTheRequestBeforeItTakesASlot) {
  plan();
  start(1);
  auto meter = std::make_shared<CountingMeter>();
  meter->exhausted = true;
  try {
    scheduler_->submit(request_with(meter));
    ADD_FAILURE() << "an exhausted meter admitted a request";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kQuotaExceeded);
    EXPECT_EQ(e.retry_after(), 42);
  }
  const SchedulerStats s = scheduler_->stats();
  EXPECT_EQ(s.requests_active, 0u);
  EXPECT_EQ(s.requests_total, 0u);
  EXPECT_DOUBLE_EQ(meter->seconds(), 0);
}

}  // namespace
}  // namespace lector::sched
