// Tests of seeded_permutation and load_splits: sizes, determinism, disjointness, formats, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <numeric>
#include <set>

#include "common/error.h"
#include "common/experiment_spec.h"
#include "fixtures.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

using test::Bytes;
using test::TempDir;

TEST(SeededPermutation, IsAPermutation) {
  for (int64_t n : {0, 1, 2, 7, 1000}) {
    std::vector<int64_t> p = seeded_permutation(n, 42);
    ASSERT_EQ(static_cast<int64_t>(p.size()), n);
    std::sort(p.begin(), p.end());
    std::vector<int64_t> iota(static_cast<size_t>(n));
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(p, iota) << "n=" << n;
  }
}

TEST(SeededPermutation, SameSeedSameOrderDifferentSeedDifferent) {
  EXPECT_EQ(seeded_permutation(500, 7), seeded_permutation(500, 7));
  EXPECT_NE(seeded_permutation(500, 7), seeded_permutation(500, 8));
  std::vector<int64_t> identity(500);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(seeded_permutation(500, 0), identity);  // seed 0 shuffles too
}

TEST(SeededPermutation, NegativeSizeIsInputError) {
  EXPECT_THROW(seeded_permutation(-1, 1), InputError);
}

// Image i of a fixture set has every pixel i / 255, which identifies it after a split.
int64_t image_id(const ImageSet& s, int64_t k) {
  return std::lround(s.pixels[static_cast<size_t>(k * s.image_numel())] * 255.0f);
}
std::vector<int64_t> ids(const ImageSet& s) {
  std::vector<int64_t> out;
  for (int64_t k = 0; k < s.size(); ++k) out.push_back(image_id(s, k));
  return out;
}

// An IDX spec over small fixture files in `dir`: 100 training images (label i % 7), 40 test
// images (label i % 5), 2x2 pixels; file names relative, resolved against spec.dir.
DataSpec idx_spec(const TempDir& dir) {
  Bytes train_labels, test_labels;
  for (int i = 0; i < 100; ++i) train_labels.push_back(static_cast<unsigned char>(i % 7));
  for (int i = 0; i < 40; ++i) test_labels.push_back(static_cast<unsigned char>(i % 5));
  test::write_idx_pair(dir.file("tr-img.gz"), dir.file("tr-lab.gz"), 100, 2, 2, train_labels, true);
  test::write_idx_pair(dir.file("te-img"), dir.file("te-lab"), 40, 2, 2, test_labels, false);
  DataSpec spec;
  spec.format = "idx";
  spec.dir = dir.path();
  spec.train_images = "tr-img.gz";
  spec.train_labels = "tr-lab.gz";
  spec.test_images = "te-img";
  spec.test_labels = "te-lab";
  spec.validation_size = 30;
  return spec;
}

TEST(LoadSplits, SizesDisjointnessAndLabels) {
  TempDir dir;
  const DataSpec spec = idx_spec(dir);
  const DataSplits s = load_splits(spec, 1);
  EXPECT_EQ(s.validation.size(), 30);
  EXPECT_EQ(s.train.size(), 70);
  EXPECT_EQ(s.test.size(), 40);
  EXPECT_EQ(s.num_classes, 7);  // max label 6 over train and test, + 1
  std::set<int64_t> all;
  for (int64_t id : ids(s.validation)) all.insert(id);
  for (int64_t id : ids(s.train)) EXPECT_TRUE(all.insert(id).second) << "image " << id << " twice";
  EXPECT_EQ(all.size(), 100u);  // disjoint and together the whole training file
  for (int64_t k = 0; k < s.train.size(); ++k) {
    EXPECT_EQ(s.train.labels[static_cast<size_t>(k)], image_id(s.train, k) % 7);
  }
  EXPECT_EQ(ids(s.test), [] {
    std::vector<int64_t> v(40);
    std::iota(v.begin(), v.end(), 0);
    return v;
  }());  // no test_subset: the test file as is
}

