// The shared table of bad inputs (bad_inputs.h): tiny IDX and HDF5 data and sweep files.
#include "bad_inputs.h"

#include <hdf5.h>
#include <zlib.h>

#include <filesystem>
#include <stdexcept>
#include <utility>

#include "tests/data/fixtures.h"

namespace fineprune::bad_inputs {
namespace {

namespace fs = std::filesystem;
using test::Bytes;

constexpr uint32_t kTrain = 60;
constexpr uint32_t kTest = 20;
constexpr uint32_t kSide = 28;

Bytes labels_of(uint32_t n) {
  Bytes out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(static_cast<unsigned char>(i % 10));
  return out;
}

// The four IDX files in dir/data (gzipped); the training labels may be given.
void write_idx_data(const std::string& dir, const Bytes& train_labels = labels_of(kTrain)) {
  const std::string data = dir + "/data";
  fs::create_directories(data);
  test::write_idx_pair(data + "/train-images-idx3-ubyte.gz", data + "/train-labels-idx1-ubyte.gz",
                       kTrain, kSide, kSide, train_labels, true);
  test::write_idx_pair(data + "/t10k-images-idx3-ubyte.gz", data + "/t10k-labels-idx1-ubyte.gz",
                       kTest, kSide, kSide, labels_of(kTest), true);
}

std::string yaml_text(const std::string& data_lines) {
  return "name: tiny-bad\n"
         "data:\n" + data_lines +
         "  validation_size: 20\n"
         "model: {name: small_cnn, widths: [4, 8, 8], hidden: 8}\n"
         "training: {epochs: 1, batch_size: 16, lr: 0.05}\n"
         "attacks:\n"
         "  - name: badnets\n"
         "    trigger: {type: patch, size: 3}\n"
         "    target: {mode: all_to_one, label: 0}\n"
         "defenses: [none, prune]\n"
         "pruning: {max_val_drop: 0.04}\n"
         "finetune: {epochs: 1, batch_size: 16, lr: 0.01}\n"
         "seeds: [1]\n"
         "threads: 1\n";
}

const std::string kIdxData = "  dir: data\n";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("test: '" + from + "' not in the sweep file");
  return text.replace(at, from.size(), to);
}

std::string write_yaml(const std::string& dir, const std::string& text) {
  const std::string path = dir + "/sweep.yaml";
  test_support::write_text(path, text);
  return path;
}

// A sweep over good tiny IDX data with one change to its text; stderr must name the file and `key`.
Prepared spec_case(const std::string& dir, const std::string& from, const std::string& to,
                   std::vector<std::string> mention) {
  write_idx_data(dir);
  const std::string path = write_yaml(dir, replaced(yaml_text(kIdxData), from, to));
  mention.insert(mention.begin(), path);
  return {path, mention};
}

// Good tiny IDX data but for one file, replaced by `bytes`.
Prepared broken_file_case(const std::string& dir, const std::string& file, const Bytes& bytes,
                          const std::string& key) {
  write_idx_data(dir);
  const std::string broken = dir + "/data/" + file;
  test::write_file(broken, bytes);
  const std::string path = write_yaml(dir, yaml_text(kIdxData));
  return {path, {path, key, broken}};
}

// The training images of the tiny set, uncompressed.
Bytes plain_train_images() {
  Bytes pixels(kTrain * kSide * kSide, 7);
  return test::idx_images(kTrain, kSide, kSide, pixels);
}

// A gzip stream whose compressed bytes were changed in the middle: it no longer decodes (or its
// check sum no longer matches).
Bytes corrupt_gzip(const std::string& dir) {
  const std::string tmp = dir + "/whole.gz";
  Bytes pixels;
  for (uint32_t i = 0; i < kTrain * kSide * kSide; ++i) pixels.push_back(static_cast<unsigned char>((i * 2654435761u) >> 24));
  test::write_gz(tmp, test::idx_images(kTrain, kSide, kSide, pixels));
  const std::string text = test_support::read_bytes(tmp);
  fs::remove(tmp);
  Bytes bytes(text.begin(), text.end());
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] ^= 0x5a;
  return bytes;
}

