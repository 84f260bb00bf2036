// An in-memory labelled image set, and the loaders that fill it from IDX, CIFAR-10 and HDF5 files.
//
// Pixels are float32 in [0, 1], laid out NCHW, so attacks and models see one format whatever the
// source. No torch here: workers/training converts an ImageSet to tensors in one place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fineprune {

struct DataSpec;

struct ImageSet {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  std::vector<float> pixels;    // size() * channels * height * width, NCHW
  std::vector<int64_t> labels;  // one per image

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t image_numel() const { return channels * height * width; }
  // A new set holding the images at `indices`, in that order.
  ImageSet subset(const std::vector<int64_t>& indices) const;
};

// Reads an IDX image file (magic 0x00000803, uint8, N x H x W; gzipped or not) and its label file
// (magic 0x00000801). Throws DataError naming the file: missing, bad magic, truncated, count
// mismatch between the two files, label out of 0..255.
ImageSet load_idx(const std::string& images_path, const std::string& labels_path);

// Reads CIFAR-10 binary batches (records of 1 label byte + 3072 pixel bytes, 3x32x32).
// Throws DataError naming the file when its size is not a whole number of records, or it is
// missing or empty.
ImageSet load_cifar10(const std::vector<std::string>& batch_paths);

// Reads an HDF5 image file: dataset `images_key` of rank 4 (layout "nhwc" or "nchw"), uint8 or
// float, and dataset `labels_key` of rank 1 (or N x 1): integers, or floats that are whole
// numbers (Caffe's HDF5 data layer stores labels as float; 3.0 is label 3, 2.5 is refused).
// uint8 pixels are divided by `scale` (0 = 255), float pixels by `scale` (0 = 1). Throws
// DataError naming the file and the dataset for a missing dataset, wrong rank, unsupported type,
// count mismatch, or a label that is negative, not finite or not whole (with its index).
ImageSet load_hdf5_images(const std::string& path, const std::string& images_key,
                          const std::string& labels_key, const std::string& layout, double scale);

// A data file's shape and labels without its pixels: what the up-front check of a spec against
// its data needs (workers/data/data_check.h).
struct ImageSetInfo {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  std::vector<int64_t> labels;  // one per image

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// The loaders' checks without keeping the pixels: the same headers, sizes and labels are read
// and refused alike, and the whole pixel stream is read (so a gzip stream that does not decode
// or a file cut short fails here), but nothing of it is kept. For HDF5 every pixel is read, a
// slab of images at a time, and float pixels must be finite.
ImageSetInfo scan_idx(const std::string& images_path, const std::string& labels_path);
ImageSetInfo scan_cifar10(const std::vector<std::string>& batch_paths);
ImageSetInfo scan_hdf5_images(const std::string& path, const std::string& images_key,
                              const std::string& labels_key, const std::string& layout);
// scan_hdf5_images in a forked child process (common/child_process.h): libhdf5 1.10 crashes on
// some damaged files (tests/fuzz/README.md, F8), and a crash there becomes a DataError naming
// the file ("libhdf5 crashed reading this file ...") instead of ending fineprune. Once a file
// passed, load_hdf5_images reads the same bytes the same way in the process itself.
ImageSetInfo scan_hdf5_images_isolated(const std::string& path, const std::string& images_key,
                                       const std::string& labels_key, const std::string& layout);

// The three sets of an experiment: the attacker's training data, the defender's clean validation
// set (split off the training file), and the test set.
struct DataSplits {
  ImageSet train;
  ImageSet validation;
  ImageSet test;
  int64_t num_classes = 0;
};

// Loads the files `spec` names and splits them with a permutation drawn from `seed`:
// validation = the first spec.validation_size images of the permuted training file, train = the
// rest (then the first train_subset of them if non-zero), test = the test file (the first
// test_subset of a seeded permutation if non-zero). Same seed, same split.
// Throws DataError (files) or InputError (validation_size not smaller than the training set).
DataSplits load_splits(const DataSpec& spec, uint64_t seed);

// Deterministic permutation of 0..n-1 from `seed` (a splitmix64-seeded Fisher-Yates), used for
// every seeded choice that does not need torch.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

}  // namespace fineprune
