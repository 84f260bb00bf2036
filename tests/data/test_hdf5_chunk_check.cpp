// Tests of the chunk check before libhdf5 reads filtered data (fuzzing finding F10): a chunk
// that inflates short, a chunk that is not deflate at all, a filter we cannot undo, and the
// well-formed pipelines (shuffle + deflate + Fletcher-32, a chunk that skipped its filter) read.
#include <gtest/gtest.h>
#include <zlib.h>

#include <functional>

#include "common/error.h"
#include "fixtures.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

using test::TempDir;

// 3 float32 images of 1 x 4 x 4 (NCHW), one chunk per image (64 bytes), pixel i = i / 8.
constexpr hsize_t kImages = 3;
constexpr size_t kChunkFloats = 16;

std::vector<float> pixels() {
  std::vector<float> v(kImages * kChunkFloats);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) / 8.0f;
  return v;
}

std::vector<unsigned char> deflate_bytes(const void* data, size_t size) {
  uLongf out_size = compressBound(static_cast<uLong>(size));
  std::vector<unsigned char> out(out_size);
  if (compress2(out.data(), &out_size, static_cast<const Bytef*>(data), static_cast<uLong>(size), 6) != Z_OK) {
    throw std::runtime_error("fixture: compress2 failed");
  }
  out.resize(out_size);
  return out;
}

// Writes images "data" (with the filters `set_filters` adds to the creation properties) and
// int32 labels "label"; then `damage`, if given, gets the open image dataset to rewrite chunks.
void write_file(const std::string& path, const std::function<void(hid_t dcpl)>& set_filters,
                const std::function<void(hid_t ds)>& damage = nullptr) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[] = {kImages, 1, 4, 4};
  const hsize_t chunk[] = {1, 1, 4, 4};
  const hid_t space = H5Screate_simple(4, dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 4, chunk);
  set_filters(dcpl);
  const hid_t ds = H5Dcreate2(file, "data", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  const std::vector<float> values = pixels();
  herr_t status = ds < 0 ? -1 : H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  if (status >= 0 && damage) damage(ds);
  const hsize_t n = kImages;
  const hid_t label_space = H5Screate_simple(1, &n, nullptr);
  const int32_t labels[] = {0, 1, 2};
  const hid_t lab = H5Dcreate2(file, "label", H5T_STD_I32LE, label_space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (status >= 0) status = lab < 0 ? -1 : H5Dwrite(lab, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels);
  H5Dclose(lab);
  H5Sclose(label_space);
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(file);
  if (status < 0) throw std::runtime_error("fixture: cannot write " + path);
}

void set_deflate(hid_t dcpl) { H5Pset_deflate(dcpl, 6); }

// Replaces image 1's stored chunk by `bytes`, with `filter_mask` (bit k: filter k skipped).
std::function<void(hid_t)> replace_chunk_1(std::vector<unsigned char> bytes, uint32_t filter_mask = 0) {
  return [bytes, filter_mask](hid_t ds) {
    const hsize_t offset[] = {1, 0, 0, 0};
    if (H5Dwrite_chunk(ds, H5P_DEFAULT, filter_mask, offset, bytes.size(), bytes.data()) < 0) {
      throw std::runtime_error("fixture: H5Dwrite_chunk failed");
    }
  };
}

// Every reader refuses the file with the same message: the in-process load, the scan, and the
// scan in a separate process.
void expect_refused(const std::string& path, const std::string& expected_message) {
  const std::vector<std::pair<const char*, std::function<void()>>> readers = {
      {"load", [&] { load_hdf5_images(path, "data", "label", "nchw", 0); }},
      {"scan", [&] { scan_hdf5_images(path, "data", "label", "nchw"); }},
      {"isolated scan", [&] { scan_hdf5_images_isolated(path, "data", "label", "nchw"); }},
  };
  for (const auto& [name, read] : readers) {
    try {
      read();
      ADD_FAILURE() << name << ": no exception";
    } catch (const DataError& e) {
      EXPECT_EQ(std::string(e.what()), path + ": dataset 'data': " + expected_message) << name;
    }
  }
}

TEST(Hdf5ChunkCheck, AChunkThatInflatesShortIsRefusedBeforeLibhdf5ReadsIt) {
  TempDir dir;
  const std::string path = dir.file("short.h5");
  const std::vector<float> values = pixels();
  write_file(path, set_deflate, replace_chunk_1(deflate_bytes(values.data(), 40)));
  expect_refused(path, "its chunk at (1, 0, 0, 0) holds 40 bytes once its filters are undone, "
                       "but a chunk is 64 bytes (a damaged file)");
}

TEST(Hdf5ChunkCheck, AChunkThatInflatesLongIsRefused) {
  TempDir dir;
  const std::string path = dir.file("long.h5");
  const std::vector<float> values = pixels();
  write_file(path, set_deflate, replace_chunk_1(deflate_bytes(values.data(), 80)));
  expect_refused(path, "its chunk at (1, 0, 0, 0) is not a valid gzip (deflate) stream of at most 64 bytes");
}

TEST(Hdf5ChunkCheck, AChunkThatIsNotDeflateIsRefused) {
  TempDir dir;
  const std::string path = dir.file("garbage.h5");
  write_file(path, set_deflate, replace_chunk_1(std::vector<unsigned char>(30, 0xAB)));
  expect_refused(path, "its chunk at (1, 0, 0, 0) is not a valid gzip (deflate) stream of at most 64 bytes");
}

TEST(Hdf5ChunkCheck, AChunkThatSkippedItsFilterMustStillBeWhole) {
  TempDir dir;
  const std::vector<float> values = pixels();
  const unsigned char* image1 = reinterpret_cast<const unsigned char*>(values.data() + kChunkFloats);
  // Stored unfiltered (mask bit 0: deflate skipped), whole: read as it is.
  const std::string whole = dir.file("whole.h5");
  write_file(whole, set_deflate, replace_chunk_1({image1, image1 + 64}, 1));
  EXPECT_EQ(load_hdf5_images(whole, "data", "label", "nchw", 0).pixels, values);
  // The same, 8 bytes short.
  const std::string short_path = dir.file("short.h5");
  write_file(short_path, set_deflate, replace_chunk_1({image1, image1 + 56}, 1));
  expect_refused(short_path, "its chunk at (1, 0, 0, 0) holds 56 bytes once its filters are undone, "
                             "but a chunk is 64 bytes (a damaged file)");
}

TEST(Hdf5ChunkCheck, ShuffleDeflateAndFletcher32AreUndoneAndTheFileReadsExactly) {
  TempDir dir;
  const std::string path = dir.file("pipeline.h5");
  write_file(path, [](hid_t dcpl) {
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 6);
    H5Pset_fletcher32(dcpl);
  });
  EXPECT_EQ(load_hdf5_images(path, "data", "label", "nchw", 0).pixels, pixels());
  EXPECT_EQ(scan_hdf5_images_isolated(path, "data", "label", "nchw").labels, (std::vector<int64_t>{0, 1, 2}));
}