// HDF5 data: train.h5 and test.h5 with `data` (N x 28 x 28 x 1 uint8) and, unless `labels` is
// empty, `label` of float32 values.
Prepared hdf5_case(const std::string& dir, const std::vector<float>& train_labels,
                   std::vector<std::string> mention) {
  const auto write = [&](const std::string& name, uint32_t n, const std::vector<float>& labels) {
    test::H5Writer h5(dir + "/" + name);
    const std::vector<unsigned char> pixels(n * kSide * kSide, 9);
    h5.add("data", {n, kSide, kSide, 1}, H5T_STD_U8LE, H5T_NATIVE_UINT8, pixels.data());
    if (!labels.empty()) h5.add("label", {n}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, labels.data());
  };
  std::vector<float> test_labels;
  for (uint32_t i = 0; i < kTest; ++i) test_labels.push_back(static_cast<float>(i % 10));
  write("train.h5", kTrain, train_labels);
  write("test.h5", kTest, test_labels);
  const std::string path = write_yaml(
      dir, yaml_text("  format: hdf5\n  dir: .\n  train_file: train.h5\n  test_file: test.h5\n"));
  mention.insert(mention.begin(), path);
  return {path, mention};
}

// Replaces `file`'s "data" by the same uint8 images stored gzip-compressed, one image per chunk,
// with image 1's chunk a valid deflate stream of only 100 bytes (fuzzing finding F10).
void write_short_deflated_chunk(const std::string& file) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hsize_t dims[] = {kTrain, kSide, kSide, 1}, chunk[] = {1, kSide, kSide, 1}, second[] = {1, 0, 0, 0};
  const hid_t space = H5Screate_simple(4, dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 4, chunk);
  H5Pset_deflate(dcpl, 6);
  herr_t status = H5Ldelete(f, "data", H5P_DEFAULT);
  const hid_t ds = H5Dcreate2(f, "data", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  const std::vector<unsigned char> pixels(kTrain * kSide * kSide, 9);
  if (status >= 0) status = H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixels.data());
  uLongf size = compressBound(100);
  std::vector<unsigned char> short_stream(size);
  compress2(short_stream.data(), &size, pixels.data(), 100, 6);
  if (status >= 0) status = H5Dwrite_chunk(ds, H5P_DEFAULT, 0, second, size, short_stream.data());
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
  if (H5Fclose(f) < 0 || status < 0) throw std::runtime_error("bad_inputs: cannot damage " + file);
}

std::vector<float> float_labels(uint32_t n) {
  std::vector<float> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(static_cast<float>(i % 10));
  return out;
}

}  // namespace

