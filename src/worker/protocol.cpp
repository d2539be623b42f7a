#include "worker/protocol.h"

#include <cstring>

#include "core/error.h"

namespace lector::worker {
namespace {

Error malformed(const char* what) {
  return Error(ErrorCode::kInternal, std::string("malformed worker frame: ") + what);
}

class Writer {
 public:
  Writer(std::string& out, FrameType type) : out_(out), start_(out.size()) {
    out_.append(4, '\0');
    out_.push_back(static_cast<char>(type));
  }
  ~Writer() {
    const auto len = static_cast<std::uint32_t>(out_.size() - start_ - 4);
    put_at(start_, len);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) {
    char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 4);
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v));
    u32(static_cast<std::uint32_t>(v >> 32));
  }
  void f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }

 private:
  void put_at(std::size_t pos, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out_[pos + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  std::string& out_;
  std::size_t start_;
};

class Reader {
 public:
  explicit Reader(std::string_view p) : p_(p) {}
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(p_[pos_++]);
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p_[pos_++])) << (8 * i);
    return v;
  }
  std::uint64_t u64() {
    const std::uint64_t lo = u32();
    const std::uint64_t hi = u32();
    return lo | (hi << 32);
  }
  double f64() {
    const std::uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::string_view str() {
    const std::uint32_t n = u32();
    need(n);
    std::string_view s = p_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view rest() {
    std::string_view s = p_.substr(pos_);
    pos_ = p_.size();
    return s;
  }
  void end() const {
    if (pos_ != p_.size()) throw malformed("trailing bytes");
  }

 private:
  void need(std::size_t n) const {
    if (p_.size() - pos_ < n) throw malformed("truncated");
  }
  std::string_view p_;
  std::size_t pos_ = 0;
};

}  // namespace

void encode(const Hello& m, std::string& out) {
  Writer w(out, FrameType::kHello);
  w.str(m.engine);
  w.u32(static_cast<std::uint32_t>(m.sample_rate));
  w.u32(static_cast<std::uint32_t>(m.voices.size()));
  for (const VoiceInfo& v : m.voices) {
    w.str(v.name);
    w.str(v.display_name);
    w.str(v.language);
    w.u8(static_cast<std::uint8_t>(v.gender));
    w.str(v.engine_id);
    w.u32(static_cast<std::uint32_t>(v.sample_rate));
  }
  w.u32(static_cast<std::uint32_t>(m.variants.size()));
  for (const std::string& v : m.variants) w.str(v);
  // Flags: bit 0 word_timings, bit 1 text_as_written.
  w.u8(static_cast<std::uint8_t>((m.caps.word_timings ? 1 : 0) | (m.caps.text_as_written ? 2 : 0)));
  w.u32(static_cast<std::uint32_t>(m.caps.default_workers));
  w.u32(static_cast<std::uint32_t>(m.caps.memory_mb_per_worker));
  // Added after the fields above, which keep their layout.
  w.u32(static_cast<std::uint32_t>(m.caps.parallel_jobs));
  w.str(m.unavailable);
}

void encode(const SynthesizeJob& m, std::string& out) {
  Writer w(out, FrameType::kSynthesize);
  w.u64(m.job_id);
  w.str(m.voice);
  w.f64(m.params.speed);
  w.f64(m.params.pitch);
  w.f64(m.params.volume);
  w.str(m.text);
}

void encode(const Cancel& m, std::string& out) {
  Writer w(out, FrameType::kCancel);
  w.u64(m.job_id);
}

void encode(const WordMark& m, std::string& out) {
  Writer w(out, FrameType::kMark);
  w.u64(m.job_id);
  w.u32(m.text_offset);
  w.u32(m.text_length);
  w.u64(m.sample_offset);
}

void encode(const Done& m, std::string& out) {
  Writer w(out, FrameType::kDone);
  w.u64(m.job_id);
  w.u8(m.cancelled ? 1 : 0);
}

void encode(const ErrorFrame& m, std::string& out) {
  Writer w(out, FrameType::kError);
  w.u64(m.job_id);
  w.str(m.message);
}

