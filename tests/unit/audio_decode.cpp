#include "audio_decode.h"

#include <FLAC/stream_decoder.h>
#include <mpg123.h>
#include <ogg/ogg.h>
#include <opusfile.h>

#include <cstring>
#include <memory>

namespace lector::testing {
namespace {

[[noreturn]] void fail(const std::string& why) {
  throw DecodeError(why);
}

std::uint32_t le32(std::string_view b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}
std::uint16_t le16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                    static_cast<unsigned char>(b[at + 1]) << 8);
}

void append_s16le(std::string_view bytes, std::vector<std::int16_t>& pcm) {
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
    pcm.push_back(static_cast<std::int16_t>(le16(bytes, i)));
}

// RIFF/WAVE with a PCM "fmt " chunk and a "data" chunk whose size is exact or 0xFFFFFFFF
// (streamed: until the end). Anything else this server would never write is an error.
Decoded decode_wav(std::string_view b) {
  if (b.size() < 12 || b.substr(0, 4) != "RIFF" || b.substr(8, 4) != "WAVE")
    fail("wav: no RIFF/WAVE header");
  const std::uint32_t riff = le32(b, 4);
  if (riff != 0xFFFFFFFFu && riff != b.size() - 8)
    fail("wav: RIFF size " + std::to_string(riff) + " but " + std::to_string(b.size() - 8) +
         " bytes follow it");
  Decoded d;
  d.format = "wav";
  bool have_fmt = false;
  std::size_t at = 12;
  while (at + 8 <= b.size()) {
    const std::string_view id = b.substr(at, 4);
    const std::uint32_t size = le32(b, at + 4);
    at += 8;
    if (id == "fmt ") {
      if (size < 16 || at + size > b.size()) fail("wav: short fmt chunk");
      const int tag = le16(b, at), bits = le16(b, at + 14);
      d.channels = le16(b, at + 2);
      d.sample_rate = d.decoded_rate = static_cast<int>(le32(b, at + 4));
      if (tag != 1 || bits != 16) fail("wav: not 16-bit PCM");
      if (d.channels < 1 || d.sample_rate <= 0) fail("wav: bad channel count or rate");
      if (le32(b, at + 8) != static_cast<std::uint32_t>(d.sample_rate * d.channels * 2) ||
          le16(b, at + 12) != d.channels * 2)
        fail("wav: byte rate or block align do not match the format");
      have_fmt = true;
      at += size;
    } else if (id == "data") {
      if (!have_fmt) fail("wav: data before fmt");
      const std::size_t left = b.size() - at;
      const std::size_t n = size == 0xFFFFFFFFu ? left : size;
      if (n > left)
        fail("wav: data size " + std::to_string(n) + ", only " + std::to_string(left) +
             " bytes present");
      if (n < left) fail("wav: " + std::to_string(left - n) + " bytes after the data chunk");
      if (n % static_cast<std::size_t>(2 * d.channels) != 0) fail("wav: partial sample frame");
      append_s16le(b.substr(at, n), d.pcm);
      return d;
    } else {
      at += size + (size & 1);
    }
  }
  fail("wav: no data chunk");
}

Decoded decode_pcm(std::string_view b, int rate) {
  if (rate <= 0) fail("pcm: the sample rate must be given");
  if (b.size() % 2) fail("pcm: odd number of bytes");
  Decoded d;
  d.format = "pcm";
  d.sample_rate = d.decoded_rate = rate;
  d.channels = 1;
  append_s16le(b, d.pcm);
  return d;
}

// The first frame header's rate and channel count, for a stream cut before its first frame
// was complete.
void read_mp3_header(std::string_view b, Decoded& d) {
  const auto b1 = static_cast<unsigned char>(b[1]), b2 = static_cast<unsigned char>(b[2]);
  const unsigned version = (b1 >> 3) & 3, layer = (b1 >> 1) & 3, rate_index = (b2 >> 2) & 3;
  if (version == 1 || layer != 1 || rate_index == 3) fail("mp3: not an MPEG layer III header");
  static constexpr int kRates[3] = {44100, 48000, 32000};
  // version 3: MPEG-1, 2: MPEG-2 (half the rates), 0: MPEG-2.5 (a quarter).
  const int divisor = version == 3 ? 1 : version == 2 ? 2 : 4;
  d.sample_rate = d.decoded_rate = kRates[rate_index] / divisor;
  d.channels = (static_cast<unsigned char>(b[3]) >> 6) == 3 ? 1 : 2;
}