std::string write_tiny_setup(const std::string& dir,
                             const std::vector<std::pair<std::string, std::string>>& replace) {
  write_idx_data(dir);
  std::string text = yaml_text(kIdxData);
  for (const auto& [from, to] : replace) text = replaced(text, from, to);
  return write_yaml(dir, text);
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // The data, read whole before any work.
      {"CorruptGzipStream",
       [](const std::string& d) {
         return broken_file_case(d, "train-images-idx3-ubyte.gz", corrupt_gzip(d), "data.train_images");
       }},
      {"TruncatedImageFile",
       [](const std::string& d) {
         Bytes bytes = plain_train_images();
         bytes.resize(bytes.size() - 1000);
         Prepared p = broken_file_case(d, "train-images-idx3-ubyte.gz", bytes, "data.train_images");
         p.must_mention.push_back("truncated");
         return p;
       }},
      {"LabelByteOutsideTheClasses",
       [](const std::string& d) {
         Bytes labels = labels_of(kTrain);
         labels[17] = 200;  // 10 classes and one stray byte: not a 201-class problem
         write_idx_data(d, labels);
         const std::string path = write_yaml(d, yaml_text(kIdxData));
         return Prepared{path, {path, "data.train_labels", "label 200 at index 17", "201 classes"}};
       }},
      {"LabelAboveNumClasses",
       [](const std::string& d) {
         return spec_case(d, "  validation_size: 20\n", "  validation_size: 20\n  num_classes: 5\n",
                          {"data.train_labels", "is not below data.num_classes = 5"});
       }},
      {"Hdf5FileThatCrashesLibhdf5",  // tests/data_files/README.md: read in a child process
       [](const std::string& d) {
         Prepared p = hdf5_case(d, float_labels(kTrain), {"data.train_file", "libhdf5 crashed"});
         fs::copy_file(std::string(FINEPRUNE_TEST_DATA_DIR) + "/libhdf5-crash-1.h5", d + "/train.h5",
                       fs::copy_options::overwrite_existing);
         return p;
       }},
      {"Hdf5CompressedChunkThatInflatesShort",  // F10: libhdf5 would read past it
       [](const std::string& d) {
         Prepared p = hdf5_case(d, float_labels(kTrain),
                                {"data.train_file", "its chunk at (1, 0, 0, 0) holds 100 bytes once its filters are "
                                                    "undone, but a chunk is 784 bytes"});
         write_short_deflated_chunk(d + "/train.h5");
         return p;
       }},
      {"MissingHdf5LabelDataset",
       [](const std::string& d) {
         return hdf5_case(d, {}, {"data.train_file", "dataset 'label' not found"});
       }},
      {"Hdf5FloatLabelNotWhole",
       [](const std::string& d) {
         std::vector<float> labels = float_labels(kTrain);
         labels[5] = 2.5f;
         return hdf5_case(d, labels, {"data.train_file", "label 2.5 at index 5", "not a whole number"});
       }},
      {"TrainSubsetLargerThanTheData",
       [](const std::string& d) {
         return spec_case(d, "  validation_size: 20\n", "  validation_size: 20\n  train_subset: 500\n",
                          {"data.train_subset", "must be at most 40"});
       }},
      // What the model, the triggers and the targets need of the data.
      {"PatchLargerThanTheImages",
       [](const std::string& d) {
         return spec_case(d, "{type: patch, size: 3}", "{type: patch, size: 40}",
                          {"attacks[0].trigger.size", "larger than the 28x28 images"});
       }},
      {"ModelNeedsBiggerImages",
       [](const std::string& d) {
         return spec_case(d, "{name: small_cnn, widths: [4, 8, 8], hidden: 8}",
                          "{name: deepid, widths: [4, 4, 4, 4], hidden: 8}",
                          {"model.name", "deepid needs images of at least 31x31"});
       }},
      {"WrongWidthsLength",
       [](const std::string& d) {
         return spec_case(d, "widths: [4, 8, 8]", "widths: [4, 8]",
                          {"model.widths", "small_cnn takes 3 widths"});
       }},
      {"TargetLabelOutsideTheClasses",
       [](const std::string& d) {
         return spec_case(d, "{mode: all_to_one, label: 0}", "{mode: all_to_one, label: 10}",
                          {"attacks[0].target.label", "not a class of the data"});
       }},
      // Ranges and contradictions of the file itself.
      {"DefenseSettingOutOfRange",  // a defense's own section (common/defense_catalog.cpp)
       [](const std::string& d) {
         return spec_case(d, "defenses: [none, prune]\n", "defenses: [none, prune, anp]\nanp: {alpha: 1.5}\n",
                          {"anp.alpha", "must be in [0, 1], got 1.5"});
       }},
      {"EpochsZero",
       [](const std::string& d) {
         return spec_case(d, "{epochs: 1, batch_size: 16, lr: 0.05}", "{epochs: 0, batch_size: 16, lr: 0.05}",
                          {"training.epochs", "must be >= 1"});
       }},
      {"FinetuneEpochsZero",
       [](const std::string& d) {
         return spec_case(d, "finetune: {epochs: 1", "finetune: {epochs: 0",
                          {"finetune.epochs", "must be >= 1"});
       }},
      {"AllToAllWithATargetLabel",
       [](const std::string& d) {
         return spec_case(d, "{mode: all_to_one, label: 0}", "{mode: all_to_all, label: 3}",
                          {"attacks[0].target.label", "all_to_all"});
       }},
      {"NestedTooDeeply",
       [](const std::string& d) {
         return spec_case(d, "seeds: [1]", "seeds: " + std::string(3000, '['),
                          {"<yaml>", "nested too deeply"});
       }},
      // The output.
      {"OutIsAFolder",
       [](const std::string& d) {
         const std::string path = write_tiny_setup(d);
         const std::string out = d + "/out-folder.h5";
         fs::create_directories(out);
         test_support::write_text(out + "/keep.txt", "kept");
         return Prepared{path, {"--out", out, "is a folder"}, out};
       }},
      {"OutFolderNotWritable",
       [](const std::string& d) {
         // /proc takes no new files, even from root (a chmod would not stop root).
         const std::string path = write_tiny_setup(d);
         return Prepared{path, {"--out", "/proc/fineprune-bad-input.h5", "cannot create files"},
                         "/proc/fineprune-bad-input.h5", false};
       }},
  };
  return all;
}

}  // namespace fineprune::bad_inputs
