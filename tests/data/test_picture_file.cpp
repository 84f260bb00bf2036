// Tests of load_picture: the four Netpbm kinds, comments, maxval scaling, CHW order, and errors.
#include <gtest/gtest.h>

#include "common/error.h"
#include "fixtures.h"
#include "workers/data/picture_file.h"

namespace fineprune {
namespace {

using test::Bytes;
using test::TempDir;

Bytes text_then(const std::string& header, const Bytes& raw) {
  Bytes b(header.begin(), header.end());
  b.insert(b.end(), raw.begin(), raw.end());
  return b;
}

TEST(PictureLoad, AsciiGreyWithComments) {
  TempDir dir;
  test::write_text(dir.file("p.pgm"), "P2\n# a comment\n3 # width\n2\n# maxval next\n15\n"
                                      "0 1 2\n13 14 15\n");
  const Picture p = load_picture(dir.file("p.pgm"));
  EXPECT_EQ(p.channels, 1);
  EXPECT_EQ(p.height, 2);
  EXPECT_EQ(p.width, 3);
  const std::vector<float> want{0, 1 / 15.f, 2 / 15.f, 13 / 15.f, 14 / 15.f, 1};
  ASSERT_EQ(p.pixels.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(p.pixels[i], want[i]);
}

TEST(PictureLoad, RawGrey) {
  TempDir dir;
  test::write_file(dir.file("p.pgm"), text_then("P5 2 2 255\n", {0, 255, 51, 10}));
  const Picture p = load_picture(dir.file("p.pgm"));
  EXPECT_EQ(p.channels, 1);
  EXPECT_EQ(p.pixels, (std::vector<float>{0, 1, 51 / 255.f, 10 / 255.f}));
}

// Colour pixels are interleaved RGB in the file; we must return whole R, G and B planes.
void expect_rgb_planes(const Picture& p) {
  EXPECT_EQ(p.channels, 3);
  EXPECT_EQ(p.height, 1);
  EXPECT_EQ(p.width, 2);
  const std::vector<float> want{10, 40, 20, 50, 30, 60};  // R0 R1 G0 G1 B0 B1
  ASSERT_EQ(p.pixels.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(p.pixels[i], want[i] / 200.f);
}

TEST(PictureLoad, AsciiColourIsChw) {
  TempDir dir;
  test::write_text(dir.file("p.ppm"), "P3\n2 1\n200\n10 20 30  40 50 60\n");
  expect_rgb_planes(load_picture(dir.file("p.ppm")));
}

TEST(PictureLoad, RawColourIsChw) {
  TempDir dir;
  // A raw pixel byte may be whitespace or '#': it must be read as data, not header.
  test::write_file(dir.file("p.ppm"), text_then("P6\n# c\n2 1\n200\n", {10, 20, 30, 40, 50, 60}));
  expect_rgb_planes(load_picture(dir.file("p.ppm")));
  test::write_file(dir.file("q.pgm"), text_then("P5 2 1 255\n", {' ', '#'}));
  EXPECT_EQ(load_picture(dir.file("q.pgm")).pixels, (std::vector<float>{32 / 255.f, 35 / 255.f}));
}

struct PictureErrorCase {
  std::string name;
  Bytes content;  // empty with `missing` = no file at all
  bool missing;
  std::vector<std::string> says;
};
// gtest prints a parameter with this rather than as a byte dump.
void PrintTo(const PictureErrorCase& c, std::ostream* os) { *os << c.name; }

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::vector<PictureErrorCase> picture_error_cases() {
  return {
      {"Missing", {}, true, {"file not found"}},
      {"Empty", {}, false, {"unknown magic ''"}},
      {"PngMagic", {0x89, 'P', 'N', 'G', '\r', '\n'}, false, {"unknown magic", "P2, P3, P5 or P6"}},
      {"BitmapP4", text("P4 1 1\n\x80"), false, {"unknown magic 'P4'"}},
      {"MagicWithoutSpace", text("P55 5 255\n"), false, {"unknown magic 'P5'"}},
      {"WidthNotNumber", text("P2 x 2 255\n"), false, {"bad header", "width is not a number"}},
      {"MissingMaxval", text("P2 2 2"), false, {"bad header", "missing maxval"}},
      {"ZeroWidth", text("P5 0 2 255\n"), false, {"bad header", "size 0 x 2"}},
      {"HugeWidth", text("P5 99999999999 2 255\n"), false, {"bad header", "width above"}},
      {"Maxval256", text("P5 1 1 256\n\x01\x01"), false, {"maxval 256", "1..255"}},
      {"Maxval0", text("P2 1 1 0\n0\n"), false, {"maxval 0"}},
      {"NoSpaceAfterMaxval", text("P5 1 1 255"), false, {"no whitespace after maxval"}},
      {"TooFewRawBytes", text_then("P6 2 2 255\n", Bytes(11, 7)), false,
       {"too few pixel bytes", "need 12 bytes, got 11"}},
      // A huge declared size must be refused from the byte count, before any allocation.
      {"TooFewBytesForHugeSize", text("P5 1048576 1048576 255\n\x01"), false,
       {"too few pixel bytes"}},
      {"TooFewAsciiValues", text("P2 2 2 9\n1 2 3    \n\n\n"), false,
       {"too few pixel values: expected 4, got 3"}},
      {"AsciiValueAboveMaxval", text("P2 2 1 9\n1 10\n"), false,
       {"pixel value 10 at index 1 is above maxval 9"}},
      {"RawValueAboveMaxval", text_then("P5 2 1 9\n", {1, 200}), false,
       {"pixel value 200 at index 1 is above maxval 9"}},
      {"AsciiGarbage", text("P2 2 1 9\n1 x\n"), false,
       {"bad pixel data", "pixel value is not a number"}},
  };
}

class PictureErrorTest : public ::testing::TestWithParam<PictureErrorCase> {};

TEST_P(PictureErrorTest, ThrowsDataErrorNamingFileAndProblem) {
  const PictureErrorCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.file("bad.pgm");
  if (!c.missing) test::write_file(path, c.content);
  try {
    load_picture(path);
    FAIL() << "no error";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path + ": ", 0), 0u) << what;
    for (const std::string& s : c.says) EXPECT_NE(what.find(s), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PictureErrorTest, ::testing::ValuesIn(picture_error_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace fineprune
