// load_splits and seeded_permutation: train, validation and test sets from a DataSpec.
#include <algorithm>

#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/input_files.h"
#include "workers/data/image_set.h"

namespace fineprune {
namespace {

// Seeds for the choices after the validation split are derived from the experiment seed, so one
// seed fixes everything while the test subset stays independent of the train/validation split.
constexpr uint64_t kTestSubsetSalt = 0x7e57'5eed'0f1f'7e57ULL;

// splitmix64 (Steele, Lea, Flood 2014): tiny, well mixed, and identical on every platform,
// which std::mt19937 + std::uniform_int_distribution are not (the distribution is
// implementation-defined), so a split is reproducible across compilers.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).
uint64_t uniform_below(uint64_t bound, uint64_t& state) {
  unsigned __int128 m = static_cast<unsigned __int128>(splitmix64(state)) * bound;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < bound) {
    const uint64_t threshold = -bound % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(splitmix64(state)) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

std::string resolve(const DataSpec& spec, const std::string& file) { return data_file_path(spec, file); }

// A loaded set and the file to name when its labels or shape are wrong.
struct Loaded {
  ImageSet set;
  std::string label_file;
};

Loaded load_one(const DataSpec& spec, bool train) {
  if (spec.format == "idx") {
    const std::string images = resolve(spec, train ? spec.train_images : spec.test_images);
    const std::string labels = resolve(spec, train ? spec.train_labels : spec.test_labels);
    return {load_idx(images, labels), labels};
  }
  if (spec.format == "cifar10") {
    std::vector<std::string> batches;
    if (train) {
      for (const std::string& b : spec.train_batches) batches.push_back(resolve(spec, b));
    } else {
      batches.push_back(resolve(spec, spec.test_batch));
    }
    if (batches.empty()) throw InputError("data.train_batches: no training batch files given");
    const std::string name = batches.size() == 1 ? batches[0] : batches[0] + " ...";
    return {load_cifar10(batches), name};
  }
  if (spec.format == "hdf5") {
    const std::string& file = train ? spec.train_file : spec.test_file;
    if (file.empty()) {
      throw InputError(std::string(train ? "data.train_file" : "data.test_file") +
                       ": required for format hdf5");
    }
    const std::string path = resolve(spec, file);
    return {load_hdf5_images(path, spec.images_key, spec.labels_key, spec.layout, spec.scale),
            path};
  }
  throw InputError("data.format: unknown format '" + spec.format +
                   "', expected idx, cifar10 or hdf5");
}

int64_t max_label(const ImageSet& set) {
  return set.labels.empty() ? -1 : *std::max_element(set.labels.begin(), set.labels.end());
}

std::vector<int64_t> slice(const std::vector<int64_t>& v, int64_t from, int64_t to) {
  return std::vector<int64_t>(v.begin() + from, v.begin() + to);
}

}  // namespace

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
  if (n < 0) throw InputError("seeded_permutation: n must be >= 0, got " + std::to_string(n));
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  uint64_t state = seed;
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates, from the back
    const auto j = static_cast<int64_t>(uniform_below(static_cast<uint64_t>(i) + 1, state));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  return perm;
}

DataSplits load_splits(const DataSpec& spec, uint64_t seed) {
  // Argument checks that need no file come first, so a bad spec fails before a long load.
  if (spec.validation_size < 0) {
    throw InputError("data.validation_size: must be >= 0, got " +
                     std::to_string(spec.validation_size));
  }
  if (spec.train_subset < 0 || spec.test_subset < 0 || spec.num_classes < 0) {
    throw InputError(std::string(spec.train_subset < 0 ? "data.train_subset"
                                 : spec.test_subset < 0 ? "data.test_subset"
                                                        : "data.num_classes") +
                     ": must be >= 0");
  }

  Loaded train = load_one(spec, true);
  Loaded test = load_one(spec, false);
  if (test.set.channels != train.set.channels || test.set.height != train.set.height ||
      test.set.width != train.set.width) {
    throw DataError(test.label_file,
                    "test images are " + std::to_string(test.set.channels) + "x" +
                        std::to_string(test.set.height) + "x" + std::to_string(test.set.width) +
                        " but training images are " + std::to_string(train.set.channels) + "x" +
                        std::to_string(train.set.height) + "x" + std::to_string(train.set.width));
  }

  DataSplits out;
  out.num_classes = spec.num_classes;
  if (out.num_classes == 0) {
    out.num_classes = std::max(max_label(train.set), max_label(test.set)) + 1;
  } else {
    for (const Loaded* l : {&train, &test}) {
      if (max_label(l->set) >= spec.num_classes) {
        throw DataError(l->label_file, "label " + std::to_string(max_label(l->set)) +
                                           " is not below data.num_classes = " +
                                           std::to_string(spec.num_classes));
      }
    }
  }

  const int64_t n_train = train.set.size();
  if (spec.validation_size >= n_train) {
    throw InputError("data.validation_size: must be smaller than the " + std::to_string(n_train) +
                     " training images, got " + std::to_string(spec.validation_size));
  }
  const int64_t rest = n_train - spec.validation_size;
  if (spec.train_subset > rest) {
    throw InputError("data.train_subset: must be at most " + std::to_string(rest) +
                     " (training images left after the validation split), got " +
                     std::to_string(spec.train_subset));
  }
  if (spec.test_subset > test.set.size()) {
    throw InputError("data.test_subset: must be at most the " + std::to_string(test.set.size()) +
                     " test images, got " + std::to_string(spec.test_subset));
  }

  // Validation and train come from one permutation, so they are disjoint by construction.
  const std::vector<int64_t> perm = seeded_permutation(n_train, seed);
  const int64_t train_end = spec.validation_size + (spec.train_subset ? spec.train_subset : rest);
  out.validation = train.set.subset(slice(perm, 0, spec.validation_size));
  out.train = train.set.subset(slice(perm, spec.validation_size, train_end));
  train.set = ImageSet();  // free the full training file before copying the test set

  if (spec.test_subset > 0) {
    const std::vector<int64_t> tperm = seeded_permutation(test.set.size(), seed ^ kTestSubsetSalt);
    out.test = test.set.subset(slice(tperm, 0, spec.test_subset));
  } else {
    out.test = std::move(test.set);
  }
  return out;
}

}  // namespace fineprune
