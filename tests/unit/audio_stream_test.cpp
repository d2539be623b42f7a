// sched::AudioStream on its own: pieces pushed come out in order and whole, however the takes
// cut them, with marks handed out with the audio they point into.
#include "sched/audio_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lector::sched {
namespace {

using State = AudioSource::State;

std::string bytes(char c, std::size_t n) {
  return std::string(n, c);
}

TEST(AudioStream, TakesCutAcrossPiecesInOrder) {
  AudioStream s(1, 16000);
  s.push(bytes('a', 6));
  s.push(bytes('b', 4));
  s.push(bytes('c', 8));
  EXPECT_EQ(s.buffered_bytes(), 18u);

  std::string out;
  ASSERT_EQ(s.take(out, nullptr, 4), State::kData);  // inside the first piece
  EXPECT_EQ(out, "aaaa");
  ASSERT_EQ(s.take(out, nullptr, 6), State::kData);  // the rest of it, then the second whole
  EXPECT_EQ(out, "aaaaaabbbb");
  EXPECT_EQ(s.buffered_bytes(), 8u);
  out.clear();
  ASSERT_EQ(s.take(out, nullptr, 7), State::kData);  // an even count: 6 of the third
  EXPECT_EQ(out, "cccccc");
  out.clear();
  ASSERT_EQ(s.take(out), State::kData);
  EXPECT_EQ(out, "cc");
  EXPECT_EQ(s.buffered_bytes(), 0u);
  EXPECT_EQ(s.take(out), State::kPending);
  EXPECT_EQ(s.pushed_bytes(), 18u);
}

TEST(AudioStream, APieceIsCutOnlyWhenItAloneIsOverTheLimit) {
  AudioStream s(1, 16000);
  s.push(bytes('a', 4));
  s.push(bytes('b', 4));
  std::string out;
  ASSERT_EQ(s.take(out, nullptr, 6), State::kData);
  EXPECT_EQ(out, "aaaa") << "the second piece waits whole for the next take";
  ASSERT_EQ(s.take(out, nullptr, 6), State::kData);
  EXPECT_EQ(out, "aaaabbbb");
}

TEST(AudioStream, AWholeTakeAppendsEveryPieceAfterWhatOutHeld) {
  AudioStream s(1, 16000);
  s.push(bytes('a', 2));
  s.push(bytes('b', 2));
  std::string out = "x";
  ASSERT_EQ(s.take(out), State::kData);
  EXPECT_EQ(out, "xaabb");
  s.finish();
  EXPECT_EQ(s.take(out), State::kEnd);
}

TEST(AudioStream, MarksGoWithTheAudioTheyPointInto) {
  AudioStream s(1, 16000);
  s.mark(AudioMark::Kind::kSegmentStart, 0);
  s.push(bytes('a', 4));
  s.mark_at(AudioMark{AudioMark::Kind::kWord, 0, 6, 0, 1});  // ahead of the audio so far
  s.push(bytes('b', 4));
  std::string out;
  std::vector<AudioMark> marks;
  ASSERT_EQ(s.take(out, &marks, 4), State::kData);
  ASSERT_EQ(marks.size(), 1u) << "the word at byte 6 waits for the audio up to it";
  EXPECT_EQ(marks[0].kind, AudioMark::Kind::kSegmentStart);
  ASSERT_EQ(s.take(out, &marks, 2), State::kData);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[1].offset, 6u);
  ASSERT_EQ(s.take(out, &marks), State::kData);
  EXPECT_EQ(marks.size(), 2u);
  EXPECT_EQ(out, "aaaabbbb");
}

TEST(AudioStream, AThrottledStreamCallsResumeWhenATakeFreesRoom) {
  int resumes = 0;
  AudioStream s(1, 16000, [&] { ++resumes; });
  s.push(bytes('a', 4));
  s.mark_throttled();
  std::string out;
  ASSERT_EQ(s.take(out, nullptr, 2), State::kData);
  EXPECT_EQ(resumes, 1);
  ASSERT_EQ(s.take(out), State::kData);
  EXPECT_EQ(resumes, 1) << "not throttled any more";
}

}  // namespace
}  // namespace lector::sched
