// The up-front check of a spec against its data (workers/data/data_check.h, input_check.h): what
// it reads and refuses, each message naming the spec file and the key path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/experiment_spec.h"
#include "fixtures.h"
#include "workers/data/input_check.h"

namespace fineprune::test {
namespace {

// Tiny IDX data (gzipped): `n_train` training and 10 test images of side x side, labels i % 10
// unless given.
struct TinyData {
  TempDir dir;
  ExperimentSpec spec;

  explicit TinyData(uint32_t side = 28, Bytes train_labels = {}, uint32_t n_train = 40) {
    if (train_labels.empty()) {
      for (uint32_t i = 0; i < n_train; ++i) train_labels.push_back(static_cast<unsigned char>(i % 10));
    }
    Bytes test_labels;
    for (uint32_t i = 0; i < 10; ++i) test_labels.push_back(static_cast<unsigned char>(i));
    write_idx_pair(dir.file("ti.gz"), dir.file("tl.gz"), n_train, side, side, train_labels, true);
    write_idx_pair(dir.file("vi.gz"), dir.file("vl.gz"), 10, side, side, test_labels, true);
    spec.source_file = "/cfg/sweep.yaml";
    spec.data.dir = dir.path();
    spec.data.train_images = "ti.gz";
    spec.data.train_labels = "tl.gz";
    spec.data.test_images = "vi.gz";
    spec.data.test_labels = "vl.gz";
    spec.data.validation_size = 10;
    spec.model.widths = {4, 8, 8};
    spec.model.hidden = 8;
    spec.attacks.resize(1);
    spec.attacks[0].name = "a";
  }
};

// The message of the ConfigError `spec` gets, or "" (and a failure) when it passes.
std::string refusal(const ExperimentSpec& spec) {
  try {
    check_inputs(spec);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a ConfigError: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

#define EXPECT_MENTIONS(text, piece) \
  EXPECT_NE((text).find(piece), std::string::npos) << "'" << (piece) << "' not in: " << (text)

TEST(InputCheck, GoodDataGivesItsShapeAndClasses) {
  TinyData t;
  const DataFacts f = check_inputs(t.spec);
  EXPECT_EQ(f.channels, 1);
  EXPECT_EQ(f.height, 28);
  EXPECT_EQ(f.width, 28);
  EXPECT_EQ(f.num_classes, 10);
  EXPECT_EQ(f.train_images, 40);
  EXPECT_EQ(f.test_images, 10);
}

TEST(InputCheck, AStrayLabelByteDoesNotMakeNewClasses) {
  Bytes labels;
  for (int i = 0; i < 40; ++i) labels.push_back(static_cast<unsigned char>(i % 10));
  labels[13] = 200;
  TinyData t(28, labels);
  const std::string m = refusal(t.spec);
  EXPECT_MENTIONS(m, "/cfg/sweep.yaml: data.train_labels: ");
  EXPECT_MENTIONS(m, t.dir.file("tl.gz"));
  EXPECT_MENTIONS(m, "label 200 at index 13 makes 201 classes, but only 11");
}

TEST(InputCheck, MissingClassesAreFineWhenNumClassesSaysSo) {
  Bytes labels;
  for (int i = 0; i < 40; ++i) labels.push_back(static_cast<unsigned char>(i % 10));
  labels[13] = 11;
  TinyData t(28, labels);
  t.spec.data.num_classes = 12;
  EXPECT_EQ(check_inputs(t.spec).num_classes, 12);
  t.spec.data.num_classes = 11;
  EXPECT_MENTIONS(refusal(t.spec), "label 11 at index 13 is not below data.num_classes = 11");
}

TEST(InputCheck, TargetLabelMustBeAClass) {
  TinyData t;
  t.spec.attacks[0].target.label = 10;
  EXPECT_MENTIONS(refusal(t.spec), "/cfg/sweep.yaml: attacks[0].target.label: 10 is not a class");
  t.spec.attacks[0].target.mode = "all_to_all";  // no single target: nothing to check
  EXPECT_NO_THROW(check_inputs(t.spec));
}

TEST(InputCheck, PatchMustFitTheImages) {
  TinyData t;
  t.spec.attacks.resize(2);
  t.spec.attacks[1].name = "b";
  t.spec.attacks[1].trigger.size = 28;  // + margin 1 = 29
  EXPECT_MENTIONS(refusal(t.spec),
                  "/cfg/sweep.yaml: attacks[1].trigger.size: 28 with margin 1 is larger than the 28x28 images");
}

TEST(InputCheck, ModelThatNeedsBiggerImagesIsNamedWithTheFile) {
  TinyData t;
  t.spec.model.name = "deepid";
  t.spec.model.widths = {4, 4, 4, 4};
  const std::string m = refusal(t.spec);
  EXPECT_MENTIONS(m, "/cfg/sweep.yaml: model.name: deepid needs images of at least 31x31");
  EXPECT_MENTIONS(m, "1x28x28");
}

// Every model of a `models:` list is tried on the data, and named by its entry's key path.
TEST(InputCheck, EachModelOfAListIsTriedAndNamedByItsEntry) {
  TinyData t;
  ModelSpec ok = t.spec.model;
  ok.label = "small";
  ModelSpec faces;
  faces.label = "faces";
  faces.name = "deepid";
  faces.widths = {4, 4, 4, 4};
  t.spec.models = {ok, faces};
  t.spec.model = ok;  // as the loader leaves it: the first, which runs
  const std::string m = refusal(t.spec);
  EXPECT_MENTIONS(m, "/cfg/sweep.yaml: models[1].arch: deepid needs images of at least 31x31");
  ModelSpec vgg_like = ok;
  vgg_like.label = "narrow";
  vgg_like.widths = {4, 8};  // small_cnn takes 3: the model factory refuses it
  t.spec.models = {ok, vgg_like};
  EXPECT_MENTIONS(refusal(t.spec), "/cfg/sweep.yaml: models[1].widths: ");
  t.spec.models = {ok, ok};
  t.spec.models[1].label = "again";
  EXPECT_NO_THROW(check_inputs(t.spec));
}

TEST(InputCheck, VggWithTooManyPoolsForTheImagesIsRefusedUpFront) {
  TinyData t(8);
  t.spec.model.name = "vgg";
  t.spec.model.widths = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
  t.spec.attacks[0].trigger.size = 2;
  EXPECT_MENTIONS(refusal(t.spec), "/cfg/sweep.yaml: model.widths: ");
}

TEST(InputCheck, TruncatedAndCorruptGzipAreNamedByKey) {
  TinyData t;
  {
    // Cut short: a valid gzip stream of too few pixels.
    Bytes pixels(40 * 28 * 28 - 100, 1);
    write_gz(t.dir.file("ti.gz"), idx_images(40, 28, 28, pixels));
    const std::string m = refusal(t.spec);
    EXPECT_MENTIONS(m, "/cfg/sweep.yaml: data.train_images: " + t.dir.file("ti.gz"));
    EXPECT_MENTIONS(m, "truncated");
  }
  {
    // Whole length, bytes changed: only gzip's check sum at the end can tell.
    Bytes pixels(40 * 28 * 28);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>((i * 2654435761u) >> 24);
    write_gz(t.dir.file("vi.gz"), idx_images(10, 28, 28, Bytes(pixels.begin(), pixels.begin() + 10 * 28 * 28)));
    std::string bytes = test_support::read_bytes(t.dir.file("vi.gz"));
    for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 32; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x11);
    write_text(t.dir.file("vi.gz"), bytes);
    write_gz(t.dir.file("ti.gz"), idx_images(40, 28, 28, Bytes(40 * 28 * 28, 2)));
    const std::string m = refusal(t.spec);
    EXPECT_MENTIONS(m, "/cfg/sweep.yaml: data.test_images: " + t.dir.file("vi.gz"));
  }
}

TEST(InputCheck, SubsetsAndValidationAgainstTheImageCounts) {
  TinyData t;
  t.spec.data.train_subset = 31;  // 40 - 10 validation = 30 left
  EXPECT_MENTIONS(refusal(t.spec), "/cfg/sweep.yaml: data.train_subset: must be at most 30");
  t.spec.data.train_subset = 0;
  t.spec.data.validation_size = 40;
  EXPECT_MENTIONS(refusal(t.spec), "/cfg/sweep.yaml: data.validation_size: must be smaller than the 40");
  t.spec.data.validation_size = 10;
  t.spec.data.test_subset = 11;
  EXPECT_MENTIONS(refusal(t.spec), "/cfg/sweep.yaml: data.test_subset: must be at most the 10");
}

TEST(InputCheck, MissingFileIsNamedByKey) {
  TinyData t;
  t.spec.data.test_labels = "nope.gz";
  EXPECT_MENTIONS(refusal(t.spec), "/cfg/sweep.yaml: data.test_labels: cannot read");
}

// HDF5 data in the Caffe form: float labels.
struct TinyHdf5 {
  TempDir dir;
  ExperimentSpec spec;
  TinyHdf5(const std::vector<float>& train_labels, bool with_labels = true) {
    const auto write = [&](const std::string& name, const std::vector<float>& labels) {
      H5Writer h5(dir.file(name));
      const hsize_t n = labels.size();
      const std::vector<unsigned char> pixels(n * 3 * 32 * 32, 5);
      h5.add("data", {n, 3, 32, 32}, H5T_STD_U8LE, H5T_NATIVE_UINT8, pixels.data());
      if (with_labels || name == "test.h5") {
        h5.add("label", {n}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, labels.data());
      }
    };
    write("train.h5", train_labels);
    write("test.h5", {0, 1, 2, 3, 0, 1, 2, 3});
    spec.source_file = "faces.yaml";
    spec.data.format = "hdf5";
    spec.data.dir = dir.path();
    spec.data.train_file = "train.h5";
    spec.data.test_file = "test.h5";
    spec.data.layout = "nchw";
    spec.data.validation_size = 4;
    spec.model.widths = {4, 8, 8};
    spec.model.hidden = 8;
    spec.attacks.resize(1);
    spec.attacks[0].name = "a";
  }
};

std::vector<float> whole_labels(int n) {
  std::vector<float> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<float>(i % 4));
  return out;
}

TEST(InputCheck, CaffeFloatLabelsThatAreWholeNumbersAreAccepted) {
  TinyHdf5 t(whole_labels(16));
  const DataFacts f = check_inputs(t.spec);
  EXPECT_EQ(f.num_classes, 4);
  EXPECT_EQ(f.channels, 3);
  EXPECT_EQ(f.height, 32);
}

TEST(InputCheck, FloatLabelsThatAreNotWholeAreRefusedWithTheirIndex) {
  std::vector<float> labels = whole_labels(16);
  labels[9] = 1.5f;
  TinyHdf5 t(labels);
  const std::string m = refusal(t.spec);
  EXPECT_MENTIONS(m, "faces.yaml: data.train_file: " + t.dir.file("train.h5"));
  EXPECT_MENTIONS(m, "dataset 'label': label 1.5 at index 9 is not a whole number");
}

TEST(InputCheck, MissingLabelDatasetIsNamed) {
  TinyHdf5 t(whole_labels(16), false);
  EXPECT_MENTIONS(refusal(t.spec), "faces.yaml: data.train_file: " + t.dir.file("train.h5") +
                                       ": dataset 'label' not found");
}

}  // namespace
}  // namespace fineprune::test
