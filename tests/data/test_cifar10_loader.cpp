// Tests of load_cifar10: record layout to CHW, labels across batches, and every error it reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "common/error.h"
#include "fixtures.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

using test::Bytes;
using test::TempDir;

Bytes records(const std::vector<std::pair<unsigned char, unsigned char>>& label_shift) {
  Bytes out;
  for (auto [label, shift] : label_shift) {
    const Bytes r = test::cifar_record(label, shift);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

TEST(Cifar10Load, PlanesBecomeChwAcrossBatches) {
  TempDir dir;
  test::write_file(dir.file("b1.bin"), records({{3, 0}, {9, 10}}));
  test::write_file(dir.file("b2.bin"), records({{0, 20}}));
  const ImageSet set = load_cifar10({dir.file("b1.bin"), dir.file("b2.bin")});
  ASSERT_EQ(set.size(), 3);
  EXPECT_EQ(set.channels, 3);
  EXPECT_EQ(set.height, 32);
  EXPECT_EQ(set.width, 32);
  EXPECT_EQ(set.labels, (std::vector<int64_t>{3, 9, 0}));
  ASSERT_EQ(set.pixels.size(), 3u * 3072);
  const int shifts[] = {0, 10, 20};
  for (int n = 0; n < 3; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (int y : {0, 5, 31}) {
        for (int x : {0, 17, 31}) {
          const float want = ((c * 64 + y * 2 + x + shifts[n]) % 256) / 255.0f;
          EXPECT_FLOAT_EQ(set.pixels[((n * 3 + c) * 32 + y) * 32 + x], want)
              << "n=" << n << " c=" << c << " y=" << y << " x=" << x;
        }
      }
    }
  }
}

TEST(Cifar10Load, NoBatchesIsInputError) { EXPECT_THROW(load_cifar10({}), InputError); }

struct CifarErrorCase {
  std::string name;
  std::function<void(const std::string& path)> make;
  std::vector<std::string> says;
};
// gtest prints a parameter with this rather than as a byte dump.
void PrintTo(const CifarErrorCase& c, std::ostream* os) { *os << c.name; }

std::vector<CifarErrorCase> cifar_error_cases() {
  return {
      {"Missing", [](auto&) {}, {"file not found"}},
      {"Directory", [](auto& p) { std::filesystem::create_directory(p); }, {"is a directory"}},
      {"Empty", [](auto& p) { test::write_file(p, {}); },
       {"size 0 bytes", "not a positive whole number of 3073-byte"}},
      {"PartialRecord",
       [](auto& p) {
         Bytes b = records({{1, 0}, {2, 0}});
         b.resize(b.size() + 5);
         test::write_file(p, b);
       },
       {"size 6151 bytes", "not a positive whole number of 3073-byte"}},
      {"ShortRecord",
       [](auto& p) {
         Bytes b = records({{1, 0}});
         b.pop_back();
         test::write_file(p, b);
       },
       {"size 3072 bytes"}},
      {"LabelTooLarge", [](auto& p) { test::write_file(p, records({{4, 0}, {10, 0}})); },
       {"record 1", "label 10 is not in 0..9"}},
  };
}

class Cifar10ErrorTest : public ::testing::TestWithParam<CifarErrorCase> {};

TEST_P(Cifar10ErrorTest, ThrowsDataErrorNamingFileAndProblem) {
  const CifarErrorCase& c = GetParam();
  TempDir dir;
  // The bad file comes second, so the message must name it and not the good first batch.
  test::write_file(dir.file("good.bin"), records({{1, 0}}));
  const std::string bad = dir.file("bad.bin");
  c.make(bad);
  try {
    load_cifar10({dir.file("good.bin"), bad});
    FAIL() << "no error";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(bad + ": ", 0), 0u) << what;
    for (const std::string& s : c.says) EXPECT_NE(what.find(s), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, Cifar10ErrorTest, ::testing::ValuesIn(cifar_error_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace fineprune
