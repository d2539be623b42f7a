// The kokoro engine's readers: zip archives (zip_archive.h), .npy arrays (npy.h), the voices
// in both published formats (kokoro_voices.h). The archives are built here byte by byte, so
// that each malformation is exactly the one under test; the archives NumPy itself writes are
// read in kokoro_engine_test.cpp.

#include <gtest/gtest.h>
#include <zlib.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "engine/neural/kokoro_voices.h"
#include "engine/neural/npy.h"
#include "engine/neural/zip_archive.h"

namespace lector::engine::neural {
namespace {

namespace fs = std::filesystem;

void put16(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

struct Item {
  std::string name;
  std::string data;
  std::uint16_t method = 0;
  std::uint16_t flags = 0;
  // As NumPy's savez writes local headers: sizes 0xFFFFFFFF and a ZIP64 extra field.
  bool zip64_local = false;
  // The central directory says ZIP64 (a real ZIP64 entry).
  bool zip64_central = false;
};

std::string deflate_raw(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string make_zip(const std::vector<Item>& items) {
  std::string file, directory;
  for (const Item& item : items) {
    const std::string payload = item.method == 8 ? deflate_raw(item.data) : item.data;
    const auto crc = static_cast<std::uint32_t>(crc32(
        0, reinterpret_cast<const Bytef*>(item.data.data()), static_cast<uInt>(item.data.size())));
    const auto offset = static_cast<std::uint32_t>(file.size());
    std::string extra;
    if (item.zip64_local) {
      put16(extra, 1);
      put16(extra, 16);
      put32(extra, static_cast<std::uint32_t>(item.data.size()));
      put32(extra, 0);
      put32(extra, static_cast<std::uint32_t>(payload.size()));
      put32(extra, 0);
    }
    put32(file, 0x04034b50);
    put16(file, item.zip64_local ? 45 : 20);
    put16(file, item.flags);
    put16(file, item.method);
    put32(file, 0);
    put32(file, crc);
    put32(file, item.zip64_local ? 0xFFFFFFFF : static_cast<std::uint32_t>(payload.size()));
    put32(file, item.zip64_local ? 0xFFFFFFFF : static_cast<std::uint32_t>(item.data.size()));
    put16(file, static_cast<std::uint32_t>(item.name.size()));
    put16(file, static_cast<std::uint32_t>(extra.size()));
    file += item.name + extra + payload;

    put32(directory, 0x02014b50);
    put16(directory, 20);
    put16(directory, 20);
    put16(directory, item.flags);
    put16(directory, item.method);
    put32(directory, 0);
    put32(directory, crc);
    put32(directory, item.zip64_central ? 0xFFFFFFFF : static_cast<std::uint32_t>(payload.size()));
    put32(directory,
          item.zip64_central ? 0xFFFFFFFF : static_cast<std::uint32_t>(item.data.size()));
    put16(directory, static_cast<std::uint32_t>(item.name.size()));
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put32(directory, 0);
    put32(directory, offset);
    directory += item.name;
  }
  const auto directory_offset = static_cast<std::uint32_t>(file.size());
  file += directory;
  put32(file, 0x06054b50);
  put16(file, 0);
  put16(file, 0);
  put16(file, static_cast<std::uint32_t>(items.size()));
  put16(file, static_cast<std::uint32_t>(items.size()));
  put32(file, static_cast<std::uint32_t>(directory.size()));
  put32(file, directory_offset);
  put16(file, 0);
  return file;
}

// A .npy file as NumPy writes it (version 1.0, header padded to 64 bytes).
std::string make_npy(const std::string& descr, const std::string& shape,
                     const std::vector<float>& data, bool fortran = false, int version = 1) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + shape + ", }";
  const std::size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  if (version == 1)
    put16(out, static_cast<std::uint32_t>(header.size()));
  else
    put32(out, static_cast<std::uint32_t>(header.size()));
  out += header;
  for (const float f : data) put32(out, std::bit_cast<std::uint32_t>(f));
  return out;
}

// A voice whose row k starts with k and whose every value is distinct.
std::vector<float> voice_styles(float base) {
  std::vector<float> styles(kKokoroStyleRows * kKokoroStyleDim);
  for (std::size_t i = 0; i < styles.size(); ++i)
    styles[i] = i % kKokoroStyleDim == 0 ? static_cast<float>(i / kKokoroStyleDim)
                                         : base + static_cast<float>(i) / 1e6f;
  return styles;
}

std::string voice_npy(float base) {
  return make_npy("<f4", "(510, 1, 256)", voice_styles(base));
}

std::string voice_bin(float base) {
  std::string out;
  for (const float f : voice_styles(base)) put32(out, std::bit_cast<std::uint32_t>(f));
  return out;
}

// The message of the lector::Error `f` throws; fails the test if it throws nothing.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/lector-kokoro-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& bytes) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
    return file.string();
  }