TEST(LoadSplits, SameSeedSameSplitDifferentSeedDifferent) {
  TempDir dir;
  DataSpec spec = idx_spec(dir);
  spec.test_subset = 10;
  const DataSplits a = load_splits(spec, 5), b = load_splits(spec, 5), c = load_splits(spec, 6);
  EXPECT_EQ(ids(a.validation), ids(b.validation));
  EXPECT_EQ(ids(a.train), ids(b.train));
  EXPECT_EQ(ids(a.test), ids(b.test));
  EXPECT_EQ(a.train.labels, b.train.labels);
  EXPECT_NE(ids(a.validation), ids(c.validation));
  EXPECT_NE(ids(a.test), ids(c.test));
}

TEST(LoadSplits, SubsetsAndExplicitClasses) {
  TempDir dir;
  DataSpec spec = idx_spec(dir);
  spec.train_subset = 25;
  spec.test_subset = 12;
  spec.num_classes = 10;
  const DataSplits s = load_splits(spec, 3);
  EXPECT_EQ(s.train.size(), 25);
  EXPECT_EQ(s.validation.size(), 30);
  EXPECT_EQ(s.test.size(), 12);
  EXPECT_EQ(s.num_classes, 10);
  const std::vector<int64_t> val = ids(s.validation);
  for (int64_t id : ids(s.train)) EXPECT_EQ(std::count(val.begin(), val.end(), id), 0);
  const std::vector<int64_t> test_ids = ids(s.test);
  EXPECT_EQ(std::set<int64_t>(test_ids.begin(), test_ids.end()).size(), 12u);
}

TEST(LoadSplits, LabelNotBelowNumClassesIsDataError) {
  TempDir dir;
  DataSpec spec = idx_spec(dir);
  spec.num_classes = 5;  // training labels reach 6
  try {
    load_splits(spec, 1);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("tr-lab.gz") + ": label 6"), std::string::npos)
        << e.what();
  }
}

TEST(LoadSplits, TestShapeMustMatchTrain) {
  TempDir dir;
  DataSpec spec = idx_spec(dir);
  test::write_idx_pair(dir.file("te-img"), dir.file("te-lab"), 3, 3, 2, {0, 1, 2}, false);
  EXPECT_THROW(load_splits(spec, 1), DataError);
}

struct SpecErrorCase {
  std::string name;
  std::function<void(DataSpec&)> change;
  std::string says;
};
// gtest prints a parameter with this rather than as a byte dump.
void PrintTo(const SpecErrorCase& c, std::ostream* os) { *os << c.name; }

class LoadSplitsInputErrorTest : public ::testing::TestWithParam<SpecErrorCase> {};

TEST_P(LoadSplitsInputErrorTest, ThrowsInputErrorNamingKey) {
  TempDir dir;
  DataSpec spec = idx_spec(dir);
  GetParam().change(spec);
  try {
    load_splits(spec, 1);
    FAIL() << "no error";
  } catch (const DataError& e) {
    FAIL() << "DataError, expected a plain InputError: " << e.what();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().says), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LoadSplitsInputErrorTest,
    ::testing::Values(
        SpecErrorCase{"ValidationAllOfTrain", [](DataSpec& s) { s.validation_size = 100; },
                      "data.validation_size: must be smaller than the 100 training images"},
        SpecErrorCase{"ValidationNegative", [](DataSpec& s) { s.validation_size = -1; },
                      "data.validation_size"},
        SpecErrorCase{"TrainSubsetTooBig", [](DataSpec& s) { s.train_subset = 71; },
                      "data.train_subset: must be at most 70"},
        SpecErrorCase{"TestSubsetTooBig", [](DataSpec& s) { s.test_subset = 41; },
                      "data.test_subset: must be at most the 40"},
        SpecErrorCase{"UnknownFormat", [](DataSpec& s) { s.format = "png"; },
                      "data.format: unknown format 'png'"},
        SpecErrorCase{"Hdf5WithoutFile", [](DataSpec& s) { s.format = "hdf5"; },
                      "data.train_file: required"}),
    [](const auto& info) { return info.param.name; });