// libmpg123 in feed mode, as a streaming client decodes: whole frames decode, a cut last frame
// is left waiting for more. No resync: bytes that are not a frame are an error, not skipped.
Decoded decode_mp3(std::string_view b) {
  static const int init = mpg123_init();
  (void)init;
  int err = MPG123_OK;
  std::unique_ptr<mpg123_handle, void (*)(mpg123_handle*)> mh(mpg123_new(nullptr, &err),
                                                              mpg123_delete);
  if (!mh) fail("mp3: mpg123_new failed");
  mpg123_param(mh.get(), MPG123_FLAGS, MPG123_QUIET | MPG123_NO_RESYNC, 0);
  mpg123_format_none(mh.get());
  for (const long rate : {8000L, 11025L, 12000L, 16000L, 22050L, 24000L, 32000L, 44100L, 48000L})
    mpg123_format(mh.get(), rate, MPG123_MONO | MPG123_STEREO, MPG123_ENC_SIGNED_16);
  if (mpg123_open_feed(mh.get()) != MPG123_OK) fail("mp3: mpg123_open_feed failed");
  if (b.size() < 4) fail("mp3: fewer than 4 bytes");
  if (static_cast<unsigned char>(b[0]) != 0xFF || (static_cast<unsigned char>(b[1]) & 0xE0) != 0xE0)
    fail("mp3: does not start with a frame header");
  Decoded d;
  d.format = "mp3";
  std::vector<unsigned char> buf(1 << 16);
  auto in = reinterpret_cast<const unsigned char*>(b.data());
  std::size_t in_size = b.size();
  for (;;) {
    std::size_t got = 0;
    const int rc = mpg123_decode(mh.get(), in, in_size, buf.data(), buf.size(), &got);
    in = nullptr;
    in_size = 0;
    if (rc == MPG123_NEW_FORMAT) {
      long rate = 0;
      int channels = 0, enc = 0;
      mpg123_getformat(mh.get(), &rate, &channels, &enc);
      if (d.sample_rate && (rate != d.sample_rate || channels != d.channels))
        fail("mp3: the format changes mid-stream");
      d.sample_rate = d.decoded_rate = static_cast<int>(rate);
      d.channels = channels;
    }
    append_s16le({reinterpret_cast<const char*>(buf.data()), got}, d.pcm);
    if (rc == MPG123_NEED_MORE || rc == MPG123_DONE) break;
    if (rc != MPG123_OK && rc != MPG123_NEW_FORMAT)
      fail(std::string("mp3: ") + mpg123_strerror(mh.get()));
  }
  if (!d.sample_rate) read_mp3_header(b, d);
  return d;
}

// Ogg framing first (libogg: capture patterns, CRCs, the end-of-stream flag of the last page),
// then the audio (libopusfile, which applies pre-skip and the end trim of the last granule).
Decoded decode_opus(std::string_view b) {
  Decoded d;
  d.format = "opus";
  ogg_sync_state sync;
  ogg_sync_init(&sync);
  char* dst = ogg_sync_buffer(&sync, static_cast<long>(b.size()));
  std::memcpy(dst, b.data(), b.size());
  ogg_sync_wrote(&sync, static_cast<long>(b.size()));
  ogg_page page;
  int pages = 0, rc = 0;
  std::string head_page;
  while ((rc = ogg_sync_pageout(&sync, &page)) != 0) {
    if (rc < 0) {
      ogg_sync_clear(&sync);
      fail("opus: bytes that are not an Ogg page after page " + std::to_string(pages));
    }
    if (pages++ == 0)
      head_page.assign(reinterpret_cast<const char*>(page.body),
                       static_cast<std::size_t>(page.body_len));
    d.end_of_stream = ogg_page_eos(&page) != 0;
  }
  ogg_sync_clear(&sync);
  if (pages < 2) fail("opus: no OpusHead and OpusTags pages");
  if (head_page.size() < 19 || head_page.compare(0, 8, "OpusHead") != 0) fail("opus: no OpusHead");
  if (pages == 2) {
    // Cut after the headers: valid, no audio yet (libopusfile refuses a stream without an
    // audio page, so the header is read here).
    d.channels = static_cast<unsigned char>(head_page[9]);
    d.sample_rate = static_cast<int>(le32(head_page, 12));
    d.decoded_rate = 48000;
    return d;
  }

  int err = 0;
  std::unique_ptr<OggOpusFile, void (*)(OggOpusFile*)> of(
      op_open_memory(reinterpret_cast<const unsigned char*>(b.data()), b.size(), &err), op_free);
  if (!of) fail("opus: op_open_memory failed (" + std::to_string(err) + ")");
  const OpusHead* head = op_head(of.get(), -1);
  d.sample_rate = static_cast<int>(head->input_sample_rate);
  d.decoded_rate = 48000;
  d.channels = head->channel_count;
  std::vector<opus_int16> buf(5760 * 2);
  for (;;) {
    const int n = op_read(of.get(), buf.data(), static_cast<int>(buf.size()), nullptr);
    if (n < 0) fail("opus: op_read failed (" + std::to_string(n) + ")");
    if (n == 0) break;
    d.pcm.insert(d.pcm.end(), buf.begin(), buf.begin() + n * d.channels);
  }
  return d;
}

