// Tests of load_hdf5_images: NHWC/NCHW, uint8/float conversion, labels, errors, no leaked handles.
#include <gtest/gtest.h>

#include <cmath>

#include <functional>

#include "common/error.h"
#include "fixtures.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

using test::H5Writer;
using test::TempDir;

constexpr hsize_t N = 2, C = 3, H = 2, W = 3;

// Pixel value of image n, channel c, row y, column x: distinct, and below 256.
double value(hsize_t n, hsize_t c, hsize_t y, hsize_t x) { return n * 100 + y * 30 + x * 10 + c; }

template <typename T>
std::vector<T> nhwc_data() {
  std::vector<T> v;
  for (hsize_t n = 0; n < N; ++n)
    for (hsize_t y = 0; y < H; ++y)
      for (hsize_t x = 0; x < W; ++x)
        for (hsize_t c = 0; c < C; ++c) v.push_back(static_cast<T>(value(n, c, y, x)));
  return v;
}

template <typename T>
std::vector<T> nchw_data() {
  std::vector<T> v;
  for (hsize_t n = 0; n < N; ++n)
    for (hsize_t c = 0; c < C; ++c)
      for (hsize_t y = 0; y < H; ++y)
        for (hsize_t x = 0; x < W; ++x) v.push_back(static_cast<T>(value(n, c, y, x)));
  return v;
}

void expect_nchw(const ImageSet& set, double divisor) {
  ASSERT_EQ(set.size(), static_cast<int64_t>(N));
  EXPECT_EQ(set.channels, static_cast<int64_t>(C));
  EXPECT_EQ(set.height, static_cast<int64_t>(H));
  EXPECT_EQ(set.width, static_cast<int64_t>(W));
  const std::vector<double> want = nchw_data<double>();
  ASSERT_EQ(set.pixels.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_FLOAT_EQ(set.pixels[i], static_cast<float>(want[i] / divisor)) << "index " << i;
  }
}

int64_t open_hdf5_objects() { return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }

TEST(Hdf5Load, NhwcUint8WithRank1Labels) {
  TempDir dir;
  const std::string path = dir.file("d.h5");
  {
    H5Writer w(path);
    w.add("data", {N, H, W, C}, H5T_STD_U8LE, H5T_NATIVE_UINT8, nhwc_data<uint8_t>().data());
    const int32_t labels[] = {4, 1};
    w.add("label", {N}, H5T_STD_I32LE, H5T_NATIVE_INT32, labels);
  }
  const ImageSet set = load_hdf5_images(path, "data", "label", "nhwc", 0);
  expect_nchw(set, 255.0);
  EXPECT_EQ(set.labels, (std::vector<int64_t>{4, 1}));
  EXPECT_EQ(open_hdf5_objects(), 0);
}

// Caffe's HDF5 data layer (the paper's YouTube-Faces files) stores labels as float.
TEST(Hdf5Load, FloatLabelsThatAreWholeNumbersAreRead) {
  TempDir dir;
  const std::string path = dir.file("caffe.h5");
  {
    H5Writer w(path);
    w.add("data", {N, H, W, C}, H5T_STD_U8LE, H5T_NATIVE_UINT8, nhwc_data<uint8_t>().data());
    const float labels[] = {1282.0f, 3.0f};
    w.add("label", {N, 1}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, labels);
  }
  EXPECT_EQ(load_hdf5_images(path, "data", "label", "nhwc", 0).labels, (std::vector<int64_t>{1282, 3}));
  const ImageSetInfo info = scan_hdf5_images(path, "data", "label", "nhwc");
  EXPECT_EQ(info.labels, (std::vector<int64_t>{1282, 3}));
  EXPECT_EQ(info.channels, static_cast<int64_t>(C));
  EXPECT_EQ(info.height, static_cast<int64_t>(H));
  EXPECT_EQ(open_hdf5_objects(), 0);
}

TEST(Hdf5Load, NchwFloat32WithNx1LabelsAndScale) {
  TempDir dir;
  const std::string path = dir.file("d.h5");
  {
    H5Writer w(path);
    w.add("x", {N, C, H, W}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, nchw_data<float>().data());
    const uint8_t labels[] = {9, 0};
    w.add("y", {N, 1}, H5T_STD_U8LE, H5T_NATIVE_UINT8, labels);
  }
  expect_nchw(load_hdf5_images(path, "x", "y", "nchw", 0), 1.0);  // float default scale 1
  const ImageSet scaled = load_hdf5_images(path, "x", "y", "nchw", 4.0);
  expect_nchw(scaled, 4.0);
  EXPECT_EQ(scaled.labels, (std::vector<int64_t>{9, 0}));
}