TEST(Hdf5ChunkCheck, AShuffledChunkThatInflatesShortIsRefused) {
  TempDir dir;
  const std::string path = dir.file("shuffled.h5");
  const std::vector<float> values = pixels();
  write_file(path, [](hid_t dcpl) {
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 6);
  }, replace_chunk_1(deflate_bytes(values.data(), 48)));
  expect_refused(path, "its chunk at (1, 0, 0, 0) holds 48 bytes once its filters are undone, "
                       "but a chunk is 64 bytes (a damaged file)");
}

TEST(Hdf5ChunkCheck, AFilterThatCannotBeCheckedIsRefusedByNameWithAWayOut) {
  TempDir dir;
  const std::string path = dir.file("scaleoffset.h5");
  write_file(path, [](hid_t dcpl) { H5Pset_scaleoffset(dcpl, H5Z_SO_FLOAT_DSCALE, 3); });
  try {
    load_hdf5_images(path, "data", "label", "nchw", 0);
    FAIL() << "no exception";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path + ": dataset 'data': stored with the HDF5 filter '", 0), 0u) << what;
    EXPECT_NE(what.find("(id " + std::to_string(H5Z_FILTER_SCALEOFFSET) + ")"), std::string::npos) << what;
    EXPECT_NE(what.find("h5repack -f GZIP=6"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace fineprune