 private:
  fs::path path_;
};

TEST(ZipArchive, ReadsStoredAndDeflatedEntries) {
  const std::string text(5000, 'x');
  const ZipArchive zip(make_zip({{"a.txt", "hello"}, {"b.txt", text, 8}}), "t.zip");
  ASSERT_EQ(zip.entries().size(), 2u);
  EXPECT_EQ(zip.entries()[0].name, "a.txt");
  EXPECT_EQ(zip.extract(zip.entries()[0]), "hello");
  EXPECT_EQ(zip.entries()[1].method, 8);
  EXPECT_LT(zip.entries()[1].compressed_size, text.size());
  EXPECT_EQ(zip.extract(zip.entries()[1]), text);
}

TEST(ZipArchive, TakesSizesFromTheCentralDirectoryAsNumpyNeeds) {
  Item item{"v.npy", "data of numpy", 0, 0, true};
  const ZipArchive zip(make_zip({item}), "v.npz");
  EXPECT_EQ(zip.extract(zip.entries()[0]), "data of numpy");
}

TEST(ZipArchive, RefusesWhatIsNotAZip) {
  EXPECT_NE(
      error_of([] { ZipArchive(std::string(100, 'z'), "junk.npz"); }).find("junk.npz: not a zip"),
      std::string::npos);
  EXPECT_NE(error_of([] { ZipArchive("PK", "tiny.npz"); }).find("tiny.npz"), std::string::npos);
}

TEST(ZipArchive, RefusesATruncatedArchive) {
  const std::string whole = make_zip({{"a.npy", std::string(3000, 'a')}, {"b.npy", "bbbb"}});
  // The end record survives, what it points at does not.
  const std::string cut = whole.substr(0, 1000) + whole.substr(whole.size() - 22);
  const std::string message = error_of([&] { ZipArchive(cut, "cut.npz"); });
  EXPECT_NE(message.find("cut.npz"), std::string::npos) << message;
  // Cut in the middle: no end record at all.
  EXPECT_NE(
      error_of([&] { ZipArchive(whole.substr(0, whole.size() / 2), "half.npz"); }).find("half.npz"),
      std::string::npos);
}

TEST(ZipArchive, RefusesEncryptedEntries) {
  const std::string message = error_of([] {
    ZipArchive(make_zip({{"s.npy", "x", 0, 1}}), "e.npz");
  });
  EXPECT_NE(message.find("e.npz"), std::string::npos);
  EXPECT_NE(message.find("'s.npy'"), std::string::npos);
  EXPECT_NE(message.find("encrypted"), std::string::npos) << message;
}

TEST(ZipArchive, RefusesZip64) {
  Item big{"big.npy", "x"};
  big.zip64_central = true;
  const std::string message = error_of([&] { ZipArchive(make_zip({big}), "z64.npz"); });
  EXPECT_NE(message.find("z64.npz: entry 'big.npy': ZIP64"), std::string::npos) << message;

  // A ZIP64 end-of-directory locator just before the end record.
  std::string archive = make_zip({{"a.npy", "a"}});
  std::string locator;
  put32(locator, 0x07064b50);
  locator += std::string(16, '\0');
  archive.insert(archive.size() - 22, locator);
  EXPECT_NE(error_of([&] { ZipArchive(archive, "loc.npz"); }).find("loc.npz: ZIP64"),
            std::string::npos);
}

TEST(ZipArchive, RefusesOtherMethodsAndCorruptData) {
  EXPECT_NE(error_of([] {
              ZipArchive(make_zip({{"b.npy", "x", 12}}), "m.npz");
            }).find("method 12"),
            std::string::npos);
  std::string archive = make_zip({{"a.npy", "abcdef"}});
  archive[30 + 5 + 2] ^= 0x55;  // a byte of the entry's data
  const ZipArchive zip(archive, "crc.npz");
  EXPECT_NE(error_of([&] { zip.extract(zip.entries()[0]); }).find("CRC-32"), std::string::npos);
}

TEST(Npy, ReadsFloat32ArraysOfEitherHeaderVersion) {
  const std::vector<float> data{1.5f, -2.0f, 0.25f, 3.0f, 4.0f, 5.0f};
  for (const int version : {1, 2}) {
    const NpyArray a = parse_npy_float32(make_npy("<f4", "(2, 3)", data, false, version), "a.npy");
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(a.data, data);
  }
  const NpyArray one = parse_npy_float32(make_npy("<f4", "(1,)", {7.0f}), "one.npy");
  EXPECT_EQ(one.shape, std::vector<std::size_t>{1});
}

TEST(Npy, RefusesOtherDtypesOrdersAndSizes) {
  const std::vector<float> data{1, 2, 3, 4};
  std::string m = error_of([&] { parse_npy_float32(make_npy("<f8", "(2,)", data), "d.npy"); });
  EXPECT_NE(m.find("d.npy: dtype '<f8'"), std::string::npos) << m;
  m = error_of([&] { parse_npy_float32(make_npy(">f4", "(4,)", data), "be.npy"); });
  EXPECT_NE(m.find("'>f4'"), std::string::npos) << m;
  m = error_of([&] { parse_npy_float32(make_npy("<f4", "(2, 2)", data, true), "f.npy"); });
  EXPECT_NE(m.find("Fortran"), std::string::npos) << m;
  m = error_of([&] { parse_npy_float32(make_npy("<f4", "(5,)", data), "short.npy"); });
  EXPECT_NE(m.find("short.npy"), std::string::npos);
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
  m = error_of([&] { parse_npy_float32(make_npy("<f4", "(3,)", data), "long.npy"); });
  EXPECT_NE(m.find("long.npy"), std::string::npos) << m;
  m = error_of([&] { parse_npy_float32("not numpy at all", "x.npy"); });
  EXPECT_NE(m.find("x.npy: not a .npy"), std::string::npos) << m;
  const std::string whole = make_npy("<f4", "(4,)", data);
  m = error_of([&] { parse_npy_float32(whole.substr(0, 40), "h.npy"); });
  EXPECT_NE(m.find("h.npy: truncated .npy header"), std::string::npos) << m;
}

TEST(KokoroVoices, StyleRowIsTheTokenCount) {
  KokoroVoiceData voice{"af_test", kokoro_styles_from_npy(voice_npy(0.5f), "v")};
  EXPECT_EQ(voice.style(0)[0], 0.0f);
  EXPECT_EQ(voice.style(17)[0], 17.0f);
  EXPECT_EQ(voice.style(17).size(), kKokoroStyleDim);
  EXPECT_EQ(voice.style(17)[1], voice.styles[17 * kKokoroStyleDim + 1]);
  EXPECT_EQ(voice.style(509)[0], 509.0f);
  EXPECT_EQ(voice.style(600)[0], 509.0f);
  // The same voice as a kokoro-js .bin file.
  EXPECT_EQ(kokoro_styles_from_bin(voice_bin(0.5f), "v.bin"), voice.styles);
  // (510, 256): the same data without the batch axis.
  EXPECT_EQ(kokoro_styles_from_npy(make_npy("<f4", "(510, 256)", voice_styles(0.5f)), "v"),
            voice.styles);
}

TEST(KokoroVoices, RefusesWrongShapesAndSizes) {
  std::string m = error_of(
      [] { kokoro_styles_from_npy(make_npy("<f4", "(255, 2, 256)", voice_styles(0)), "e.npy"); });
  EXPECT_NE(m.find("e.npy: shape (255, 2, 256)"), std::string::npos) << m;
  m = error_of([] { kokoro_styles_from_bin(voice_bin(0).substr(4), "af_x.bin"); });
  EXPECT_NE(m.find("af_x.bin: 522236 bytes"), std::string::npos) << m;
}

TEST(KokoroVoices, LoadsAnNpzArchiveSkippingBadEntries) {
  TempDir dir;
  const std::string path =
      dir.write("voices.npz", make_zip({{"bm_two.npy", voice_npy(0.2f), 8},
                                        {"af_one.npy", voice_npy(0.1f)},
                                        {"af_bad.npy", make_npy("<f8", "(1,)", {0, 0})},
                                        {"README", "not a voice"}}));
  const KokoroVoiceSet set = load_kokoro_voices(path);
  ASSERT_EQ(set.voices.size(), 2u);
  EXPECT_EQ(set.voices[0].name, "af_one");
  EXPECT_EQ(set.voices[0].styles, voice_styles(0.1f));
  EXPECT_EQ(set.voices[1].name, "bm_two");
  EXPECT_EQ(set.voices[1].styles, voice_styles(0.2f));
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_NE(set.problems[0].find(path + ": entry 'af_bad.npy'"), std::string::npos)
      << set.problems[0];
}

TEST(KokoroVoices, LoadsAFolderOfBinFiles) {
  TempDir dir;
  dir.write("af_one.bin", voice_bin(0.1f));
  dir.write("bm_two.bin", voice_bin(0.2f));
  const std::string bad = dir.write("af_short.bin", voice_bin(0.3f).substr(0, 1000));
  dir.write("notes.txt", "ignored");
  const KokoroVoiceSet set = load_kokoro_voices(dir.path().string());
  ASSERT_EQ(set.voices.size(), 2u);
  EXPECT_EQ(set.voices[0].name, "af_one");
  EXPECT_EQ(set.voices[1].name, "bm_two");
  EXPECT_EQ(set.voices[1].styles, voice_styles(0.2f));
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_NE(set.problems[0].find(bad), std::string::npos) << set.problems[0];
}

TEST(KokoroVoices, NamesTheFileThatCannotBeRead) {
  TempDir dir;
  const std::string missing = (dir.path() / "nothing.bin").string();
  EXPECT_NE(error_of([&] { load_kokoro_voices(missing); }).find(missing), std::string::npos);
  const std::string junk = dir.write("junk.npz", std::string(5000, 'j'));
  EXPECT_NE(error_of([&] { load_kokoro_voices(junk); }).find(junk + ": not a zip"),
            std::string::npos);
  EXPECT_NE(error_of([] { load_kokoro_voices(""); }).find("--kokoro-voices"), std::string::npos);
}

}  // namespace
}  // namespace lector::engine::neural