void encode_audio_header(std::uint64_t job_id, std::size_t pcm_bytes, std::string& out) {
  const std::size_t start = out.size();
  {
    Writer w(out, FrameType::kAudio);
    w.u64(job_id);
  }
  // The Writer sized the frame without the PCM that follows; add it.
  std::uint32_t len = 0;
  for (int i = 0; i < 4; ++i)
    len |= static_cast<std::uint32_t>(
               static_cast<unsigned char>(out[start + static_cast<std::size_t>(i)]))
           << (8 * i);
  len += static_cast<std::uint32_t>(pcm_bytes);
  for (int i = 0; i < 4; ++i)
    out[start + static_cast<std::size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
}

Hello decode_hello(std::string_view payload) {
  Reader r(payload);
  Hello m;
  m.engine = r.str();
  m.sample_rate = static_cast<int>(r.u32());
  const std::uint32_t n = r.u32();
  if (n > 100000) throw malformed("too many voices");
  m.voices.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    VoiceInfo v;
    v.name = r.str();
    v.display_name = r.str();
    v.language = r.str();
    const std::uint8_t g = r.u8();
    if (g > 2) throw malformed("gender");
    v.gender = static_cast<Gender>(g);
    v.engine_id = r.str();
    v.sample_rate = static_cast<int>(r.u32());
    m.voices.push_back(std::move(v));
  }
  const std::uint32_t variants = r.u32();
  if (variants > 100000) throw malformed("too many variants");
  for (std::uint32_t i = 0; i < variants; ++i) m.variants.emplace_back(r.str());
  const std::uint8_t flags = r.u8();
  if (flags > 3) throw malformed("capability flags");
  m.caps.word_timings = (flags & 1) != 0;
  m.caps.text_as_written = (flags & 2) != 0;
  const std::uint32_t workers = r.u32();
  const std::uint32_t memory = r.u32();
  if (workers > 4096 || memory > (1u << 20)) throw malformed("capabilities");
  m.caps.default_workers = static_cast<int>(workers);
  m.caps.memory_mb_per_worker = static_cast<int>(memory);
  const std::uint32_t jobs = r.u32();
  if (jobs < 1 || jobs > static_cast<std::uint32_t>(kMaxParallelJobs))
    throw malformed("parallel jobs");
  m.caps.parallel_jobs = static_cast<int>(jobs);
  m.unavailable = r.str();
  r.end();
  return m;
}

SynthesizeJob decode_synthesize(std::string_view payload) {
  Reader r(payload);
  SynthesizeJob m;
  m.job_id = r.u64();
  m.voice = r.str();
  m.params.speed = r.f64();
  m.params.pitch = r.f64();
  m.params.volume = r.f64();
  m.text = r.str();
  r.end();
  return m;
}

Cancel decode_cancel(std::string_view payload) {
  Reader r(payload);
  Cancel m{r.u64()};
  r.end();
  return m;
}

WordMark decode_mark(std::string_view payload) {
  Reader r(payload);
  WordMark m;
  m.job_id = r.u64();
  m.text_offset = r.u32();
  m.text_length = r.u32();
  m.sample_offset = r.u64();
  r.end();
  return m;
}

Done decode_done(std::string_view payload) {
  Reader r(payload);
  Done m;
  m.job_id = r.u64();
  m.cancelled = r.u8() != 0;
  r.end();
  return m;
}

ErrorFrame decode_error(std::string_view payload) {
  Reader r(payload);
  ErrorFrame m;
  m.job_id = r.u64();
  m.message = r.str();
  r.end();
  return m;
}

std::uint64_t decode_audio(std::string_view payload, std::string_view& pcm) {
  Reader r(payload);
  const std::uint64_t id = r.u64();
  pcm = r.rest();
  if (pcm.size() % 2 != 0) throw malformed("odd PCM length");
  return id;
}

std::span<char> FrameBuffer::prepare(std::size_t min_bytes) {
  if (begin_ == size_) begin_ = size_ = 0;
  if (data_.size() - size_ < min_bytes) {
    // Move unconsumed bytes to the front before growing.
    if (begin_ > 0) {
      std::memmove(data_.data(), data_.data() + begin_, size_ - begin_);
      size_ -= begin_;
      begin_ = 0;
    }
    if (data_.size() - size_ < min_bytes) data_.resize(size_ + min_bytes);
  }
  return {data_.data() + size_, data_.size() - size_};
}

std::optional<FrameView> FrameBuffer::next() {
  const std::size_t avail = size_ - begin_;
  if (avail < kFrameHeaderBytes) return std::nullopt;
  const char* p = data_.data() + begin_;
  std::uint32_t len = 0;
  for (int i = 0; i < 4; ++i)
    len |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  if (len == 0 || len > kMaxFrameBytes) throw malformed("bad length");
  if (avail < 4 + static_cast<std::size_t>(len)) return std::nullopt;
  const auto type = static_cast<FrameType>(static_cast<unsigned char>(p[4]));
  switch (type) {
    case FrameType::kHello:
    case FrameType::kSynthesize:
    case FrameType::kCancel:
    case FrameType::kAudio:
    case FrameType::kMark:
    case FrameType::kDone:
    case FrameType::kError:
      break;
    default:
      throw malformed("unknown type");
  }
  begin_ += 4 + len;
  return FrameView{type, std::string_view(p + kFrameHeaderBytes, len - 1)};
}

}  // namespace lector::worker
