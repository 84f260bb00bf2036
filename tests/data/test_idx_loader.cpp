// Tests of load_idx: plain and gzipped IDX files, every error it reports, the real Fashion-MNIST.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>

#include "common/error.h"
#include "fixtures.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

using test::Bytes;
using test::TempDir;

class IdxLoadTest : public ::testing::TestWithParam<bool> {};

TEST_P(IdxLoadTest, PixelsLabelsAndShape) {
  const bool gz = GetParam();
  TempDir dir;
  // Two 2x3 images with distinct pixels: values 0..5 and 250..255.
  const Bytes pixels{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  const Bytes img = test::idx_images(2, 2, 3, pixels);
  const Bytes lab = test::idx_labels({7, 3});
  const std::string ip = dir.file("img"), lp = dir.file("lab");
  if (gz) {
    test::write_gz(ip, img);
    test::write_gz(lp, lab);
  } else {
    test::write_file(ip, img);
    test::write_file(lp, lab);
  }
  const ImageSet set = load_idx(ip, lp);
  EXPECT_EQ(set.size(), 2);
  EXPECT_EQ(set.channels, 1);
  EXPECT_EQ(set.height, 2);
  EXPECT_EQ(set.width, 3);
  EXPECT_EQ(set.labels, (std::vector<int64_t>{7, 3}));
  ASSERT_EQ(set.pixels.size(), 12u);
  for (size_t i = 0; i < pixels.size(); ++i) EXPECT_FLOAT_EQ(set.pixels[i], pixels[i] / 255.0f);
}

INSTANTIATE_TEST_SUITE_P(PlainAndGzip, IdxLoadTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "gzip" : "plain"; });

// One broken input: `make` writes the two files, the error must name `blamed` and say `says`.
struct IdxErrorCase {
  std::string name;
  std::function<void(const std::string& img, const std::string& lab)> make;
  bool blame_images;
  std::vector<std::string> says;
};
// gtest prints a parameter with this rather than as a byte dump.
void PrintTo(const IdxErrorCase& c, std::ostream* os) { *os << c.name; }

const Bytes kSix{1, 2, 3, 4, 5, 6};