TEST(Hdf5Load, CompressedNhwcFloat64InGroups) {
  TempDir dir;
  const std::string path = dir.file("d.h5");
  {
    H5Writer w(path);
    w.add("g/images", {N, H, W, C}, H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE,
          nhwc_data<double>().data(), /*deflate=*/true);
    const int64_t labels[] = {1234567, 2};
    w.add("g/labels", {N}, H5T_STD_I64LE, H5T_NATIVE_INT64, labels, true);
  }
  const ImageSet set = load_hdf5_images(path, "g/images", "g/labels", "nhwc", 255.0);
  expect_nchw(set, 255.0);
  EXPECT_EQ(set.labels, (std::vector<int64_t>{1234567, 2}));
}

// One broken file: `make` writes it; the error must start with the path and say `says`.
struct H5ErrorCase {
  std::string name;
  std::function<void(const std::string& path)> make;
  std::string images_key = "data";
  std::vector<std::string> says;
};
// gtest prints a parameter with this rather than as a byte dump.
void PrintTo(const H5ErrorCase& c, std::ostream* os) { *os << c.name; }

void good_images(H5Writer& w) {
  w.add("data", {N, H, W, C}, H5T_STD_U8LE, H5T_NATIVE_UINT8, nhwc_data<uint8_t>().data());
}
void good_labels(H5Writer& w) {
  const int32_t labels[] = {0, 1};
  w.add("label", {N}, H5T_STD_I32LE, H5T_NATIVE_INT32, labels);
}

std::vector<H5ErrorCase> h5_error_cases() {
  const std::vector<int16_t> i16(N * H * W * C, 1);
  const std::vector<float> f_labels{1.0f, 2.5f};
  const std::vector<double> nan_labels{0.0, std::nan("")};
  const std::vector<int32_t> three_labels(3, 0), wide_labels(N * 3, 0), negative{0, -3};
  return {
      {"MissingFile", [](auto&) {}, "data", {"file not found"}},
      {"NotHdf5", [](auto& p) { test::write_text(p, "just text, no HDF5 here\n"); }, "data",
       {"not an HDF5 file"}},
      {"ImagesMissing", [](auto& p) { H5Writer w(p); good_labels(w); }, "data",
       {"dataset 'data' not found"}},
      {"ImagesMissingInGroup", [](auto& p) { H5Writer w(p); good_images(w); good_labels(w); },
       "no/such/data", {"dataset 'no/such/data' not found"}},
      {"LabelsMissing", [](auto& p) { H5Writer w(p); good_images(w); }, "data",
       {"dataset 'label' not found"}},
      {"ImagesRank3",
       [](auto& p) {
         H5Writer w(p);
         w.add("data", {N, H, W * C}, H5T_STD_U8LE, H5T_NATIVE_UINT8, nhwc_data<uint8_t>().data());
         good_labels(w);
       },
       "data", {"dataset 'data'", "rank 3", "expected rank 4"}},
      {"LabelsNx3",
       [=](auto& p) {
         H5Writer w(p);
         good_images(w);
         w.add("label", {N, 3}, H5T_STD_I32LE, H5T_NATIVE_INT32, wide_labels.data());
       },
       "data", {"dataset 'label'", "rank 2 (shape 2 x 3)", "expected rank 1 or N x 1"}},
      {"ImagesInt16",
       [=](auto& p) {
         H5Writer w(p);
         w.add("data", {N, H, W, C}, H5T_STD_I16LE, H5T_NATIVE_INT16, i16.data());
         good_labels(w);
       },
       "data", {"dataset 'data'", "unsupported type int16"}},
      {"LabelsFloat",
       [=](auto& p) {
         H5Writer w(p);
         good_images(w);
         w.add("label", {N}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, f_labels.data());
       },
       "data", {"dataset 'label'", "label 2.5 at index 1 is not a whole number"}},
      {"LabelsNotFinite",
       [=](auto& p) {
         H5Writer w(p);
         good_images(w);
         w.add("label", {N}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nan_labels.data());
       },
       "data", {"dataset 'label'", "at index 1 is not finite"}},
      {"CountMismatch",
       [=](auto& p) {
         H5Writer w(p);
         good_images(w);
         w.add("label", {3}, H5T_STD_I32LE, H5T_NATIVE_INT32, three_labels.data());
       },
       "data", {"dataset 'data' holds 2 images but dataset 'label' holds 3 labels"}},
      {"NegativeLabel",
       [=](auto& p) {
         H5Writer w(p);
         good_images(w);
         w.add("label", {N}, H5T_STD_I32LE, H5T_NATIVE_INT32, negative.data());
       },
       "data", {"dataset 'label'", "label -3 at index 1 is negative"}},
      // A header declaring far more than the file stores must fail before allocating it.
      {"UnwrittenHugeDataset",
       [](auto& p) {
         H5Writer w(p);
         w.add("data", {100000000, 32, 32, 3}, H5T_STD_U8LE, H5T_NATIVE_UINT8, nullptr);
         w.add("label", {100000000}, H5T_STD_I32LE, H5T_NATIVE_INT32, nullptr);
       },
       "data", {"needs", "bytes but the file stores only 0"}},
  };
}