struct FlacState {
  std::string_view bytes;
  std::size_t at = 0;
  Decoded* out = nullptr;
  std::string error;
};

FLAC__StreamDecoderReadStatus flac_read(const FLAC__StreamDecoder*, FLAC__byte buffer[],
                                        size_t* bytes, void* data) {
  auto* s = static_cast<FlacState*>(data);
  const std::size_t n = std::min(*bytes, s->bytes.size() - s->at);
  std::memcpy(buffer, s->bytes.data() + s->at, n);
  s->at += n;
  *bytes = n;
  return n ? FLAC__STREAM_DECODER_READ_STATUS_CONTINUE
           : FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
}

FLAC__StreamDecoderWriteStatus flac_write(const FLAC__StreamDecoder*, const FLAC__Frame* frame,
                                          const FLAC__int32* const channels[], void* data) {
  auto* s = static_cast<FlacState*>(data);
  Decoded& d = *s->out;
  if (frame->header.bits_per_sample != 16) {
    s->error = "flac: " + std::to_string(frame->header.bits_per_sample) + "-bit, not 16-bit";
    return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
  }
  if (!d.sample_rate || static_cast<int>(frame->header.channels) != d.channels ||
      static_cast<int>(frame->header.sample_rate) != d.sample_rate) {
    s->error = "flac: a frame's rate or channels differ from STREAMINFO";
    return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
  }
  for (unsigned i = 0; i < frame->header.blocksize; ++i)
    for (int c = 0; c < d.channels; ++c) d.pcm.push_back(static_cast<std::int16_t>(channels[c][i]));
  return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

void flac_metadata(const FLAC__StreamDecoder*, const FLAC__StreamMetadata* m, void* data) {
  auto* s = static_cast<FlacState*>(data);
  if (m->type != FLAC__METADATA_TYPE_STREAMINFO) return;
  s->out->sample_rate = s->out->decoded_rate = static_cast<int>(m->data.stream_info.sample_rate);
  s->out->channels = static_cast<int>(m->data.stream_info.channels);
}

void flac_error(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus status, void* data) {
  auto* s = static_cast<FlacState*>(data);
  if (s->error.empty())
    s->error = std::string("flac: ") + FLAC__StreamDecoderErrorStatusString[status];
}

Decoded decode_flac(std::string_view b) {
  Decoded d;
  d.format = "flac";
  if (b.substr(0, 4) != "fLaC") fail("flac: no fLaC marker");
  FlacState s{b, 0, &d, {}};
  std::unique_ptr<FLAC__StreamDecoder, void (*)(FLAC__StreamDecoder*)> dec(
      FLAC__stream_decoder_new(), FLAC__stream_decoder_delete);
  if (!dec) fail("flac: FLAC__stream_decoder_new failed");
  if (FLAC__stream_decoder_init_stream(dec.get(), flac_read, nullptr, nullptr, nullptr, nullptr,
                                       flac_write, flac_metadata, flac_error,
                                       &s) != FLAC__STREAM_DECODER_INIT_STATUS_OK)
    fail("flac: decoder init failed");
  const bool ok = FLAC__stream_decoder_process_until_end_of_stream(dec.get());
  if (!s.error.empty()) fail(s.error);
  if (!ok) fail("flac: decoding stopped");
  if (!d.sample_rate) fail("flac: no STREAMINFO");
  return d;
}

}  // namespace

Decoded decode(std::string_view format, std::string_view bytes, int pcm_rate) {
  if (format == "wav") return decode_wav(bytes);
  if (format == "pcm") return decode_pcm(bytes, pcm_rate);
  if (format == "mp3") return decode_mp3(bytes);
  if (format == "opus") return decode_opus(bytes);
  if (format == "flac") return decode_flac(bytes);
  fail("unknown format '" + std::string(format) + "'");
}

std::string wav_file_header(int sample_rate, int channels, std::size_t frames) {
  std::string h;
  auto u32 = [&h](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto u16 = [&h](std::uint16_t v) {
    h.push_back(static_cast<char>(v & 0xff));
    h.push_back(static_cast<char>(v >> 8));
  };
  const auto data = static_cast<std::uint32_t>(frames * static_cast<std::size_t>(channels) * 2);
  const auto ch = static_cast<std::uint16_t>(channels);
  h += "RIFF";
  u32(data + 36);
  h += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(ch);
  u32(static_cast<std::uint32_t>(sample_rate));
  u32(static_cast<std::uint32_t>(sample_rate * channels * 2));
  u16(static_cast<std::uint16_t>(ch * 2));
  u16(16);
  h += "data";
  u32(data);
  return h;
}

}  // namespace lector::testing