std::vector<IdxErrorCase> idx_error_cases() {
  using test::write_file;
  auto good_labels = [](const std::string& lab) { write_file(lab, test::idx_labels({1, 2, 3})); };
  auto good_images = [](const std::string& img) { write_file(img, test::idx_images(3, 1, 2, kSix)); };
  return {
      {"MissingImages", [=](auto&, auto& lab) { good_labels(lab); }, true, {"file not found"}},
      {"MissingLabels", [=](auto& img, auto&) { good_images(img); }, false, {"file not found"}},
      {"ImagesAreDirectory",
       [=](auto& img, auto& lab) {
         std::filesystem::create_directory(img);
         good_labels(lab);
       },
       true,
       {"is a directory"}},
      {"BadImagesMagic",
       [=](auto& img, auto& lab) {
         write_file(img, test::idx_labels({1, 2, 3}));  // a label file where images belong
         good_labels(lab);
       },
       true,
       {"bad magic number 0x00000801", "expected 0x00000803"}},
      {"BadLabelsMagic",
       [=](auto& img, auto& lab) {
         good_images(img);
         write_file(lab, test::idx_images(3, 1, 2, kSix));
       },
       false,
       {"bad magic number 0x00000803", "expected 0x00000801"}},
      {"TruncatedMagic",
       [=](auto& img, auto& lab) {
         write_file(img, {0, 0});
         good_labels(lab);
       },
       true,
       {"truncated", "expected 16 bytes", "got 2"}},
      {"TruncatedHeader",
       [=](auto& img, auto& lab) {
         write_file(img, {0, 0, 8, 3, 0, 0, 0});
         good_labels(lab);
       },
       true,
       {"truncated", "expected 16 bytes", "got 7"}},
      {"TruncatedPixels",
       [=](auto& img, auto& lab) {
         write_file(img, test::idx_images(3, 1, 2, {1, 2, 3, 4, 5}));
         good_labels(lab);
       },
       true,
       {"truncated", "expected 22 bytes", "got 21"}},
      {"TruncatedGzipPixels",
       [=](auto& img, auto& lab) {
         test::write_gz(img, test::idx_images(3, 1, 2, {1, 2, 3}));
         good_labels(lab);
       },
       true,
       {"truncated", "expected 22 bytes", "got 19 after decompression"}},
      {"TruncatedLabels",
       [=](auto& img, auto& lab) {
         good_images(img);
         Bytes l = test::idx_labels({1, 2, 3});
         l.pop_back();
         write_file(lab, l);
       },
       false,
       {"truncated", "expected 11 bytes", "got 10"}},
      {"CountMismatch",
       [=](auto& img, auto& lab) {
         good_images(img);
         write_file(lab, test::idx_labels({1, 2}));
       },
       true,
       {"holds 3 images but", "holds 2 labels"}},
      {"ZeroDimension",
       [=](auto& img, auto& lab) {
         write_file(img, test::idx_images(3, 0, 2, kSix));
         good_labels(lab);
       },
       true,
       {"bad header", "3 x 0 x 2"}},
      // Declared sizes far beyond the file must fail without allocating them.
      {"AbsurdDimensions",
       [=](auto& img, auto& lab) {
         write_file(img, test::idx_images(0xffffffffu, 0xffffffffu, 0xffffffffu, kSix));
         good_labels(lab);
       },
       true,
       {"bad header", "not a real size"}},
      {"HugeDeclaredCount",
       [=](auto& img, auto& lab) {
         test::write_gz(img, test::idx_images(2000000000u, 64, 64, kSix));
         Bytes l = test::be32(0x801);  // a label header that agrees, with 3 labels present
         for (unsigned char b : test::be32(2000000000u)) l.push_back(b);
         l.insert(l.end(), {1, 2, 3});
         write_file(lab, l);
       },
       true,
       {"truncated", "expected 8192000000016 bytes", "got 22"}},
      {"TruncatedGzipStream",
       [=](auto& img, auto& lab) {
         Bytes pixels;
         for (int i = 0; i < 3 * 100 * 100; ++i) {
           pixels.push_back(static_cast<unsigned char>(i * 7919 >> 3));  // poorly compressible
         }
         test::write_gz(img, test::idx_images(3, 100, 100, pixels));
         Bytes gz;
         {
           std::ifstream in(img, std::ios::binary);
           gz.assign(std::istreambuf_iterator<char>(in), {});
         }
         gz.resize(gz.size() / 2);
         write_file(img, gz);
         good_labels(lab);
       },
       true,
       {"truncated", "expected 30016 bytes", "after decompression"}},
      {"GzipCheckSumWrong",
       [=](auto& img, auto& lab) {
         // Every byte inflates; only the CRC in the trailer (its last 8 bytes) tells.
         test::write_gz(img, test::idx_images(3, 3, 2, Bytes(18, 5)));
         Bytes gz;
         {
           std::ifstream in(img, std::ios::binary);
           gz.assign(std::istreambuf_iterator<char>(in), {});
         }
         gz[gz.size() - 8] ^= 0xff;
         write_file(img, gz);
         good_labels(lab);
       },
       true,
       {"corrupt gzip data"}},
      {"CorruptGzip",
       [=](auto& img, auto& lab) {
         write_file(img, {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 0xff});
         good_labels(lab);
       },
       true,
       {"gzip"}},
  };
}

class IdxErrorTest : public ::testing::TestWithParam<IdxErrorCase> {};

TEST_P(IdxErrorTest, ThrowsDataErrorNamingFileAndProblem) {
  const IdxErrorCase& c = GetParam();
  TempDir dir;
  const std::string img = dir.file("images.idx"), lab = dir.file("labels.idx");
  c.make(img, lab);
  // The up-front scan (no pixels kept) refuses exactly what the loader refuses.
  for (const bool scan : {false, true}) {
    SCOPED_TRACE(scan ? "scan_idx" : "load_idx");
    try {
      if (scan) {
        scan_idx(img, lab);
      } else {
        load_idx(img, lab);
      }
      ADD_FAILURE() << "no error";
    } catch (const DataError& e) {
      const std::string what = e.what();
      const std::string& blamed = c.blame_images ? img : lab;
      EXPECT_EQ(what.rfind(blamed + ": ", 0), 0u) << what;
      for (const std::string& s : c.says) EXPECT_NE(what.find(s), std::string::npos) << what;
      if (c.name == "CountMismatch") {
        EXPECT_NE(what.find(lab), std::string::npos) << what;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, IdxErrorTest, ::testing::ValuesIn(idx_error_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(IdxRealData, FashionMnistLoads) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " not present";
  const ImageSet train =
      load_idx(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz");
  const ImageSet test =
      load_idx(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  for (const ImageSet* s : {&train, &test}) {
    EXPECT_EQ(s->channels, 1);
    EXPECT_EQ(s->height, 28);
    EXPECT_EQ(s->width, 28);
    EXPECT_EQ(s->pixels.size(), static_cast<size_t>(s->size()) * 784);
    const std::set<int64_t> classes(s->labels.begin(), s->labels.end());
    EXPECT_EQ(classes, (std::set<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    float lo = 1, hi = 0;
    for (float v : s->pixels) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
  }
}

}  // namespace
}  // namespace fineprune