class Hdf5ErrorTest : public ::testing::TestWithParam<H5ErrorCase> {};

TEST_P(Hdf5ErrorTest, ThrowsDataErrorNamingFileAndDataset) {
  const H5ErrorCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.file("bad.h5");
  c.make(path);
  try {
    load_hdf5_images(path, c.images_key, "label", "nhwc", 0);
    FAIL() << "no error";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path + ": ", 0), 0u) << what;
    for (const std::string& s : c.says) EXPECT_NE(what.find(s), std::string::npos) << what;
  }
  EXPECT_EQ(open_hdf5_objects(), 0) << "a handle leaked on the error path";
}

INSTANTIATE_TEST_SUITE_P(Cases, Hdf5ErrorTest, ::testing::ValuesIn(h5_error_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Hdf5Load, BadArgumentsAreInputErrors) {
  TempDir dir;
  const std::string path = dir.file("d.h5");
  {
    H5Writer w(path);
    good_images(w);
    good_labels(w);
  }
  EXPECT_THROW(load_hdf5_images(path, "data", "label", "hwc", 0), InputError);
  EXPECT_THROW(load_hdf5_images(path, "data", "label", "nhwc", -1), InputError);
  EXPECT_NO_THROW(load_hdf5_images(path, "data", "label", "nhwc", 0));
}

// The up-front scan reads every pixel: a NaN among float pixels is refused there, by index.
TEST(Hdf5Scan, ANonFiniteFloatPixelIsRefusedWithItsIndex) {
  TempDir dir;
  const std::string path = dir.file("nan.h5");
  {
    H5Writer w(path);
    std::vector<float> px = nhwc_data<float>();
    px[13] = std::nanf("");
    w.add("data", {N, H, W, C}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, px.data());
    const int32_t labels[] = {4, 1};
    w.add("label", {N}, H5T_STD_I32LE, H5T_NATIVE_INT32, labels);
  }
  for (const auto& scan : {&scan_hdf5_images, &scan_hdf5_images_isolated}) {
    try {
      scan(path, "data", "label", "nhwc");
      FAIL() << "no exception";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": dataset 'data': pixel 13 is not finite"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(open_hdf5_objects(), 0);
}

// In a child process the scan answers what it answers in the process itself.
TEST(Hdf5Scan, TheIsolatedScanGivesTheSameFactsAndErrors) {
  TempDir dir;
  const std::string path = dir.file("d.h5");
  {
    H5Writer w(path);
    w.add("data", {N, C, H, W}, H5T_STD_U8LE, H5T_NATIVE_UINT8, nchw_data<uint8_t>().data());
    const float labels[] = {7.0f, 2.0f};
    w.add("label", {N, 1}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, labels);
  }
  const ImageSetInfo here = scan_hdf5_images(path, "data", "label", "nchw");
  const ImageSetInfo there = scan_hdf5_images_isolated(path, "data", "label", "nchw");
  EXPECT_EQ(there.labels, (std::vector<int64_t>{7, 2}));
  EXPECT_EQ(there.labels, here.labels);
  EXPECT_EQ(there.channels, here.channels);
  EXPECT_EQ(there.height, here.height);
  EXPECT_EQ(there.width, here.width);
  try {
    scan_hdf5_images_isolated(path, "data", "missing", "nchw");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": dataset 'missing' not found");
  }
}

// Damaged files on which libhdf5 1.10.8 itself dies with SIGSEGV (tests/data_files/README.md):
// the isolated scan turns the crash into a DataError naming the file, and this process lives on.
TEST(Hdf5Scan, AFileThatCrashesLibhdf5IsADataErrorNotACrash) {
  for (const char* name : {"libhdf5-crash-1.h5", "libhdf5-crash-2.h5"}) {
    const std::string path = std::string(FINEPRUNE_TEST_DATA_DIR) + "/" + name;
    for (const char* layout : {"nhwc", "nchw"}) {
      try {
        scan_hdf5_images_isolated(path, "data", "label", layout);
        FAIL() << name << ": no exception";
      } catch (const DataError& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(path + ": ", 0), 0u) << what;
        EXPECT_NE(what.find("libhdf5 crashed"), std::string::npos) << name << ": " << what;
      }
    }
  }
}

}  // namespace
}  // namespace fineprune