TEST(LoadSplits, MissingFileIsResolvedAgainstDir) {
  TempDir dir;
  DataSpec spec = idx_spec(dir);
  spec.test_labels = "nope";
  try {
    load_splits(spec, 1);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("nope") + ": file not found");
  }
}

TEST(LoadSplits, Cifar10Format) {
  TempDir dir;
  for (const char* name : {"a.bin", "b.bin", "t.bin"}) {
    Bytes b;
    for (int i = 0; i < 4; ++i) {
      const Bytes r = test::cifar_record(static_cast<unsigned char>(i), 0);
      b.insert(b.end(), r.begin(), r.end());
    }
    test::write_file(dir.file(name), b);
  }
  DataSpec spec;
  spec.format = "cifar10";
  spec.dir = dir.path();
  spec.train_batches = {"a.bin", dir.file("b.bin")};  // relative and absolute both work
  spec.test_batch = "t.bin";
  spec.validation_size = 3;
  const DataSplits s = load_splits(spec, 9);
  EXPECT_EQ(s.train.size(), 5);
  EXPECT_EQ(s.validation.size(), 3);
  EXPECT_EQ(s.test.size(), 4);
  EXPECT_EQ(s.num_classes, 4);
  EXPECT_EQ(s.train.channels, 3);
}

TEST(LoadSplits, Hdf5Format) {
  TempDir dir;
  for (const char* name : {"train.h5", "test.h5"}) {
    test::H5Writer w(dir.file(name));
    const std::vector<float> px(6 * 1 * 4 * 4, 0.5f);
    const int64_t labels[] = {0, 1, 2, 0, 1, 2};
    w.add("images", {6, 1, 4, 4}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, px.data());
    w.add("labels", {6}, H5T_STD_I64LE, H5T_NATIVE_INT64, labels);
  }
  DataSpec spec;
  spec.format = "hdf5";
  spec.dir = dir.path();
  spec.train_file = "train.h5";
  spec.test_file = "test.h5";
  spec.images_key = "images";
  spec.labels_key = "labels";
  spec.layout = "nchw";
  spec.scale = 2.0;
  spec.validation_size = 2;
  const DataSplits s = load_splits(spec, 1);
  EXPECT_EQ(s.train.size(), 4);
  EXPECT_EQ(s.validation.size(), 2);
  EXPECT_EQ(s.test.size(), 6);
  EXPECT_EQ(s.num_classes, 3);
  EXPECT_FLOAT_EQ(s.train.pixels[0], 0.25f);
}

TEST(LoadSplits, RealFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " not present";
  DataSpec spec;  // the defaults name the Fashion-MNIST / MNIST file names
  spec.dir = dir;
  spec.validation_size = 5000;
  const DataSplits s = load_splits(spec, 1);
  EXPECT_EQ(s.train.size(), 55000);
  EXPECT_EQ(s.validation.size(), 5000);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.num_classes, 10);
  EXPECT_EQ(s.train.image_numel(), 784);
}

TEST(ImageSetSubset, CopiesInOrderAndChecksIndices) {
  ImageSet set;
  set.channels = 1;
  set.height = 1;
  set.width = 2;
  set.pixels = {0, 1, 10, 11, 20, 21};
  set.labels = {5, 6, 7};
  const ImageSet s = set.subset({2, 0});
  EXPECT_EQ(s.labels, (std::vector<int64_t>{7, 5}));
  EXPECT_EQ(s.pixels, (std::vector<float>{20, 21, 0, 1}));
  EXPECT_EQ(s.width, 2);
  EXPECT_THROW(set.subset({3}), Error);
  EXPECT_THROW(set.subset({-1}), Error);
  set.pixels.pop_back();
  EXPECT_THROW(set.subset({0}), Error);  // buffer and shape disagree
}

}  // namespace
}  // namespace fineprune
